// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/harness/cmocka_skip.c — a cmocka binary one of whose two cases calls
 * skip(): cmocka exits 0 for it. tests/harness/runner-rules.sh feeds it to
 * scripts/run-tests, which must report the partial skip, not a pass. Not a
 * test of its own (not in TEST_LIST).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void case_runs(void **state)
{
	assert_int_equal(1 + 1, 2);
}

static void case_skipped(void **state)
{
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(case_runs),
	    cmocka_unit_test(case_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
