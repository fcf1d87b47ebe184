// SPDX-License-Identifier: GPL-2.0-only
/* transport/wire.c — wire format encoder, checked decoder, counters (no UCX). */
#include "transport/wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static const char *const reject_names[TRANSPORT_REJ_NR] = {
    [TRANSPORT_REJ_TRUNCATED] = "truncated (shorter than a header)",
    [TRANSPORT_REJ_MAGIC] = "bad magic",
    [TRANSPORT_REJ_VERSION] = "unsupported wire version",
    [TRANSPORT_REJ_TYPE] = "unknown message type",
    [TRANSPORT_REJ_FLAGS] = "unknown flags or reserved bits set",
    [TRANSPORT_REJ_LENGTH] = "length mismatch",
    [TRANSPORT_REJ_OVERSIZE] = "control message too long or empty",
    [TRANSPORT_REJ_NO_PAGE] = "page flag without a page",
    [TRANSPORT_REJ_SOURCE] = "wrong source node",
    [TRANSPORT_REJ_DEST] = "wrong destination node",
    [TRANSPORT_REJ_SEQUENCE] = "replayed or duplicate sequence number",
    [TRANSPORT_REJ_PEER_DOWN] = "from a node already down",
    [TRANSPORT_REJ_UNEXPECTED] = "unexpected message",
};

