// SPDX-License-Identifier: GPL-2.0-only
/* tests/multiproc/tp_evil.c — malformed messages on purpose (see tp_evil.h). */
#include "tests/multiproc/tp_evil.h"

#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "transport/transport_testing.h"
#include "transport/wire.h"

/* Crafted cases: how to spoil a valid message, and what the victim must say. */
enum spoil {
	S_EMPTY,
	S_SHORT,
	S_MAGIC,
	S_VERSION,
	S_TYPE,
	S_FLAGS,
	S_RESERVED,
	S_LENGTH,
	S_OVERSIZE,
	S_EMPTY_MSG,
	S_PAGE_FLAG_NO_PAGE,
	S_PAGE_NO_FLAG,
	S_HEARTBEAT_LEN,
	S_SRC_VICTIM,
	S_SRC_OTHER,
	S_DEST,
	S_SEQ_ZERO,
	S_REPLAY,
	S_NR
};

static const unsigned spoil_reason[S_NR] = {
    [S_EMPTY] = TRANSPORT_REJ_TRUNCATED,
    [S_SHORT] = TRANSPORT_REJ_TRUNCATED,
    [S_MAGIC] = TRANSPORT_REJ_MAGIC,
    [S_VERSION] = TRANSPORT_REJ_VERSION,
    [S_TYPE] = TRANSPORT_REJ_TYPE,
    [S_FLAGS] = TRANSPORT_REJ_FLAGS,
    [S_RESERVED] = TRANSPORT_REJ_FLAGS,
    [S_LENGTH] = TRANSPORT_REJ_LENGTH,
    [S_OVERSIZE] = TRANSPORT_REJ_OVERSIZE,
    [S_EMPTY_MSG] = TRANSPORT_REJ_OVERSIZE,
    [S_PAGE_FLAG_NO_PAGE] = TRANSPORT_REJ_NO_PAGE,
    [S_PAGE_NO_FLAG] = TRANSPORT_REJ_NO_PAGE,
    [S_HEARTBEAT_LEN] = TRANSPORT_REJ_LENGTH,
    [S_SRC_VICTIM] = TRANSPORT_REJ_SOURCE,
    [S_SRC_OTHER] = TRANSPORT_REJ_SOURCE,
    [S_DEST] = TRANSPORT_REJ_DEST,
    [S_SEQ_ZERO] = TRANSPORT_REJ_SEQUENCE,
    [S_REPLAY] = TRANSPORT_REJ_SEQUENCE,
};

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

/* Random blob i: its length and bytes (never a valid magic). */
static size_t garbage(unsigned i, uint8_t *buf)
{
	uint64_t s = 0x243f6a8885a308d3ull * (i + 1);
	size_t len;

	s ^= s >> 29;
	len = i < 8 ? i * 4 : (size_t)(s % (WIRE_MAX_SIZE + 1));
	for (size_t k = 0; k < len; k++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		buf[k] = (uint8_t)(s >> 56);
	}
	if (len >= 4 && buf[0] == 'S')
		buf[0] = 'X';
	return len;
}

/* A node that is neither self nor v (or an id out of range in a 2-node cluster). */
static uint32_t other_node(uint32_t self, uint32_t v, uint32_t nr)
{
	for (uint32_t o = 0; o < nr; o++)
		if (o != self && o != v)
			return o;
	return nr + 7;
}

void tp_evil_expected(uint64_t want[TRANSPORT_REJ_NR])
{
	uint8_t buf[WIRE_MAX_SIZE];

	for (unsigned r = 0; r < TRANSPORT_REJ_NR; r++)
		want[r] = 0;
	for (unsigned s = 0; s < S_NR; s++)
		want[spoil_reason[s]]++;
	for (unsigned i = 0; i < TP_EVIL_GARBAGE; i++)
		want[garbage(i, buf) < WIRE_HDR_SIZE ? TRANSPORT_REJ_TRUNCATED
						     : TRANSPORT_REJ_MAGIC]++;
}

