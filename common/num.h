/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/num.h — strict parsing of unsigned integers from command lines.
 *
 * atoi() and strtoul() turn junk into 0, "-1" into a huge value and an
 * overflow into a truncated one. These accept only a whole number: decimal
 * digits, or 0x followed by hexadecimal digits; no sign, no blank, no suffix,
 * nothing after it. Any thread; no allocation; no state.
 */
#ifndef SSIVM_COMMON_NUM_H
#define SSIVM_COMMON_NUM_H

#include <stdint.h>

/*
 * Parse s (NUL-terminated) into *out when it is a number in [min, max].
 * Returns 0; -EINVAL when s is NULL, empty or not a number as above
 * (including a sign or a negative value); -ERANGE when it is a number that
 * does not fit in 64 bits or lies outside [min, max]. *out is written only
 * on success.
 */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * For the value of a command-line flag, at start-up: returns the number, or
 * prints one line "PROG: FLAG 'S': not a number (expected MIN..MAX)" or
 * "... out of range (expected MIN..MAX)" on stderr and exits with status 2.
 * flag is the flag as the user typed it ("--pages", "-d").
 */
uint64_t num_flag_u64(const char *prog, const char *flag, const char *s, uint64_t min,
		      uint64_t max);
/* The same for a value that must fit an unsigned int (max <= UINT_MAX). */
unsigned num_flag_uint(const char *prog, const char *flag, const char *s, unsigned min,
		       unsigned max);

#endif
