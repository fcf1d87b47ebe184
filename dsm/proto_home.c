// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/proto_home.c — the home side of the DSM protocol: the directory entry
 * of each page homed here, the per-page FIFO of requests, transactions
 * (REQ ... DONE), home migration and the ping-pong pins. See dsm/proto.h and
 * docs/dsm-protocol.md.
 */
#include "dsm/proto_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"

#define HOPS_MAX 64

int home_init(struct dsm_proto *p)
{
	int r;

	p->tx = calloc(p->tx_cap, sizeof(*p->tx));
	p->hq = calloc(p->hq_cap, sizeof(*p->hq));
	if (!p->tx || !p->hq)
		return -ENOMEM;
	r = idmap_init(&p->tx_map, p->tx_cap);
	if (r)
		return r;
	for (unsigned i = 0; i < p->tx_cap; i++)
		p->tx[i].next_free = i + 1 < p->tx_cap ? (int32_t)i + 1 : -1;
	for (unsigned i = 0; i < p->hq_cap; i++)
		p->hq[i].next = i + 1 < p->hq_cap ? (int32_t)i + 1 : -1;
	p->tx_free = 0;
	p->hq_free = 0;
	return 0;
}

void home_fini(struct dsm_proto *p)
{
	idmap_free(&p->tx_map);
	free(p->tx);
	free(p->hq);
}

bool home_idle(const struct dsm_proto *p)
{
	return p->tx_used == 0;
}

static struct htxn *txn_of(struct dsm_proto *p, uint64_t page)
{
	int32_t i;

	if (!(p->pages[page].st & PF_TXN))
		return NULL;
	i = idmap_get(&p->tx_map, page);
	return i < 0 ? NULL : &p->tx[i];
}

/* The tables start at nr_nodes * max_pending entries and double when a
 * burst needs more (requests are never refused for lack of room: a refused
 * request would leave its vCPU blocked). */
static int grow_tx(struct dsm_proto *p)
{
	unsigned cap = p->tx_cap * 2;
	struct htxn *tx;
	struct idmap m;

	if (cap > (1u << 24) || idmap_init(&m, cap))
		return -ENOMEM;
	tx = realloc(p->tx, cap * sizeof(*tx));
	if (!tx) {
		idmap_free(&m);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < p->tx_cap; i++)
		if (p->pages[tx[i].page].st & PF_TXN &&
		    idmap_get(&p->tx_map, tx[i].page) == (int32_t)i)
			idmap_put(&m, tx[i].page, (int32_t)i);
	for (unsigned i = p->tx_cap; i < cap; i++)
		tx[i].next_free = i + 1 < cap ? (int32_t)i + 1 : p->tx_free;
	p->tx_free = (int32_t)p->tx_cap;
	idmap_free(&p->tx_map);
	p->tx_map = m;
	p->tx = tx;
	p->tx_cap = cap;
	return 0;
}

static int grow_hq(struct dsm_proto *p)
{
	unsigned cap = p->hq_cap * 2;
	struct hreq *hq;

	if (cap > (1u << 24))
		return -ENOMEM;
	hq = realloc(p->hq, cap * sizeof(*hq));
	if (!hq)
		return -ENOMEM;
	for (unsigned i = p->hq_cap; i < cap; i++)
		hq[i].next = i + 1 < cap ? (int32_t)i + 1 : p->hq_free;
	p->hq_free = (int32_t)p->hq_cap;
	p->hq = hq;
	p->hq_cap = cap;
	return 0;
}

static struct htxn *txn_new(struct dsm_proto *p, uint64_t page)
{
	struct htxn *t;
	int32_t i;

	if (p->tx_free < 0 && grow_tx(p))
		return NULL;
	i = p->tx_free;
	t = &p->tx[i];
	p->tx_free = t->next_free;
	*t = (struct htxn){.page = page, .qhead = -1, .qtail = -1, .next_free = -1};
	idmap_put(&p->tx_map, page, i);
	p->pages[page].st |= PF_TXN;
	p->tx_used++;
	return t;
}