static int send_spoiled(struct transport *t, uint32_t self, uint32_t nr, uint32_t v, enum spoil s)
{
	static uint8_t buf[WIRE_MAX_SIZE + 64], page[TRANSPORT_PAGE_SIZE];
	struct pp_hdr nop = {.kind = PP_NOP, .from = self};
	uint64_t seq = transport_next_seq(t, v);
	size_t n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, self, v, seq, &nop, sizeof(nop), NULL);
	int rc;

	switch (s) {
	case S_EMPTY:
		n = 0;
		break;
	case S_SHORT:
		n = 10;
		break;
	case S_MAGIC:
		buf[0] ^= 0xff;
		break;
	case S_VERSION:
		buf[offsetof(struct wire_hdr, version)] = WIRE_VERSION + 1;
		break;
	case S_TYPE:
		buf[offsetof(struct wire_hdr, type)] = 9;
		break;
	case S_FLAGS:
		put16(buf + offsetof(struct wire_hdr, flags), 0x80);
		break;
	case S_RESERVED:
		put32(buf + offsetof(struct wire_hdr, reserved), 1);
		break;
	case S_LENGTH:
		put32(buf + offsetof(struct wire_hdr, len), 100);
		break;
	case S_OVERSIZE:
		put32(buf + offsetof(struct wire_hdr, len), TRANSPORT_MAX_MSG + 1);
		n = WIRE_HDR_SIZE + TRANSPORT_MAX_MSG + 1;
		break;
	case S_EMPTY_MSG:
		put32(buf + offsetof(struct wire_hdr, len), 0);
		n = WIRE_HDR_SIZE;
		break;
	case S_PAGE_FLAG_NO_PAGE:
		put16(buf + offsetof(struct wire_hdr, flags), WIRE_F_PAGE);
		break;
	case S_PAGE_NO_FLAG:
		n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, self, v, seq, &nop, sizeof(nop),
				page);
		put16(buf + offsetof(struct wire_hdr, flags), 0);
		break;
	case S_HEARTBEAT_LEN:
		buf[offsetof(struct wire_hdr, type)] = WIRE_T_HEARTBEAT;
		break;
	case S_SRC_VICTIM:
		put32(buf + offsetof(struct wire_hdr, src), v);
		break;
	case S_SRC_OTHER:
		put32(buf + offsetof(struct wire_hdr, src), other_node(self, v, nr));
		break;
	case S_DEST:
		put32(buf + offsetof(struct wire_hdr, dst), self);
		break;
	case S_SEQ_ZERO:
		n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, self, v, 0, &nop, sizeof(nop), NULL);
		break;
	case S_REPLAY:
		/* a valid no-op (accepted, consumes a sequence number), then again */
		rc = transport_send_raw(t, v, buf, n);
		if (rc)
			return rc;
		transport_skip_seq(t, v);
		break;
	case S_NR:
		break;
	}
	return transport_send_raw(t, v, buf, n);
}

int tp_evil_send_all(struct transport *t, uint32_t self, uint32_t nr_nodes)
{
	static uint8_t buf[WIRE_MAX_SIZE];

	for (uint32_t v = 0; v < nr_nodes; v++) {
		if (v == self)
			continue;
		for (unsigned s = 0; s < S_NR; s++) {
			int rc = send_spoiled(t, self, nr_nodes, v, (enum spoil)s);

			if (rc) {
				fprintf(stderr,
					"tp-node %u (evil): spoiled message %u to node %u: %d\n",
					self, s, v, rc);
				return rc;
			}
		}
		for (unsigned i = 0; i < TP_EVIL_GARBAGE; i++) {
			int rc = transport_send_raw(t, v, buf, garbage(i, buf));

			if (rc)
				return rc;
			if (i % 16 == 15)
				transport_progress(t);
		}
	}
	return 0;
}
