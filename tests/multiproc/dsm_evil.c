// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/multiproc/dsm_evil.c — a misbehaving member of a DSM stress cluster.
 *
 *   dsm-evil --node I --nodes N --addrs IP:PORT,... [--tls T] [--seconds S] [--pages P]
 *
 * Joins the cluster through the transport like any node, homes no page and
 * never faults (the honest dsm-node processes run with --evil-node I), and
 * for S seconds sends the others DSM messages that are garbage: random bytes
 * of random length, truncated and overlong messages, good framing with a bad
 * checksum, and well-formed messages (correct CRC) that make no sense —
 * pages or nodes out of range, replies to requests never made — some with a
 * page attached. The honest nodes must reject and count every one and still
 * pass all their checks. Then it leaves cleanly.
 *
 * --semantic adds well-formed invalidations, forwards, grants, home moves and
 * DONEs for real pages from this node, which is no page's home. A receiver that checks only the
 * message and its own state (not that the sender is the page's home) acts on
 * them: it drops a copy the home still counts, or sends away an exclusive
 * page, and the cluster later hangs or loses data. Off by default: see the
 * test list in docs/dsm-runtime.md.
 */
#include "common/log.h"
#include "common/num.h"
#include "dsm/msg.h"
#include "transport/transport.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXN 8u
#define P "dsm-evil"

static int peers_down;

static void on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	/* honest nodes never address us; anything that comes is counted by the transport */
}

