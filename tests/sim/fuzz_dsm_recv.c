// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/fuzz_dsm_recv.c — fuzz target for the DSM message input path
 * (dsm_msg_decode + dsm_proto_recv) on instances caught in the middle of
 * transactions (requests pending, a home with a transaction running and one
 * queued, a page held read-only by two nodes, a page being upgraded).
 *
 * Input: a sequence of records [to, from, flags, 37 bytes]; flags bit 0:
 * attach a page, bit 1: take the 40 bytes raw (else the 36-byte body gets a
 * correct CRC-32C, so the fuzzer reaches the protocol logic behind the
 * checksum), bit 2: keep the body's sequence number (else the next one of
 * the pair), bit 3: deliver a real message in flight after the record.
 *
 * The oracle (docs/dsm-protocol.md, Tests, has it in full): a record the
 * harness knows to be bad is rejected for that reason; a rejected record
 * counts exactly one rejection, calls no action and changes nothing
 * visible; after every event every node's own invariants hold
 * (dsm_check_node, dsm_check_mapping, legal actions, wakes of waiting
 * faults only); an input rejected whole leaves a world that drains to
 * quiet with every page settled (dsm_check_page). A violation prints what
 * was expected and the input as hex; the driver exits 1, libFuzzer aborts.
 * The harness numbers every message per pair when it is delivered, so a
 * record never takes the sequence number of a real message in flight.
 *
 * Built two ways:
 *   make fuzz-dsm          clang libFuzzer binary build/fuzz/dsm-recv
 *   build/bin/dsm-fuzz N   the same target driven by a seeded mutator for N
 *                          inputs (tests/sim/fuzz_dsm_main.c, no libFuzzer
 *                          needed; in make check); dsm-fuzz --hex HEX
 *                          replays one input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dsm/proto.h"
#include "tests/sim/fuzz_dsm.h"
#include "tests/sim/proto_check.h"

#define N 3
#define PAGES 6
#define QMAX 1024
#define TOKENS 8

struct fnode {
	struct dsm_proto *p;
	unsigned id;
	uint8_t map[PAGES]; /* enum dsm_map */
	uint8_t mem[PAGES][DSM_PAGE_SIZE];
};

/* A real message in flight; numbered when delivered. */
struct fmsg {
	unsigned from, to;
	struct dsm_msg m;
	bool page;
};

/* A fault of the scenario (token = index). */
struct ftok {
	unsigned node;
	uint64_t page;
	bool waiting;
};

static struct fnode nodes[N];
static struct fmsg q[QMAX];
static unsigned qlen;
static uint32_t wire[N][N]; /* last sequence number given to the pair */
static struct ftok tok[TOKENS];
static uint64_t now_ns;
static unsigned acted;   /* actions called during the current event */
static unsigned last_to; /* receiver of the last real message delivered */
static uint8_t page_buf[DSM_PAGE_SIZE];
static const uint8_t *cur_data; /* the input, for the report */
static size_t cur_size;
static struct {
	unsigned long inputs, records, rejected, accepted, clean, real;
	unsigned long reasons[DSM_REJ_MAX];
} st;

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void violation(const char *fmt, ...)
{
	va_list ap;

	printf("dsm-fuzz: VIOLATION: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n  input (%zu bytes; replay: dsm-fuzz --hex ...): ", cur_size);
	for (size_t i = 0; i < cur_size; i++)
		printf("%02x", cur_data[i]);
	printf("\n");
	fflush(stdout);
#ifdef DSM_FUZZ_LIBFUZZER
	abort();
#else
	exit(1);
#endif
}

/* ---- the runtime side of each node ---- */

static void map_act(struct fnode *n, uint64_t page, enum dsm_map_act act)
{
	acted++;
	if (page >= PAGES)
		violation("node %u: %s of page %llu out of range", n->id, dsm_map_act_name(act),
			  (unsigned long long)page);
	if (!dsm_map_apply(&n->map[page], act))
		violation("node %u: %s of page %llu mapped %u (0 none, 1 ro, 2 rw)", n->id,
			  dsm_map_act_name(act), (unsigned long long)page, n->map[page]);
}

static int f_send(void *ctx, unsigned to, const void *msg, size_t len, const void *page)
{
	struct fnode *n = ctx;
	struct dsm_msg m;

	acted++;
	if (to >= N || to == n->id || dsm_msg_decode(msg, len, &m) != DSM_MSG_OK ||
	    (m.type == DSM_MSG_DATA) != (page != NULL))
		violation("node %u sends a malformed message to node %u", n->id, to);
	if (qlen == QMAX)
		violation("more than %u messages in flight", QMAX);
	q[qlen++] = (struct fmsg){.from = n->id, .to = to, .m = m, .page = page != NULL};
	return 0;
}

