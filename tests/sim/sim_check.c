// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/sim_check.c — the invariants the DSM simulator checks (see
 * sim.h; the page-level coherence rules themselves are proto_check.c).
 *
 * After every step, for every page:
 *   - at most one node maps it writable, and then no other maps it;
 *   - every mapped copy holds the last granted write of every checked word
 *     (reads are compared with the same shadow in sim_vcpu_step());
 *   - each node's protocol state matches its mapping;
 *   - its coherence across the nodes, dsm_check_page(), given what is in
 *     flight about it: the directory exactly when the page is settled (no
 *     real message about it in flight, no fault open on it, its home not
 *     busy), the properties that hold mid-transaction otherwise.
 * When the whole network is quiet: every page settled, every home idle.
 * At the end: no open request or transaction, increments counted exactly,
 * whole pages compared, every node's local invariants (dsm_check_node()).
 */
#include <stdio.h>
#include <string.h>

#include "tests/sim/sim.h"

/* One page's mappings and contents on every node. */
static void check_mappings(struct sim *s, unsigned pg)
{
	unsigned rw = 0, mapped = 0;
	char why[200];

	for (unsigned i = 0; i < s->cfg.nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (n->map[pg] != DSM_MAP_NONE) {
			mapped++;
			for (unsigned k = 0; k < SIM_SLOTS; k++)
				if (sim_word(n->mem[pg], k) != s->shadow[pg][k])
					sim_fail(s,
						 "node %u maps page %u with slot %u = %#llx, "
						 "last granted write %#llx",
						 i, pg, k,
						 (unsigned long long)sim_word(n->mem[pg], k),
						 (unsigned long long)s->shadow[pg][k]);
		}
		rw += n->map[pg] == DSM_MAP_RW;
		if (!dsm_check_mapping(n->p, i, pg, n->map[pg], s->cfg.pol.first_touch, why,
				       sizeof(why)))
			sim_fail(s, "%s", why);
	}
	if (rw > 1 || (rw == 1 && mapped > 1))
		sim_fail(s, "page %u: %u writable mappings, %u mappings", pg, rw, mapped);
}

/* What is in flight about each page (real packets only: a forged one must be
 * rejected and change nothing), and which nodes have a fault open on it (a
 * vCPU of theirs blocked on it: every open request has a waiter). */
static void collect_flight(struct sim *s)
{
	memset(s->flight, 0, s->cfg.pages * sizeof(s->flight[0]));
	for (unsigned f = 0; f < s->cfg.nodes; f++)
		for (unsigned t = 0; t < s->cfg.nodes; t++)
			for (const struct sim_pkt *k = s->pair[f][t].head; k; k = k->next) {
				struct dsm_page_flight *pf;

				if (k->forged || k->m.page >= s->cfg.pages)
					continue;
				pf = &s->flight[k->m.page];
				pf->msgs++;
				if (k->m.type == DSM_MSG_HOME_MOVE) {
					pf->moves++;
					pf->move_to = (uint8_t)t;
					pf->move_owner = k->m.node;
					pf->move_copyset = k->m.copyset;
				} else if (k->m.type == DSM_MSG_DONE) {
					pf->done_from |= 1ull << f;
				} else if (k->m.type == DSM_MSG_DATA) {
					pf->data_from |= 1ull << f;
				}
			}
	for (unsigned i = 0; i < s->nr_vcpus; i++)
		if (s->vcpu[i].blocked)
			s->flight[s->vcpu[i].page].open |= 1ull << s->vcpu[i].node;
}

