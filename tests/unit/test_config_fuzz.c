// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_config_fuzz.c — damaged configurations never crash the
 * parser: seeded byte flips, truncations and splices of a good file, and of
 * --numa/--hmat specs. Every run either passes parse + validate or is refused
 * with at least one message; the tables of the accepted ones build and sum to
 * zero. Run it under `make check-asan` to catch memory errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/acpi_test_util.h"

#define ROUNDS 1500

static const char good_file[] =
    "vcpus = 4;\n"
    "memory = \"2G\";\n"
    "numa = ( { id = 0; cpus = \"0-1\"; memory = \"1G\"; distances = \"1@20\"; host = 0; },\n"
    "         { id = 1; cpus = [2, 3]; memory = 1073741824; distances = [\"0@20\"]; } );\n"
    "hmat = ( { initiator = 0; target = 1; read_latency_ns = 200; write_latency = \"1.5us\";\n"
    "           read_bandwidth_mbs = 10000; bandwidth = \"4G\"; } );\n";

static const char good_flags[] = "--numa id=0,cpus=0-1:3,memory=1G,distances=1@15 "
				 "--numa id=1,cpus=[2],memory=512M "
				 "--hmat initiator=0,target=1,read-latency=200ns,bandwidth=10G";

static uint64_t rng = 0x5151564d;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static const char interesting[] = "0123456789-:,@=[]{}()\";#xGMKT \n";

static void mutate(char *s, size_t len)
{
	int edits = 1 + (int)(next() % 4);

	for (int e = 0; e < edits && len > 1; e++) {
		size_t at = next() % (len - 1);

		switch (next() % 4) {
		case 0: /* a byte from the syntax */
			s[at] = interesting[next() % (sizeof(interesting) - 1)];
			break;
		case 1: /* any byte but NUL */
			s[at] = (char)(1 + next() % 255);
			break;
		case 2: /* truncate */
			s[at] = 0;
			len = at;
			break;
		case 3: /* duplicate a run over later text */
			if (at + 8 < len)
				memmove(s + at + 4, s + at, len - at - 8);
			break;
		}
	}
}

static void check_one(const char *file, const char *flags, int *accepted, int *refused)
{
	struct built *b = calloc(1, sizeof(*b));
	struct captured c;

	assert_non_null(b);
	parse_and_validate(&b->cfg, file, flags, 0, &c);
	if (c.stage == 2) {
		(*accepted)++;
		assert_int_equal(memmap_build(&b->cfg, &b->map), 0);
		assert_int_equal(acpi_build_layout(&b->cfg, &b->map, b->buf, sizeof(b->buf),
						   ACPI_BIOS_GPA, &b->layout),
				 0);
		for (uint32_t i = 3; i < b->layout.nr_tables; i++)
			assert_int_equal(
			    sum(b->buf + b->layout.tables[i].offset, b->layout.tables[i].len), 0);
	} else {
		(*refused)++;
		assert_int_equal(c.ret, -EINVAL);
		if (c.lines < 1)
			fail_msg("refused without a message: file '%s' flags '%s'",
				 file ? file : "", flags);
	}
	release(b);
}

static void test_fuzz_file(void **state)
{
	int accepted = 0, refused = 0;

	for (int r = 0; r < ROUNDS; r++) {
		char text[sizeof(good_file) + 8];

		memcpy(text, good_file, sizeof(good_file));
		mutate(text, strlen(text));
		check_one(text, "", &accepted, &refused);
	}
	printf("file: %d accepted, %d refused, no crash\n", accepted, refused);
	assert_true(refused > ROUNDS / 2); /* the mutations do break things */
}

static void test_fuzz_flags(void **state)
{
	int accepted = 0, refused = 0;

	for (int r = 0; r < ROUNDS; r++) {
		char flags[sizeof(good_flags) + 8];

		memcpy(flags, good_flags, sizeof(good_flags));
		mutate(flags, strlen(flags));
		/* the test splits at spaces; a newline stays inside an argument */
		check_one(NULL, flags, &accepted, &refused);
	}
	printf("flags: %d accepted, %d refused, no crash\n", accepted, refused);
	assert_true(refused > ROUNDS / 4);
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fuzz_file),
	    cmocka_unit_test(test_fuzz_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
