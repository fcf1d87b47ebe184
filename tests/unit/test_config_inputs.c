// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_config_inputs.c — the configuration reader's limits
 * (config/config_source.c, config_validate.c): integers read as 64-bit
 * values and refused when they do not fit their field, @include spliced with
 * every line still named by its own file, size and key limits, memory sums
 * that would wrap and the host's limits (given here, so that each rule is
 * reached whatever host runs the test), the HMAT key rule, outputs that are
 * inputs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/config_priv.h"
#include "tests/unit/config_test_util.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void test_int64_values(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	/* 4.25 GiB: libconfig 1.5 alone reads it as 256 MiB */
	parse_and_validate(&cfg, "memory = 4563402752;\n", "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[0].mem_bytes, 4563402752ULL);
	config_free(&cfg);
	/* hex above INT32_MAX (negative as a 32-bit int), an explicit L, a node */
	parse_and_validate(&cfg,
			   "numa = ( { id = 0; memory = 0xC0000000; },\n"
			   "         { id = 1; memory = 2147483648L; } );\n",
			   "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[0].mem_bytes, 3 * GiB);
	assert_int_equal(cfg.nodes[1].mem_bytes, 2 * GiB);
	config_free(&cfg);
	/* a 64-bit HMAT figure that fits 32 bits is kept exactly */
	parse_and_validate(&cfg,
			   "hmat = ( { initiator = 0; target = 0; read_bandwidth_mbs = 4294967295; "
			   "} );\n",
			   "", 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 4294967295U);
	config_free(&cfg);
	/* names and strings with digits in them are not numbers */
	parse_and_validate(&cfg, "cmdline = \"x=99999999999999999999 mem=4563402752\";\n", "", 0,
			   &c);
	assert_int_equal(c.stage, 2);
	assert_string_equal(cfg.cmdline, "x=99999999999999999999 mem=4563402752");
	config_free(&cfg);
}

struct bad {
	const char *name, *file, *flags, *msg;
};

static const struct bad bad_cases[] = {
    {"vcpus = 2^32 + 2", "\nvcpus = 4294967298;\n", "",
     ":2: vcpus = 4294967298 is out of range 0..4294967295"},
    {"negative vcpus", "vcpus = -3000000000;\n", "", ":1: vcpus = -3000000000 is out of range"},
    {"HMAT bandwidth 5e9 MB/s",
     "hmat = ({ initiator = 0; target = 0;\n bandwidth_mbs = 5000000000; });\n", "",
     ":2: hmat 0->0: bandwidth_mbs = 5000000000 is out of range 1..4294967295 (MB/s)"},
    {"beyond 64 bits", "memory = 18446744073709551616;\n", "",
     ":1: memory: 18446744073709551616 does not fit in 64 bits"},
    {"hex beyond 63 bits", "memory = 0x8000000000000000L;\n", "",
     ":1: memory: 0x8000000000000000L does not fit in 64 bits"},
    {"node id 2^32 + 1 (file)", "numa = ({ id = 4294967297; memory = \"1G\"; });\n", "",
     ":1: numa node id = 4294967297 is out of range 0..63"},
    {"same HMAT figure under two names (file)",
     "hmat = ({ initiator = 0; target = 0; read_latency = 5;\n read_latency_ns = 6; });\n", "",
     ":2: hmat 0->0: 'read_latency' and 'read_latency_ns' both set the read latency"},
    {"distance given twice (file)",
     "numa = ({ id = 0; memory = \"1G\"; distances = [\"0@10\", \"0@10\"]; });\n", "",
     "distance 0->0 is given twice"},
    {"--numa id 2^32 - 1", NULL, "--numa id=4294967295,memory=1G",
     "numa node id 4294967295 is out of range 0..63"},
    {"--numa host twice", NULL, "--numa id=0,memory=1G,host=0,host=0", "'host=' is given twice"},
    {"--memory twice", NULL, "--memory 1G --memory 2G", "--memory given twice ('1G', '2G')"},
    {"--cmdline twice", NULL, "--cmdline a --cmdline b", "--cmdline given twice"},
    {"--vcpus too large", NULL, "--vcpus 4294967298", "--vcpus: 4294967298 is too large"},
    {"--memory beyond 64 bits", NULL, "--memory 99999999999999999999",
     "size '99999999999999999999' is too large"},
    {"sizes wrapping past 2^64", NULL, "--numa id=0,memory=8192P --numa id=1,memory=8192P",
     "the NUMA nodes add up to more than 2^64 bytes (node 1"},
    {"sizes wrapping to 2G", NULL,
     "--numa id=0,memory=16383P --numa id=1,memory=1024P --numa id=2,memory=2G",
     "the NUMA nodes add up to more than 2^64 bytes (node 1"},
    {0},
};

static void test_bad_inputs(void **state)
{
	int failures = 0;

	for (size_t i = 0; bad_cases[i].msg; i++) {
		const struct bad *b = &bad_cases[i];
		struct ssivm_config cfg;
		struct captured c;
		bool ok;

		parse_and_validate(&cfg, b->file, b->flags, 0, &c);
		ok = c.ret == -EINVAL && c.stage < 2 && strstr(c.err, b->msg);
		printf("%s %s\n", ok ? "ok  " : "FAIL", b->name);
		if (!ok) {
			printf("     want '%s', got ret %d stage %d:\n%s", b->msg, c.ret, c.stage,
			       c.err);
			failures++;
		}
		config_free(&cfg);
	}
	assert_int_equal(failures, 0);
}

/* @include: spliced, relative to the including file, lines named by their own file. */
static void test_include(void **state)
{
	char dir[] = "/tmp/ssivm-cfg-inc-XXXXXX", path[128], inc[128], main_cfg[128];
	struct ssivm_config cfg;
	struct captured c;
	FILE *f;
	char *argv[] = {"test", "--config", main_cfg, NULL};

	assert_non_null(mkdtemp(dir));
	snprintf(inc, sizeof(inc), "%s/nodes.cfg", dir);
	snprintf(main_cfg, sizeof(main_cfg), "%s/main.cfg", dir);
	f = fopen(inc, "w");
	fputs("numa = ( { id = 0; cpus = \"0\"; memory = 4563402752; },\n"
	      "         { id = 1; cpus = \"1\"; memory = \"1G\"; } );", /* no final newline */
	      f);
	fclose(f);
	f = fopen(main_cfg, "w");
	fputs("vcpus = 2;\n/* two\n lines */ @include \"nodes.cfg\"\n@include \"nodes.cfg\" # no\n",
	      f);
	fclose(f);
	/* not at the start of a line: not a directive (libconfig's syntax error) */
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_int_equal(c.stage, 0);
	assert_non_null(strstr(c.err, "main.cfg:3: syntax error"));
	config_free(&cfg);
	f = fopen(main_cfg, "w");
	fputs("vcpus = 2;\n/* two\n lines */\n@include \"nodes.cfg\"\nmemory = \"5G\";\n", f);
	fclose(f);
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_int_equal(c.stage, 0); /* 4.25G + 1G is not 5G: read after the include */
	assert_non_null(strstr(c.err, "memory = 5G, but the NUMA nodes add up to 5376M"));
	config_free(&cfg);
	f = fopen(main_cfg, "w");
	fputs("vcpus = 2;\n\n@include \"nodes.cfg\"\nbogus = 1;\n", f);
	fclose(f);
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_non_null(strstr(c.err, "main.cfg:4: unknown key 'bogus'"));
	config_free(&cfg);
	f = fopen(inc, "a");
	fputs("\nnodebug = 1;\n", f);
	fclose(f);
	f = fopen(main_cfg, "w");
	fputs("vcpus = 2;\n@include \"nodes.cfg\"\n", f);
	fclose(f);
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_non_null(strstr(c.err, "nodes.cfg:3: unknown key 'nodebug'"));
	config_free(&cfg);
	/* good: the included file is remembered as an input */
	f = fopen(inc, "w");
	fputs("numa = ( { id = 0; cpus = \"0\"; memory = 4563402752; } );\n", f);
	fclose(f);
	f = fopen(main_cfg, "w");
	fputs("vcpus = 1;\n@include \"nodes.cfg\"\n", f);
	fclose(f);
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nodes[0].mem_bytes, 4563402752ULL);
	assert_int_equal(cfg.nr_config_includes, 1);
	assert_string_equal(cfg.config_includes[0], inc);
	config_free(&cfg);
	/* the size limit counts every file: two of 600 KiB are too much */
	char *big = malloc(600 << 10);
	memset(big, '#', (600 << 10) - 1);
	big[(600 << 10) - 1] = '\n';
	f = fopen(inc, "w");
	fwrite(big, 1, 600 << 10, f);
	fclose(f);
	f = fopen(main_cfg, "w");
	fwrite(big, 1, 600 << 10, f);
	fputs("@include \"nodes.cfg\"\n", f);
	fclose(f);
	free(big);
	parse_argv_and_validate(&cfg, 3, argv, NULL, 0, &c);
	assert_int_equal(c.stage, 0);
	assert_non_null(strstr(c.err, "main.cfg:2: config file"));
	assert_non_null(strstr(c.err, "may hold 1024 KiB together"));
	config_free(&cfg);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* The memory rules against given host limits: each is reached. */
static void test_host_limits(void **state)
{
	struct config_host_limits l = {.phys_bits = 36, .map_bytes = 1ULL << 46};
	struct ssivm_config cfg;
	struct captured c;
	int saved, fd;
	char err[1024];
	ssize_t n;

	parse_and_validate(&cfg, NULL, "--memory 62G", 0, &c);
	assert_int_equal(cfg_check_memory(&cfg, &l), 0); /* top 63 GiB < 64 GiB */
	config_free(&cfg);
	parse_and_validate(&cfg, NULL, "--memory 64G", 0, &c);
	fflush(stderr);
	saved = dup(2);
	fd = memfd_create("stderr", 0);
	dup2(fd, 2);
	assert_int_equal(cfg_check_memory(&cfg, &l), 1); /* top 65 GiB: the hole moves it up */
	l.phys_bits = 40;
	assert_int_equal(cfg_check_memory(&cfg, &l), 0);
	l.as_limit = 32 * GiB;
	assert_int_equal(cfg_check_memory(&cfg, &l), 1);
	l.as_limit = 0;
	l.map_bytes = 16 * GiB;
	assert_int_equal(cfg_check_memory(&cfg, &l), 1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, sizeof(err) - 1, 0);
	err[n > 0 ? n : 0] = 0;
	close(fd);
	assert_non_null(strstr(err, "puts guest RAM up to 0x1040000000, above the 36-bit"));
	assert_non_null(strstr(err, "its address-space limit (RLIMIT_AS, ulimit -v) is"));
	assert_non_null(
	    strstr(err, "total memory 64G is more than one host process can map (16G)"));
	config_free(&cfg);
	/* this host's own limits are sane */
	cfg_host_limits(&l);
	assert_true(l.phys_bits >= 32 && l.phys_bits <= 52);
	assert_int_equal(l.map_bytes, 1ULL << 46);
	/* the saturating sum */
	parse_and_validate(&cfg, NULL, "--numa id=0,memory=8192P --numa id=1,memory=8192P", 0, &c);
	assert_int_equal(config_total_mem(&cfg), UINT64_MAX);
	config_free(&cfg);
}

/* latency/bandwidth set both halves unless a read_/write_ key gives one, in any order. */
static void test_hmat_specific_wins(void **state)
{
	static const char *const files[] = {
	    "hmat = ({ initiator = 0; target = 0; bandwidth = \"4G\"; read_bandwidth_mbs = 100;\n"
	    "          write_latency_ns = 7; latency = 9; });\n",
	    "hmat = ({ initiator = 0; target = 0; read_bandwidth_mbs = 100; write_latency = 7;\n"
	    "          latency_ns = 9; bandwidth = \"4G\"; });\n",
	};
	struct ssivm_config cfg;
	struct captured c;

	for (int i = 0; i < 2; i++) {
		parse_and_validate(&cfg, files[i], "", 0, &c);
		assert_int_equal(c.stage, 2);
		assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 100);
		assert_int_equal(cfg.hmat[0].write_bandwidth_mbs, 4096);
		assert_int_equal(cfg.hmat[0].read_latency_ns, 9);
		assert_int_equal(cfg.hmat[0].write_latency_ns, 7);
		config_free(&cfg);
	}
	parse_and_validate(&cfg, NULL,
			   "--hmat initiator=0,target=0,read-latency=3,latency=8,write-bandwidth=5",
			   0, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.hmat[0].read_latency_ns, 3);
	assert_int_equal(cfg.hmat[0].write_latency_ns, 8);
	assert_int_equal(cfg.hmat[0].write_bandwidth_mbs, 5);
	assert_int_equal(cfg.hmat[0].read_bandwidth_mbs, 0);
	config_free(&cfg);
}

/* An output that exists may not be an input; it is compared by inode. */
static void test_output_is_input(void **state)
{
	char k[64], link[80], flags[256];
	struct ssivm_config cfg;
	struct captured c;

	snprintf(k, sizeof(k), "%s", write_temp_cfg("kernel bytes"));
	snprintf(link, sizeof(link), "%s.link", k);
	assert_int_equal(symlink(k, link), 0);
	snprintf(flags, sizeof(flags), "--kernel %s --serial-log %s", link, k);
	parse_and_validate(&cfg, NULL, flags, CONFIG_NEED_KERNEL, &c);
	assert_int_equal(c.stage, 1);
	assert_non_null(strstr(c.err, "is the kernel"));
	config_free(&cfg);
	snprintf(flags, sizeof(flags), "--kernel %s --serial-log %s.new", k, k);
	parse_and_validate(&cfg, NULL, flags, CONFIG_NEED_KERNEL, &c);
	assert_int_equal(c.stage, 2); /* a new file: fine */
	config_free(&cfg);
	unlink(link);
	unlink(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int64_values),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_host_limits),
	    cmocka_unit_test(test_hmat_specific_wins),
	    cmocka_unit_test(test_output_is_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
