// SPDX-License-Identifier: GPL-2.0-only
/* common/outbuf.c — see common/outbuf.h. */
#include "common/outbuf.h"

#include <stdarg.h>
#include <stdio.h>

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL,
		      o->pos < o->len ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}
