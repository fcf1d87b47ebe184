// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/proto.c — DSM protocol instance: creation, the event entry points, the
 * requester side (faults, DATA, GRANT, INV_ACK) and the owner/sharer side
 * (FWD, INV). The home side is dsm/proto_home.c. See dsm/proto.h.
 */
#include "dsm/proto_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define HOPS_MAX 64

static const char *const reject_names[DSM_REJ_MAX] = {
    [DSM_REJ_LEN] = "length",  [DSM_REJ_MAGIC] = "magic",       [DSM_REJ_VERSION] = "version",
    [DSM_REJ_TYPE] = "type",   [DSM_REJ_CRC] = "crc",           [DSM_REJ_FIELD] = "field",
    [DSM_REJ_PAGE] = "page",   [DSM_REJ_NODE] = "node",         [DSM_REJ_DUP] = "dup",
    [DSM_REJ_STALE] = "stale", [DSM_REJ_NO_DATA] = "no_data",   [DSM_REJ_NO_REQUEST] = "no_request",
    [DSM_REJ_STATE] = "state", [DSM_REJ_NOT_HOME] = "not_home", [DSM_REJ_BUSY] = "busy",
    [DSM_REJ_HOPS] = "hops",   [DSM_REJ_SENDER] = "sender",
};

const char *dsm_reject_name(enum dsm_reject r)
{
	return (unsigned)r < DSM_REJ_MAX ? reject_names[r] : "?";
}

/* ---- output ---- */

void proto_note_err(struct dsm_proto *p, const char *what, uint64_t page, int r)
{
	p->c.ops_failed++;
	pr_err("dsm: node %u: %s of page 0x%llx failed: %d", p->self, what,
	       (unsigned long long)page, r);
	if (!p->err)
		p->err = r;
}

static const void *page_contents(struct dsm_proto *p, uint64_t page)
{
	if (p->pages[page].st & PF_ZERO) {
		p->c.home_zero_fill++;
		return p->zero_page;
	}
	return p->ops->read_page(p->ctx, page);
}

/* The queue of messages to self is drained after every event; a tick that
 * releases many pins at once may need more room. */
static int loop_grow(struct dsm_proto *p)
{
	unsigned cap = p->loop_cap * 2;
	struct dsm_msg *q = malloc(cap * sizeof(*q));

	if (!q)
		return -ENOMEM;
	for (unsigned i = 0; i < p->loop_len; i++)
		q[i] = p->loop[(p->loop_head + i) % p->loop_cap];
	free(p->loop);
	p->loop = q;
	p->loop_head = 0;
	p->loop_cap = cap;
	return 0;
}

void proto_emit(struct dsm_proto *p, unsigned to, struct dsm_msg *m, bool with_page)
{
	uint8_t buf[DSM_MSG_SIZE];
	const void *data = NULL;
	int r;

	if (to == p->self) {
		/* messages to self never carry a page (owner != requester) */
		if (p->loop_len == p->loop_cap && loop_grow(p)) {
			proto_note_err(p, "loopback queue", m->page, -ENOMEM);
			return;
		}
		p->loop[(p->loop_head + p->loop_len++) % p->loop_cap] = *m;
		return;
	}
	if (++p->tx_seq[to] == 0)
		p->tx_seq[to] = 1;
	m->seq = p->tx_seq[to];
	dsm_msg_encode(m, buf);
	if (with_page) {
		data = page_contents(p, m->page);
		if (!data) {
			proto_note_err(p, "read_page", m->page, -EFAULT);
			return;
		}
	}
	r = p->ops->send(p->ctx, to, buf, sizeof(buf), data);
	if (r) {
		proto_note_err(p, "send", m->page, r);
		return;
	}
	p->c.msgs_sent++;
	p->c.bytes_sent += sizeof(buf) + (data ? DSM_PAGE_SIZE : 0);
	p->c.pages_sent += data != NULL;
}

