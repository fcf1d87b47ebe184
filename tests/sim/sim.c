// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/sim.c — deterministic simulator of the DSM protocol (see sim.h).
 *
 *   dsm-sim --seeds 1-5000 [--nodes N] [--ops N] [--reorder|--fifo]
 *           [--junk PERMILLE] [--verbose]
 *
 * (main and the run loop: sim_main.c)
 *
 * Each seed builds a random cluster (2-5 nodes, 1-8 pages with random homes,
 * 1-3 vCPUs per node, random policies) and runs a random workload of reads,
 * writes and atomic increments, and checks the invariants after every step
 * (sim_check.c; which ones hold when: docs/dsm-protocol.md, Tests). On
 * failure: the seed, its configuration and the last 64 steps, exit 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "tests/sim/sim.h"

uint64_t sim_rand(struct sim *s)
{
	/* splitmix64 */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	char *line = s->trace[s->trace_pos++ % 64];
	int n = snprintf(line, 160, "%8llu ", (unsigned long long)s->steps);

	va_start(ap, fmt);
	vsnprintf(line + n, 160 - (size_t)n, fmt, ap);
	va_end(ap);
	if (s->opt.verbose)
		fprintf(stderr, "%s\n", line);
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(s->fail_msg, sizeof(s->fail_msg), fmt, ap);
	va_end(ap);
	s->failed = s->fail_msg;
}

/* ---- the runtime side of each node: dsm_proto_ops ---- */

static int op_send(void *ctx, unsigned to, const void *msg, size_t len, const void *page)
{
	struct sim_node *n = ctx;
	return sim_net_send(n->sim, n->id, to, msg, len, page);
}

/* The mapping model: the action must be legal for this node's mapping. */
static void map_act(struct sim_node *n, uint64_t page, enum dsm_map_act act)
{
	uint8_t before = n->map[page];

	if (!dsm_map_apply(&n->map[page], act))
		sim_fail(n->sim, "node %u: %s of page %llu mapped %s", n->id, dsm_map_act_name(act),
			 (unsigned long long)page,
			 before == DSM_MAP_RW   ? "writable"
			 : before == DSM_MAP_RO ? "read-only"
						: "nowhere");
}

static int op_install(void *ctx, uint64_t page, const void *data, bool writable)
{
	struct sim_node *n = ctx;
	struct sim *s = n->sim;

	sim_trace(s, "node %u install page %llu %s%s", n->id, (unsigned long long)page,
		  writable ? "rw" : "ro", data ? "" : " zero");
	if (sim_others_map(s, n->id, page, !writable))
		sim_fail(s, "node %u: install %s of page %llu while another node maps it%s", n->id,
			 writable ? "rw" : "ro", (unsigned long long)page,
			 writable ? "" : " writable");
	map_act(n, page, writable ? DSM_ACT_INSTALL_RW : DSM_ACT_INSTALL_RO);
	if (data)
		memcpy(n->mem[page], data, DSM_PAGE_SIZE);
	else
		memset(n->mem[page], 0, DSM_PAGE_SIZE);
	return 0;
}

static int op_protect(void *ctx, uint64_t page)
{
	struct sim_node *n = ctx;

	sim_trace(n->sim, "node %u protect page %llu", n->id, (unsigned long long)page);
	map_act(n, page, DSM_ACT_PROTECT);
	return 0;
}

static int op_unprotect(void *ctx, uint64_t page)
{
	struct sim_node *n = ctx;

	sim_trace(n->sim, "node %u unprotect page %llu", n->id, (unsigned long long)page);
	if (sim_others_map(n->sim, n->id, page, false))
		sim_fail(n->sim, "node %u: unprotect of page %llu while another node maps it",
			 n->id, (unsigned long long)page);
	map_act(n, page, DSM_ACT_UNPROTECT);
	return 0;
}

static int op_drop(void *ctx, uint64_t page)
{
	struct sim_node *n = ctx;

	sim_trace(n->sim, "node %u drop page %llu", n->id, (unsigned long long)page);
	map_act(n, page, DSM_ACT_DROP);
	memset(n->mem[page], 0xa5, DSM_PAGE_SIZE); /* stale data must never be seen */
	return 0;
}