static int f_install(void *ctx, uint64_t page, const void *data, bool w)
{
	struct fnode *n = ctx;

	map_act(n, page, w ? DSM_ACT_INSTALL_RW : DSM_ACT_INSTALL_RO);
	if (data)
		memcpy(n->mem[page], data, DSM_PAGE_SIZE);
	else
		memset(n->mem[page], 0, DSM_PAGE_SIZE);
	return 0;
}

static int f_protect(void *ctx, uint64_t page)
{
	map_act(ctx, page, DSM_ACT_PROTECT);
	return 0;
}

static int f_unprotect(void *ctx, uint64_t page)
{
	map_act(ctx, page, DSM_ACT_UNPROTECT);
	return 0;
}

static int f_drop(void *ctx, uint64_t page)
{
	map_act(ctx, page, DSM_ACT_DROP);
	return 0;
}

static const void *f_read(void *ctx, uint64_t page)
{
	struct fnode *n = ctx;

	map_act(n, page, DSM_ACT_READ);
	return n->mem[page];
}

static void f_wake(void *ctx, uint64_t page, uint64_t token)
{
	struct fnode *n = ctx;

	acted++;
	if (token >= TOKENS || !tok[token].waiting || tok[token].node != n->id ||
	    tok[token].page != page)
		violation("node %u: wake of token %llu for page %llu, which is not waiting there",
			  n->id, (unsigned long long)token, (unsigned long long)page);
	tok[token].waiting = false;
}

static const struct dsm_proto_ops ops = {f_send, f_install, f_protect, f_unprotect,
					 f_drop, f_read,    f_wake};

static unsigned home_of(void *ctx, uint64_t page)
{
	return (unsigned)(page % N);
}

/* ---- checks ---- */

/* Every node's own invariants (any input). */
static void check_local(const char *after)
{
	uint64_t open[PAGES] = {0};
	char why[256];

	for (unsigned t = 0; t < TOKENS; t++)
		if (tok[t].waiting)
			open[tok[t].page] |= 1ull << tok[t].node;
	for (unsigned i = 0; i < N; i++) {
		if (!dsm_check_node(nodes[i].p, i, N, PAGES, open, why, sizeof(why)))
			violation("after %s: %s", after, why);
		for (unsigned pg = 0; pg < PAGES; pg++)
			if (!dsm_check_mapping(nodes[i].p, i, pg, nodes[i].map[pg], true, why,
					       sizeof(why)))
				violation("after %s: %s", after, why);
	}
}

/* What a rejected message must not change. */
struct snap {
	uint8_t state[PAGES], hint[PAGES], map[PAGES];
	int dir[PAGES];
	unsigned owner[PAGES];
	uint64_t copyset[PAGES];
	bool busy[PAGES], idle;
	struct dsm_counters c; /* without the rejection and receive counters */
	uint64_t rejected[DSM_REJ_MAX], rejected_total;
};

static void take(const struct fnode *n, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned pg = 0; pg < PAGES; pg++) {
		s->state[pg] = (uint8_t)dsm_proto_page_state(n->p, pg);
		s->hint[pg] = (uint8_t)dsm_proto_home_hint(n->p, pg);
		s->map[pg] = n->map[pg];
		s->dir[pg] = dsm_proto_dir(n->p, pg, &s->owner[pg], &s->copyset[pg], &s->busy[pg]);
	}
	s->idle = dsm_proto_idle(n->p);
	s->c = *dsm_proto_counters(n->p);
	memcpy(s->rejected, s->c.rejected, sizeof(s->rejected));
	s->rejected_total = s->c.rejected_total;
	memset(s->c.rejected, 0, sizeof(s->c.rejected));
	s->c.rejected_total = 0;
	s->c.msgs_recv = s->c.bytes_recv = s->c.pages_recv = 0;
}

static bool same_view(const struct snap *a, const struct snap *b)
{
	return !memcmp(a->state, b->state, sizeof(a->state)) &&
	       !memcmp(a->hint, b->hint, sizeof(a->hint)) &&
	       !memcmp(a->map, b->map, sizeof(a->map)) && !memcmp(a->dir, b->dir, sizeof(a->dir)) &&
	       !memcmp(a->owner, b->owner, sizeof(a->owner)) &&
	       !memcmp(a->copyset, b->copyset, sizeof(a->copyset)) &&
	       !memcmp(a->busy, b->busy, sizeof(a->busy)) && a->idle == b->idle &&
	       !memcmp(&a->c, &b->c, sizeof(a->c));
}