void proto_set_state(struct dsm_proto *p, uint64_t page, enum dsm_page_state s)
{
	struct dsm_page *pg = &p->pages[page];
	enum dsm_page_state old = pg_state(p, page);

	p->c.pages_exclusive -= old == DSM_EXCLUSIVE;
	p->c.pages_shared -= old == DSM_SHARED;
	p->c.pages_exclusive += s == DSM_EXCLUSIVE;
	p->c.pages_shared += s == DSM_SHARED;
	pg->st = (uint8_t)((pg->st & ~PS_STATE) | s);
}

int proto_reject(struct dsm_proto *p, enum dsm_reject why, unsigned from, const struct dsm_msg *m)
{
	p->c.rejected[why]++;
	p->c.rejected_total++;
	p->last_rej = why;
	if (m)
		pr_debug("dsm: node %u: rejected %s from node %u for page 0x%llx: %s", p->self,
			 dsm_msg_type_name(m->type), from, (unsigned long long)m->page,
			 dsm_reject_name(why));
	else
		pr_debug("dsm: node %u: rejected message from node %u: %s", p->self, from,
			 dsm_reject_name(why));
	return -EPROTO;
}

/* Page actions. PF_ZERO pages are held but not mapped: nothing to unmap. */
static void act_install(struct dsm_proto *p, uint64_t page, const void *data, bool writable)
{
	int r = p->ops->install(p->ctx, page, data, writable);

	if (p->pages[page].st & PF_ZERO)
		p->c.home_zero_fill++;
	p->pages[page].st &= (uint8_t)~PF_ZERO;
	if (r)
		proto_note_err(p, "install", page, r);
	proto_set_state(p, page, writable ? DSM_EXCLUSIVE : DSM_SHARED);
}

static void act_to_exclusive(struct dsm_proto *p, uint64_t page)
{
	int r;

	if (p->pages[page].st & PF_ZERO) {
		act_install(p, page, NULL, true);
		return;
	}
	r = p->ops->unprotect(p->ctx, page);
	if (r)
		proto_note_err(p, "unprotect", page, r);
	proto_set_state(p, page, DSM_EXCLUSIVE);
}

static void act_to_shared(struct dsm_proto *p, uint64_t page)
{
	if (!(p->pages[page].st & PF_ZERO)) {
		int r = p->ops->protect(p->ctx, page);
		if (r)
			proto_note_err(p, "protect", page, r);
	}
	proto_set_state(p, page, DSM_SHARED);
}

static void act_drop(struct dsm_proto *p, uint64_t page)
{
	if (!(p->pages[page].st & PF_ZERO)) {
		int r = p->ops->drop(p->ctx, page);
		if (r)
			proto_note_err(p, "drop", page, r);
	}
	p->pages[page].st &= (uint8_t)~PF_ZERO;
	proto_set_state(p, page, DSM_INVALID);
}

static void drain_loop(struct dsm_proto *p);

/* ---- requester side ---- */

/* Messages only the home may send (GRANT, FWD, INV, HOME_MOVE) are taken
 * from the node this one knows as the page's home: its hint. The hint is
 * home_of() until a migration; a node learns a new home from the grant of
 * its own request (complete()) or from the HOME_MOVE it receives, and a
 * home migrates only when the copyset is within {old home, new home}, so
 * every node the home may address (owner, sharers, an upgrading requester)
 * already has the new home as its hint. See docs/dsm-protocol.md, Trust. */
static bool from_home(const struct dsm_proto *p, unsigned from, uint64_t page)
{
	return from == p->pages[page].home;
}

static struct pend *pend_of(struct dsm_proto *p, uint64_t page)
{
	int32_t i;

	if (!(p->pages[page].st & PF_PENDING))
		return NULL;
	i = idmap_get(&p->pend_map, page);
	return i < 0 ? NULL : &p->pend[i];
}

