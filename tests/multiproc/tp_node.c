// SPDX-License-Identifier: GPL-2.0-only
/*
 * tp-node — one node of a transport test cluster (tests/multiproc/transport-*.sh).
 *
 *   tp-node -i SELF -n ADDR0,ADDR1,... [-t tcp|shm|auto] [-m MODE] [options]
 *
 * Modes:
 *   pingpong  (default) every node sends -c checked pings (random length,
 *             every other one with a page) to every other node, -w in flight
 *             per peer; pongs echo the page; all contents are checked. Ends
 *             with a DONE exchange. With -E N (victim), node N is known to run
 *             --mode evil and the rejection counters must match what it sends.
 *   evil      first sends every kind of malformed message to every other
 *             node, then plays pingpong like everyone else.
 *   rtt       node 0 measures the 4 KiB round trip to node 1 (transport/rtt.h),
 *             node 1 serves; prints "rtt: ..." (key=value, microseconds).
 * With -D MS, the node keeps driving its transport for MS more before it
 * prints its counters (a connection still waiting on its rendezvous port is
 * counted when its deadline passes). Numbers are parsed strictly: junk,
 * negatives and overflow are refused with a message (exit 2).
 * Exit: 0 ok, 1 check failed, 2 usage/open failure, 3 a peer went down, 4 timed out.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/multiproc/tp_args.h"
#include "tests/multiproc/tp_evil.h"
#include "transport/rendezvous.h"
#include "transport/rtt.h"
#include "transport/transport.h"
#include "transport/transport_testing.h"
#include "transport/wire.h"

struct node {
	struct transport *t;
	uint32_t self, n;
	unsigned count, window;
	int evil_peer;
	uint64_t *sent, *pongs, *pings_in; /* per peer */
	uint8_t *done_from, *stop_from;
	unsigned dones;
	int failed, down, down_before_done;
	unsigned peer_timeout_ms;
	char down_why[256];
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* The deterministic contents of ping `id` from `from` to `to`. */
static void fill(uint8_t *b, size_t n, uint32_t from, uint32_t to, uint64_t id, unsigned salt)
{
	uint64_t s =
	    mix(((uint64_t)from << 48) ^ ((uint64_t)to << 32) ^ id ^ ((uint64_t)salt << 60));

	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			s = mix(s + i);
		b[i] = (uint8_t)(s >> (8 * (i % 8)));
	}
}

static int check(const uint8_t *b, size_t n, uint32_t from, uint32_t to, uint64_t id, unsigned salt)
{
	uint8_t want[TRANSPORT_PAGE_SIZE];

	fill(want, n, from, to, id, salt);
	return !memcmp(want, b, n);
}

static size_t ping_plen(uint32_t from, uint32_t to, uint64_t id)
{
	return mix(((uint64_t)from << 40) ^ ((uint64_t)to << 20) ^ id) %
	       (TRANSPORT_MAX_MSG - sizeof(struct pp_hdr) + 1);
}

static int send_pp(struct node *nd, uint32_t to, uint32_t kind, uint64_t id, size_t plen,
		   const void *page)
{
	uint8_t buf[TRANSPORT_MAX_MSG];
	struct pp_hdr h = {.kind = kind,
			   .from = nd->self,
			   .id = id,
			   .plen = (uint32_t)plen,
			   .has_page = page != NULL};

	memcpy(buf, &h, sizeof(h));
	if (plen)
		fill(buf + sizeof(h), plen, nd->self, to, id, 1);
	return transport_send(nd->t, to, buf, sizeof(h) + plen, page);
}

static void fail(struct node *nd, const char *what, uint32_t from, uint64_t id)
{
	fprintf(stderr, "tp-node %u: FAIL: %s (from node %u, id %" PRIu64 ")\n", nd->self, what,
		from, id);
	nd->failed = 1;
}

