// SPDX-License-Identifier: GPL-2.0-only
#include "common/num.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int digit_value(char c, unsigned base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return (unsigned)v < base ? v : -1;
}

int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int too_big = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	for (; *s; s++) {
		int d = digit_value(*s, base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			too_big = 1; /* keep going: junk after the digits is -EINVAL */
		else
			v = v * base + (uint64_t)d;
	}
	if (too_big || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

uint64_t num_flag_u64(const char *prog, const char *flag, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;
	int err = num_parse_u64(s, min, max, &v);

	if (!err)
		return v;
	fprintf(stderr, "%s: %s '%s': %s (expected %" PRIu64 "..%" PRIu64 ")\n", prog, flag,
		s ? s : "", err == -ERANGE ? "out of range" : "not a number", min, max);
	exit(2);
}

unsigned num_flag_uint(const char *prog, const char *flag, const char *s, unsigned min,
		       unsigned max)
{
	return (unsigned)num_flag_u64(prog, flag, s, min, max);
}