static int add_waiter(struct dsm_proto *p, struct pend *pd, uint64_t token, bool write)
{
	int32_t w = p->wt_free;

	if (w < 0)
		return -EAGAIN;
	p->wt_free = p->wt[w].next;
	p->wt[w] = (struct waiter){.token = token, .write = write, .next = pd->waiters};
	pd->waiters = w;
	p->c.faults_waiting++;
	return 0;
}

static void send_req(struct dsm_proto *p, struct pend *pd, bool write)
{
	struct dsm_msg m = {.type = DSM_MSG_REQ, .page = pd->page, .node = (uint8_t)p->self};

	pd->rid = proto_new_rid(p);
	pd->acks = 0;
	pd->granted = 0;
	pd->nacks = 0;
	pd->excl = 0;
	m.rid = pd->rid;
	m.flags = write ? DSM_MF_WRITE : 0;
	if (p->pages[pd->page].home != p->self)
		pd->remote = 1;
	proto_emit(p, p->pages[pd->page].home, &m, false);
}

/* A fault that needs the protocol (starts a request or joins one), by kind. */
static void count_kind(struct dsm_proto *p, bool is_write, enum dsm_page_state s)
{
	if (!is_write)
		p->c.faults_read++;
	else if (s == DSM_SHARED)
		p->c.faults_upgrade++;
	else
		p->c.faults_write++;
}

int dsm_proto_fault(struct dsm_proto *p, uint64_t page, bool is_write, uint64_t token)
{
	struct dsm_page *pg;
	enum dsm_page_state s;
	struct pend *pd;
	int32_t i;
	int r;

	if (page >= p->nr_pages)
		return -EINVAL;
	p->err = 0;
	pg = &p->pages[page];
	s = pg_state(p, page);
	if (s == DSM_EXCLUSIVE || (s == DSM_SHARED && !is_write)) {
		/* held but unmapped (zero) pages are mapped now */
		if (pg->st & PF_ZERO)
			act_install(p, page, NULL, s == DSM_EXCLUSIVE);
		p->c.faults_local++;
		return p->err ? p->err : DSM_FAULT_DONE;
	}
	pd = pend_of(p, page);
	if (pd) {
		r = add_waiter(p, pd, token, is_write);
		if (r)
			return r;
		count_kind(p, is_write, s);
		p->c.faults_joined++;
		return DSM_FAULT_WAIT;
	}
	if (p->pend_free < 0 || p->wt_free < 0)
		return -EAGAIN;
	i = p->pend_free;
	pd = &p->pend[i];
	p->pend_free = pd->next_free;
	memset(pd, 0, sizeof(*pd));
	pd->page = page;
	pd->waiters = -1;
	add_waiter(p, pd, token, is_write);
	idmap_put(&p->pend_map, page, i);
	pg->st |= PF_PENDING;
	p->pend_used++;
	count_kind(p, is_write, s);
	p->c.faults_requested++;
	send_req(p, pd, is_write);
	drain_loop(p);
	return p->err ? p->err : DSM_FAULT_WAIT;
}

/* All that the grant needs is there: finish the request. */
static void complete(struct dsm_proto *p, struct pend *pd)
{
	uint64_t page = pd->page;
	enum dsm_page_state s = pg_state(p, page);
	struct dsm_msg done = {.type = DSM_MSG_DONE, .page = page, .rid = pd->rid};
	int32_t w, keep = -1;
	bool more_write = false;

	done.flags = s == DSM_EXCLUSIVE ? DSM_MF_WRITE : 0;
	p->pages[page].home = pd->home;
	p->c.grants++;

	/* wake first: the vCPUs run while the DONE goes out */
	for (w = pd->waiters; w >= 0;) {
		int32_t next = p->wt[w].next;
		if (p->wt[w].write && s != DSM_EXCLUSIVE) {
			p->wt[w].next = keep;
			keep = w;
			more_write = true;
		} else {
			if (pd->remote)
				p->c.faults_served_remote++;
			else
				p->c.faults_served_home++;
			p->c.faults_waiting--;
			p->waking_remote = pd->remote;
			p->ops->wake(p->ctx, page, p->wt[w].token);
			p->wt[w].next = p->wt_free;
			p->wt_free = w;
		}
		w = next;
	}
	pd->waiters = keep;
	proto_emit(p, pd->home, &done, false);
	if (more_write) {
		/* writers that waited behind a read (counted as joined faults):
		 * upgrade now */
		send_req(p, pd, true);
		return;
	}
	idmap_del(&p->pend_map, page);
	p->pages[page].st &= (uint8_t)~PF_PENDING;
	pd->next_free = p->pend_free;
	p->pend_free = (int32_t)(pd - p->pend);
	p->pend_used--;
}

