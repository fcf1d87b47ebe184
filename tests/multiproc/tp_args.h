/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/multiproc/tp_args.h — strict number parsing for the transport test
 * programs (tp-node, tp-hello-evil): digits only (no sign, no space, no
 * suffix), within [min, max]; anything else is refused with a message naming
 * the option and exit status 2.
 */
#ifndef SSIVM_TESTS_TP_ARGS_H
#define SSIVM_TESTS_TP_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline unsigned long tp_parse_num(const char *prog, char opt, const char *s,
					 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "%s: -%c '%s': expected a whole number in %lu..%lu\n", prog, opt,
			s ? s : "", min, max);
		exit(2);
	}
	return v;
}

#endif
