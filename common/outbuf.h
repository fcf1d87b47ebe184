/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/outbuf.h — text appended to a caller's buffer, snprintf-style.
 *
 * outbuf_printf() appends what fits (always NUL-terminated when the buffer
 * has room for one byte) and counts every byte it was asked for in @pos, so
 * that after the last call `pos` is the length the whole text needs: the
 * caller compares it with `len` to learn whether it was cut (the contract of
 * metrics_format_*() and obs_format_*()). Any thread; no locking.
 */
#ifndef SSIVM_COMMON_OUTBUF_H
#define SSIVM_COMMON_OUTBUF_H

#include <stddef.h>

struct outbuf {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3))) void outbuf_printf(struct outbuf *o, const char *fmt, ...);

#endif
