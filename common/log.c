// SPDX-License-Identifier: GPL-2.0-only
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_node = -1;
static int log_level = -1;

static const char *const level_name[] = {"error", "warning", "info", "debug"};

void log_set_node(int node)
{
	log_node = node;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	if (log_level < 0) {
		const char *env = getenv("SSIVM_LOG");

		log_level = LOG_INFO;
		for (int i = 0; env && i <= LOG_DEBUG; i++)
			if (!strncmp(env, level_name[i], strlen(env)))
				log_level = i;
	}
	return (enum log_level)log_level;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n, m;

	if (level > log_get_level())
		return;
	if (log_node >= 0)
		n = snprintf(buf, sizeof(buf), "ssivm[node %d] %s: ", log_node, level_name[level]);
	else
		n = snprintf(buf, sizeof(buf), "ssivm %s: ", level_name[level]);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m > 0) /* < 0: a bad format; the prefix alone goes out */
		n += m;
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