static void txn_free(struct dsm_proto *p, struct htxn *t)
{
	idmap_del(&p->tx_map, t->page);
	p->pages[t->page].st &= (uint8_t)~PF_TXN;
	t->next_free = p->tx_free;
	p->tx_free = (int32_t)(t - p->tx);
	p->tx_used--;
}

static void send_to(struct dsm_proto *p, unsigned to, uint8_t type, uint64_t page, uint32_t rid,
		    uint8_t node, uint8_t nacks, uint8_t flags)
{
	struct dsm_msg m = {.type = type, .page = page, .rid = rid, .node = node, .nacks = nacks};

	m.flags = flags;
	if (type != DSM_MSG_INV)
		m.home = (uint8_t)p->self;
	proto_emit(p, to, &m, false);
}

/* Invalidate every copy in set; acks go to r. Returns how many. */
static uint8_t invalidate(struct dsm_proto *p, uint64_t page, uint64_t set, unsigned r,
			  uint32_t rid)
{
	uint8_t n = 0;

	for (unsigned i = 0; i < p->n; i++) {
		if (!(set & node_bit(i)))
			continue;
		send_to(p, i, DSM_MSG_INV, page, rid, (uint8_t)r, 0, 0);
		n++;
	}
	p->c.inv_sent += n;
	return n;
}

/* Start the transaction of request (r, rid, write) on t's page. Returns false
 * when the request makes no sense for the directory (it is dropped). */
static bool txn_start(struct dsm_proto *p, struct htxn *t, unsigned r, uint32_t rid, bool write)
{
	struct dsm_dir *d = dir_of(p, t->page);
	bool excl = write || !p->pol.replication;
	uint64_t c = d->copyset;
	uint8_t nacks;

	/* a reader never asks for what it holds */
	if (!write && (c & node_bit(r)))
		return false;
	t->active = 1;
	t->req = (uint8_t)r;
	t->rid = rid;
	t->excl = excl;
	p->c.txns_home++;
	if (!write && excl)
		p->c.reads_exclusive++;
	if (d->owner == DSM_NO_NODE) {
		/* first touch: zero page at the toucher, nothing transferred */
		p->c.first_touch++;
		t->excl = 1;
		send_to(p, r, DSM_MSG_GRANT, t->page, rid, 0, 0, DSM_MF_WRITE | DSM_MF_ZERO);
		return true;
	}
	if (!excl) {
		send_to(p, d->owner, DSM_MSG_FWD, t->page, rid, (uint8_t)r, 0, 0);
		return true;
	}
	if (c & node_bit(r)) {
		/* r's read-only copy is current: upgrade in place */
		nacks = invalidate(p, t->page, c & ~node_bit(r), r, rid);
		send_to(p, r, DSM_MSG_GRANT, t->page, rid, 0, nacks, DSM_MF_WRITE | DSM_MF_UPGRADE);
		return true;
	}
	nacks = invalidate(p, t->page, c & ~node_bit(r) & ~node_bit(d->owner), r, rid);
	send_to(p, d->owner, DSM_MSG_FWD, t->page, rid, (uint8_t)r, nacks, DSM_MF_WRITE);
	return true;
}

static void maybe_migrate(struct dsm_proto *p, uint64_t page)
{
	struct dsm_page *pg = &p->pages[page];
	struct dsm_dir *d = dir_of(p, page);
	struct dsm_msg m = {.type = DSM_MSG_HOME_MOVE, .page = page};
	unsigned to = d->last_req;

	/* the copyset within {here, to}: every holder then knows the new home
	 * (the receivers of the new home's FWDs and INVs check the sender) */
	if (!p->pol.migrate_after || d->streak < p->pol.migrate_after || to >= p->n ||
	    to == p->self || (pg->st & PF_PINNED) || d->owner == DSM_NO_NODE ||
	    (d->copyset & ~(node_bit(to) | node_bit(p->self))))
		return;
	m.node = d->owner;
	m.copyset = d->copyset;
	m.bounces = d->bounces;
	proto_emit(p, to, &m, false);
	d->streak = 0;
	dir_release(p, page);
	pg->st &= (uint8_t)~PF_HOME;
	pg->home = (uint8_t)to;
	p->c.migrations_out++;
	p->c.pages_home--;
	pr_debug("dsm: node %u: home of page 0x%llx moves to node %u", p->self,
		 (unsigned long long)page, to);
}

