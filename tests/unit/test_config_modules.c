// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_config_modules.c — multiboot modules in the configuration:
 * QEMU's -initrd syntax in --module and in the file's `modules`, ",,"
 * escapes, the command line over the file, and every refusal (empty entry,
 * no file name, too many, missing file, wrong type in the file) with its
 * message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/config_test_util.h"

/*
 * Like parse_and_validate(), with the flags as an argv (module specs have
 * spaces). @args ends with NULL. Validates with CONFIG_NEED_KERNEL.
 */
static void run(struct ssivm_config *cfg, const char *file_text, const char *const *args,
		struct captured *out)
{
	char *argv[300];
	const char *path = NULL;
	int argc = 0;

	argv[argc++] = (char *)"test";
	argv[argc++] = (char *)"--kernel";
	argv[argc++] = (char *)"/bin/true"; /* a regular, readable file */
	if (file_text) {
		path = write_temp_cfg(file_text);
		argv[argc++] = (char *)"--config";
		argv[argc++] = (char *)path;
	}
	for (; *args && argc < 299; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	parse_argv_and_validate(cfg, argc, argv, path, CONFIG_NEED_KERNEL, out);
}

static void assert_module(const struct ssivm_config *cfg, uint32_t i, const char *file,
			  const char *string)
{
	assert_true(i < cfg->nr_modules);
	assert_string_equal(cfg->modules[i].file, file);
	assert_string_equal(cfg->modules[i].string, string);
}

static void test_flag_syntax(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	/* one flag, two modules with arguments (as QEMU's -initrd) */
	run(&cfg, NULL, (const char *[]){"--module", "/bin/sh x=1  y,/bin/true", NULL}, &c);
	assert_int_equal(c.stage, 2);
	assert_string_equal(c.err, "");
	assert_int_equal(cfg.nr_modules, 2);
	assert_module(&cfg, 0, "/bin/sh", "/bin/sh x=1  y");
	assert_module(&cfg, 1, "/bin/true", "/bin/true");
	config_free(&cfg);
	assert_int_equal(cfg.nr_modules, 0);

	/* ",," is a literal comma, in the file name and in the arguments */
	run(&cfg, NULL, (const char *[]){"--module", "/a,,b list=1,,2,,,/c q", NULL}, &c);
	assert_int_equal(cfg.nr_modules, 2);
	assert_module(&cfg, 0, "/a,b", "/a,b list=1,2,");
	assert_module(&cfg, 1, "/c", "/c q");
	config_free(&cfg);

	/* repeated flags append, in order */
	run(&cfg, NULL,
	    (const char *[]){"--module", "/bin/true one", "--module", "/bin/sh two,/bin/true 3",
			     NULL},
	    &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_modules, 3);
	assert_module(&cfg, 0, "/bin/true", "/bin/true one");
	assert_module(&cfg, 1, "/bin/sh", "/bin/sh two");
	assert_module(&cfg, 2, "/bin/true", "/bin/true 3");
	config_free(&cfg);
}

static void test_file_syntax(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	/* an array of entries, each in the -initrd syntax itself */
	run(&cfg, "modules = [ \"/bin/true a=1\", \"/bin/sh b,/bin/true c=3,,4\" ];\n",
	    (const char *[]){NULL}, &c);
	assert_int_equal(c.stage, 2);
	assert_string_equal(c.err, "");
	assert_int_equal(cfg.nr_modules, 3);
	assert_module(&cfg, 0, "/bin/true", "/bin/true a=1");
	assert_module(&cfg, 1, "/bin/sh", "/bin/sh b");
	assert_module(&cfg, 2, "/bin/true", "/bin/true c=3,4");
	config_free(&cfg);

	/* one string, and a list ( ) */
	run(&cfg, "modules = \"/bin/true x,/bin/sh\";\n", (const char *[]){NULL}, &c);
	assert_int_equal(cfg.nr_modules, 2);
	assert_module(&cfg, 1, "/bin/sh", "/bin/sh");
	config_free(&cfg);
	run(&cfg, "modules = ( \"/bin/sh y\" );\n", (const char *[]){NULL}, &c);
	assert_int_equal(cfg.nr_modules, 1);
	assert_module(&cfg, 0, "/bin/sh", "/bin/sh y");
	config_free(&cfg);

	/* --module replaces the file's modules (then appends to itself) */
	run(&cfg, "modules = [ \"/bin/sh f1\", \"/bin/sh f2\" ];\n",
	    (const char *[]){"--module", "/bin/true g1", "--module", "/bin/true g2", NULL}, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_modules, 2);
	assert_module(&cfg, 0, "/bin/true", "/bin/true g1");
	assert_module(&cfg, 1, "/bin/true", "/bin/true g2");
	config_free(&cfg);
}

/* The --initrd module comes first: module numbers in messages count it. */
static void test_initrd_first(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	run(&cfg, NULL,
	    (const char *[]){"--initrd", "/bin/true", "--module", "/bin/sh a,/nonexistent/m b",
			     NULL},
	    &c);
	assert_int_equal(c.stage, 1);
	assert_int_equal(c.lines, 1);
	assert_non_null(strstr(c.err, "module 2 '/nonexistent/m': no such file"));
	config_free(&cfg);
}

static char many[SSIVM_MAX_MODULES + 2][16];

/* --module /bin/true,...: @n modules in one flag. */
static const char *spec_of(unsigned n)
{
	static char spec[(SSIVM_MAX_MODULES + 2) * 11];
	size_t off = 0;

	for (unsigned i = 0; i < n; i++)
		off +=
		    (size_t)snprintf(spec + off, sizeof(spec) - off, "%s/bin/true", i ? "," : "");
	return spec;
}

static void test_count_limit(void **state)
{
	struct ssivm_config cfg;
	struct captured c;

	run(&cfg, NULL, (const char *[]){"--module", spec_of(SSIVM_MAX_MODULES), NULL}, &c);
	assert_int_equal(c.stage, 2);
	assert_int_equal(cfg.nr_modules, SSIVM_MAX_MODULES);
	config_free(&cfg);

	/* the initrd counts */
	run(&cfg, NULL,
	    (const char *[]){"--initrd", "/bin/true", "--module", spec_of(SSIVM_MAX_MODULES), NULL},
	    &c);
	assert_int_equal(c.stage, 1);
	assert_non_null(strstr(c.err, "65 modules (the initrd and 64 more): at most 64"));
	config_free(&cfg);

	/* one flag per module, one too many */
	const char *args[2 * (SSIVM_MAX_MODULES + 1) + 1];

	for (unsigned i = 0; i <= SSIVM_MAX_MODULES; i++) {
		snprintf(many[i], sizeof(many[i]), "/bin/true %u", i);
		args[2 * i] = "--module";
		args[2 * i + 1] = many[i];
	}
	args[2 * (SSIVM_MAX_MODULES + 1)] = NULL;
	run(&cfg, NULL, args, &c);
	assert_int_equal(c.stage, 0);
	assert_non_null(strstr(c.err, "--module '/bin/true 64': more than 64 modules"));
	config_free(&cfg);
}

static const struct {
	const char *name;
	const char *file;
	const char *flag; /* --module value, or NULL */
	int stage;        /* 0 parse, 1 validate */
	const char *msg;
} bad[] = {
    {"empty spec", NULL, "", 0, "--module '': an empty module entry"},
    {"trailing comma", NULL, "/bin/true a,", 0, "an empty module entry"},
    {"leading comma", NULL, ",/bin/true", 0, "an empty module entry"},
    {"space after the comma", NULL, "/bin/true, /bin/sh", 0,
     "module entry ' /bin/sh' starts with a space: the file name comes first"},
    {"missing file", NULL, "/bin/true,/nonexistent/mod x=1", 1,
     "module 1 '/nonexistent/mod': no such file"},
    {"a directory", NULL, "/tmp arg", 1, "module 0 '/tmp': not a regular file"},
    {"file: a number", "modules = 3;\n", NULL, 0,
     ":1: modules must be \"FILE ARGS,...\" or [\"FILE ARGS\", ...], not a number"},
    {"file: a number in the list", "modules = ( \"/bin/true\",\n 4 );\n", NULL, 0,
     ":2: modules: \"FILE ARGS\" expected, not a number"},
    {"file: empty entry", "modules = [ \"/bin/true,\" ];\n", NULL, 0,
     ":1: modules: an empty module entry"},
    {"file: missing file", "modules = [ \"/bin/true\", \"/nonexistent/z q\" ];\n", NULL, 1,
     "module 1 '/nonexistent/z': no such file"},
};

static void test_refused(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ssivm_config cfg;
		struct captured c;
		const char *args[3] = {"--module", bad[i].flag, NULL};

		run(&cfg, bad[i].file, bad[i].flag ? args : args + 2, &c);
		bool ok = c.ret == -EINVAL && c.stage == bad[i].stage && strstr(c.err, bad[i].msg);

		printf("%s %s\n", ok ? "ok  " : "FAIL", bad[i].name);
		if (!ok) {
			printf("     want stage %d, message '%s'\n     got ret %d stage %d:\n%s",
			       bad[i].stage, bad[i].msg, c.ret, c.stage, c.err);
			failures++;
		}
		config_free(&cfg);
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flag_syntax),  cmocka_unit_test(test_file_syntax),
	    cmocka_unit_test(test_initrd_first), cmocka_unit_test(test_count_limit),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