static bool acks_complete(const struct pend *pd)
{
	return pd->granted && (unsigned)__builtin_popcountll(pd->acks) == pd->nacks;
}

static int recv_data(struct dsm_proto *p, unsigned from, const struct dsm_msg *m, const void *data)
{
	struct pend *pd = pend_of(p, m->page);
	bool excl = m->flags & DSM_MF_WRITE;

	if (!data)
		return proto_reject(p, DSM_REJ_NO_DATA, from, m);
	if (!pd || pd->rid != m->rid)
		return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
	/* without migration the home never changes: the data names it */
	if (!p->pol.migrate_after && m->home != p->pages[m->page].home)
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if (pd->granted || pg_state(p, m->page) != DSM_INVALID ||
	    (unsigned)__builtin_popcountll(pd->acks) > m->nacks)
		return proto_reject(p, DSM_REJ_STATE, from, m);
	pd->granted = GK_DATA;
	pd->nacks = m->nacks;
	pd->home = m->home;
	pd->excl = excl;
	pd->remote |= from != p->self;
	p->c.remote_fetches++;
	/* read-only until every other copy is gone */
	act_install(p, m->page, data, excl && acks_complete(pd));
	if (!excl || acks_complete(pd))
		complete(p, pd);
	return 0;
}

static int recv_grant(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct pend *pd = pend_of(p, m->page);
	enum dsm_page_state s = pg_state(p, m->page);
	bool zero = m->flags & DSM_MF_ZERO;

	if (m->home != from) /* grants come from the home itself */
		return proto_reject(p, DSM_REJ_NODE, from, m);
	if (!from_home(p, from, m->page))
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if (!pd || pd->rid != m->rid)
		return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
	if (pd->granted || (zero && s != DSM_INVALID) || (!zero && s != DSM_SHARED) ||
	    (unsigned)__builtin_popcountll(pd->acks) > m->nacks)
		return proto_reject(p, DSM_REJ_STATE, from, m);
	pd->granted = zero ? GK_ZERO : GK_UPGRADE;
	pd->remote |= from != p->self;
	pd->nacks = m->nacks;
	pd->home = m->home;
	pd->excl = 1;
	if (zero) {
		p->c.zero_grants++;
		act_install(p, m->page, NULL, true);
		complete(p, pd);
	} else if (acks_complete(pd)) {
		p->c.upgrades_in_place++;
		act_to_exclusive(p, m->page);
		complete(p, pd);
	}
	return 0;
}

static int recv_inv_ack(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct pend *pd = pend_of(p, m->page);

	if (!pd || pd->rid != m->rid)
		return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
	if ((pd->acks & node_bit(from)) || (pd->granted && !pd->excl) ||
	    (pd->granted && (unsigned)__builtin_popcountll(pd->acks) >= pd->nacks))
		return proto_reject(p, DSM_REJ_STATE, from, m);
	pd->acks |= node_bit(from);
	pd->remote |= from != p->self;
	if (acks_complete(pd)) {
		if (pd->granted == GK_UPGRADE)
			p->c.upgrades_in_place++;
		act_to_exclusive(p, m->page);
		complete(p, pd);
	}
	return 0;
}