/* The page has no running transaction: start the next queued one, unless a
 * pin holds it back (then home_tick() will). */
static void txn_next(struct dsm_proto *p, struct htxn *t)
{
	uint64_t page = t->page;

	while (t->qhead >= 0) {
		struct hreq *q = &p->hq[t->qhead];
		int32_t qi = t->qhead;
		struct dsm_pin *pin = pol_pin_of(p, page);

		if (pin && p->now_ns < pin->hold_ns)
			return;
		t->qhead = q->next;
		if (t->qhead < 0)
			t->qtail = -1;
		q->next = p->hq_free;
		p->hq_free = qi;
		if (txn_start(p, t, q->from, q->rid, q->write))
			return;
		p->c.rejected[DSM_REJ_STATE]++;
		p->c.rejected_total++;
		pr_warn("dsm: node %u: dropped queued request of node %u for page 0x%llx: "
			"it already holds a copy",
			p->self, q->from, (unsigned long long)page);
	}
	txn_free(p, t);
	maybe_migrate(p, page);
}

int home_recv_req(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct dsm_page *pg = &p->pages[m->page];
	unsigned r = m->node;
	bool write = m->flags & DSM_MF_WRITE;
	struct dsm_pin *pin;
	struct htxn *t;
	int32_t qi;

	if (m->hops == 0 && from != r)
		return proto_reject(p, DSM_REJ_NODE, from, m);
	if (m->hops >= HOPS_MAX)
		return proto_reject(p, DSM_REJ_HOPS, from, m);
	/* only a former home forwards, and without migration there is none */
	if (m->hops && !p->pol.migrate_after)
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if (!(pg->st & PF_HOME)) {
		struct dsm_msg f = *m;
		f.hops++;
		p->c.forwarded++;
		proto_emit(p, pg->home, &f, false);
		return 0;
	}
	t = txn_of(p, m->page);
	pin = pol_pin_of(p, m->page);
	if (!t) {
		if (!write && (dir_of(p, m->page)->copyset & node_bit(r)))
			return proto_reject(p, DSM_REJ_STATE, from, m);
		t = txn_new(p, m->page);
		if (!t)
			return proto_reject(p, DSM_REJ_BUSY, from, m);
		if (!pin || p->now_ns >= pin->hold_ns) {
			if (!txn_start(p, t, r, m->rid, write)) {
				txn_free(p, t);
				return proto_reject(p, DSM_REJ_STATE, from, m);
			}
			return 0;
		}
		p->c.pin_delays++;
	} else {
		/* one request per node per page: its next comes after its DONE */
		if (t->active && t->req == r && t->rid == m->rid)
			return proto_reject(p, DSM_REJ_DUP, from, m);
		for (qi = t->qhead; qi >= 0; qi = p->hq[qi].next)
			if (p->hq[qi].from == r)
				return proto_reject(p, DSM_REJ_BUSY, from, m);
		if (pin && p->now_ns < pin->hold_ns)
			p->c.pin_delays++;
	}
	if (p->hq_free < 0)
		grow_hq(p);
	qi = p->hq_free;
	if (qi < 0) {
		if (!t->active && t->qhead < 0)
			txn_free(p, t);
		return proto_reject(p, DSM_REJ_BUSY, from, m);
	}
	p->hq_free = p->hq[qi].next;
	p->hq[qi] = (struct hreq){.rid = m->rid, .next = -1, .from = (uint8_t)r, .write = write};
	if (t->qtail >= 0)
		p->hq[t->qtail].next = qi;
	else
		t->qhead = qi;
	t->qtail = qi;
	p->c.queued_home++;
	return 0;
}

