/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * obs/http.h — the per-node Prometheus endpoint over HTTP, and the text it
 * serves (docs/metrics.md lists every metric).
 *
 * One thread accepts TCP connections on ADDR:PORT and answers each request,
 * one at a time, then closes the connection (HTTP/1.0 style):
 *   GET /metrics       200, the Prometheus text exposition format 0.0.4
 *   any other method or path               404
 *   a request line that is not "METHOD SP PATH SP HTTP/1.x", a request over
 *   8 KiB, or headers not complete within 2 s                 400
 * The thread only reads counters other threads write with relaxed atomics:
 * a scrape never takes a lock a vCPU takes and never blocks a vCPU. A slow
 * client holds up only other scrapes, for at most 2 s.
 *
 * The text is made by obs_format(): the vCPUs' exits by kind, interrupts and
 * forwarded I/O of this node, and the DSM's metrics when the node runs one.
 */
#ifndef SSIVM_OBS_HTTP_H
#define SSIVM_OBS_HTTP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct cluster;
struct dsm_metrics;

/* What a node's metrics are made of; any member may be NULL (tests serve
 * only DSM metrics, a guest on one host has no cluster and no DSM). */
struct obs_sources {
	uint32_t node;
	struct vm *vm;
	const struct cluster *cl;
	const struct dsm_metrics *dsm;
};

/* The Prometheus text of src into buf (NUL-terminated, truncated to len).
 * Returns the length it needed, like snprintf. Any thread. */
size_t obs_format(const struct obs_sources *src, char *buf, size_t len);

/* What the endpoint serves: obs_format, or another with its contract. */
typedef size_t (*obs_format_fn)(const struct obs_sources *src, char *buf, size_t len);

struct obs_http {
	pthread_t thread;
	int listen_fd, stop_fd;
	struct obs_sources src;
	obs_format_fn format;
	char addr[64]; /* as it listens, "HOST:PORT" */
	int running;
};

/*
 * Parse "HOST:PORT" (HOST an IPv4 address or "localhost"; PORT 1..65535,
 * or 0 for any free port). Node @node of a guest listens on PORT + node (0
 * stays 0), so that the nodes of a cluster on one machine do not collide.
 * 0 and *ip (network order), *port; -EINVAL with a message.
 */
int obs_parse_addr(const char *s, uint32_t node, uint32_t *ip, uint16_t *port);

/* Listen on @addr (obs_parse_addr) and serve @format(@src) until
 * obs_http_stop(). 0 or -errno (logged, naming the address). h->addr says
 * where it listens (a port 0 picked by the kernel included). */
int obs_http_start(struct obs_http *h, const char *addr, const struct obs_sources *src,
		   obs_format_fn format);
void obs_http_stop(struct obs_http *h);

/* The --metrics-http ADDR:PORT of `ssivm run` (NULL: no endpoint), set once
 * by the command line before the VM starts. */
extern const char *obs_http_addr;

#endif