/* ---- owner / sharer side ---- */

/* Own request granted, acks awaited: the home sends the requester of its
 * running transaction nothing but the grant, so an INV or FWD is nonsense
 * (acting on it dropped the copy the grant is about). */
static bool own_grant_open(struct dsm_proto *p, uint64_t page)
{
	const struct pend *pd = pend_of(p, page);

	return pd && pd->granted;
}

static int recv_fwd(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct dsm_msg d = {.type = DSM_MSG_DATA, .page = m->page, .rid = m->rid};
	enum dsm_page_state s = pg_state(p, m->page);

	if (m->node == p->self || m->home != from)
		return proto_reject(p, DSM_REJ_NODE, from, m);
	if (!from_home(p, from, m->page))
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	if (s == DSM_INVALID || own_grant_open(p, m->page))
		return proto_reject(p, DSM_REJ_STATE, from, m);
	d.home = m->home;
	d.nacks = m->nacks;
	d.flags = m->flags & DSM_MF_WRITE;
	if (!(m->flags & DSM_MF_WRITE)) {
		if (s == DSM_EXCLUSIVE) {
			p->c.downgrades++;
			act_to_shared(p, m->page);
		}
		proto_emit(p, m->node, &d, true);
		return 0;
	}
	/* no local write may land after the contents are copied: write-protect
	 * first, send (send() copies), then drop */
	if (s == DSM_EXCLUSIVE)
		act_to_shared(p, m->page);
	proto_emit(p, m->node, &d, true);
	act_drop(p, m->page);
	return 0;
}

static int recv_inv(struct dsm_proto *p, unsigned from, const struct dsm_msg *m)
{
	struct dsm_msg a = {.type = DSM_MSG_INV_ACK, .page = m->page, .rid = m->rid};

	if (m->node == p->self)
		return proto_reject(p, DSM_REJ_NODE, from, m);
	if (!from_home(p, from, m->page))
		return proto_reject(p, DSM_REJ_SENDER, from, m);
	/* only read-only copies are invalidated; the owner gets a FWD */
	if (pg_state(p, m->page) != DSM_SHARED || own_grant_open(p, m->page))
		return proto_reject(p, DSM_REJ_STATE, from, m);
	p->c.inv_recv++;
	act_drop(p, m->page);
	proto_emit(p, m->node, &a, false);
	return 0;
}

/* ---- input ---- */

/* Duplicate filter over the last 64 sequence numbers of a peer. Serial
 * number arithmetic: the 32-bit numbers may wrap (0 is never sent). */
static int check_seq(struct dsm_proto *p, unsigned from, uint32_t seq)
{
	int32_t d = (int32_t)(seq - p->rx_hi[from]);

	if (d > 0 || p->rx_hi[from] == 0) {
		uint32_t shift = d > 0 ? (uint32_t)d : 64;
		p->rx_win[from] = shift >= 64 ? 1 : (p->rx_win[from] << shift) | 1;
		p->rx_hi[from] = seq;
		return 0;
	}
	if (d <= -64)
		return DSM_REJ_STALE;
	if (p->rx_win[from] & (1ull << -d))
		return DSM_REJ_DUP;
	p->rx_win[from] |= 1ull << -d;
	return 0;
}

static int dispatch(struct dsm_proto *p, unsigned from, const struct dsm_msg *m, const void *data)
{
	if (data && m->type != DSM_MSG_DATA)
		return proto_reject(p, DSM_REJ_NO_DATA, from, m);
	switch (m->type) {
	case DSM_MSG_REQ:
		/* a request of this very node, forwarded back here: it must be
		 * the one this node has open */
		if (m->hops && m->node == p->self) {
			const struct pend *pd = pend_of(p, m->page);
			if (!pd || pd->rid != m->rid || pd->granted)
				return proto_reject(p, DSM_REJ_NO_REQUEST, from, m);
		}
		return home_recv_req(p, from, m);
	case DSM_MSG_FWD:
		return recv_fwd(p, from, m);
	case DSM_MSG_DATA:
		return recv_data(p, from, m, data);
	case DSM_MSG_GRANT:
		return recv_grant(p, from, m);
	case DSM_MSG_INV:
		return recv_inv(p, from, m);
	case DSM_MSG_INV_ACK:
		return recv_inv_ack(p, from, m);
	case DSM_MSG_DONE:
		return home_recv_done(p, from, m);
	case DSM_MSG_HOME_MOVE:
		return home_recv_move(p, from, m);
	}
	return proto_reject(p, DSM_REJ_TYPE, from, m);
}