static void on_down(void *arg, uint32_t node, const char *why)
{
	pr_info("dsm-evil: %s", why);
	peers_down++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One hostile message into buf; returns its length, *with_page when a page goes along. */
/* Well-formed messages carry the next sequence number towards their
 * receiver, as a real node's do, so that they reach the protocol's checks
 * instead of its duplicate filter. */
static uint32_t next_seq[MAXN];

static size_t make_garbage(uint8_t *buf, unsigned nodes, unsigned pages, unsigned self, unsigned to,
			   int semantic, int *with_page, uint64_t *kinds)
{
	unsigned kind = (unsigned)(rnd() % (semantic ? 6 : 5));

	if (kind == 4 && !semantic)
		kind = 5;
	struct dsm_msg m = {
	    .type = (uint8_t)(1 + rnd() % DSM_MSG_TYPE_MAX),
	    .seq = ++next_seq[to],
	    .page = rnd() % (pages * 2ull), /* half of them out of range */
	    .rid = (uint32_t)rnd(),
	    .node = (uint8_t)(rnd() % (nodes + 2)),
	    .home = (uint8_t)(rnd() % (nodes + 2)),
	    .nacks = (uint8_t)(rnd() % 4),
	    .flags = (uint8_t)(rnd() % 8),
	};
	size_t len = DSM_MSG_SIZE;

	*with_page = (int)(rnd() % 3 == 0);
	kinds[kind]++;
	switch (kind) {
	case 0: /* random bytes, random length */
		len = 1 + rnd() % 200;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		break;
	case 1: /* a good message, truncated or with bytes added */
		dsm_msg_encode(&m, buf);
		len = rnd() % 2 ? 1 + rnd() % (DSM_MSG_SIZE - 1) : DSM_MSG_SIZE + 1 + rnd() % 32;
		for (size_t i = DSM_MSG_SIZE; i < len; i++)
			buf[i] = (uint8_t)rnd();
		break;
	case 2: /* one bit flipped after the checksum was computed */
		dsm_msg_encode(&m, buf);
		buf[rnd() % DSM_MSG_SIZE] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 3: /* well-formed, nonsense for the receiver: replies nobody asked for */
		m.type = (uint8_t)(rnd() % 2 ? DSM_MSG_DATA : DSM_MSG_GRANT);
		m.page = rnd() % pages;
		m.flags &= DSM_MF_ALL;
		dsm_msg_encode(&m, buf);
		break;
	case 4: /* (--semantic) well-formed INV, FWD, GRANT, HOME_MOVE, DONE from a
		 * node that is no home (nor requester), with plausible rids (a
		 * node's rids count from 1) and only the fields each type uses */
		m = (struct dsm_msg){.seq = m.seq, .page = rnd() % pages};
		m.rid = 1 + (uint32_t)(rnd() % 4096);
		switch (rnd() % 5) {
		case 0:
			m.type = DSM_MSG_INV;
			m.node = (uint8_t)self;
			break;
		case 1:
			m.type = DSM_MSG_FWD;
			m.node = (uint8_t)self;
			m.home = (uint8_t)self;
			m.flags = rnd() % 2 ? DSM_MF_WRITE : 0;
			break;
		case 2:
			m.type = DSM_MSG_GRANT;
			m.home = (uint8_t)self;
			m.flags = DSM_MF_WRITE | (rnd() % 2 ? DSM_MF_ZERO : DSM_MF_UPGRADE);
			break;
		case 3:
			m.type = DSM_MSG_HOME_MOVE;
			m.rid = 0;
			m.node = (uint8_t)to;
			m.copyset = 1ull << to;
			break;
		default:
			m.type = DSM_MSG_DONE;
			m.flags = rnd() % 2 ? DSM_MF_WRITE : 0;
			break;
		}
		dsm_msg_encode(&m, buf);
		break;
	default: /* well-formed requests naming a node or a page that does not exist */
		m.type = DSM_MSG_REQ;
		if (rnd() % 2) {
			m.node = (uint8_t)(nodes + rnd() % 10);
			m.page = rnd() % pages;
		} else {
			m.node = (uint8_t)(rnd() % nodes);
			m.page = pages + rnd() % 1000;
		}
		m.flags &= DSM_MF_WRITE;
		m.hops = (uint8_t)(rnd() % 4);
		dsm_msg_encode(&m, buf);
		break;
	}
	return len;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"node", 1, 0, 'i'}, {"nodes", 1, 0, 'n'},    {"addrs", 1, 0, 'a'},
	    {"tls", 1, 0, 'T'},  {"seconds", 1, 0, 's'},  {"pages", 1, 0, 'p'},
	    {"rate", 1, 0, 'r'}, {"semantic", 0, 0, 'x'}, {0, 0, 0, 0},
	};
	unsigned self = 0, nodes = 0, seconds = 3, pages = 1024, rate = 2000;
	const char *tls = NULL;
	char *list = NULL, *addrs[MAXN];
	struct transport_params tp = {.on_msg = on_msg, .on_peer_down = on_down};
	struct transport *t;
	uint64_t sent = 0, kinds[6] = {0}, t_end, next = 0;
	static uint8_t page[TRANSPORT_PAGE_SIZE], buf[TRANSPORT_MAX_MSG];
	int c, err, semantic = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			self = num_flag_uint(P, "--node", optarg, 0, MAXN - 1);
			break;
		case 'n':
			nodes = num_flag_uint(P, "--nodes", optarg, 2, MAXN);
			break;
		case 'a':
			list = optarg;
			break;
		case 'T':
			tls = optarg;
			break;
		case 's':
			seconds = num_flag_uint(P, "--seconds", optarg, 0, 86400);
			break;
		case 'p':
			pages = num_flag_uint(P, "--pages", optarg, 1, 1u << 18);
			break;
		case 'r':
			rate = num_flag_uint(P, "--rate", optarg, 1, 1000000);
			break;
		case 'x':
			semantic = 1;
			break;
		default:
			return 2;
		}
	}
	if (!nodes || !list || self >= nodes) {
		if (nodes && self >= nodes)
			fprintf(stderr, "dsm-evil: --node %u: not a node of --nodes %u (0..%u)\n",
				self, nodes, nodes - 1);
		fprintf(stderr,
			"usage: dsm-evil --node I --nodes N (2..%u) --addrs IP:PORT,... "
			"[--tls T] [--seconds S] [--pages P] [--rate MSGS/S]\n",
			MAXN);
		return 2;
	}
	for (unsigned n = 0; n < nodes; n++)
		if (!(addrs[n] = strsep(&list, ",")) || !*addrs[n]) {
			fprintf(stderr, "dsm-evil: --addrs needs %u addresses\n", nodes);
			return 2;
		}
	log_set_node((int)self);
	rng ^= (uint64_t)self * 0x100000001b3ull + (uint64_t)time(NULL);
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)rnd();
	tp.self = self;
	tp.nr_nodes = nodes;
	tp.addrs = (const char *const *)addrs;
	tp.tls = tls;
	tp.peer_timeout_ms = 5000;
	err = transport_open(&tp, &t);
	if (err) {
		pr_err("dsm-evil: cannot join: %s", strerror(-err));
		return 3;
	}
	t_end = now_ms() + seconds * 1000ull;
	while (now_ms() < t_end && !peers_down) {
		uint64_t now = now_ms();

		transport_progress(t);
		if (now < next)
			continue;
		/* a burst every millisecond, rate messages per second in all */
		for (unsigned k = 0; k < (rate + 999) / 1000; k++) {
			int with_page;
			uint32_t to = (uint32_t)(rnd() % nodes);
			size_t len;

			if (to == self)
				continue;
			len =
			    make_garbage(buf, nodes, pages, self, to, semantic, &with_page, kinds);
			if (transport_send(t, to, buf, len, with_page ? page : NULL) == 0)
				sent++;
		}
		next = now + 1;
	}
	pr_info("dsm-evil: sent %llu hostile messages (random %llu, truncated/overlong %llu, bad "
		"crc %llu, unrequested replies %llu, inv/fwd/grant/move/done from a non-home %llu, "
		"requests for nothing %llu)",
		(unsigned long long)sent, (unsigned long long)kinds[0],
		(unsigned long long)kinds[1], (unsigned long long)kinds[2],
		(unsigned long long)kinds[3], (unsigned long long)kinds[4],
		(unsigned long long)kinds[5]);
	transport_close(t);
	return 0; /* the honest nodes leaving first is the normal end */
}
