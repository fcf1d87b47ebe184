/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/unit/config_test_util.h — helpers of the configuration and ACPI unit
 * tests: run the parser on a file text and a flag string, capture stderr.
 */
#ifndef SSIVM_TESTS_CONFIG_TEST_UTIL_H
#define SSIVM_TESTS_CONFIG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"

/*
 * libconfig 1.5 (Debian 12) leaks its string buffer when a file ends in the
 * middle of a string literal or has a syntax error after one: the leak is in
 * the library's scanner (strbuf_append), not in ssivm. Tell LeakSanitizer
 * (check-asan builds) to ignore allocations made inside libconfig.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

/* Write @text to a fresh temporary file; returns its path (static buffer). */
static inline const char *write_temp_cfg(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ssivm-cfg-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

struct captured {
	int ret;        /* of parse (or validate, when parse passed) */
	int stage;      /* 0 parse failed, 1 validate failed, 2 both passed */
	char err[8192]; /* what went to stderr */
	int lines;      /* lines in err */
};

/*
 * Parse the NULL-terminated @argv (argv[0] included) into @cfg
 * (config_init()ed here), then validate with @vflags; stderr is captured
 * into @out. @path, if not NULL, is a temporary file to remove afterwards.
 */
static inline void parse_argv_and_validate(struct ssivm_config *cfg, int argc, char **argv,
					   const char *path, unsigned int vflags,
					   struct captured *out)
{
	int saved = dup(2), fd = memfd_create("stderr", 0);
	ssize_t n;

	memset(out, 0, sizeof(*out));
	config_init(cfg);
	fflush(stderr);
	dup2(fd, 2);
	out->ret = config_parse_args(cfg, argc, argv, NULL);
	if (!out->ret) {
		out->stage = 1;
		out->ret = config_validate_for(cfg, vflags);
		if (!out->ret)
			out->stage = 2;
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out->err, sizeof(out->err) - 1, 0);
	out->err[n > 0 ? n : 0] = 0;
	close(fd);
	for (char *p = out->err; *p; p++)
		out->lines += *p == '\n';
	if (path)
		unlink(path);
}

/*
 * Parse @file_text (if not NULL, passed as --config) and @flags (split at
 * spaces; "" for none) into @cfg, then validate with @vflags. stderr is
 * captured into @out.
 */
static inline void parse_and_validate(struct ssivm_config *cfg, const char *file_text,
				      const char *flags, unsigned int vflags, struct captured *out)
{
	char buf[4096], *argv[64], *save = NULL, *tok;
	const char *path = NULL;
	int argc = 0;

	argv[argc++] = (char *)"test";
	if (file_text) {
		path = write_temp_cfg(file_text);
		argv[argc++] = (char *)"--config";
		argv[argc++] = (char *)path;
	}
	snprintf(buf, sizeof(buf), "%s", flags);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 63; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	parse_argv_and_validate(cfg, argc, argv, path, vflags, out);
}

#endif