/* Deliver the messages this node sent to itself, in order. */
static void drain_loop(struct dsm_proto *p)
{
	while (p->loop_len) {
		struct dsm_msg m = p->loop[p->loop_head];
		p->loop_head = (p->loop_head + 1) % p->loop_cap;
		p->loop_len--;
		if (dispatch(p, p->self, &m, NULL) == -EPROTO)
			pr_err("dsm: node %u: own %s for page 0x%llx rejected (%s): protocol bug",
			       p->self, dsm_msg_type_name(m.type), (unsigned long long)m.page,
			       dsm_reject_name(p->last_rej));
	}
}

static bool node_field_ok(const struct dsm_proto *p, const struct dsm_msg *m)
{
	switch (m->type) {
	case DSM_MSG_REQ:
	case DSM_MSG_FWD:
	case DSM_MSG_INV:
		if (m->node >= p->n)
			return false;
		break;
	case DSM_MSG_HOME_MOVE:
		if (m->node >= p->n && m->node != DSM_NO_NODE)
			return false;
		break;
	}
	switch (m->type) {
	case DSM_MSG_FWD:
	case DSM_MSG_DATA:
	case DSM_MSG_GRANT:
		if (m->home >= p->n)
			return false;
		break;
	}
	return m->nacks < p->n;
}

int dsm_proto_recv(struct dsm_proto *p, unsigned from, const void *buf, size_t len,
		   const void *page_data)
{
	static const enum dsm_reject dec_rej[] = {
	    [DSM_MSG_ELEN] = DSM_REJ_LEN,         [DSM_MSG_EMAGIC] = DSM_REJ_MAGIC,
	    [DSM_MSG_EVERSION] = DSM_REJ_VERSION, [DSM_MSG_ETYPE] = DSM_REJ_TYPE,
	    [DSM_MSG_ECRC] = DSM_REJ_CRC,         [DSM_MSG_EFIELD] = DSM_REJ_FIELD,
	};
	struct dsm_msg m;
	enum dsm_msg_err e;
	int r;

	if (from >= p->n || from == p->self) {
		proto_reject(p, DSM_REJ_NODE, from, NULL);
		return -EINVAL;
	}
	p->err = 0;
	e = dsm_msg_decode(buf, len, &m);
	if (e != DSM_MSG_OK)
		return proto_reject(p, dec_rej[e], from, NULL);
	if (m.page >= p->nr_pages)
		return proto_reject(p, DSM_REJ_PAGE, from, &m);
	if (!node_field_ok(p, &m))
		return proto_reject(p, DSM_REJ_NODE, from, &m);
	r = check_seq(p, from, m.seq);
	if (r)
		return proto_reject(p, (enum dsm_reject)r, from, &m);
	p->c.msgs_recv++;
	p->c.bytes_recv += len + (page_data ? DSM_PAGE_SIZE : 0);
	p->c.pages_recv += page_data != NULL;
	r = dispatch(p, from, &m, page_data);
	drain_loop(p);
	if (r)
		return r;
	return p->err;
}

int dsm_proto_tick(struct dsm_proto *p, uint64_t now_ns)
{
	p->err = 0;
	if (now_ns > p->now_ns)
		p->now_ns = now_ns;
	home_tick(p);
	drain_loop(p);
	return p->err;
}
