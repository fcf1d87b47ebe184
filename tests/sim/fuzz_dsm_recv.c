// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/fuzz_dsm_recv.c — fuzz target for the DSM message input path
 * (dsm_msg_decode + dsm_proto_recv) on instances caught in the middle of
 * transactions (requests pending, a home with a transaction running and one
 * queued, a page held read-only by two nodes, a page being upgraded).
 *
 * Input: a sequence of records [to, from, flags, 37 bytes]; flags bit 0:
 * attach a page, bit 1: take the 40 bytes raw (else the 36-byte body gets a
 * correct CRC-32C and sequence number, so the fuzzer reaches the protocol
 * logic behind the checksum). Nothing may crash, hang, leak or trip the
 * sanitizers; afterwards the real messages still in flight are delivered.
 *
 * Built two ways:
 *   make fuzz-dsm          clang libFuzzer binary build/fuzz/dsm-recv
 *   build/bin/dsm-fuzz N   the same target driven by a seeded mutator for N
 *                          inputs (no libFuzzer needed; in make check)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dsm/proto.h"

#define N 3
#define PAGES 6

struct fnode {
	struct dsm_proto *p;
	unsigned id;
	uint8_t mem[PAGES][DSM_PAGE_SIZE];
};

struct fmsg {
	unsigned from, to;
	uint8_t buf[DSM_MSG_SIZE];
	bool page;
};

static struct fnode nodes[N];
static struct fmsg q[256];
static unsigned qlen;
static uint32_t seqs[N][N];
static uint8_t page_buf[DSM_PAGE_SIZE];

static int f_send(void *ctx, unsigned to, const void *msg, size_t len, const void *page)
{
	struct fnode *n = ctx;

	if (qlen < 256 && to < N && len == DSM_MSG_SIZE) {
		q[qlen] = (struct fmsg){.from = n->id, .to = to, .page = page != NULL};
		memcpy(q[qlen].buf, msg, len);
		qlen++;
	}
	return 0;
}

static int f_install(void *ctx, uint64_t page, const void *data, bool w)
{
	struct fnode *n = ctx;
	if (data)
		memcpy(n->mem[page], data, DSM_PAGE_SIZE);
	else
		memset(n->mem[page], 0, DSM_PAGE_SIZE);
	return 0;
}

static int f_nop(void *ctx, uint64_t page)
{
	return 0;
}

static const void *f_read(void *ctx, uint64_t page)
{
	struct fnode *n = ctx;
	return n->mem[page];
}

static void f_wake(void *ctx, uint64_t page, uint64_t token)
{
}

static const struct dsm_proto_ops ops = {f_send, f_install, f_nop, f_nop, f_nop, f_read, f_wake};

static unsigned home_of(void *ctx, uint64_t page)
{
	return (unsigned)(page % N);
}

static void deliver(unsigned k)
{
	struct fmsg m = q[k];

	memmove(q + k, q + k + 1, (--qlen - k) * sizeof(q[0]));
	dsm_proto_recv(nodes[m.to].p, m.from, m.buf, DSM_MSG_SIZE, m.page ? page_buf : NULL);
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
	memset(seqs, 0, sizeof(seqs));
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
		if (dsm_proto_create(&prm, &nodes[i].p))
			abort();
	}
	/* page 0: node 1 writes, nodes 2 and 0 read -> two sharers */
	dsm_proto_fault(nodes[1].p, 0, true, 1);
	while (qlen)
		deliver(0);
	dsm_proto_fault(nodes[2].p, 0, false, 2);
	dsm_proto_fault(nodes[0].p, 0, false, 3);
	while (qlen)
		deliver(0);
	/* page 0: node 2 upgrades; page 1: nodes 0 and 2 write at once;
	 * page 4: node 0 reads. Half delivered. */
	dsm_proto_fault(nodes[2].p, 0, true, 4);
	dsm_proto_fault(nodes[0].p, 1, true, 5);
	dsm_proto_fault(nodes[2].p, 1, true, 6);
	dsm_proto_fault(nodes[0].p, 4, false, 7);
	for (unsigned k = 0; k < 4 && qlen; k++)
		deliver(0);
	for (unsigned i = 0; i < N; i++)
		dsm_proto_tick(nodes[i].p, 1000000);
}

static void free_world(void)
{
	for (unsigned i = 0; i < N; i++) {
		dsm_proto_destroy(nodes[i].p);
		nodes[i].p = NULL;
	}
}

#define REC 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;

	if (!quiet) {
		log_set_level(LOG_ERR);
		quiet = true;
	}
	build_world();
	for (size_t off = 0; off + REC <= size; off += REC) {
		const uint8_t *r = data + off;
		unsigned to = r[0] % N, from = r[1] % (N + 1); /* N: out of range */
		uint8_t buf[DSM_MSG_SIZE];
		size_t len = DSM_MSG_SIZE;

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
				s = ++seqs[from][to];
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
		if (from == to)
			from = (from + 1) % (N + 1);
		dsm_proto_recv(nodes[to].p, from, buf, len, (r[2] & 1) ? page_buf : NULL);
		/* interleave real traffic */
		if (qlen && (r[2] & 8))
			deliver(r[1] % qlen);
	}
	for (unsigned guard = 0; qlen && guard < 10000; guard++)
		deliver(0);
	free_world();
	return 0;
}

#ifndef DSM_FUZZ_LIBFUZZER
/* Seeded driver: mutate records that start from real messages. */
static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	uint8_t samples[64][DSM_MSG_SIZE];
	unsigned nsamples = 0;
	uint8_t in[REC * 8];

	/* real messages of the scenario, as starting points */
	build_world();
	for (unsigned k = 0; k < qlen && nsamples < 64; k++)
		memcpy(samples[nsamples++], q[k].buf, DSM_MSG_SIZE);
	while (qlen && nsamples < 64) {
		memcpy(samples[nsamples++], q[0].buf, DSM_MSG_SIZE);
		deliver(0);
	}
	free_world();
	if (!nsamples)
		return 1;
	for (unsigned long it = 0; it < iters; it++) {
		unsigned recs = 1 + (unsigned)(next() % 8);

		for (unsigned k = 0; k < recs; k++) {
			uint8_t *r = in + k * REC;
			r[0] = (uint8_t)next();
			r[1] = (uint8_t)next();
			r[2] = (uint8_t)(next() & 0xfd); /* mostly with a good CRC */
			if (next() % 16 == 0)
				r[2] |= 2;
			memcpy(r + 3, samples[next() % nsamples], REC - 3);
			for (unsigned f = next() % 4; f; f--) {
				unsigned at = 3 + (unsigned)(next() % (REC - 3));
				r[at] = next() % 2 ? (uint8_t)next()
						   : r[at] ^ (uint8_t)(1u << (next() % 8));
			}
		}
		LLVMFuzzerTestOneInput(in, recs * REC);
	}
	printf("dsm-fuzz: %lu inputs through dsm_proto_recv, no crash\n", iters);
	return 0;
}
#endif