/* The reason a record must be rejected for, when the harness can tell
 * without the protocol's state; -1 when it cannot. */
static int expected_reject(unsigned from, unsigned to, const uint8_t *buf, size_t len)
{
	static const int dec_rej[] = {
	    [DSM_MSG_ELEN] = DSM_REJ_LEN,         [DSM_MSG_EMAGIC] = DSM_REJ_MAGIC,
	    [DSM_MSG_EVERSION] = DSM_REJ_VERSION, [DSM_MSG_ETYPE] = DSM_REJ_TYPE,
	    [DSM_MSG_ECRC] = DSM_REJ_CRC,         [DSM_MSG_EFIELD] = DSM_REJ_FIELD,
	};
	struct dsm_msg m;
	enum dsm_msg_err e;

	if (from >= N || from == to)
		return DSM_REJ_NODE;
	e = dsm_msg_decode(buf, len, &m);
	if (e != DSM_MSG_OK)
		return dec_rej[e];
	if (m.page >= PAGES)
		return DSM_REJ_PAGE;
	return -1;
}

/* Hand a message to node `to` and check what the oracle can tell; returns
 * dsm_proto_recv's result. */
static int recv_checked(unsigned from, unsigned to, const uint8_t *buf, size_t len,
			const void *page, const char *what)
{
	struct fnode *n = &nodes[to];
	int want = expected_reject(from, to, buf, len), r;
	struct dsm_msg m;
	struct snap a, b;
	enum dsm_reject why;

	take(n, &a);
	acted = 0;
	r = dsm_proto_recv(n->p, from, buf, len, page);
	take(n, &b);
	if (r != 0 && r != -EPROTO && r != -EINVAL)
		violation("node %u: %s from node %u returned %d", to, what, from, r);
	if ((r == -EINVAL) != (from >= N || from == to))
		violation("node %u: %s from node %u returned %d (-EINVAL is for a sender out of "
			  "range or self)",
			  to, what, from, r);
	if (want >= 0 && r == 0)
		violation("node %u accepted %s from node %u that must be rejected (%s)", to, what,
			  from, dsm_reject_name((enum dsm_reject)want));
	if (!r) {
		/* accepted: counts no rejection, except a DONE whose home then
		 * drops a queued request of a node that holds the page already */
		bool done = dsm_msg_decode(buf, len, &m) == DSM_MSG_OK && m.type == DSM_MSG_DONE;

		for (unsigned k = 0; k < DSM_REJ_MAX; k++)
			if ((k != DSM_REJ_STATE || !done) && b.rejected[k] != a.rejected[k])
				violation("node %u: accepted %s from node %u, yet %s rejections "
					  "went from %llu to %llu",
					  to, what, from, dsm_reject_name(k),
					  (unsigned long long)a.rejected[k],
					  (unsigned long long)b.rejected[k]);
		check_local(what);
		return r;
	}
	why = dsm_proto_last_reject(n->p);
	if (want >= 0 && why != (enum dsm_reject)want)
		violation("node %u: %s from node %u rejected for %s, expected %s", to, what, from,
			  dsm_reject_name(why), dsm_reject_name((enum dsm_reject)want));
	if ((unsigned)why >= DSM_REJ_MAX || b.rejected_total != a.rejected_total + 1 ||
	    b.rejected[why] != a.rejected[why] + 1)
		violation("node %u: %s from node %u rejected (%d, %s) but counted %llu -> %llu "
			  "(total), %llu -> %llu (%s)",
			  to, what, from, r, dsm_reject_name(why),
			  (unsigned long long)a.rejected_total,
			  (unsigned long long)b.rejected_total,
			  (unsigned long long)((unsigned)why < DSM_REJ_MAX ? a.rejected[why] : 0),
			  (unsigned long long)((unsigned)why < DSM_REJ_MAX ? b.rejected[why] : 0),
			  dsm_reject_name(why));
	for (unsigned k = 0; k < DSM_REJ_MAX; k++)
		if (k != why && b.rejected[k] != a.rejected[k])
			violation("node %u: %s from node %u rejected for %s, but %s rejections "
				  "changed too",
				  to, what, from, dsm_reject_name(why), dsm_reject_name(k));
	if (acted)
		violation("node %u: rejected %s from node %u (%s), yet %u actions were called", to,
			  what, from, dsm_reject_name(why), acted);
	if (!same_view(&a, &b))
		violation("node %u: rejected %s from node %u (%s), yet its state changed", to, what,
			  from, dsm_reject_name(why));
	check_local(what);
	return r;
}

