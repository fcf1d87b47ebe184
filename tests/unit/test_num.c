// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_num.c — common/num.h: strict unsigned parsing of flags. */
#include "common/num.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const struct {
	const char *s;
	uint64_t min, max;
	int err;
	uint64_t want;
} cases[] = {
    {"0", 0, 10, 0, 0},
    {"7", 0, 10, 0, 7},
    {"007", 0, 10, 0, 7}, /* leading zeros are decimal, never octal */
    {"10", 0, 10, 0, 10},
    {"11", 0, 10, -ERANGE, 0},
    {"255", 256, 1000, -ERANGE, 0},
    {"256", 256, 1000, 0, 256},
    {"0x10", 0, 100, 0, 16},
    {"0XfF", 0, 1000, 0, 255},
    {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
    {"0xffffffffffffffff", 0, UINT64_MAX, 0, UINT64_MAX},
    {"18446744073709551616", 0, UINT64_MAX, -ERANGE, 0}, /* 2^64 */
    {"0x10000000000000000", 0, UINT64_MAX, -ERANGE, 0},
    {"99999999999999", 256, 1u << 20, -ERANGE, 0}, /* dsm-node --pages of issue 10 */
    {"99999999999999999999999999", 0, UINT64_MAX, -ERANGE, 0},
    {"-1", 0, UINT64_MAX, -EINVAL, 0}, /* --seconds -1 of issue 10 */
    {"-0", 0, 10, -EINVAL, 0},
    {"+5", 0, 10, -EINVAL, 0},
    {"", 0, 10, -EINVAL, 0},
    {" 5", 0, 10, -EINVAL, 0},
    {"5 ", 0, 10, -EINVAL, 0},
    {"5\n", 0, 10, -EINVAL, 0},
    {"5k", 0, 10000, -EINVAL, 0},
    {"1e3", 0, 10000, -EINVAL, 0},
    {"1.5", 0, 10, -EINVAL, 0},
    {"abc", 0, 10, -EINVAL, 0},
    {"0x", 0, 10, -EINVAL, 0},
    {"0xg", 0, 10, -EINVAL, 0},
    {"12a", 0, 1000, -EINVAL, 0},
    {"99999999999999999999x", 0, UINT64_MAX, -EINVAL, 0}, /* junk wins over overflow */
    {"1,2", 0, 100, -EINVAL, 0},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int err = num_parse_u64(cases[i].s, cases[i].min, cases[i].max, &v);

		if (err != cases[i].err)
			fail_msg("'%s' in %llu..%llu: got %d, expected %d", cases[i].s,
				 (unsigned long long)cases[i].min, (unsigned long long)cases[i].max,
				 err, cases[i].err);
		if (!err)
			assert_int_equal(v, cases[i].want);
		else
			assert_int_equal(v, 12345); /* untouched on error */
	}
	assert_int_equal(num_parse_u64(NULL, 0, 1, &(uint64_t){0}), -EINVAL);
}

/* num_flag_*: the value, or one line naming the program, the flag and the
 * value, and exit status 2. */
static void flag_in_child(const char *s, uint64_t min, uint64_t max, int want_status,
			  const char *want_msg)
{
	char out[512] = "";
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		unsigned v = num_flag_uint("prog", "--pages", s, (unsigned)min, (unsigned)max);
		_exit(v == 300 ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], out, sizeof(out) - 1);
	close(pfd[0]);
	out[n > 0 ? n : 0] = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), want_status);
	if (want_msg)
		assert_string_equal(out, want_msg);
	else
		assert_string_equal(out, "");
}

static void test_flag(void **state)
{
	(void)state;
	flag_in_child("300", 256, 1000, 0, NULL);
	flag_in_child("99999999999999", 256, 1000, 2,
		      "prog: --pages '99999999999999': out of range (expected 256..1000)\n");
	flag_in_child("-1", 256, 1000, 2,
		      "prog: --pages '-1': not a number (expected 256..1000)\n");
	flag_in_child("", 256, 1000, 2, "prog: --pages '': not a number (expected 256..1000)\n");
	flag_in_child("12x", 256, 1000, 2,
		      "prog: --pages '12x': not a number (expected 256..1000)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