int home_recv_done(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct dsm_dir *pg = dir_of(p, m->page);
	struct htxn *t;
	struct dsm_pin *pin;
	bool moved = false;

	if (!pg)
		return proto_reject(p, DSM_REJ_NOT_HOME, from, m);
	t = txn_of(p, m->page);
	if (!t || !t->active)
		return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
	if (t->req != from) /* only the running transaction's requester */
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if (t->rid != m->rid)
		return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
	if (!!(m->flags & DSM_MF_WRITE) != !!t->excl)
		return proto_reject(p, DSM_REJ_STATE, from, m);
	if (t->excl) {
		moved = pg->owner != DSM_NO_NODE && pg->owner != from;
		pg->owner = (uint8_t)from;
		pg->copyset = node_bit(from);
	} else {
		pg->copyset |= node_bit(from);
	}
	if (from != p->self) {
		if (pg->last_req == from) {
			if (pg->streak < 255)
				pg->streak++;
		} else {
			pg->last_req = (uint8_t)from;
			pg->streak = 1;
		}
	} else {
		pg->last_req = DSM_NO_NODE;
		pg->streak = 0;
	}
	t->active = 0;
	if (moved && p->pol.pingpong_threshold)
		pol_bounce(p, m->page);
	pin = pol_pin_of(p, m->page);
	if (pin)
		pin->hold_ns = p->now_ns + (uint64_t)p->pol.pin_hold_us * 1000;
	txn_next(p, t);
	return 0;
}

int home_recv_move(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct dsm_page *pg = &p->pages[m->page];
	uint64_t all = p->n == 64 ? ~0ull : node_bit(p->n) - 1;
	bool have = pg_state(p, m->page) != DSM_INVALID;
	struct dsm_dir *d;

	if (pg->st & PF_HOME)
		return proto_reject(p, DSM_REJ_STATE, from, m);
	/* only from the home this node knows, with migration on, and holders
	 * within {old home, new home} (see maybe_migrate) */
	if (!p->pol.migrate_after || from != pg->home ||
	    (m->copyset & ~(node_bit(from) | node_bit(p->self))))
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if ((m->copyset & ~all) || (m->node == DSM_NO_NODE) != (m->copyset == 0) ||
	    (m->node != DSM_NO_NODE && !(m->copyset & node_bit(m->node))))
		return proto_reject(p, DSM_REJ_FIELD, from, m);
	/* the entry must agree with what this node holds */
	if (have != !!(m->copyset & node_bit(p->self)))
		return proto_reject(p, DSM_REJ_STATE, from, m);
	d = dir_add(p, m->page);
	if (!d) {
		proto_note_err(p, "directory entry", m->page, -ENOMEM);
		return -ENOMEM;
	}
	*d = (struct dsm_dir){.owner = m->node,
			      .copyset = m->copyset,
			      .bounces = m->bounces > 255 ? 255 : (uint8_t)m->bounces,
			      .bounce_ms = (uint16_t)(p->now_ns / 1000000),
			      .last_req = DSM_NO_NODE};
	pg->st |= PF_HOME;
	pg->home = (uint8_t)p->self;
	p->c.migrations_in++;
	p->c.pages_home++;
	return 0;
}

void home_tick(struct dsm_proto *p)
{
	if (!p->pins)
		return;
	for (unsigned i = 0; i < p->pol.max_pinned; i++) {
		struct dsm_pin *pin = &p->pins[i];
		struct htxn *t;

		if (!pin->used)
			continue;
		t = txn_of(p, pin->page);
		if (p->now_ns >= pin->until_ns)
			pol_unpin(p, pin);
		if (t && !t->active && t->qhead >= 0)
			txn_next(p, t);
	}
}
