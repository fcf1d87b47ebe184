/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/wire.h — the on-wire format of transport messages, and its pure
 * (UCX-free) encoder and checked decoder. Unit-tested and fuzzed on its own.
 *
 * One message on the wire, all integers little-endian:
 *
 *   offset  size  field
 *        0     4  magic    WIRE_MAGIC ("SSIT")
 *        4     1  version  WIRE_VERSION
 *        5     1  type     enum wire_type
 *        6     2  flags    WIRE_F_PAGE when a page follows the header
 *        8     4  len      control message length in bytes (page excluded)
 *       12     4  src      sending node id
 *       16     4  dst      receiving node id
 *       20     4  reserved must be 0
 *       24     8  seq      per (src, dst) sequence number, 1, 2, 3, ...
 *       32  4096  page     only when WIRE_F_PAGE (fixed offset: keeps it aligned)
 *   32(+4096) len control message
 *
 * A WIRE_T_MSG carries 1..TRANSPORT_MAX_MSG bytes and maybe a page; a
 * WIRE_T_HEARTBEAT or WIRE_T_BYE carries nothing (len 0, no page). The total size is always
 * exactly WIRE_HDR_SIZE + (page ? TRANSPORT_PAGE_SIZE : 0) + len.
 *
 * Thread-safety: the functions here have no state of their own; a struct
 * wire_rx belongs to the caller.
 */
#ifndef SSIVM_TRANSPORT_WIRE_H
#define SSIVM_TRANSPORT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

#define WIRE_MAGIC 0x54495353u /* bytes 'S' 'S' 'I' 'T' */
#define WIRE_VERSION 1u
#define WIRE_F_PAGE 0x0001u
#define WIRE_F_ALL WIRE_F_PAGE

enum wire_type {
	WIRE_T_MSG = 1,
	WIRE_T_HEARTBEAT = 2,
	WIRE_T_BYE = 3, /* the sender closes its transport; nothing follows */
};

struct wire_hdr {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t len;
	uint32_t src;
	uint32_t dst;
	uint32_t reserved;
	uint64_t seq;
};

#define WIRE_HDR_SIZE 32u
#define WIRE_MAX_SIZE (WIRE_HDR_SIZE + TRANSPORT_PAGE_SIZE + TRANSPORT_MAX_MSG)
_Static_assert(sizeof(struct wire_hdr) == WIRE_HDR_SIZE, "wire header is 32 bytes");
_Static_assert(offsetof(struct wire_hdr, seq) == 24, "seq at offset 24");
_Static_assert(WIRE_HDR_SIZE % 16 == 0, "page stays 16-byte aligned after the header");

/* Unknown source in struct wire_expect.src. */
#define WIRE_SRC_ANY UINT32_MAX

/* What the receiver expects of the next message on one connection. */
struct wire_expect {
	uint32_t self;     /* dst must equal this */
	uint32_t nr_nodes; /* src must be < nr_nodes and != self */
	uint32_t src;      /* the node the connection belongs to, or WIRE_SRC_ANY */
	uint64_t min_seq;  /* seq must be >= this (>= 1) */
};

/* A decoded message: pointers into the buffer given to wire_decode(). */
struct wire_msg {
	enum wire_type type;
	uint32_t src, dst;
	uint64_t seq;
	const void *msg; /* len bytes; NULL when len == 0 */
	size_t len;
	const void *page; /* TRANSPORT_PAGE_SIZE bytes, or NULL */
};

/* Bytes on the wire for a control message of len bytes, with or without a page. */
static inline size_t wire_size(size_t len, int has_page)
{
	return WIRE_HDR_SIZE + (has_page ? TRANSPORT_PAGE_SIZE : 0) + len;
}

/*
 * Write a whole message (header, page, control message) into buf (cap bytes).
 * Returns the number of bytes written, or 0 when it does not fit or the
 * arguments break the rules above (the encoder never produces what the decoder
 * rejects, except for src/dst/seq, which only the receiver can judge).
 */
size_t wire_encode(void *buf, size_t cap, enum wire_type type, uint32_t src, uint32_t dst,
		   uint64_t seq, const void *msg, size_t len, const void *page);

/*
 * Check n bytes received on a connection against the format and *e. Returns 0
 * and fills *out (pointing into buf) when the message is acceptable, or
 * -EBADMSG with *reason set to an enum transport_reject value. Never reads
 * outside buf[0..n). Does not change any state: the caller advances
 * e->min_seq after accepting.
 */
int wire_decode(const void *buf, size_t n, const struct wire_expect *e, struct wire_msg *out,
		unsigned *reason);

/*
 * Receive-side state of one peer connection, and the bookkeeping around
 * wire_decode(): wire_rx_accept() decodes, checks the sequence, advances it,
 * and updates the counters in *st (msgs/bytes/pages/heartbeats received, or
 * rejected[reason] and rejected_total). Returns 0 (accepted, *out filled) or
 * -EBADMSG (*reason set, nothing to deliver).
 */
struct wire_rx {
	uint32_t node;     /* the peer this state belongs to */
	uint64_t next_seq; /* starts at 1 */
};

int wire_rx_accept(struct wire_rx *rx, uint32_t self, uint32_t nr_nodes, struct transport_stats *st,
		   const void *buf, size_t n, struct wire_msg *out, unsigned *reason);

/* Count a rejection that was decided outside the decoder (e.g. peer down). */
void wire_count_reject(struct transport_stats *st, unsigned reason);

/*
 * A small rate limiter for logs: at most `burst` events per `period_ms`;
 * wire_ratelimit() returns 1 when this event may be logged, and the number of
 * events suppressed since the last one allowed is in rl->suppressed.
 */
struct wire_ratelimit {
	unsigned period_ms, burst;
	uint64_t window_start_ms;
	unsigned in_window;
	uint64_t suppressed;
};

int wire_ratelimit(struct wire_ratelimit *rl, uint64_t now_ms);

#endif