static const void *op_read_page(void *ctx, uint64_t page)
{
	struct sim_node *n = ctx;

	if (!dsm_map_apply(&n->map[page], DSM_ACT_READ)) {
		sim_fail(n->sim, "node %u: read_page of unmapped page %llu", n->id,
			 (unsigned long long)page);
		return NULL;
	}
	return n->mem[page];
}

static void op_wake(void *ctx, uint64_t page, uint64_t token)
{
	struct sim_node *n = ctx;
	struct sim_vcpu *v;

	if (token >= n->sim->nr_vcpus) {
		sim_fail(n->sim, "node %u: wake of unknown token %llu", n->id,
			 (unsigned long long)token);
		return;
	}
	v = &n->sim->vcpu[token];
	sim_trace(n->sim, "node %u wake vcpu %u page %llu", n->id, v->id, (unsigned long long)page);
	if (v->node != n->id || !v->blocked || v->page != page)
		sim_fail(n->sim, "node %u: spurious wake of vcpu %u (page %llu)", n->id, v->id,
			 (unsigned long long)page);
	v->blocked = false;
}

static const struct dsm_proto_ops sim_ops = {
    .send = op_send,
    .install = op_install,
    .protect = op_protect,
    .unprotect = op_unprotect,
    .drop = op_drop,
    .read_page = op_read_page,
    .wake = op_wake,
};

static unsigned home_of(void *ctx, uint64_t page)
{
	struct sim_node *n = ctx;
	return n->sim->cfg.home[page];
}

/* ---- set-up ---- */

static void random_cfg(struct sim *s)
{
	struct sim_cfg *c = &s->cfg;

	c->nodes = s->opt.nodes ? s->opt.nodes : 2 + sim_below(s, SIM_MAX_NODES - 1);
	c->pages = s->opt.pages ? s->opt.pages : 1 + sim_below(s, 8);
	c->vcpus = 1 + sim_below(s, SIM_MAX_VCPUS);
	c->ops = s->opt.ops / 2 + sim_below(s, s->opt.ops + 1);
	c->reorder = s->opt.reorder >= 0 ? s->opt.reorder : sim_below(s, 3) == 0;
	c->junk = s->opt.junk;
	for (unsigned i = 0; i < c->pages; i++)
		c->home[i] = sim_below(s, c->nodes);
	dsm_policy_defaults(&c->pol);
	c->pol.first_touch = sim_below(s, 4) != 0;
	c->pol.replication = sim_below(s, 4) != 0;
	c->pol.migrate_after = sim_below(s, 2) ? 0 : 1 + sim_below(s, 4);
	if (sim_below(s, 5) < 2) {
		c->pol.pingpong_threshold = 1 + sim_below(s, 6);
		c->pol.pingpong_window_ms = 1 + sim_below(s, 20);
		c->pol.pin_ms = 1 + sim_below(s, 20);
		c->pol.pin_hold_us = 50 + sim_below(s, 500);
		c->pol.max_pinned = 1 + sim_below(s, 4);
	}
}

void sim_describe(const struct sim *s, char *buf, unsigned size)
{
	char pol[256];
	int n;

	dsm_policy_format(&s->cfg.pol, pol, sizeof(pol));
	n = snprintf(buf, size,
		     "nodes=%u pages=%u vcpus/node=%u ops/vcpu=%u net=%s homes=", s->cfg.nodes,
		     s->cfg.pages, s->cfg.vcpus, s->cfg.ops, s->cfg.reorder ? "reorder" : "fifo");
	for (unsigned i = 0; i < s->cfg.pages && n < (int)size; i++)
		n += snprintf(buf + n, size - (size_t)n, "%u", s->cfg.home[i]);
	if (n < (int)size)
		snprintf(buf + n, size - (size_t)n, " %s", pol);
}

