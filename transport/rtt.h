/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/rtt.h — the transport floor: 4 KiB request/response round trips
 * between two nodes over an open transport, measured as the DSM uses it (a
 * small request, answered by a control message plus one 4 KiB page).
 *
 * Usage (both nodes open a transport whose on_msg is transport_rtt_on_msg and
 * whose arg is a struct transport_rtt):
 *
 *     struct transport_rtt rs = {0};
 *     params.on_msg = transport_rtt_on_msg; params.arg = &rs;
 *     transport_open(&params, &t); rs.t = t;
 *     client: transport_rtt_run(&rs, server_node, &opt, &result);
 *     server: transport_rtt_serve(&rs, client_node, &opt);
 *
 * The server answers every request; the client's run ends by telling it to
 * stop. Both functions drive the transport themselves (transport_progress,
 * and with opt.blocking the adaptive transport_arm + epoll sleep) on the
 * calling thread, which must be the transport's thread. Every response is
 * checked (id, page contents); a wrong one fails the run with -EPROTO.
 * Used by tests/multiproc/tp_node.c (--mode rtt) and bench/transport_rtt.
 */
#ifndef SSIVM_TRANSPORT_RTT_H
#define SSIVM_TRANSPORT_RTT_H

#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

struct transport_rtt_opts {
	unsigned warmup;    /* round trips not measured (default 1000 when 0) */
	unsigned iters;     /* measured round trips (default 10000 when 0) */
	int page_both_ways; /* 1: the request carries a page too (symmetric 4 KiB ping-pong) */
	int blocking;       /* 1: sleep in epoll between messages (adaptive), 0: busy-poll */
	unsigned
	    spin_us;     /* with blocking: busy-poll this long before sleeping (0: sleep at once) */
	unsigned window; /* >1: also measure throughput with this many requests in flight */
	unsigned timeout_ms; /* whole run bound (default 60000) */
};

struct transport_rtt_result {
	unsigned iters;
	double min_us, median_us, p99_us, p999_us, max_us, mean_us;
	double rtts_per_s; /* sequential round trips per second */
	double msgs_per_s; /* with window > 1: responses per second, pipelined; else 0 */
};

struct transport_rtt {
	struct transport *t;
	/* internal */
	uint32_t peer;
	int stop, error;
	uint64_t last_resp_id;
	unsigned resp_count;
	int peer_down;
	unsigned sleeps; /* times this side slept in epoll (blocking mode) */
};

/* The on_msg callback to give transport_open (arg = struct transport_rtt *). */
void transport_rtt_on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page);
/* on_peer_down callback (arg = struct transport_rtt *): ends a run or serve with -ENOTCONN. */
void transport_rtt_on_peer_down(void *arg, uint32_t node, const char *why);

/* Client side. Returns 0 and fills *r, or -errno (-ETIMEDOUT, -ENOTCONN, -EPROTO). */
int transport_rtt_run(struct transport_rtt *rs, uint32_t server,
		      const struct transport_rtt_opts *opt, struct transport_rtt_result *r);

/* Server side: answer `client` until it says stop (uses opt->blocking,
 * spin_us, timeout_ms). Returns 0 or -errno. */
int transport_rtt_serve(struct transport_rtt *rs, uint32_t client,
			const struct transport_rtt_opts *opt);

#endif