const char *transport_reject_name(unsigned reason)
{
	if (reason >= TRANSPORT_REJ_NR)
		return "unknown reason";
	return reject_names[reason];
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

size_t wire_encode(void *buf, size_t cap, enum wire_type type, uint32_t src, uint32_t dst,
		   uint64_t seq, const void *msg, size_t len, const void *page)
{
	uint8_t *b = buf;
	size_t total;

	switch (type) {
	case WIRE_T_MSG:
		if (len == 0 || len > TRANSPORT_MAX_MSG || !msg)
			return 0;
		break;
	case WIRE_T_HEARTBEAT:
	case WIRE_T_BYE:
		if (len != 0 || page)
			return 0;
		break;
	default:
		return 0;
	}
	total = wire_size(len, page != NULL);
	if (!buf || cap < total)
		return 0;
	put32(b + offsetof(struct wire_hdr, magic), WIRE_MAGIC);
	b[offsetof(struct wire_hdr, version)] = WIRE_VERSION;
	b[offsetof(struct wire_hdr, type)] = (uint8_t)type;
	put16(b + offsetof(struct wire_hdr, flags), page ? WIRE_F_PAGE : 0);
	put32(b + offsetof(struct wire_hdr, len), (uint32_t)len);
	put32(b + offsetof(struct wire_hdr, src), src);
	put32(b + offsetof(struct wire_hdr, dst), dst);
	put32(b + offsetof(struct wire_hdr, reserved), 0);
	put64(b + offsetof(struct wire_hdr, seq), seq);
	if (page)
		memcpy(b + WIRE_HDR_SIZE, page, TRANSPORT_PAGE_SIZE);
	if (len)
		memcpy(b + WIRE_HDR_SIZE + (page ? TRANSPORT_PAGE_SIZE : 0), msg, len);
	return total;
}

static int reject(unsigned *reason, unsigned why)
{
	*reason = why;
	return -EBADMSG;
}

int wire_decode(const void *buf, size_t n, const struct wire_expect *e, struct wire_msg *out,
		unsigned *reason)
{
	const uint8_t *b = buf;
	uint32_t len, src, dst;
	uint16_t flags;
	uint8_t type;
	size_t page_bytes, want;
	uint64_t seq;

	if (!buf || n < WIRE_HDR_SIZE)
		return reject(reason, TRANSPORT_REJ_TRUNCATED);
	if (get32(b + offsetof(struct wire_hdr, magic)) != WIRE_MAGIC)
		return reject(reason, TRANSPORT_REJ_MAGIC);
	if (b[offsetof(struct wire_hdr, version)] != WIRE_VERSION)
		return reject(reason, TRANSPORT_REJ_VERSION);
	type = b[offsetof(struct wire_hdr, type)];
	if (type != WIRE_T_MSG && type != WIRE_T_HEARTBEAT && type != WIRE_T_BYE)
		return reject(reason, TRANSPORT_REJ_TYPE);
	flags = get16(b + offsetof(struct wire_hdr, flags));
	if ((flags & ~WIRE_F_ALL) || get32(b + offsetof(struct wire_hdr, reserved)))
		return reject(reason, TRANSPORT_REJ_FLAGS);
	len = get32(b + offsetof(struct wire_hdr, len));
	if (len > TRANSPORT_MAX_MSG)
		return reject(reason, TRANSPORT_REJ_OVERSIZE);
	if (type == WIRE_T_MSG && len == 0)
		return reject(reason, TRANSPORT_REJ_OVERSIZE);
	if (type != WIRE_T_MSG && (len || (flags & WIRE_F_PAGE)))
		return reject(reason, TRANSPORT_REJ_LENGTH);
	page_bytes = (flags & WIRE_F_PAGE) ? TRANSPORT_PAGE_SIZE : 0;
	want = WIRE_HDR_SIZE + page_bytes + len;
	if (n != want) {
		/* Exactly one page missing (or extra) is a page/flag mismatch. */
		if (n + TRANSPORT_PAGE_SIZE == want || n == want + TRANSPORT_PAGE_SIZE)
			return reject(reason, TRANSPORT_REJ_NO_PAGE);
		return reject(reason, TRANSPORT_REJ_LENGTH);
	}
	src = get32(b + offsetof(struct wire_hdr, src));
	dst = get32(b + offsetof(struct wire_hdr, dst));
	if (src >= e->nr_nodes || src == e->self || (e->src != WIRE_SRC_ANY && src != e->src))
		return reject(reason, TRANSPORT_REJ_SOURCE);
	if (dst != e->self)
		return reject(reason, TRANSPORT_REJ_DEST);
	seq = get64(b + offsetof(struct wire_hdr, seq));
	if (seq == 0 || seq < e->min_seq)
		return reject(reason, TRANSPORT_REJ_SEQUENCE);

	out->type = (enum wire_type)type;
	out->src = src;
	out->dst = dst;
	out->seq = seq;
	out->len = len;
	out->page = page_bytes ? b + WIRE_HDR_SIZE : NULL;
	out->msg = len ? b + WIRE_HDR_SIZE + page_bytes : NULL;
	return 0;
}

void wire_count_reject(struct transport_stats *st, unsigned reason)
{
	if (reason >= TRANSPORT_REJ_NR)
		reason = TRANSPORT_REJ_UNEXPECTED;
	st->rejected[reason]++;
	st->rejected_total++;
}

int wire_rx_accept(struct wire_rx *rx, uint32_t self, uint32_t nr_nodes, struct transport_stats *st,
		   const void *buf, size_t n, struct wire_msg *out, unsigned *reason)
{
	struct wire_expect e = {
	    .self = self,
	    .nr_nodes = nr_nodes,
	    .src = rx->node,
	    .min_seq = rx->next_seq ? rx->next_seq : 1,
	};

	if (wire_decode(buf, n, &e, out, reason)) {
		wire_count_reject(st, *reason);
		return -EBADMSG;
	}
	rx->next_seq = out->seq + 1;
	if (out->type == WIRE_T_HEARTBEAT) {
		st->heartbeats_recv++;
		return 0;
	}
	if (out->type == WIRE_T_BYE)
		return 0;
	st->msgs_recv++;
	st->bytes_recv += out->len + (out->page ? TRANSPORT_PAGE_SIZE : 0);
	if (out->page)
		st->pages_recv++;
	return 0;
}

int wire_ratelimit(struct wire_ratelimit *rl, uint64_t now_ms)
{
	if (now_ms - rl->window_start_ms >= rl->period_ms || now_ms < rl->window_start_ms) {
		rl->window_start_ms = now_ms;
		rl->in_window = 0;
	}
	if (rl->in_window < rl->burst) {
		rl->in_window++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
