/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/log.h — the one logging family of ssivm.
 *
 * Every line goes to stderr as "ssivm[node N] LEVEL: message" (the node part
 * only once log_set_node() was called). Callable from any thread; each call
 * writes one whole line with a single write(2).
 */
#ifndef SSIVM_COMMON_LOG_H
#define SSIVM_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the node number printed in every line (-1: none). */
void log_set_node(int node);
/* Lines above this level are dropped. Default LOG_INFO, or $SSIVM_LOG
 * ("err", "warn", "info", "debug") when set. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)                                                                              \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

/* Print the message and exit(1). Only for start-up, never on a running node. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
