/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/multiproc/dsm_check.h — layout of the shared region used by the DSM
 * stress node (dsm_node.c) and its checking scheme. Every check reads the
 * region through ordinary memory accesses, so each one goes through the DSM.
 *
 * Writers: every (node, thread) pair w = node * threads + thread.
 *  - Data pages (DATA_PAGES, spread over the region, so over every home):
 *    each holds one 8-byte entry per writer, written only by that writer:
 *    (seq << 24) | tag24(w, page, seq), seq = how many times w wrote this page.
 *    All writers share every data page (false sharing on purpose).
 *  - Progress page: per writer, (page << 40) | seq of its last data write,
 *    stored after the data entry. A reader that loads it and then the entry
 *    must see at least that seq (x86-TSO + coherence: no stale read).
 *  - Bulk page per writer: a seqlock (begin, end) around 510 words that all
 *    depend on (w, seq): checks that whole pages travel intact.
 *  - Counters (COUNTERS): incremented with __atomic_fetch_add by everyone.
 *  - Report page per node: its increments per counter and its writers' final
 *    sequence numbers; after a barrier every node checks the final image
 *    against all reports (no lost write, no lost increment).
 *  - Control pages: two barrier counters and the release word (all homed on
 *    node 0 with the default block placement).
 */
#ifndef SSIVM_TESTS_DSM_CHECK_H
#define SSIVM_TESTS_DSM_CHECK_H

#include <stdint.h>

#define PG 4096u
#define MAX_NODES 8u
#define MAX_THREADS 4u
#define MAX_WRITERS (MAX_NODES * MAX_THREADS)
#define DATA_PAGES 64u
#define COUNTERS 16u
#define BULK_WORDS (PG / 8 - 2)

/* fixed pages (all below page 16, homed on node 0 when nr_pages/N >= 16) */
#define PG_BAR0 0u
#define PG_BAR1 1u
#define PG_PROGRESS 3u
#define PG_COUNTERS 4u /* 4 pages, 4 counters each, 1 KiB apart */
/* node 0's verdict for node n: one page per node (8..15), written by node 0
 * and read by node n only, so that a node that leaves takes no page another
 * still needs (a shared flag moves to its last reader when reads are
 * exclusive, replication=0, and the others then need the departed node) */
#define PG_RELEASE(n) (8u + (n))
#define NR_FIXED 16u
_Static_assert(NR_FIXED >= 8u + MAX_NODES, "a release page per node");

struct report {
	uint64_t magic;
	uint64_t node;
	uint64_t incs[COUNTERS];
	uint64_t final_seq[MAX_THREADS][DATA_PAGES];
	uint64_t final_bulk[MAX_THREADS];
	uint64_t ops;
};
_Static_assert(sizeof(struct report) <= PG, "a report fits one page");

#define REPORT_MAGIC 0x7265706f72740a01ull

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t tag24(unsigned w, unsigned page, uint64_t seq)
{
	return mix64(((uint64_t)w << 48) ^ ((uint64_t)page << 40) ^ seq ^ 0x5eed) & 0xffffff;
}

static inline uint64_t entry_pack(unsigned w, unsigned page, uint64_t seq)
{
	return (seq << 24) | tag24(w, page, seq);
}

static inline uint64_t bulk_word(unsigned w, uint64_t seq, unsigned i)
{
	return mix64(((uint64_t)w << 56) ^ (seq << 12) ^ i);
}

#endif