/* Deliver real message k (numbered now). Returns dsm_proto_recv's result. */
static int deliver(unsigned k)
{
	struct fmsg m = q[k];
	uint8_t buf[DSM_MSG_SIZE];

	memmove(q + k, q + k + 1, (--qlen - k) * sizeof(q[0]));
	last_to = m.to;
	m.m.seq = ++wire[m.from][m.to];
	dsm_msg_encode(&m.m, buf);
	st.real++;
	return recv_checked(m.from, m.to, buf, DSM_MSG_SIZE, m.page ? page_buf : NULL,
			    "a real message");
}

static void fault(unsigned node, uint64_t page, bool write, unsigned token)
{
	int r;

	tok[token] = (struct ftok){.node = node, .page = page, .waiting = true};
	r = dsm_proto_fault(nodes[node].p, page, write, token);
	if (r == DSM_FAULT_DONE)
		tok[token].waiting = false;
	else if (r != DSM_FAULT_WAIT)
		violation("node %u: fault on page %llu returned %d", node, (unsigned long long)page,
			  r);
}

static void tick_all(void)
{
	for (unsigned i = 0; i < N; i++) {
		acted = 0;
		if (dsm_proto_tick(nodes[i].p, now_ns))
			violation("node %u: tick failed", i);
	}
	check_local("a tick");
}

/* A fixed scenario that leaves work in flight. */
static void build_world(void)
{
	struct dsm_policy pol;

	dsm_policy_defaults(&pol);
	pol.migrate_after = 2;
	pol.pingpong_threshold = 2;
	pol.pingpong_window_ms = 50;
	pol.pin_ms = 5;
	pol.pin_hold_us = 100;
	qlen = 0;
	now_ns = 0;
	memset(wire, 0, sizeof(wire));
	memset(tok, 0, sizeof(tok));
	for (unsigned i = 0; i < N; i++) {
		struct dsm_proto_params prm = {.self = i,
					       .nr_nodes = N,
					       .nr_pages = PAGES,
					       .home_of = home_of,
					       .ops = &ops,
					       .ctx = &nodes[i],
					       .max_pending = 4,
					       .policy = pol};
		nodes[i].id = i;
		memset(nodes[i].map, 0, sizeof(nodes[i].map));
		if (dsm_proto_create(&prm, &nodes[i].p))
			abort();
	}
	/* page 0: node 1 writes, nodes 2 and 0 read -> two sharers */
	fault(1, 0, true, 1);
	while (qlen)
		deliver(0);
	fault(2, 0, false, 2);
	fault(0, 0, false, 3);
	while (qlen)
		deliver(0);
	/* page 0: node 2 upgrades; page 1: nodes 0 and 2 write at once;
	 * page 4: node 0 reads. Half delivered. */
	fault(2, 0, true, 4);
	fault(0, 1, true, 5);
	fault(2, 1, true, 6);
	fault(0, 4, false, 7);
	for (unsigned k = 0; k < 4 && qlen; k++)
		deliver(0);
	now_ns = 1000000;
	tick_all();
}

static void free_world(void)
{
	for (unsigned i = 0; i < N; i++) {
		dsm_proto_destroy(nodes[i].p);
		nodes[i].p = NULL;
	}
}

/* Deliver everything in flight, ticking the clock (1 ms; pins last 5 ms)
 * while nothing is; strict: every real message must be accepted and the
 * world must end quiet, every page settled. */
static void drain(bool strict)
{
	struct dsm_proto *p[N];
	struct dsm_page_flight none = {0};
	unsigned ticks = 0;
	char why[256];
	bool idle = false;

	for (unsigned guard = 0; guard < 10000 && !idle && ticks < 50; guard++) {
		if (qlen) {
			if (deliver(0) && strict)
				violation("a real message was rejected (%s) after an input "
					  "that was rejected whole",
					  dsm_reject_name(dsm_proto_last_reject(nodes[last_to].p)));
			ticks = 0;
			continue;
		}
		idle = true;
		for (unsigned i = 0; i < N; i++)
			idle &= dsm_proto_idle(nodes[i].p);
		now_ns += 1000000;
		if (!idle) {
			tick_all();
			ticks++;
		}
	}
	if (!strict)
		return;
	if (!idle)
		violation("work left after delivering everything and %u ms of ticks", ticks);
	for (unsigned t = 0; t < TOKENS; t++)
		if (tok[t].waiting)
			violation("fault %u (node %u, page %llu) never woken", t, tok[t].node,
				  (unsigned long long)tok[t].page);
	for (unsigned i = 0; i < N; i++)
		p[i] = nodes[i].p;
	for (unsigned pg = 0; pg < PAGES; pg++)
		if (dsm_check_page(p, N, pg, &none, why, sizeof(why)) != DSM_PAGE_SETTLED)
			violation("at the end: %s", why[0] ? why : "page not settled");
	st.clean++;
}