static void on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	struct node *nd = arg;
	struct pp_hdr h;
	uint8_t pg[TRANSPORT_PAGE_SIZE];
	int rc;

	if (from >= nd->n || from == nd->self || len < sizeof(h)) {
		fail(nd, "bad delivery", from, 0);
		return;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.from != from || sizeof(h) + h.plen != len || h.has_page != (page != NULL)) {
		fail(nd, "header does not match the delivery", from, h.id);
		return;
	}
	switch (h.kind) {
	case PP_PING:
		if (h.id != nd->pings_in[from] + 1 || h.plen != ping_plen(from, nd->self, h.id) ||
		    !check((const uint8_t *)msg + sizeof(h), h.plen, from, nd->self, h.id, 1) ||
		    (page && !check(page, TRANSPORT_PAGE_SIZE, from, nd->self, h.id, 2)) ||
		    (h.id % 2 == 0) != (page != NULL)) {
			fail(nd, "ping corrupted or out of order", from, h.id);
			return;
		}
		nd->pings_in[from] = h.id;
		if (page)
			memcpy(pg, page, sizeof(pg));
		rc = send_pp(nd, from, PP_PONG, h.id, 8, page ? pg : NULL);
		if (rc)
			fprintf(stderr, "tp-node %u: pong to node %u: %s\n", nd->self, from,
				strerror(-rc));
		break;
	case PP_PONG:
		if (h.id != nd->pongs[from] + 1 || h.id > nd->sent[from] || h.plen != 8 ||
		    !check((const uint8_t *)msg + sizeof(h), 8, from, nd->self, h.id, 1) ||
		    (page && !check(page, TRANSPORT_PAGE_SIZE, nd->self, from, h.id, 2)) ||
		    (h.id % 2 == 0) != (page != NULL)) {
			fail(nd, "pong corrupted or out of order", from, h.id);
			return;
		}
		nd->pongs[from] = h.id;
		break;
	case PP_DONE:
		if (nd->done_from[from] || nd->pings_in[from] != nd->count)
			fail(nd, "DONE twice or before all pings", from, h.id);
		nd->done_from[from] = 1;
		nd->dones++;
		break;
	case PP_NOP:
		break;
	case PP_STOP:
		nd->stop_from[from] = 1;
		break;
	default:
		fail(nd, "unknown kind", from, h.id);
	}
}

static void on_down(void *arg, uint32_t node, const char *why)
{
	struct node *nd = arg;

	fprintf(stderr, "tp-node %u: peer down: %s\n", nd->self, why);
	if (!nd->done_from[node] && !nd->down) {
		nd->down = 1;
		nd->down_before_done = 1;
		snprintf(nd->down_why, sizeof(nd->down_why), "%s", why);
	}
}

static void print_stats(struct node *nd)
{
	struct transport_stats s;

	transport_get_stats(nd->t, &s);
	printf("stats node=%u msgs_sent=%" PRIu64 " msgs_recv=%" PRIu64 " bytes_sent=%" PRIu64
	       " bytes_recv=%" PRIu64 " pages_sent=%" PRIu64 " pages_recv=%" PRIu64
	       " hb_sent=%" PRIu64 " hb_recv=%" PRIu64 " hb_missed=%" PRIu64 " peers_down=%" PRIu64
	       " send_errors=%" PRIu64 " rejected=%" PRIu64 "\n",
	       nd->self, s.msgs_sent, s.msgs_recv, s.bytes_sent, s.bytes_recv, s.pages_sent,
	       s.pages_recv, s.heartbeats_sent, s.heartbeats_recv, s.heartbeats_missed,
	       s.peers_down, s.send_errors, s.rejected_total);
	for (unsigned r = 0; r < TRANSPORT_REJ_NR; r++)
		if (s.rejected[r])
			printf("rejected node=%u reason=%u count=%" PRIu64 " (%s)\n", nd->self, r,
			       s.rejected[r], transport_reject_name(r));
	printf("hellos_rejected node=%u total=%" PRIu64 "\n", nd->self, s.hellos_rejected);
	for (unsigned r = 0; r < TRANSPORT_HELLO_REJ_NR; r++)
		if (s.hello_rejected[r])
			printf("hello_rejected node=%u reason=%u count=%" PRIu64 " (%s)\n",
			       nd->self, r, s.hello_rejected[r], transport_hello_reject_name(r));
	fflush(stdout);
}

/* Victim side: the counters must show exactly what the evil node sent. */
static int check_rejects(struct node *nd)
{
	struct transport_stats s;
	uint64_t want[TRANSPORT_REJ_NR] = {0}, total = 0;
	int ok = 1;

	transport_get_stats(nd->t, &s);
	if (nd->evil_peer >= 0)
		tp_evil_expected(want);
	for (unsigned r = 0; r < TRANSPORT_REJ_NR; r++) {
		total += want[r];
		if (s.rejected[r] != want[r]) {
			fprintf(stderr,
				"tp-node %u: FAIL: rejected[%s] = %" PRIu64 ", expected %" PRIu64
				"\n",
				nd->self, transport_reject_name(r), s.rejected[r], want[r]);
			ok = 0;
		}
	}
	if (s.rejected_total != total)
		ok = 0;
	return ok;
}

/* After a peer went down: stop sending, but stay until every peer is down
 * (they stop too, or time out), so that each failure is reported here as
 * well. Bounded by twice the peer timeout. */
