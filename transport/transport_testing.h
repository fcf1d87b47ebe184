/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/transport_testing.h — hooks for tests that play a misbehaving
 * peer (tests/multiproc/tp_node.c). Not for the runtime: these bypass the
 * encoder on purpose. Same threading rule as transport.h.
 */
#ifndef SSIVM_TRANSPORT_TESTING_H
#define SSIVM_TRANSPORT_TESTING_H

#include <stddef.h>
#include <stdint.h>

struct transport;

/* Send len raw bytes (0..WIRE_MAX_SIZE, no wire header added) to node `to`
 * through the transport's UCX active message. Returns 0 or -errno as
 * transport_send. Does not consume a sequence number. */
int transport_send_raw(struct transport *t, uint32_t to, const void *buf, size_t len);

/* The sequence number the next message to `to` will carry. */
uint64_t transport_next_seq(struct transport *t, uint32_t to);

/* Consume one sequence number towards `to` (after a raw message that used it). */
void transport_skip_seq(struct transport *t, uint32_t to);

#endif