int sim_setup(struct sim *s)
{
	unsigned max_pending = sim_below(s, 2) ? 64 : 1 + sim_below(s, 3);
	unsigned max_waiters = max_pending == 64 ? 0 : max_pending + sim_below(s, 4);

	random_cfg(s);
	for (unsigned i = 0; i < s->cfg.nodes; i++) {
		struct dsm_proto_params prm = {
		    .self = i,
		    .nr_nodes = s->cfg.nodes,
		    .nr_pages = s->cfg.pages,
		    .home_of = home_of,
		    .ops = &sim_ops,
		    .ctx = &s->node[i],
		    .max_pending = max_pending,
		    .max_waiters = max_waiters,
		    .policy = s->cfg.pol,
		    /* keyed rids on two seeds in three, sequential on the rest */
		    .rid_key = s->seed % 3 ? sim_rand(s) | 1 : 0,
		};
		s->node[i].id = i;
		s->node[i].sim = s;
		s->node[i].mem = calloc(s->cfg.pages, DSM_PAGE_SIZE);
		if (!s->node[i].mem)
			return -1;
		if (dsm_proto_create(&prm, &s->node[i].p))
			return -1;
	}
	for (unsigned i = 0; i < s->cfg.nodes * s->cfg.vcpus; i++) {
		struct sim_vcpu *v = &s->vcpu[i];
		v->node = i / s->cfg.vcpus;
		v->id = i;
		v->ops_left = s->cfg.ops;
	}
	s->nr_vcpus = s->cfg.nodes * s->cfg.vcpus;
	return 0;
}

/* ---- the workload ---- */

static void new_op(struct sim *s, struct sim_vcpu *v)
{
	unsigned k = sim_below(s, 100);

	v->kind = k < 40 ? 0 : k < 75 ? 1 : 2;
	/* half of the accesses go to pages 0-1: contention */
	v->page = sim_below(s, 2) ? sim_below(s, s->cfg.pages < 2 ? s->cfg.pages : 2)
				  : sim_below(s, s->cfg.pages);
	if (v->kind == 0)
		v->slot = sim_below(s, SIM_SLOTS);
	else if (v->kind == 1)
		v->slot = sim_below(s, SIM_RW_SLOTS);
	else
		v->slot = SIM_RW_SLOTS + sim_below(s, SIM_CNT_SLOTS);
	v->has_op = true;
}

void sim_vcpu_step(struct sim *s, struct sim_vcpu *v)
{
	struct sim_node *n = &s->node[v->node];
	uint8_t *mem;
	bool write;
	uint64_t val;
	int r;

	if (!v->has_op)
		new_op(s, v);
	mem = n->mem[v->page];
	write = v->kind != 0;
	if (n->map[v->page] == DSM_MAP_RW || (!write && n->map[v->page] == DSM_MAP_RO)) {
		val = sim_word(mem, v->slot);
		if (val != s->shadow[v->page][v->slot])
			sim_fail(s,
				 "vcpu %u on node %u read %#llx from page %u slot %u, last "
				 "granted write was %#llx",
				 v->id, v->node, (unsigned long long)val, v->page, v->slot,
				 (unsigned long long)s->shadow[v->page][v->slot]);
		if (v->kind == 1)
			val = ((uint64_t)(v->id + 1) << 40) | s->stat_ops;
		else if (v->kind == 2) {
			val++;
			s->increments[v->page][v->slot - SIM_RW_SLOTS]++;
		}
		if (write) {
			sim_set_word(mem, v->slot, val);
			s->shadow[v->page][v->slot] = val;
		}
		sim_trace(s, "vcpu %u node %u %s page %u slot %u = %#llx", v->id, v->node,
			  v->kind == 0   ? "read"
			  : v->kind == 1 ? "write"
					 : "inc",
			  v->page, v->slot, (unsigned long long)val);
		v->has_op = false;
		v->ops_left--;
		s->stat_ops++;
		return;
	}
	sim_trace(s, "vcpu %u node %u %s fault page %u", v->id, v->node, write ? "write" : "read",
		  v->page);
	v->blocked = true;
	v->faults++;
	s->stat_faults++;
	r = dsm_proto_fault(n->p, v->page, write, v->id);
	if (r == DSM_FAULT_DONE || r == -EAGAIN)
		v->blocked = false;
	else if (r != DSM_FAULT_WAIT)
		sim_fail(s, "node %u: fault on page %u returned %d", v->node, v->page, r);
}