static void linger(struct node *nd)
{
	uint64_t end = rdv_now_ms() + 2ull * nd->peer_timeout_ms;
	uint32_t alive;

	for (uint32_t p = 0; p < nd->n; p++)
		if (p != nd->self && transport_peer_alive(nd->t, p))
			send_pp(nd, p, PP_STOP, 0, 0, NULL);
	do {
		alive = 0;
		for (uint32_t p = 0; p < nd->n; p++)
			if (p != nd->self && transport_peer_alive(nd->t, p) && !nd->stop_from[p])
				alive++;
		if (transport_progress(nd->t) == 0)
			usleep(1000);
	} while (alive && rdv_now_ms() < end);
}

static int run_pingpong(struct node *nd, int blocking, unsigned max_s)
{
	uint64_t deadline = rdv_now_ms() + max_s * 1000ull;
	uint8_t page[TRANSPORT_PAGE_SIZE];
	int sent_done = 0, epfd = -1;
	struct epoll_event ev = {.events = EPOLLIN};

	if (blocking) {
		epfd = epoll_create1(0);
		epoll_ctl(epfd, EPOLL_CTL_ADD, transport_event_fd(nd->t), &ev);
	}
	while (!nd->failed && !nd->down_before_done) {
		int all_pongs = 1, busy = 0;

		for (uint32_t p = 0; p < nd->n; p++) {
			if (p == nd->self)
				continue;
			while (nd->sent[p] < nd->count && nd->sent[p] - nd->pongs[p] < nd->window) {
				uint64_t id = nd->sent[p] + 1;
				int rc;

				if (id % 2 == 0)
					fill(page, sizeof(page), nd->self, p, id, 2);
				rc = send_pp(nd, p, PP_PING, id, ping_plen(nd->self, p, id),
					     id % 2 == 0 ? page : NULL);
				if (rc == -EAGAIN)
					break;
				if (rc) {
					fprintf(stderr, "tp-node %u: ping to node %u: %s\n",
						nd->self, p, strerror(-rc));
					break;
				}
				nd->sent[p] = id;
				busy = 1;
			}
			if (nd->pongs[p] < nd->count)
				all_pongs = 0;
		}
		if (all_pongs && !sent_done) {
			for (uint32_t p = 0; p < nd->n; p++)
				if (p != nd->self)
					send_pp(nd, p, PP_DONE, nd->count, 0, NULL);
			sent_done = 1;
		}
		if (sent_done && nd->dones == nd->n - 1)
			break;
		if (transport_progress(nd->t) > 0)
			busy = 1;
		if (!busy && blocking && transport_arm(nd->t) == 0)
			epoll_wait(epfd, &ev, 1, 50);
		if (rdv_now_ms() > deadline) {
			fprintf(stderr, "tp-node %u: FAIL: not finished within %u s\n", nd->self,
				max_s);
			return 4;
		}
	}
	if (epfd >= 0)
		close(epfd);
	if (nd->down_before_done) {
		fprintf(stderr, "tp-node %u: stopping: %s\n", nd->self, nd->down_why);
		linger(nd);
		return 3;
	}
	if (nd->failed)
		return 1;
	return 0;
}

static int split_addrs(char *s, const char **addrs, uint32_t max)
{
	uint32_t n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (n == max) {
			fprintf(stderr, "tp-node: -n: more than %u node addresses\n", max);
			exit(2);
		}
		addrs[n++] = tok;
	}
	return (int)n;
}

