// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/multiproc/dsm_final.c — the DSM stress node after its run: publish
 * the report, meet the others at barrier 0, check the final image against
 * every report, meet at barrier 1, and take node 0's verdict. The barriers
 * and the verdict are words in the region (pages homed on node 0), so they
 * go through the DSM like everything else; every wait is bounded and says
 * what it waited for and who did not arrive.
 */
#include "tests/multiproc/dsm_node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t logged_final;
#define FINAL_FAIL(...) CHECK_FAIL_LOG(logged_final, __VA_ARGS__)

void publish_report(const struct worker *ws)
{
	struct report *r = (struct report *)page_u64(report_page(opt.node));
	uint64_t ops = 0;

	for (unsigned c = 0; c < COUNTERS; c++) {
		uint64_t sum = 0;

		for (unsigned t = 0; t < opt.threads; t++)
			sum += ws[t].incs[c];
		r->incs[c] = sum;
	}
	for (unsigned t = 0; t < opt.threads; t++) {
		memcpy(r->final_seq[t], ws[t].seq, sizeof(ws[t].seq));
		r->final_bulk[t] = ws[t].bulk_seq;
		for (unsigned i = 0; i < 5; i++)
			ops += ws[t].ops[i];
	}
	r->ops = ops;
	r->node = opt.node;
	__atomic_store_n(&r->magic, REPORT_MAGIC, __ATOMIC_RELEASE);
}

/* The final image must be exactly what every node's report implies. */
void check_final_image(void)
{
	uint64_t incs[COUNTERS] = {0};

	for (unsigned n = 0; n < opt.nodes; n++) {
		const struct report *r = (const struct report *)page_u64(report_page(n));

		if ((int)n == opt.evil)
			continue;
		if (r->magic != REPORT_MAGIC || r->node != n) {
			FINAL_FAIL("report of node %u missing or corrupt (magic 0x%llx)", n,
				   (unsigned long long)r->magic);
			continue;
		}
		for (unsigned c = 0; c < COUNTERS; c++)
			incs[c] += r->incs[c];
		for (unsigned t = 0; t < opt.threads; t++) {
			unsigned w = n * opt.threads + t;

			for (unsigned p = 0; p < DATA_PAGES; p++) {
				uint64_t e = page_u64(data_page(p))[w], want = r->final_seq[t][p];

				if (e != (want ? entry_pack(w, p, want) : 0))
					FINAL_FAIL(
					    "final image: data page %u writer %u holds seq %llu, "
					    "its last write was seq %llu (lost write)",
					    p, w, (unsigned long long)(e >> 24),
					    (unsigned long long)want);
			}
			if (bulk_read(w, "final image") != r->final_bulk[t])
				FINAL_FAIL("final image: bulk page of writer %u is not at its last "
					   "seq %llu",
					   w, (unsigned long long)r->final_bulk[t]);
		}
	}
	for (unsigned c = 0; c < COUNTERS; c++)
		if (*counter(c) != incs[c])
			FINAL_FAIL("counter %u is %llu, the nodes incremented it %llu times "
				   "(lost increment)",
				   c, (unsigned long long)*counter(c), (unsigned long long)incs[c]);
	if (logged_final)
		pr_err("final image: %llu check failure(s)", (unsigned long long)logged_final);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The honest nodes as a bit mask (node n: bit n). */
static uint64_t honest_mask(void)
{
	uint64_t m = (1ull << opt.nodes) - 1;

	return opt.evil >= 0 ? m & ~(1ull << opt.evil) : m;
}

/* "1, 3" for the nodes of mask (at most MAX_NODES of them) */
static const char *node_list(uint64_t mask, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned n = 0; n < MAX_NODES && o < len; n++)
		if (mask & (1ull << n))
			o += (size_t)snprintf(buf + o, len - o, "%s%u", o ? ", " : "", n);
	return buf;
}

/*
 * Wait until the word at (page, 0) is nonzero (mask == 0) or has every bit
 * of mask; at most ms. Returns the word, or 0 on timeout (nothing logged).
 */
static uint64_t wait_word(unsigned page, uint64_t mask, unsigned ms)
{
	const uint64_t *w = page_u64(page);
	uint64_t deadline = now_ms() + ms, v;
	struct timespec ts = {0, 200000};

	for (;;) {
		v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		if (mask ? (v & mask) == mask : v != 0)
			return v ? v : 1;
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&ts, NULL);
	}
}

/* Arrive at the barrier on page (set this node's bit). */
static void arrive(unsigned page)
{
	__atomic_fetch_or(page_u64(page), 1ull << opt.node, __ATOMIC_SEQ_CST);
}

/* Wait until every honest node arrived at the barrier on page. 0 or -ETIMEDOUT. */
static int wait_all(unsigned page, const char *what)
{
	uint64_t all = honest_mask(), v;
	char missing[64];

	if (wait_word(page, all, opt.barrier_timeout_ms))
		return 0;
	v = __atomic_load_n(page_u64(page), __ATOMIC_ACQUIRE);
	pr_err("barrier %s (page %u): node(s) %s did not arrive within %u ms (a node that died "
	       "would have stopped the DSM: these are alive but stuck)",
	       what, page, node_list(all & ~v, missing, sizeof(missing)), opt.barrier_timeout_ms);
	return -ETIMEDOUT;
}

int final_phases(void)
{
	uint64_t verdict;

	arrive(PG_BAR0);
	if (wait_all(PG_BAR0, "0 (every node published its report)"))
		return -ETIMEDOUT;
	check_final_image();
	if (opt.inject == INJECT_STALL) {
		pr_warn("*** FAULT INJECTION (--inject stall): this node checked the final image "
			"and now stops taking part on purpose: it never arrives at barrier 1 and "
			"stays alive; node 0 must time out naming node %u ***",
			opt.node);
		for (;;)
			pause(); /* until the DSM fails (on_fatal exits) or a signal kills it */
	}
	/* Leave in order: every node checked; node 0 releases each one and leaves
	 * last. Only node 0 reads barrier 1: a node that polled it too could
	 * leave holding it (reads are exclusive with replication=0) while
	 * another still needed it. */
	arrive(PG_BAR1);
	if (opt.node == 0) {
		if (wait_all(PG_BAR1, "1 (every node checked the final image)"))
			return -ETIMEDOUT;
		verdict = errors ? 2 : 1;
		for (unsigned n = 1; n < opt.nodes; n++)
			if ((int)n != opt.evil)
				__atomic_store_n(page_u64(PG_RELEASE(n)), verdict,
						 __ATOMIC_RELEASE);
		return (int)verdict;
	}
	/* only nodes 0 and this one ever touch this page; node 0 may still wait
	 * for barrier 1 for its whole timeout after this node arrived */
	verdict = wait_word(PG_RELEASE(opt.node), 0, 2 * opt.barrier_timeout_ms);
	if (!verdict) {
		pr_err("no verdict from node 0 on release page %u within %u ms (node 0 writes it "
		       "once every node has arrived at barrier 1)",
		       PG_RELEASE(opt.node), 2 * opt.barrier_timeout_ms);
		return -ETIMEDOUT;
	}
	return (int)verdict;
}
