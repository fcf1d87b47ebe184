/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/sim/sim.h — deterministic simulator of the DSM protocol: N protocol
 * instances (dsm/proto.h), each with simulated memory, joined by a simulated
 * network that delays, interleaves and (optionally) reorders messages and
 * injects duplicates and garbage. Everything is driven by one seeded PRNG:
 * the same seed replays the same run. Single-threaded.
 */
#ifndef SSIVM_TESTS_SIM_H
#define SSIVM_TESTS_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dsm/proto.h"
#include "tests/sim/proto_check.h"

#define SIM_MAX_NODES 5
#define SIM_MAX_PAGES 256 /* with --pages; 1..8 at random otherwise */
#define SIM_MAX_VCPUS 3
#define SIM_SLOTS 6     /* checked words per page */
#define SIM_RW_SLOTS 4  /* slots 0..3: reads and plain writes */
#define SIM_CNT_SLOTS 2 /* slots 4..5: atomic increments and reads */

struct sim_pkt {
	struct sim_pkt *next;
	unsigned from, to;
	unsigned overtaken; /* reorder mode: times a later packet passed it */
	uint8_t msg[DSM_MSG_SIZE];
	struct dsm_msg m; /* msg decoded */
	bool has_page;
	bool forged; /* must be rejected */
	uint8_t page[DSM_PAGE_SIZE];
};

struct sim_pair {
	struct sim_pkt *head, *tail;
	unsigned len;
	uint32_t wire_seq;
	struct sim_pkt *last; /* last delivered (for duplicates) */
};

struct sim_vcpu {
	unsigned node, id;
	unsigned ops_left;
	bool blocked, has_op;
	uint8_t kind; /* 0 read, 1 write, 2 increment */
	unsigned page, slot;
	uint64_t faults;
};

struct sim_node {
	struct dsm_proto *p;
	unsigned id;
	struct sim *sim;
	uint8_t map[SIM_MAX_PAGES];    /* enum dsm_map */
	uint8_t (*mem)[DSM_PAGE_SIZE]; /* cfg.pages pages */
};

struct sim_cfg {
	unsigned nodes, pages, vcpus, ops;
	bool reorder;  /* beyond per-pair FIFO */
	unsigned junk; /* per-mille chance per step of injecting bad input */
	struct dsm_policy pol;
	unsigned home[SIM_MAX_PAGES];
};

struct sim_opts {
	unsigned nodes; /* 0: random 2..5 per seed */
	unsigned pages; /* 0: random 1..8 per seed */
	unsigned ops;   /* mean operations per vCPU */
	unsigned junk;  /* per mille */
	int reorder;    /* -1: random per seed, 0 fifo, 1 reorder */
	bool verbose;
};

struct sim {
	struct sim_opts opt;
	uint64_t seed, rng;
	struct sim_cfg cfg;
	struct sim_node node[SIM_MAX_NODES];
	struct sim_vcpu vcpu[SIM_MAX_NODES * SIM_MAX_VCPUS];
	unsigned nr_vcpus;
	struct sim_pair pair[SIM_MAX_NODES][SIM_MAX_NODES];
	unsigned in_flight;
	uint64_t now_ns, steps;
	/* the truth: contents of each page in the order writes were granted */
	uint64_t shadow[SIM_MAX_PAGES][SIM_SLOTS];
	uint64_t increments[SIM_MAX_PAGES][SIM_CNT_SLOTS];
	uint64_t stat_ops, stat_msgs, stat_junk, stat_dups, stat_forged, stat_faults;
	uint64_t stat_unauth; /* real messages replayed from a node not allowed to send them */
	/* coherence checks: steps with the whole network quiet (directory
	 * checked for every page), and per page and step, settled pages
	 * (directory compared exactly) and pages in transition (the weaker
	 * properties only); see sim_check_step() */
	uint64_t stat_quiet, stat_settled, stat_transit;
	struct dsm_page_flight flight[SIM_MAX_PAGES]; /* this step's */
	const char *failed;                           /* first failure, NULL while fine */
	char fail_msg[256];
	/* trace of the last steps */
	char trace[64][160];
	unsigned trace_pos;
};

uint64_t sim_rand(struct sim *s);
static inline unsigned sim_below(struct sim *s, unsigned n)
{
	return (unsigned)(sim_rand(s) % n);
}
void sim_trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checked words of a page. */
static inline unsigned sim_slot_off(unsigned slot)
{
	return slot * 680; /* spread over the page, 8-byte aligned */
}

static inline uint64_t sim_word(const uint8_t *mem, unsigned slot)
{
	uint64_t v;
	memcpy(&v, mem + sim_slot_off(slot), 8);
	return v;
}

static inline void sim_set_word(uint8_t *mem, unsigned slot, uint64_t v)
{
	memcpy(mem + sim_slot_off(slot), &v, 8);
}

/* A node other than self maps page (writable, with rw_only). */
static inline bool sim_others_map(const struct sim *s, unsigned self, uint64_t page, bool rw_only)
{
	for (unsigned i = 0; i < s->cfg.nodes; i++)
		if (i != self && s->node[i].map[page] != DSM_MAP_NONE &&
		    (!rw_only || s->node[i].map[page] == DSM_MAP_RW))
			return true;
	return false;
}

/* tests/sim/sim.c */
int sim_setup(struct sim *s);
void sim_describe(const struct sim *s, char *buf, unsigned size);
void sim_vcpu_step(struct sim *s, struct sim_vcpu *v);

/* tests/sim/sim_check.c: the invariants */
/* After every step: every page's mappings and contents, and its coherence
 * across the nodes given what is in flight about it (exact when the page
 * is settled, the weaker properties while it is in transition). */
void sim_check_step(struct sim *s);
bool sim_quiescent(struct sim *s);
/* With nothing in flight anywhere: every page settled, every home idle. */
void sim_check_directory(struct sim *s);
void sim_check_final(struct sim *s);

/* tests/sim/sim_net.c */
/* the dsm_proto_ops.send of node `from` */
int sim_net_send(struct sim *s, unsigned from, unsigned to, const void *msg, size_t len,
		 const void *page);
/* Deliver one packet (chosen by the PRNG). false if none in flight. */
bool sim_net_deliver(struct sim *s);
/* Inject one piece of bad input that every node must reject. */
void sim_net_inject(struct sim *s);
void sim_net_free(struct sim *s);

#endif
