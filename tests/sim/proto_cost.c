// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/proto_cost.c — CPU cost of the protocol state machines alone:
 * N instances in one thread, messages handed over in memory (the page
 * contents copied as a transport would), actions doing nothing else. Prints
 * nanoseconds per completed fault for remote read, remote write with 0, 1
 * and 3 copies to invalidate, and in-place upgrade, all nodes' work summed.
 * This is the protocol's share of a fault's service time, to be compared
 * with the userfaultfd and transport floors (bench/).
 *
 *   dsm-proto-cost [iterations]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/num.h"
#include "dsm/proto.h"

#define MAXN 5
#define PAGES 1024

struct cnode {
	struct dsm_proto *p;
	unsigned id;
	uint8_t *mem;
};

struct cmsg {
	unsigned from, to;
	uint8_t buf[DSM_MSG_SIZE];
	bool page;
	uint8_t data[DSM_PAGE_SIZE];
};

static struct cnode nodes[MAXN];
static struct cmsg q[64];
static unsigned qhead, qlen;

static int c_send(void *ctx, unsigned to, const void *msg, size_t len, const void *page)
{
	struct cnode *n = ctx;
	struct cmsg *m = &q[(qhead + qlen++) % 64];

	m->from = n->id;
	m->to = to;
	memcpy(m->buf, msg, len);
	m->page = page != NULL;
	if (page)
		memcpy(m->data, page, DSM_PAGE_SIZE);
	return 0;
}

static int c_install(void *ctx, uint64_t page, const void *data, bool w)
{
	struct cnode *n = ctx;
	if (data)
		memcpy(n->mem + page * DSM_PAGE_SIZE, data, DSM_PAGE_SIZE);
	else
		memset(n->mem + page * DSM_PAGE_SIZE, 0, DSM_PAGE_SIZE);
	return 0;
}

static int c_nop(void *ctx, uint64_t page)
{
	return 0;
}

static const void *c_read(void *ctx, uint64_t page)
{
	struct cnode *n = ctx;
	return n->mem + page * DSM_PAGE_SIZE;
}

static void c_wake(void *ctx, uint64_t page, uint64_t token)
{
}

static const struct dsm_proto_ops ops = {c_send, c_install, c_nop, c_nop, c_nop, c_read, c_wake};

static unsigned home_of(void *ctx, uint64_t page)
{
	return 0;
}

static void run(void)
{
	while (qlen) {
		struct cmsg *m = &q[qhead];
		qhead = (qhead + 1) % 64;
		qlen--;
		if (dsm_proto_recv(nodes[m->to].p, m->from, m->buf, DSM_MSG_SIZE,
				   m->page ? m->data : NULL)) {
			fprintf(stderr, "dsm-proto-cost: message rejected\n");
			exit(1);
		}
	}
}

static void fault(unsigned n, uint64_t page, bool write)
{
	if (dsm_proto_fault(nodes[n].p, page, write, 1) < 0) {
		fprintf(stderr, "dsm-proto-cost: fault failed\n");
		exit(1);
	}
	run();
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void setup(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct dsm_proto_params prm = {.self = i,
					       .nr_nodes = n,
					       .nr_pages = PAGES,
					       .home_of = home_of,
					       .ops = &ops,
					       .ctx = &nodes[i]};
		dsm_policy_defaults(&prm.policy);
		nodes[i].id = i;
		nodes[i].mem = calloc(PAGES, DSM_PAGE_SIZE);
		if (!nodes[i].mem || dsm_proto_create(&prm, &nodes[i].p))
			exit(1);
	}
}

static void teardown(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		dsm_proto_destroy(nodes[i].p);
		free(nodes[i].mem);
	}
}

/* Home 0; node 1 owns every page exclusive; `copies` readers (nodes 3..)
 * hold it; node 2 then faults (read or write). Time only node 2's fault. */
static double measure(unsigned copies, bool write, bool upgrade, unsigned iters)
{
	unsigned n = 3 + copies;
	double total = 0;

	setup(n);
	for (unsigned it = 0; it < iters; it++) {
		uint64_t pg = it % PAGES;
		double t0;

		fault(1, pg, true);
		for (unsigned c = 0; c < copies; c++)
			fault(3 + c, pg, false);
		if (upgrade)
			fault(2, pg, false);
		t0 = now();
		fault(2, pg, write);
		total += now() - t0;
	}
	teardown(n);
	return total / iters;
}

/* Best of 5 runs: the machine is shared, the minimum is the cost. */
static double best(unsigned copies, bool write, bool upgrade, unsigned iters)
{
	double b = 1e18;

	for (int r = 0; r < 5; r++) {
		double v = measure(copies, write, upgrade, iters);
		if (v < b)
			b = v;
	}
	return b;
}

int main(int argc, char **argv)
{
	unsigned iters = 20000;

	if (argc > 2) {
		fprintf(stderr, "usage: dsm-proto-cost [ITERATIONS]\n");
		return 2;
	}
	if (argc > 1)
		iters = num_flag_uint("dsm-proto-cost", "ITERATIONS", argv[1], 1, 100000000);

	printf("dsm-proto-cost: protocol CPU per fault, all nodes' work, page copies included "
	       "(%u iterations, best of 5)\n",
	       iters);
	printf("  remote read (owner downgrades)   %7.0f ns\n", best(0, false, false, iters));
	printf("  remote write, 0 copies           %7.0f ns\n", best(0, true, false, iters));
	printf("  remote write, 1 copy             %7.0f ns\n", best(1, true, false, iters));
	printf("  remote write, 2 copies           %7.0f ns\n", best(2, true, false, iters));
	printf("  upgrade in place, 1 other copy   %7.0f ns\n", best(0, true, true, iters));
	return 0;
}