void sim_check_step(struct sim *s)
{
	struct dsm_proto *p[SIM_MAX_NODES];
	char why[256];

	for (unsigned i = 0; i < s->cfg.nodes; i++)
		p[i] = s->node[i].p;
	collect_flight(s);
	for (unsigned pg = 0; pg < s->cfg.pages && !s->failed; pg++) {
		check_mappings(s, pg);
		switch (dsm_check_page(p, s->cfg.nodes, pg, &s->flight[pg], why, sizeof(why))) {
		case DSM_PAGE_SETTLED:
			s->stat_settled++;
			break;
		case DSM_PAGE_IN_TRANSITION:
			s->stat_transit++;
			break;
		default:
			sim_fail(s, "%s", why);
		}
	}
}

bool sim_quiescent(struct sim *s)
{
	if (s->in_flight)
		return false;
	for (unsigned i = 0; i < s->cfg.nodes; i++)
		if (!dsm_proto_idle(s->node[i].p))
			return false;
	return true;
}

/* With nothing in flight and every node idle, every page must be settled
 * (sim_check_step() ran on this state just before). */
void sim_check_directory(struct sim *s)
{
	struct dsm_proto *p[SIM_MAX_NODES];
	struct dsm_page_flight none = {0};
	char why[256];

	s->stat_quiet++;
	for (unsigned i = 0; i < s->cfg.nodes; i++)
		p[i] = s->node[i].p;
	for (unsigned pg = 0; pg < s->cfg.pages && !s->failed; pg++) {
		int r = dsm_check_page(p, s->cfg.nodes, pg, &none, why, sizeof(why));

		if (r == DSM_PAGE_VIOLATED)
			sim_fail(s, "%s", why);
		else if (r != DSM_PAGE_SETTLED)
			sim_fail(s, "page %u: home busy while every node is idle", pg);
	}
}

/* Each node's own invariants and counters. */
static void check_counters(struct sim *s)
{
	char why[256];

	for (unsigned i = 0; i < s->cfg.nodes; i++) {
		const struct dsm_counters *c = dsm_proto_counters(s->node[i].p);

		if (!dsm_check_node(s->node[i].p, i, s->cfg.nodes, s->cfg.pages, NULL, why,
				    sizeof(why)))
			sim_fail(s, "%s", why);
		if (c->rejected_total == 0 && s->cfg.junk && s->steps > 20000)
			sim_fail(s, "node %u: no bad input rejected in %llu steps", i,
				 (unsigned long long)s->steps);
	}
}

void sim_check_final(struct sim *s)
{
	static const uint8_t zero[DSM_PAGE_SIZE];

	check_counters(s);

	for (unsigned pg = 0; pg < s->cfg.pages; pg++) {
		bool nonzero = false, mapped = false;

		for (unsigned k = 0; k < SIM_SLOTS; k++)
			nonzero |= s->shadow[pg][k] != 0;
		for (unsigned i = 0; i < s->cfg.nodes; i++)
			mapped |= s->node[i].map[pg] != DSM_MAP_NONE;
		if (nonzero && !mapped)
			sim_fail(s, "page %u: written, but no node holds it any more", pg);
		for (unsigned k = 0; k < SIM_CNT_SLOTS; k++)
			if (s->shadow[pg][SIM_RW_SLOTS + k] != s->increments[pg][k])
				sim_fail(s, "page %u counter %u: %llu after %llu increments", pg, k,
					 (unsigned long long)s->shadow[pg][SIM_RW_SLOTS + k],
					 (unsigned long long)s->increments[pg][k]);
		for (unsigned i = 0; i < s->cfg.nodes; i++) {
			uint8_t img[DSM_PAGE_SIZE];

			if (s->node[i].map[pg] == DSM_MAP_NONE)
				continue;
			/* the whole page: the checked words, zero elsewhere */
			memcpy(img, s->node[i].mem[pg], DSM_PAGE_SIZE);
			for (unsigned k = 0; k < SIM_SLOTS; k++)
				sim_set_word(img, k, 0);
			if (memcmp(img, zero, DSM_PAGE_SIZE))
				sim_fail(s,
					 "node %u page %u: bytes outside the checked words "
					 "changed",
					 i, pg);
		}
	}
}
