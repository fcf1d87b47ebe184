// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/msg.c — encoder and checking decoder of DSM protocol messages.
 */
#include "dsm/msg.h"

#include <stdbool.h>
#include <string.h>

/* Fields a message type may use; every other field must be zero. */
#define F_NODE 0x01u
#define F_HOME 0x02u
#define F_NACKS 0x04u
#define F_COPYSET 0x08u
#define F_HOPS 0x10u
#define F_BOUNCES 0x20u
#define F_RID 0x40u

struct type_rule {
	const char *name;
	unsigned fields;
	uint8_t flags_allowed;
};

static const struct type_rule rules[DSM_MSG_TYPE_MAX + 1] = {
    [DSM_MSG_REQ] = {"REQ", F_NODE | F_HOPS | F_RID, DSM_MF_WRITE},
    [DSM_MSG_FWD] = {"FWD", F_NODE | F_HOME | F_NACKS | F_RID, DSM_MF_WRITE},
    [DSM_MSG_DATA] = {"DATA", F_HOME | F_NACKS | F_RID, DSM_MF_WRITE},
    [DSM_MSG_GRANT] = {"GRANT", F_HOME | F_NACKS | F_RID, DSM_MF_ALL},
    [DSM_MSG_INV] = {"INV", F_NODE | F_RID, 0},
    [DSM_MSG_INV_ACK] = {"INV_ACK", F_RID, 0},
    [DSM_MSG_DONE] = {"DONE", F_RID, DSM_MF_WRITE},
    [DSM_MSG_HOME_MOVE] = {"HOME_MOVE", F_NODE | F_COPYSET | F_BOUNCES, 0},
};

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, true, __ATOMIC_RELEASE);
}

uint32_t dsm_crc32c(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t c = 0xffffffffu;

	/* Idempotent: racing first calls compute the same table. */
	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] | (b[1] << 8));
}

static uint32_t get32(const uint8_t *b)
{
	return get16(b) | ((uint32_t)get16(b + 2) << 16);
}

static uint64_t get64(const uint8_t *b)
{
	return get32(b) | ((uint64_t)get32(b + 4) << 32);
}

void dsm_msg_encode(const struct dsm_msg *m, uint8_t buf[DSM_MSG_SIZE])
{
	put16(buf + 0, DSM_MSG_MAGIC);
	buf[2] = DSM_MSG_VERSION;
	buf[3] = m->type;
	put32(buf + 4, m->seq);
	put64(buf + 8, m->page);
	put32(buf + 16, m->rid);
	buf[20] = m->node;
	buf[21] = m->home;
	buf[22] = m->nacks;
	buf[23] = m->flags;
	put64(buf + 24, m->copyset);
	buf[32] = m->hops;
	buf[33] = 0;
	put16(buf + 34, m->bounces);
	put32(buf + 36, dsm_crc32c(buf, 36));
}

enum dsm_msg_err dsm_msg_decode(const void *data, size_t len, struct dsm_msg *m)
{
	const uint8_t *buf = data;
	const struct type_rule *r;
	unsigned f;

	if (!buf || len != DSM_MSG_SIZE)
		return DSM_MSG_ELEN;
	if (get16(buf) != DSM_MSG_MAGIC)
		return DSM_MSG_EMAGIC;
	if (buf[2] != DSM_MSG_VERSION)
		return DSM_MSG_EVERSION;
	if (buf[3] == 0 || buf[3] > DSM_MSG_TYPE_MAX)
		return DSM_MSG_ETYPE;
	if (get32(buf + 36) != dsm_crc32c(buf, 36))
		return DSM_MSG_ECRC;

	memset(m, 0, sizeof(*m));
	m->type = buf[3];
	m->seq = get32(buf + 4);
	m->page = get64(buf + 8);
	m->rid = get32(buf + 16);
	m->node = buf[20];
	m->home = buf[21];
	m->nacks = buf[22];
	m->flags = buf[23];
	m->copyset = get64(buf + 24);
	m->hops = buf[32];
	m->bounces = get16(buf + 34);

	r = &rules[m->type];
	f = r->fields;
	if (buf[33] != 0 || m->seq == 0 || (m->flags & ~r->flags_allowed))
		return DSM_MSG_EFIELD;
	if ((!(f & F_NODE) && m->node) || (!(f & F_HOME) && m->home) ||
	    (!(f & F_NACKS) && m->nacks) || (!(f & F_COPYSET) && m->copyset) ||
	    (!(f & F_HOPS) && m->hops) || (!(f & F_BOUNCES) && m->bounces) ||
	    (!(f & F_RID) && m->rid))
		return DSM_MSG_EFIELD;
	if (m->type == DSM_MSG_GRANT) {
		unsigned kind = m->flags & (DSM_MF_ZERO | DSM_MF_UPGRADE);
		/* a grant is always exclusive, and exactly one kind */
		if (!(m->flags & DSM_MF_WRITE) || (kind != DSM_MF_ZERO && kind != DSM_MF_UPGRADE) ||
		    (kind == DSM_MF_ZERO && m->nacks))
			return DSM_MSG_EFIELD;
	}
	if (m->type == DSM_MSG_FWD || m->type == DSM_MSG_DATA) {
		/* readers have nothing to wait for */
		if (!(m->flags & DSM_MF_WRITE) && m->nacks)
			return DSM_MSG_EFIELD;
	}
	return DSM_MSG_OK;
}

const char *dsm_msg_type_name(unsigned type)
{
	if (type == 0 || type > DSM_MSG_TYPE_MAX)
		return "?";
	return rules[type].name;
}

const char *dsm_msg_err_name(enum dsm_msg_err e)
{
	switch (e) {
	case DSM_MSG_OK:
		return "ok";
	case DSM_MSG_ELEN:
		return "length";
	case DSM_MSG_EMAGIC:
		return "magic";
	case DSM_MSG_EVERSION:
		return "version";
	case DSM_MSG_ETYPE:
		return "type";
	case DSM_MSG_ECRC:
		return "crc";
	case DSM_MSG_EFIELD:
		return "field";
	}
	return "?";
}
