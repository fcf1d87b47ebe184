/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/msg.h — DSM protocol messages: one fixed-size, versioned wire format
 * and a pure encoder / fully checking decoder. The transport adds its own
 * framing; this is its payload. Page contents never travel inside a message:
 * they go beside it (transport send(..., page)).
 *
 * Wire layout, DSM_MSG_SIZE bytes, all integers little-endian:
 *
 *   off size field
 *     0   2  magic    DSM_MSG_MAGIC
 *     2   1  version  DSM_MSG_VERSION
 *     3   1  type     enum dsm_msg_type
 *     4   4  seq      per (sender, receiver) sequence number, from 1
 *     8   8  page     guest page number
 *    16   4  rid      the requester's request id
 *    20   1  node     REQ/FWD: requester; INV: new owner (acks go to it);
 *                     HOME_MOVE: owner (DSM_NO_NODE: untouched)
 *    21   1  home     FWD/DATA/GRANT: the home running the transaction
 *    22   1  nacks    DATA/GRANT/FWD: invalidation acks the requester awaits
 *    23   1  flags    DSM_MF_*
 *    24   8  copyset  HOME_MOVE: copyset bitmap; 0 otherwise
 *    32   1  hops     REQ: times forwarded
 *    33   1  reserved 0
 *    34   2  bounces  HOME_MOVE: ping-pong counter state; 0 otherwise
 *    36   4  crc      CRC-32C of bytes 0..35
 *
 * Messages (R requester, H home, O owner, S sharer):
 *   REQ       R->H   want a copy (MF_WRITE: exclusive). May be forwarded.
 *   FWD       H->O   send the page to R (MF_WRITE: then drop yours; else
 *                    downgrade to Shared). Carries nacks for R.
 *   DATA      O->R   the page contents (attached); MF_WRITE: exclusive.
 *   GRANT     H->R   no contents: MF_ZERO (install a zero page, exclusive)
 *                    or MF_UPGRADE (your Shared copy is current: take it
 *                    exclusive).
 *   INV       H->S   drop your copy; node = new owner, send INV_ACK to it.
 *   INV_ACK   S->R   dropped (rid = R's request).
 *   DONE      R->H   transaction complete (MF_WRITE: R is now owner).
 *   HOME_MOVE H->H'  the directory entry of page moves to the receiver.
 *
 * Thread-safety: no state; callable from any thread.
 */
#ifndef SSIVM_DSM_MSG_H
#define SSIVM_DSM_MSG_H

#include <stddef.h>
#include <stdint.h>

#define DSM_MSG_MAGIC 0x4d44u /* bytes 'D' 'M' */
#define DSM_MSG_VERSION 1u
#define DSM_MSG_SIZE 40u

enum dsm_msg_type {
	DSM_MSG_REQ = 1,
	DSM_MSG_FWD = 2,
	DSM_MSG_DATA = 3,
	DSM_MSG_GRANT = 4,
	DSM_MSG_INV = 5,
	DSM_MSG_INV_ACK = 6,
	DSM_MSG_DONE = 7,
	DSM_MSG_HOME_MOVE = 8,
	DSM_MSG_TYPE_MAX = 8,
};

#define DSM_MF_WRITE 0x01u   /* exclusive wanted / granted */
#define DSM_MF_ZERO 0x02u    /* GRANT: zero-filled page */
#define DSM_MF_UPGRADE 0x04u /* GRANT: in-place upgrade */
#define DSM_MF_ALL 0x07u

/* The decoded form (host order). */
struct dsm_msg {
	uint8_t type;
	uint8_t node;
	uint8_t home;
	uint8_t nacks;
	uint8_t flags;
	uint8_t hops;
	uint16_t bounces;
	uint32_t seq;
	uint32_t rid;
	uint64_t page;
	uint64_t copyset;
};

/* The wire form, for sizing; encode/decode never cast to it. */
struct dsm_msg_wire {
	uint16_t magic;
	uint8_t version;
	uint8_t type;
	uint32_t seq;
	uint64_t page;
	uint32_t rid;
	uint8_t node, home, nacks, flags;
	uint64_t copyset;
	uint8_t hops, reserved;
	uint16_t bounces;
	uint32_t crc;
};
_Static_assert(sizeof(struct dsm_msg_wire) == DSM_MSG_SIZE, "dsm message is 40 bytes");

/* Result of dsm_msg_decode(). */
enum dsm_msg_err {
	DSM_MSG_OK = 0,
	DSM_MSG_ELEN, /* len != DSM_MSG_SIZE */
	DSM_MSG_EMAGIC,
	DSM_MSG_EVERSION,
	DSM_MSG_ETYPE,
	DSM_MSG_ECRC,
	DSM_MSG_EFIELD, /* flags / reserved / fields that must be 0 for this type */
};

/* Encode m into buf (DSM_MSG_SIZE bytes). Never fails. */
void dsm_msg_encode(const struct dsm_msg *m, uint8_t buf[DSM_MSG_SIZE]);

/* Decode and check buf (len bytes) into *m: length, magic, version, type,
 * CRC, flags valid for the type, zero reserved/unused fields. Node and page
 * ranges are the protocol's to check (it knows nr_nodes and nr_pages).
 * Returns DSM_MSG_OK or the first problem found; *m is only valid on OK. */
enum dsm_msg_err dsm_msg_decode(const void *buf, size_t len, struct dsm_msg *m);

const char *dsm_msg_type_name(unsigned type);
const char *dsm_msg_err_name(enum dsm_msg_err e);

/* CRC-32C (Castagnoli), bitwise-table, of len bytes. */
uint32_t dsm_crc32c(const void *data, size_t len);

#endif
