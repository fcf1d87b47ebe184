/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/hello.h — the frames of the rendezvous side sockets (hello and
 * refusal), their encoder and their pure, checked decoder (no sockets, no
 * UCX: unit-tested and fuzzed on its own).
 *
 * One frame, all integers little-endian:
 *
 *   offset  size  field
 *        0     4  magic     RDV_MAGIC ("SSIR")
 *        4     1  version   RDV_VERSION
 *        5     1  type      RDV_T_HELLO or RDV_T_REFUSE
 *        6     1  mode      hello: the sender's tls setting (0 auto, 1 tcp, 2 shm);
 *                           refusal: why (enum transport_hello_reject)
 *        7     1  reserved  0
 *        8     4  src       the sender's node id
 *       12     4  dst       the node id the sender believes the receiver has
 *       16     4  nr_nodes  the sender's cluster size
 *       20     4  body_len  hello: the UCX worker address, RDV_MIN_ADDR..RDV_MAX_ADDR bytes;
 *                           refusal: a printable text, 1..RDV_MAX_TEXT bytes
 *       24     4  reserved  0
 *       28     4  crc       CRC-32 (IEEE) of bytes 0..27 and the body
 *       32  body_len        body
 *
 * Who sends what: the node that connects (the higher id) sends its hello
 * first; the node that accepts answers with its own hello when it takes the
 * connection, with a refusal when the hello is well formed but does not fit
 * (other version, cluster size, tls, node ids, UCX address; a node claimed
 * twice; a connection from an IP that is not the claimed node's), and with
 * nothing (it closes) when the bytes are not a frame at all.
 *
 * Thread-safety: no state; every buffer belongs to the caller.
 */
#ifndef SSIVM_TRANSPORT_HELLO_H
#define SSIVM_TRANSPORT_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

#define RDV_MAGIC 0x52495353u /* bytes 'S' 'S' 'I' 'R' */
#define RDV_VERSION 2u
#define RDV_HDR_SIZE 32u
/* Bounds of a UCX worker address: UCX packs at least a header, the worker's
 * 64-bit id and one device (38 bytes with UCX_TLS=self in UCX 1.13, 79 over
 * TCP, 116 over shared memory); far more than any machine's devices need. */
#define RDV_MIN_ADDR 16u
#define RDV_MAX_ADDR 65536u
#define RDV_MAX_TEXT 255u
#define RDV_MAX_FRAME (RDV_HDR_SIZE + RDV_MAX_ADDR)
/* UCX's packed worker address keeps its format version (ucp_object_version_t)
 * in the low 4 bits of its first byte; UCX 1.13 aborts (an assertion, not an
 * error code) in ucp_ep_create on a version it does not know. */
#define RDV_ADDR_FORMAT_MASK 0x0fu

enum rdv_type { RDV_T_HELLO = 1, RDV_T_REFUSE = 2 };

/* Offsets of the fields (for the encoder, the decoder and tests). */
enum {
	RDV_OFF_MAGIC = 0,
	RDV_OFF_VERSION = 4,
	RDV_OFF_TYPE = 5,
	RDV_OFF_MODE = 6,
	RDV_OFF_RESERVED0 = 7,
	RDV_OFF_SRC = 8,
	RDV_OFF_DST = 12,
	RDV_OFF_NR_NODES = 16,
	RDV_OFF_BODY_LEN = 20,
	RDV_OFF_RESERVED1 = 24,
	RDV_OFF_CRC = 28,
};
_Static_assert(RDV_OFF_CRC + 4 == RDV_HDR_SIZE, "rendezvous header is 32 bytes");

/* Any node id larger than self (in struct rdv_expect.src: an accepted connection). */
#define RDV_SRC_HIGHER UINT32_MAX

/* What the receiver of a frame expects on one connection. */
struct rdv_expect {
	uint32_t self;     /* dst must equal this */
	uint32_t nr_nodes; /* the cluster size, 1..TRANSPORT_MAX_NODES */
	uint8_t tls_mode;  /* the sender's mode must equal this */
	uint32_t src;      /* the node we connected to, or RDV_SRC_HIGHER */
	int refusal_ok;    /* a refusal may come (connections we made) */
	/* UCX address formats known: (first byte & RDV_ADDR_FORMAT_MASK) must be
	 * below this (UCP_OBJECT_VERSION_LAST of the UCX we run). */
	unsigned addr_formats;
};

/* Which rule a frame broke when rdv_decode() calls it junk (-EBADMSG). */
enum rdv_bad {
	RDV_BAD_NONE = 0,
	RDV_BAD_MAGIC,        /* TRANSPORT_HELLO_REJ_JUNK */
	RDV_BAD_TYPE,         /* the rest: TRANSPORT_HELLO_REJ_MALFORMED, except */
	RDV_BAD_REFUSAL_HERE, /* a refusal on a connection that sends hellos only */
	RDV_BAD_RESERVED,
	RDV_BAD_ADDR_LEN, /* TRANSPORT_HELLO_REJ_ADDRESS */
	RDV_BAD_TEXT_LEN,
	RDV_BAD_CRC, /* TRANSPORT_HELLO_REJ_CHECKSUM */
	RDV_BAD_NR_NODES,
	RDV_BAD_REASON,
	RDV_BAD_TEXT,
	RDV_BAD_NODE_IDS,
	RDV_BAD_TLS,
};

/* A decoded frame; body points into the buffer given to rdv_decode(). */
struct rdv_frame {
	uint8_t version, type, mode;
	uint32_t src, dst, nr_nodes; /* UINT32_MAX until decoded */
	const uint8_t *body;         /* NULL until the checksum was checked */
	uint32_t body_len;
	uint32_t crc_sent, crc_calc;
	uint8_t head[4]; /* the first bytes received (for "not a hello" messages) */
	unsigned head_len;
	enum rdv_bad bad;
};

/* rdv_decode() results besides 0 (see there). */
#define RDV_MORE 1

/*
 * Check the n bytes received so far on a connection. Returns:
 *   0         a whole frame, acceptable: *f filled; the frame is f->body_len +
 *             RDV_HDR_SIZE bytes (what follows is not part of it);
 *   RDV_MORE  not decided yet: *need is the number of bytes (> n) to wait for;
 *   -EBADMSG  not a frame (junk, malformed, bad checksum): *reason set; close
 *             without an answer;
 *   -EPROTO   a well-formed frame of a node configured differently, or one
 *             that does not fit this connection: *reason set, *f filled as
 *             far as decoded; answer with a refusal.
 * A refusal (when e->refusal_ok) is returned as 0 with f->type RDV_T_REFUSE
 * and f->mode the refuser's reason. Never reads outside buf[0..n), never
 * decides "acceptable" before the checksum was checked, and decides junk as
 * early as the bytes allow (a stray client is not kept waiting for).
 */
int rdv_decode(const void *buf, size_t n, const struct rdv_expect *e, struct rdv_frame *f,
	       unsigned *reason, size_t *need);

/*
 * Say in words why rdv_decode() refused a frame (or what a refusal frame
 * says), for a log line: "says the cluster has 3 nodes, we have 2". f may be
 * NULL or partly filled; the text never contains bytes of the peer's that are
 * not printable. Returns buf.
 */
char *rdv_describe(unsigned reason, const struct rdv_frame *f, const struct rdv_expect *e,
		   char *buf, size_t len);

/*
 * Encode a hello (the UCX worker address as body) or a refusal (text, cut at
 * RDV_MAX_TEXT, non-printable bytes replaced) into buf (cap bytes). Return the
 * frame's size, or 0 when it does not fit or an argument is out of range.
 */
size_t rdv_encode_hello(void *buf, size_t cap, uint8_t tls_mode, uint32_t src, uint32_t dst,
			uint32_t nr_nodes, const void *addr, size_t addr_len);
size_t rdv_encode_refusal(void *buf, size_t cap, unsigned reason, uint32_t src, uint32_t dst,
			  uint32_t nr_nodes, const char *text);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes, continuing from crc (0 to start). */
uint32_t rdv_crc32(uint32_t crc, const void *buf, size_t n);

/* "auto", "tcp", "shm" or "unknown". */
const char *rdv_tls_name(unsigned mode);

#endif
