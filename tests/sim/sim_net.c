// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/sim_net.c — the simulated network of the DSM simulator: one
 * queue per ordered pair of nodes, delivery in a seeded order, and bad input
 * (garbage, corrupted copies, duplicates, forged nonsense) that every node
 * must reject.
 *
 * Ordering: by default each pair is FIFO (what UCX endpoints guarantee) and
 * pairs interleave arbitrarily. With cfg.reorder, a packet may also overtake
 * up to 7 older packets of its own pair; the oldest packet of a pair is
 * overtaken at most 16 times, which keeps delays far inside the receiver's
 * 64-message duplicate window (a real message refused as stale would fail
 * the run, it would not pass silently).
 *
 * Every packet gets its wire sequence number here, per pair, so forged
 * packets can take a number of their own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sim/sim.h"

/* Put @k at the end of the pair's queue: one more message in flight. */
static void pair_append(struct sim *s, struct sim_pair *pr, struct sim_pkt *k)
{
	if (pr->tail)
		pr->tail->next = k;
	else
		pr->head = k;
	pr->tail = k;
	pr->len++;
	s->in_flight++;
}

int sim_net_send(struct sim *s, unsigned from, unsigned to, const void *msg, size_t len,
		 const void *page)
{
	struct sim_pair *pr;
	struct sim_pkt *k;
	struct dsm_msg m;

	if (to >= s->cfg.nodes || to == from) {
		sim_fail(s, "node %u sends to node %u", from, to);
		return -EINVAL;
	}
	if (dsm_msg_decode(msg, len, &m) != DSM_MSG_OK) {
		sim_fail(s, "node %u sends a malformed message", from);
		return -EINVAL;
	}
	if ((m.type == DSM_MSG_DATA) != (page != NULL)) {
		sim_fail(s, "node %u sends %s %s page contents", from, dsm_msg_type_name(m.type),
			 page ? "with" : "without");
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	pr = &s->pair[from][to];
	m.seq = ++pr->wire_seq;
	dsm_msg_encode(&m, k->msg);
	k->m = m;
	k->from = from;
	k->to = to;
	if (page) {
		k->has_page = true;
		memcpy(k->page, page, DSM_PAGE_SIZE);
	}
	pair_append(s, pr, k);
	s->stat_msgs++;
	sim_trace(s, "send %u->%u %s page %llu rid %u node %u nacks %u flags %#x%s", from, to,
		  dsm_msg_type_name(m.type), (unsigned long long)m.page, m.rid, m.node, m.nacks,
		  m.flags, page ? " +data" : "");
	return 0;
}

static struct sim_pkt *unlink_at(struct sim_pair *pr, unsigned idx)
{
	struct sim_pkt *prev = NULL, *k = pr->head;

	for (unsigned i = 0; i < idx; i++) {
		k->overtaken++;
		prev = k;
		k = k->next;
	}
	if (prev)
		prev->next = k->next;
	else
		pr->head = k->next;
	if (pr->tail == k)
		pr->tail = prev;
	k->next = NULL;
	pr->len--;
	return k;
}

/* Hand one packet to its receiver; expect acceptance unless forged. */
static void hand_over(struct sim *s, const struct sim_pkt *k, bool bad, const char *what)
{
	struct sim_node *n = &s->node[k->to];
	int r;

	r = dsm_proto_recv(n->p, k->from, k->msg, sizeof(k->msg), k->has_page ? k->page : NULL);
	if (bad && r != -EPROTO)
		sim_fail(s, "node %u accepted %s from node %u (returned %d)", k->to, what, k->from,
			 r);
	if (!bad && r != 0)
		sim_fail(s, "node %u rejected a real message from node %u: %d (%s)", k->to, k->from,
			 r, dsm_reject_name(dsm_proto_last_reject(n->p)));
}

bool sim_net_deliver(struct sim *s)
{
	struct sim_pair *list[SIM_MAX_NODES * SIM_MAX_NODES], *pr;
	unsigned nr = 0, idx = 0;
	struct sim_pkt *k;
	struct dsm_msg m;

	for (unsigned f = 0; f < s->cfg.nodes; f++)
		for (unsigned t = 0; t < s->cfg.nodes; t++)
			if (s->pair[f][t].len)
				list[nr++] = &s->pair[f][t];
	if (!nr)
		return false;
	pr = list[sim_below(s, nr)];
	if (s->cfg.reorder && pr->head->overtaken < 16)
		idx = sim_below(s, pr->len < 8 ? pr->len : 8);
	k = unlink_at(pr, idx);
	s->in_flight--;
	dsm_msg_decode(k->msg, sizeof(k->msg), &m);
	sim_trace(s, "recv %u->%u %s page %llu rid %u seq %u%s", k->from, k->to,
		  dsm_msg_type_name(m.type), (unsigned long long)m.page, m.rid, m.seq,
		  idx ? " (overtook)" : "");
	hand_over(s, k, k->forged, "a forged message");
	free(pr->last);
	pr->last = k;
	return true;
}

static void pick_pair(struct sim *s, unsigned *from, unsigned *to)
{
	*from = sim_below(s, s->cfg.nodes);
	*to = (*from + 1 + sim_below(s, s->cfg.nodes - 1)) % s->cfg.nodes;
}

/* A well-formed message that makes no sense to its receiver, queued behind
 * the pair's real traffic with its own sequence number. */
static void forge(struct sim *s)
{
	struct sim_pkt *k = calloc(1, sizeof(*k));
	unsigned f, t, n = s->cfg.nodes, kind = sim_below(s, 9);
	struct dsm_msg m = {.page = sim_below(s, s->cfg.pages)};
	struct sim_pair *pr;

	if (!k)
		abort();
	pick_pair(s, &f, &t);
	m.rid = 0x80000000u | (uint32_t)sim_below(s, 1u << 30); /* never issued */
	switch (kind) {
	case 0: /* data nobody asked for */
		m.type = DSM_MSG_DATA;
		m.home = (uint8_t)f;
		m.flags = sim_below(s, 2) ? DSM_MF_WRITE : 0;
		k->has_page = true;
		memset(k->page, 0x5a, DSM_PAGE_SIZE);
		break;
	case 1:
		m.type = DSM_MSG_GRANT;
		m.home = (uint8_t)f;
		m.flags = DSM_MF_WRITE | (sim_below(s, 2) ? DSM_MF_ZERO : DSM_MF_UPGRADE);
		break;
	case 2:
		m.type = DSM_MSG_INV_ACK;
		break;
	case 3:
		m.type = DSM_MSG_DONE;
		m.flags = sim_below(s, 2) ? DSM_MF_WRITE : 0;
		break;
	case 4: /* a request on behalf of someone else, not forwarded; or one
		 * "forwarded" back to the node it names, which never made it */
		m.type = DSM_MSG_REQ;
		if (sim_below(s, 2)) {
			m.hops = 1;
			m.node = (uint8_t)t;
			break;
		}
		m.rid = 1;
		m.node = (uint8_t)((f + 1 + sim_below(s, n - 1)) % n);
		break;
	case 5: /* a forward that does not come from the home it names */
		m.type = DSM_MSG_FWD;
		m.node = (uint8_t)f;
		m.home = (uint8_t)t;
		break;
	case 6:
		m.type = DSM_MSG_INV;
		m.node = (uint8_t)t; /* acks to the receiver itself */
		break;
	case 7: /* a directory with nodes that do not exist */
		m.type = DSM_MSG_HOME_MOVE;
		m.rid = 0;
		m.node = (uint8_t)f;
		m.copyset = (1ull << f) | (1ull << (n + sim_below(s, 64 - n)));
		break;
	default: /* page out of range */
		m.type = DSM_MSG_INV_ACK;
		m.page = s->cfg.pages + sim_below(s, 1000);
		break;
	}
	pr = &s->pair[f][t];
	m.seq = ++pr->wire_seq;
	dsm_msg_encode(&m, k->msg);
	k->m = m;
	k->from = f;
	k->to = t;
	k->forged = true;
	pair_append(s, pr, k);
	s->stat_forged++;
	sim_trace(s, "forge %u->%u %s page %llu", f, t, dsm_msg_type_name(m.type),
		  (unsigned long long)m.page);
}

/* A real message (one in flight or the last delivered of a random pair) of a
 * kind that only the page's home (GRANT, FWD, INV, HOME_MOVE) or the
 * transaction's requester (DONE) may send, replayed to its receiver from
 * another node: right type, real page, real rid, plausible fields (a FWD or
 * GRANT names its sender as the home), wrong sender. Handed over at once
 * (what the receiver knows now decides) with the next sequence number of
 * the forging pair. A DONE gets a rid never issued: a node's own rids are
 * small numbers, so a real one may be the forger's own open request. */
static void forge_unauthorised(struct sim *s)
{
	unsigned n = s->cfg.nodes, f0 = sim_below(s, n), t0 = sim_below(s, n), f, t,
		 cand[SIM_MAX_NODES];
	const struct sim_pkt *src;
	struct sim_pair *pr = &s->pair[f0][t0];
	struct sim_pkt k = {0};
	struct dsm_msg m;
	unsigned nc = 0;

	src = pr->head && sim_below(s, 2) ? pr->head : pr->last;
	if (!src || dsm_msg_decode(src->msg, sizeof(src->msg), &m) != DSM_MSG_OK)
		return;
	if (m.type == DSM_MSG_DATA || m.type == DSM_MSG_INV_ACK || m.type == DSM_MSG_REQ)
		return;
	t = src->to;
	for (unsigned c = 0; c < n; c++) {
		if (c == t || c == src->from)
			continue;
		if (m.type != DSM_MSG_DONE && c == dsm_proto_home_hint(s->node[t].p, m.page))
			continue;
		cand[nc++] = c;
	}
	if (!nc)
		return;
	f = cand[sim_below(s, nc)];
	if (s->pair[f][t].len > 32) /* keep the real packets inside the window */
		return;
	if (m.type == DSM_MSG_FWD || m.type == DSM_MSG_GRANT)
		m.home = (uint8_t)f;
	if (m.type == DSM_MSG_DONE)
		m.rid = 0x80000000u | (uint32_t)sim_below(s, 1u << 30);
	m.seq = ++s->pair[f][t].wire_seq;
	dsm_msg_encode(&m, k.msg);
	k.from = f;
	k.to = t;
	s->stat_unauth++;
	sim_trace(s, "unauthorised %u->%u %s page %llu rid %u (real one %u->%u)", f, t,
		  dsm_msg_type_name(m.type), (unsigned long long)m.page, m.rid, src->from, t);
	hand_over(s, &k, true, "a message only another node may send");
}

void sim_net_inject(struct sim *s)
{
	struct sim_pkt k = {0};
	unsigned kind = sim_below(s, 6), f, t;

	pick_pair(s, &f, &t);
	k.from = f;
	k.to = t;
	switch (kind) {
	case 0: { /* random bytes, random length */
		unsigned len = sim_below(s, DSM_MSG_SIZE + 9);
		for (unsigned i = 0; i < sizeof(k.msg); i++)
			k.msg[i] = (uint8_t)sim_rand(s);
		if (sim_below(s, 2)) { /* a plausible start */
			k.msg[0] = DSM_MSG_MAGIC & 0xff;
			k.msg[1] = DSM_MSG_MAGIC >> 8;
			k.msg[2] = DSM_MSG_VERSION;
		}
		s->stat_junk++;
		sim_trace(s, "junk %u->%u %u bytes", f, t, len);
		if (dsm_proto_recv(s->node[t].p, f, k.msg, len, NULL) != -EPROTO)
			sim_fail(s, "node %u accepted %u random bytes", t, len);
		return;
	}
	case 1:
	case 2: { /* duplicate or corrupted copy of the last delivered packet */
		struct sim_pkt *last = s->pair[f][t].last;
		if (!last)
			return;
		k = *last;
		k.next = NULL;
		if (kind == 2) {
			unsigned bit = sim_below(s, DSM_MSG_SIZE * 8);
			k.msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			s->stat_junk++;
			sim_trace(s, "corrupt %u->%u bit %u", f, t, bit);
			hand_over(s, &k, true, "a corrupted message");
		} else {
			s->stat_dups++;
			sim_trace(s, "duplicate %u->%u", f, t);
			hand_over(s, &k, true, "a duplicate");
		}
		return;
	}
	case 5:
		forge_unauthorised(s);
		return;
	default:
		forge(s);
		return;
	}
}

void sim_net_free(struct sim *s)
{
	for (unsigned f = 0; f < SIM_MAX_NODES; f++)
		for (unsigned t = 0; t < SIM_MAX_NODES; t++) {
			struct sim_pair *pr = &s->pair[f][t];
			while (pr->head) {
				struct sim_pkt *k = pr->head;
				pr->head = k->next;
				free(k);
			}
			free(pr->last);
			pr->last = NULL;
			pr->tail = NULL;
			pr->len = 0;
		}
	s->in_flight = 0;
}
