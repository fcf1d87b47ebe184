/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control/top_scrape.h — what `ssivm top` reads: one scrape of a node's
 * metrics (HTTP GET /metrics on HOST:PORT, or the text of a Unix socket
 * whose path contains a '/'), parsed into samples. Caller's thread only.
 */
#ifndef SSIVM_CONTROL_TOP_SCRAPE_H
#define SSIVM_CONTROL_TOP_SCRAPE_H

#include <stddef.h>

struct sample {
	char *name;   /* metric name */
	char *labels; /* the text between the braces ("" when none) */
	double v;
};

struct scrape {
	char *text; /* owns the strings the samples point into */
	struct sample *s;
	size_t n;
};

/* Fetch and parse @endpoint within @timeout_ms. 0, or -1 with a one-line
 * reason in why. */
int scrape_fetch(const char *endpoint, int timeout_ms, struct scrape *out, char *why, size_t len);
void scrape_free(struct scrape *s);

/*
 * Sum of the samples named @name whose labels contain every "k=\"v\"" of
 * @want (a comma-separated list, NULL or "" for all). *found says whether
 * any matched (may be NULL).
 */
double scrape_sum(const struct scrape *s, const char *name, const char *want, int *found);

/* The value of label @key in @labels into buf (NUL-terminated); 0 or -1. */
int scrape_label(const char *labels, const char *key, char *buf, size_t len);

#endif
