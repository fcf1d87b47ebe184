/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/sim/proto_check.h — invariants of a set of DSM protocol instances
 * (dsm/proto.h), read through their public views only. Shared by the
 * simulator (tests/sim/sim*.c) and the fuzz target (tests/sim/
 * fuzz_dsm_recv.c). Each check returns true when it holds, else false with a
 * message naming the node and the page in why (len bytes). Same thread as
 * the instances; no state of its own.
 */
#ifndef SSIVM_TESTS_SIM_PROTO_CHECK_H
#define SSIVM_TESTS_SIM_PROTO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/proto.h"

/* What a node's runtime has mapped, as the protocol's actions leave it. */
enum dsm_map { DSM_MAP_NONE, DSM_MAP_RO, DSM_MAP_RW };

enum dsm_map_act {
	DSM_ACT_INSTALL_RO,
	DSM_ACT_INSTALL_RW,
	DSM_ACT_PROTECT,
	DSM_ACT_UNPROTECT,
	DSM_ACT_DROP,
	DSM_ACT_READ, /* read_page: the mapping stays */
};

/* Apply one action of struct dsm_proto_ops to *map. false (and *map
 * unchanged) when the ops contract forbids it in that mapping: install over
 * a writable mapping, protect of a page not mapped writable, unprotect of a
 * page not mapped read-only, drop or read_page of an unmapped page. */
bool dsm_map_apply(uint8_t *map, enum dsm_map_act act);
const char *dsm_map_act_name(enum dsm_map_act act);

/* The protocol state of one node's page agrees with its mapping: writable
 * is Exclusive, read-only is Shared, unmapped is Invalid (unless first_touch
 * is off: the home then holds untouched pages as zero pages, unmapped). */
bool dsm_check_mapping(const struct dsm_proto *p, unsigned self, uint64_t page, uint8_t map,
		       bool first_touch, char *why, size_t len);

/* One node on its own, whatever its peers sent it: the gauges (pages
 * exclusive, shared, homed) count what it holds; the fault kinds add up to
 * remote + joined faults; the rejections by reason add up to the total;
 * every directory entry it holds is well formed (untouched with an empty
 * copyset, or an owner inside a copyset of existing nodes); and where it is
 * the home, its own state agrees with its own entry: a copy it holds is in
 * the copyset, an Exclusive copy is the owner's and alone, and its own bit
 * set while it holds nothing means a transaction is running — unless it has
 * a fault open on the page (bit self of open[page]; open may be NULL: none
 * open). Peers cannot break this: only the node's own transactions, which
 * it runs on itself synchronously, change its copy of a page it is home of. */
bool dsm_check_node(const struct dsm_proto *p, unsigned self, unsigned nodes, uint64_t pages,
		    const uint64_t *open, char *why, size_t len);

/* What is in flight about one page, as the caller's network sees it. Only
 * real messages (not forged ones, which must be rejected and change
 * nothing). */
struct dsm_page_flight {
	unsigned msgs;         /* messages about the page in flight */
	unsigned moves;        /* of which HOME_MOVE */
	uint8_t move_to;       /* the (last) HOME_MOVE: its receiver */
	uint8_t move_owner;    /* and the directory it carries */
	uint64_t move_copyset; /* idem */
	uint64_t done_from;    /* nodes whose DONE for the page is in flight */
	uint64_t data_from;    /* nodes whose DATA for the page is in flight */
	uint64_t open;         /* nodes with a fault waiting on the page */
};

#define DSM_PAGE_VIOLATED (-1)
#define DSM_PAGE_IN_TRANSITION 0 /* only the properties that hold mid-transaction */
#define DSM_PAGE_SETTLED 1       /* directory compared with the nodes exactly */

/* Coherence of one page across all nodes (p[0..nodes-1]), given what is in
 * flight about it. Always (at every step of any interleaving):
 *   - at most one node holds it Exclusive, and then no other node holds it;
 *   - exactly one directory entry: at one home, or in one HOME_MOVE in
 *     flight; it is well formed;
 *   - a node holding it outside the copyset has a fault open on it or its
 *     DONE in flight (it is the requester of the running transaction);
 *   - an Exclusive holder is the directory's owner and alone in the copyset,
 *     or has its fault open / DONE in flight (it just got the page);
 *   - a copyset member that holds nothing: the home has a transaction on the
 *     page (its INV or FWD(write) has been applied, its DONE not yet);
 *   - a touched page is held by some node or its DATA is in flight (the
 *     contents are never lost);
 *   - nothing is stuck: a home busy with the page has a message about it in
 *     flight or a node waiting for it, and a node waiting for it has a
 *     message about it in flight or its home busy with it.
 * When the page is settled — no message about it in flight, no fault open
 * on it, its home not busy — the directory must describe the nodes exactly:
 * copyset = the nodes holding it, owner in it, an Exclusive holder is the
 * owner and alone. Returns DSM_PAGE_SETTLED or DSM_PAGE_IN_TRANSITION when
 * everything held, DSM_PAGE_VIOLATED (why says what) otherwise. */
int dsm_check_page(struct dsm_proto *const *p, unsigned nodes, uint64_t page,
		   const struct dsm_page_flight *f, char *why, size_t len);

#endif
