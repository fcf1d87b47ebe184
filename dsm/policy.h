/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/policy.h — DSM policies on top of the coherence mechanism (dsm/proto.h).
 *
 * The mechanism (single writer / many readers, write-invalidate, home-based
 * directory) is always on. The policies below only decide *where* a page goes
 * and *when*; each is switchable and counted in struct dsm_counters. Their
 * meaning and the reasoning behind the defaults are in docs/dsm-protocol.md.
 *
 *   first_touch        1: an untouched page (never granted to anyone) is given
 *                      to the first node that faults on it, as a zero page,
 *                      without any data transfer. 0: it is materialised at its
 *                      home (zero-filled there) and served from there.
 *   replication        1: read faults get a read-only copy (many readers).
 *                      0: read faults take exclusive ownership like writes.
 *   migrate_after      N > 0: when the same remote node completes N
 *                      consecutive transactions on a page (no other node in
 *                      between), the page's home (directory entry) moves to
 *                      that node. 0: homes never move.
 *   pingpong_threshold N > 0: a page whose ownership moved between nodes more
 *                      than N times within pingpong_window_ms is pinned for
 *                      pin_ms. 0: no guard.
 *   pingpong_window_ms T, at most 60000.
 *   pin_ms             how long a pin lasts.
 *   pin_hold_us        while pinned, every holder keeps the page at least this
 *                      long after it was granted before the home serves the
 *                      next request (requests queue at the home meanwhile;
 *                      none is refused).
 *   max_pinned         size of the pin table (pages pinned at once per home).
 *
 * Thread: a struct dsm_policy is plain data, copied into the protocol instance
 * at creation; nothing here is shared.
 */
#ifndef SSIVM_DSM_POLICY_H
#define SSIVM_DSM_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct dsm_policy {
	bool first_touch;
	bool replication;
	uint32_t migrate_after;
	uint32_t pingpong_threshold;
	uint32_t pingpong_window_ms;
	uint32_t pin_ms;
	uint32_t pin_hold_us;
	uint32_t max_pinned;
};

/* Fill in the defaults: first_touch=1 replication=1 migrate_after=0
 * pingpong_threshold=0 (off) pingpong_window_ms=100 pin_ms=100
 * pin_hold_us=1000 max_pinned=64. */
void dsm_policy_defaults(struct dsm_policy *pol);

/* Check the values; 0 or -EINVAL (with a pr_err naming the field). */
int dsm_policy_validate(const struct dsm_policy *pol);

/* Set one policy from "key=value" text (keys as above; booleans 0/1/on/off).
 * Returns 0, or -EINVAL for an unknown key or a bad value (pr_err says which). */
int dsm_policy_set(struct dsm_policy *pol, const char *key, const char *value);

/* Parse a comma-separated list "key=value,key=value" on top of *pol. */
int dsm_policy_parse(struct dsm_policy *pol, const char *text);

/* Write "first_touch=1,replication=1,..." into buf (always NUL-terminated).
 * Returns the length it needed (like snprintf). */
int dsm_policy_format(const struct dsm_policy *pol, char *buf, unsigned size);

#endif