#define REC DSM_FUZZ_REC

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	bool owed = true; /* every record so far rejected: the world must end clean */

	if (!quiet) {
		log_set_level(LOG_ERR);
		quiet = true;
	}
	cur_data = data;
	cur_size = size;
	st.inputs++;
	build_world();
	for (size_t off = 0; off + REC <= size; off += REC) {
		const uint8_t *r = data + off;
		unsigned to = r[0] % N, from = r[1] % (N + 1); /* N: out of range */
		uint8_t buf[DSM_MSG_SIZE];
		size_t len = DSM_MSG_SIZE;
		struct dsm_msg m;
		int res;

		if (from == to)
			from = (from + 1) % (N + 1);
		if (r[2] & 2) {
			memcpy(buf, r + 3, REC - 3);
			memset(buf + REC - 3, r[3], sizeof(buf) - (REC - 3));
			len = r[2] >> 2; /* 0..63 */
		} else {
			uint32_t c, s;

			memcpy(buf, r + 3, 36);
			buf[0] = DSM_MSG_MAGIC & 0xff;
			buf[1] = DSM_MSG_MAGIC >> 8;
			if (from < N && !(r[2] & 4)) {
				s = ++wire[from][to];
				memcpy(buf + 4,
				       (uint8_t[4]){(uint8_t)s, (uint8_t)(s >> 8),
						    (uint8_t)(s >> 16), (uint8_t)(s >> 24)},
				       4);
			}
			c = dsm_crc32c(buf, 36);
			memcpy(buf + 36,
			       (uint8_t[4]){(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16),
					    (uint8_t)(c >> 24)},
			       4);
		}
		/* a number ahead of the pair's: the real messages go after it. One
		 * about half the number space away may be ahead for the harness
		 * and behind for the receiver (whose last number may be a few
		 * lower): no promise for the real messages after that. */
		if (from < N && dsm_msg_decode(buf, len, &m) == DSM_MSG_OK) {
			int32_t d = (int32_t)(m.seq - wire[from][to]);
			if (d >= 1 << 30)
				owed = false;
			else if (d > 0)
				wire[from][to] = m.seq;
		}
		st.records++;
		res = recv_checked(from, to, buf, len, (r[2] & 1) ? page_buf : NULL, "a record");
		if (res) {
			st.rejected++;
			st.reasons[dsm_proto_last_reject(nodes[to].p)]++;
		} else {
			st.accepted++;
			owed = false;
		}
		/* interleave real traffic */
		if (qlen && (r[2] & 8) && deliver(r[1] % qlen) && owed)
			violation("a real message was rejected (%s) while every record was",
				  dsm_reject_name(dsm_proto_last_reject(nodes[last_to].p)));
	}
	drain(owed);
	free_world();
	return 0;
}

/* Real messages of the scenario, as starting points for a mutator. */
unsigned dsm_fuzz_samples(uint8_t (*out)[DSM_MSG_SIZE], unsigned max)
{
	unsigned n = 0;

	cur_data = NULL;
	cur_size = 0;
	build_world();
	for (unsigned k = 0; k < qlen && n < max; k++)
		dsm_msg_encode(&q[k].m, out[n++]);
	while (qlen && n < max) {
		dsm_msg_encode(&q[0].m, out[n++]);
		deliver(0);
	}
	free_world();
	memset(&st, 0, sizeof(st));
	return n;
}

void dsm_fuzz_report(void)
{
	printf("dsm-fuzz: %lu inputs, %lu records through dsm_proto_recv: %lu rejected "
	       "(counted, nothing changed), %lu accepted (node invariants held); %lu inputs "
	       "rejected whole, then drained to quiet with every page settled; %lu real "
	       "messages\n",
	       st.inputs, st.records, st.rejected, st.accepted, st.clean, st.real);
	printf("  rejected:");
	for (unsigned r = 0; r < DSM_REJ_MAX; r++)
		if (st.reasons[r])
			printf(" %s %lu", dsm_reject_name(r), st.reasons[r]);
	printf("\n");
}