/* Keep the transport driven for ms (the node is done, its peers may close). */
static void dwell(struct node *nd, unsigned ms)
{
	uint64_t end = rdv_now_ms() + ms;

	while (rdv_now_ms() < end)
		if (transport_progress(nd->t) == 0)
			usleep(1000);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tp-node -i SELF -n ADDR0,ADDR1,... [-t tcp|shm|auto] "
		"[-m pingpong|evil|rtt] [-c COUNT] [-w WINDOW] [-E EVIL_NODE] [-b [-S SPIN_US]] "
		"[-H HEARTBEAT_MS] [-T PEER_TIMEOUT_MS] [-C CONNECT_TIMEOUT_MS] [-x MAX_S] "
		"[-N RTT_ITERS] [-W RTT_WARMUP] [-P] [-L WINDOW] [-D DWELL_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *addrs[TRANSPORT_MAX_NODES];
	struct transport_params p = {0};
	struct node nd = {.count = 1000, .window = 8, .evil_peer = -1};
	struct transport_rtt rs = {0};
	struct transport_rtt_opts ro = {0};
	const char *mode = "pingpong";
	char *nodes = NULL;
	int self = -1, n, c, blocking = 0, rc;
	unsigned max_s = 60, dwell_ms = 0;

#define NUM(lo, hi) tp_parse_num("tp-node", (char)c, optarg, (lo), (hi))
	while ((c = getopt(argc, argv, "i:n:t:m:c:w:E:bS:H:T:C:x:N:W:PL:D:")) != -1) {
		switch (c) {
		case 'i':
			self = (int)NUM(0, TRANSPORT_MAX_NODES - 1);
			break;
		case 'n':
			nodes = optarg;
			break;
		case 't':
			p.tls = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'c':
			nd.count = (unsigned)NUM(1, 1000000000);
			break;
		case 'w':
			nd.window = (unsigned)NUM(1, 1000000);
			break;
		case 'E':
			nd.evil_peer = (int)NUM(0, TRANSPORT_MAX_NODES - 1);
			break;
		case 'b':
			blocking = 1;
			break;
		case 'S':
			ro.spin_us = (unsigned)NUM(0, 10000000);
			break;
		case 'H':
			p.heartbeat_ms = (unsigned)NUM(1, 3600000);
			break;
		case 'T':
			p.peer_timeout_ms = (unsigned)NUM(1, 3600000);
			break;
		case 'C':
			p.connect_timeout_ms = (unsigned)NUM(1, 3600000);
			break;
		case 'x':
			max_s = (unsigned)NUM(1, 86400);
			break;
		case 'N':
			ro.iters = (unsigned)NUM(1, 100000000);
			break;
		case 'W':
			ro.warmup = (unsigned)NUM(0, 100000000);
			break;
		case 'P':
			ro.page_both_ways = 1;
			break;
		case 'D':
			dwell_ms = (unsigned)NUM(0, 600000);
			break;
		case 'L':
			ro.window = (unsigned)NUM(1, 1024);
			break;
		default:
			usage();
		}
	}
	if (self < 0 || !nodes || optind != argc)
		usage();
	n = split_addrs(nodes, addrs, TRANSPORT_MAX_NODES);
	if (self >= n || nd.window == 0 ||
	    (strcmp(mode, "rtt") && strcmp(mode, "evil") && strcmp(mode, "pingpong")))
		usage();
	log_set_node(self);
	nd.self = (uint32_t)self;
	nd.n = (uint32_t)n;
	p.self = nd.self;
	p.nr_nodes = nd.n;
	p.addrs = addrs;
	if (!strcmp(mode, "rtt")) {
		p.on_msg = transport_rtt_on_msg;
		p.on_peer_down = transport_rtt_on_peer_down;
		p.arg = &rs;
	} else {
		p.on_msg = on_msg;
		p.on_peer_down = on_down;
		p.arg = &nd;
	}
	nd.sent = calloc(n, sizeof(uint64_t));
	nd.pongs = calloc(n, sizeof(uint64_t));
	nd.pings_in = calloc(n, sizeof(uint64_t));
	nd.done_from = calloc(n, 1);
	nd.stop_from = calloc(n, 1);
	nd.peer_timeout_ms = p.peer_timeout_ms ? p.peer_timeout_ms : 1500;
	rc = transport_open(&p, &nd.t);
	if (rc) {
		fprintf(stderr, "tp-node %u: transport_open: %s\n", nd.self, strerror(-rc));
		rc = 2;
		goto out;
	}
	rs.t = nd.t;
	printf("tp-node %u: connected to %u nodes\n", nd.self, nd.n - 1);
	fflush(stdout);
	if (!strcmp(mode, "rtt")) {
		struct transport_rtt_result r;

		ro.blocking = blocking;
		ro.timeout_ms = max_s * 1000;
		if (self == 0) {
			rc = transport_rtt_run(&rs, 1, &ro, &r);
			if (!rc)
				printf("rtt: iters=%u min=%.2f median=%.2f p99=%.2f p999=%.2f "
				       "max=%.2f "
				       "mean=%.2f rtts_per_s=%.0f msgs_per_s=%.0f\n",
				       r.iters, r.min_us, r.median_us, r.p99_us, r.p999_us,
				       r.max_us, r.mean_us, r.rtts_per_s, r.msgs_per_s);
		} else if (self == 1) {
			rc = transport_rtt_serve(&rs, 0, &ro);
		}
		if (rc)
			fprintf(stderr, "tp-node %u: rtt: %s\n", nd.self, strerror(-rc));
		else
			printf("rtt: node=%u sleeps=%u\n", nd.self, rs.sleeps);
		transport_close(nd.t);
		rc = rc ? 1 : 0;
		goto out;
	}
	if (!strcmp(mode, "evil"))
		tp_evil_send_all(nd.t, nd.self, nd.n);
	rc = run_pingpong(&nd, blocking, max_s);
	if (dwell_ms)
		dwell(&nd, dwell_ms);
	print_stats(&nd);
	if (rc == 0 && !check_rejects(&nd))
		rc = 1;
	if (rc == 0)
		printf("tp-node %u: OK (%u pings to and from each of %u peers)\n", nd.self,
		       nd.count, nd.n - 1);
	transport_close(nd.t);
out:
	free(nd.sent);
	free(nd.pongs);
	free(nd.pings_in);
	free(nd.done_from);
	free(nd.stop_from);
	return rc;
}
