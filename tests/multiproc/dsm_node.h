/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/multiproc/dsm_node.h — what the two files of the DSM stress node
 * share: its options, the region, the check-failure counter, the layout
 * helpers over dsm_check.h and the worker state. dsm_node.c parses the
 * options and runs the workers (with the test-only fault injection);
 * dsm_final.c runs the phases after the run (reports, the bounded barriers,
 * the final-image check, node 0's verdict). Everything here is used by the
 * main thread and the workers of one dsm-node process.
 */
#ifndef SSIVM_TESTS_DSM_NODE_H
#define SSIVM_TESTS_DSM_NODE_H

#include "common/log.h"
#include "dsm/policy.h"
#include "tests/multiproc/dsm_check.h"

#include <pthread.h>
#include <stdint.h>

/*
 * Faults injected on purpose (--inject KIND, test-only, never on by default),
 * each by worker 0 of the node given the flag, once it has done INJECT_AFTER
 * operations:
 *  - lost write: its writes to one data page (the next one it writes) land in
 *    a private copy instead of the region, as if the DSM dropped them;
 *  - stale read: it reads every data page from a copy it took then, as if
 *    this node kept pages the protocol had invalidated;
 *  - stall: after its final-image check the node stops taking part (never
 *    arrives at the second barrier) but stays alive and connected.
 * The first two must make the checks fail; the third the barrier time out.
 */
enum inject_kind { INJECT_NONE, INJECT_LOST_WRITE, INJECT_STALE_READ, INJECT_STALL };
#define INJECT_AFTER 16u

struct node_opt {
	unsigned node, nodes, threads, seconds, pages, spin_us, peer_timeout_ms;
	unsigned barrier_timeout_ms;
	int evil; /* the misbehaving member (dsm-evil), -1: none */
	enum inject_kind inject;
	const char *tls, *metrics;
	char *addrs[MAX_NODES];
	uint64_t seed;
	struct dsm_policy policy;
};

extern struct node_opt opt;
extern char *mem;       /* the region (dsm_runtime_base) */
extern uint64_t errors; /* check failures on this node (atomic) */
/* failures logged so far during the run and in the final image: each logs
 * its first 20, so a run full of failures still shows the final image's */
extern uint64_t logged_run, logged_final;

#define CHECK_FAIL_LOG(budget, ...)                                                                \
	do {                                                                                       \
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);                                  \
		if (__atomic_fetch_add(&(budget), 1, __ATOMIC_RELAXED) < 20)                       \
			pr_err("CHECK FAILED: " __VA_ARGS__);                                      \
	} while (0)
#define CHECK_FAIL(...) CHECK_FAIL_LOG(logged_run, __VA_ARGS__)

/* nodes that run dsm-node (all but the misbehaving one) */
static inline unsigned nr_honest(void)
{
	return opt.nodes - (opt.evil >= 0);
}

static inline unsigned nr_writers(void)
{
	return opt.nodes * opt.threads;
}

static inline unsigned data_page(unsigned i)
{
	unsigned usable = opt.pages - NR_FIXED - MAX_NODES;

	return NR_FIXED + (unsigned)((uint64_t)i * usable / DATA_PAGES);
}

static inline unsigned bulk_page(unsigned w)
{
	return data_page(2 * w) + 1;
}

static inline unsigned report_page(unsigned n)
{
	return opt.pages - MAX_NODES + n;
}

static inline uint64_t *page_u64(unsigned page)
{
	return (uint64_t *)(mem + (size_t)page * PG);
}

static inline uint64_t *counter(unsigned c)
{
	return page_u64(PG_COUNTERS + c / 4) + (c % 4) * 128;
}

struct worker {
	pthread_t th;
	unsigned t, w;
	uint64_t rng;
	uint64_t seq[DATA_PAGES], bulk_seq, incs[COUNTERS];
	uint64_t seen[DATA_PAGES][MAX_WRITERS], seen_bulk[MAX_WRITERS];
	uint64_t ops[5];
	/* fault injection (worker 0 of the injecting node only) */
	enum inject_kind inject;
	int lost_page;         /* lost write: the data page, -1: not chosen yet */
	uint64_t lost_copy;    /* lost write: where its writes to lost_page go */
	uint64_t lost_from;    /* lost write: the first seq that was lost */
	uint64_t *stale;       /* stale read: [DATA_PAGES][MAX_WRITERS] snapshot */
	uint64_t inject_at_op; /* when the injection began (its op count) */
};

/* dsm_node.c: a consistent read of writer w's bulk page (see dsm_check.h);
 * the seq it showed, or UINT64_MAX if it was being written. */
uint64_t bulk_read(unsigned w, const char *what);

/* dsm_final.c */
void publish_report(const struct worker *ws);
void check_final_image(void);
/*
 * The phases after the run, each wait bounded by opt.barrier_timeout_ms:
 * every node arrives at barrier 0 after publishing its report; then checks
 * the final image (check_final_image) and arrives at barrier 1; node 0 waits
 * for barrier 1 and writes its verdict (1: final image right everywhere it
 * checked, 2: wrong) into every other node's release page, which that node
 * waits for. Returns the verdict, or -ETIMEDOUT after logging what was
 * waited for and who did not arrive.
 */
int final_phases(void);

#endif
