// SPDX-License-Identifier: GPL-2.0-only
/* transport/hello.c — rendezvous frames: encoder, checked decoder, descriptions (no I/O). */
#include "transport/hello.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const hello_reject_names[TRANSPORT_HELLO_REJ_NR] = {
    [TRANSPORT_HELLO_REJ_JUNK] = "not a hello",
    [TRANSPORT_HELLO_REJ_MALFORMED] = "malformed hello",
    [TRANSPORT_HELLO_REJ_CHECKSUM] = "checksum mismatch",
    [TRANSPORT_HELLO_REJ_VERSION] = "other rendezvous version",
    [TRANSPORT_HELLO_REJ_CLUSTER] = "other cluster size",
    [TRANSPORT_HELLO_REJ_TLS] = "other tls setting",
    [TRANSPORT_HELLO_REJ_NODE] = "node ids do not fit",
    [TRANSPORT_HELLO_REJ_ADDRESS] = "bad UCX worker address",
    [TRANSPORT_HELLO_REJ_SOURCE] = "not from the claimed node's IP",
    [TRANSPORT_HELLO_REJ_DUPLICATE] = "node claimed twice",
    [TRANSPORT_HELLO_REJ_LATE] = "node already down",
    [TRANSPORT_HELLO_REJ_TIMEOUT] = "no hello in time",
    [TRANSPORT_HELLO_REJ_CLOSED] = "closed before a hello",
    [TRANSPORT_HELLO_REJ_OVERFLOW] = "too many connections waiting",
};

const char *transport_hello_reject_name(unsigned reason)
{
	if (reason >= TRANSPORT_HELLO_REJ_NR)
		return "unknown reason";
	return hello_reject_names[reason];
}

const char *rdv_tls_name(unsigned mode)
{
	static const char *const names[] = {"auto", "tcp", "shm"};

	return mode < 3 ? names[mode] : "unknown";
}

uint32_t rdv_crc32(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t frame_crc(const uint8_t *b, size_t body_len)
{
	return rdv_crc32(rdv_crc32(0, b, RDV_OFF_CRC), b + RDV_HDR_SIZE, body_len);
}

static size_t encode(uint8_t *b, size_t cap, uint8_t type, uint8_t mode, uint32_t src, uint32_t dst,
		     uint32_t nr_nodes, const void *body, size_t body_len)
{
	if (cap < RDV_HDR_SIZE + body_len)
		return 0;
	memset(b, 0, RDV_HDR_SIZE);
	put32(b + RDV_OFF_MAGIC, RDV_MAGIC);
	b[RDV_OFF_VERSION] = RDV_VERSION;
	b[RDV_OFF_TYPE] = type;
	b[RDV_OFF_MODE] = mode;
	put32(b + RDV_OFF_SRC, src);
	put32(b + RDV_OFF_DST, dst);
	put32(b + RDV_OFF_NR_NODES, nr_nodes);
	put32(b + RDV_OFF_BODY_LEN, (uint32_t)body_len);
	memmove(b + RDV_HDR_SIZE, body, body_len);
	put32(b + RDV_OFF_CRC, frame_crc(b, body_len));
	return RDV_HDR_SIZE + body_len;
}

size_t rdv_encode_hello(void *buf, size_t cap, uint8_t tls_mode, uint32_t src, uint32_t dst,
			uint32_t nr_nodes, const void *addr, size_t addr_len)
{
	if (!buf || !addr || addr_len < RDV_MIN_ADDR || addr_len > RDV_MAX_ADDR || tls_mode > 2 ||
	    nr_nodes == 0 || nr_nodes > TRANSPORT_MAX_NODES || src >= nr_nodes || dst >= nr_nodes ||
	    src == dst)
		return 0;
	return encode(buf, cap, RDV_T_HELLO, tls_mode, src, dst, nr_nodes, addr, addr_len);
}

static int printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

size_t rdv_encode_refusal(void *buf, size_t cap, unsigned reason, uint32_t src, uint32_t dst,
			  uint32_t nr_nodes, const char *text)
{
	uint8_t t[RDV_MAX_TEXT];
	size_t n = text ? strnlen(text, RDV_MAX_TEXT) : 0;

	if (!buf || n == 0 || reason >= TRANSPORT_HELLO_REJ_NR || nr_nodes == 0 ||
	    nr_nodes > TRANSPORT_MAX_NODES)
		return 0;
	for (size_t i = 0; i < n; i++)
		t[i] = printable((uint8_t)text[i]) ? (uint8_t)text[i] : '?';
	return encode(buf, cap, RDV_T_REFUSE, (uint8_t)reason, src, dst, nr_nodes, t, n);
}

static int junk(struct rdv_frame *f, enum rdv_bad bad, unsigned *reason)
{
	f->bad = bad;
	if (bad == RDV_BAD_MAGIC)
		*reason = TRANSPORT_HELLO_REJ_JUNK;
	else if (bad == RDV_BAD_ADDR_LEN)
		*reason = TRANSPORT_HELLO_REJ_ADDRESS;
	else if (bad == RDV_BAD_CRC)
		*reason = TRANSPORT_HELLO_REJ_CHECKSUM;
	else
		*reason = TRANSPORT_HELLO_REJ_MALFORMED;
	return -EBADMSG;
}

static int misfit(unsigned r, unsigned *reason)
{
	*reason = r;
	return -EPROTO;
}

int rdv_decode(const void *buf, size_t n, const struct rdv_expect *e, struct rdv_frame *f,
	       unsigned *reason, size_t *need)
{
	static const uint8_t magic[4] = {'S', 'S', 'I', 'R'};
	const uint8_t *b = buf;
	size_t body_len;

	memset(f, 0, sizeof(*f));
	f->src = f->dst = UINT32_MAX;
	f->head_len = n < 4 ? (unsigned)n : 4;
	memcpy(f->head, b, f->head_len);
	/* a stray client is told apart by its first bytes */
	for (size_t i = 0; i < f->head_len; i++)
		if (b[i] != magic[i])
			return junk(f, RDV_BAD_MAGIC, reason);
	if (n <= RDV_OFF_VERSION) {
		*need = RDV_OFF_VERSION + 1;
		return RDV_MORE;
	}
	f->version = b[RDV_OFF_VERSION];
	if (f->version != RDV_VERSION)
		return misfit(TRANSPORT_HELLO_REJ_VERSION, reason);
	if (n < RDV_HDR_SIZE) {
		*need = RDV_HDR_SIZE;
		return RDV_MORE;
	}
	f->type = b[RDV_OFF_TYPE];
	f->mode = b[RDV_OFF_MODE];
	f->src = get32(b + RDV_OFF_SRC);
	f->dst = get32(b + RDV_OFF_DST);
	f->nr_nodes = get32(b + RDV_OFF_NR_NODES);
	f->body_len = get32(b + RDV_OFF_BODY_LEN);
	f->crc_sent = get32(b + RDV_OFF_CRC);
	body_len = f->body_len;
	if (f->type != RDV_T_HELLO && f->type != RDV_T_REFUSE)
		return junk(f, RDV_BAD_TYPE, reason);
	if (f->type == RDV_T_REFUSE && !e->refusal_ok)
		return junk(f, RDV_BAD_REFUSAL_HERE, reason);
	if (b[RDV_OFF_RESERVED0] || get32(b + RDV_OFF_RESERVED1))
		return junk(f, RDV_BAD_RESERVED, reason);
	if (f->type == RDV_T_HELLO && (body_len < RDV_MIN_ADDR || body_len > RDV_MAX_ADDR))
		return junk(f, RDV_BAD_ADDR_LEN, reason);
	if (f->type == RDV_T_REFUSE && (body_len == 0 || body_len > RDV_MAX_TEXT))
		return junk(f, RDV_BAD_TEXT_LEN, reason);
	if (n < RDV_HDR_SIZE + body_len) {
		*need = RDV_HDR_SIZE + body_len;
		return RDV_MORE;
	}
	f->crc_calc = frame_crc(b, body_len);
	if (f->crc_calc != f->crc_sent)
		return junk(f, RDV_BAD_CRC, reason);
	f->body = b + RDV_HDR_SIZE;
	/* the bytes are a frame; now its fields */
	if (f->nr_nodes == 0 || f->nr_nodes > TRANSPORT_MAX_NODES)
		return junk(f, RDV_BAD_NR_NODES, reason);
	if (f->type == RDV_T_REFUSE) {
		if (f->mode >= TRANSPORT_HELLO_REJ_NR)
			return junk(f, RDV_BAD_REASON, reason);
		for (size_t i = 0; i < body_len; i++)
			if (!printable(f->body[i]))
				return junk(f, RDV_BAD_TEXT, reason);
		return 0;
	}
	if (f->src >= f->nr_nodes || f->dst >= f->nr_nodes || f->src == f->dst)
		return junk(f, RDV_BAD_NODE_IDS, reason);
	if (f->mode > 2)
		return junk(f, RDV_BAD_TLS, reason);
	if (f->nr_nodes != e->nr_nodes)
		return misfit(TRANSPORT_HELLO_REJ_CLUSTER, reason);
	if (f->mode != e->tls_mode)
		return misfit(TRANSPORT_HELLO_REJ_TLS, reason);
	if (f->dst != e->self || f->src == e->self ||
	    (e->src == RDV_SRC_HIGHER ? f->src < e->self : f->src != e->src))
		return misfit(TRANSPORT_HELLO_REJ_NODE, reason);
	if ((f->body[0] & RDV_ADDR_FORMAT_MASK) >= e->addr_formats)
		return misfit(TRANSPORT_HELLO_REJ_ADDRESS, reason);
	return 0;
}

static void describe_node(const struct rdv_frame *f, const struct rdv_expect *e, char *buf,
			  size_t len)
{
	if (f->src == e->self)
		snprintf(buf, len, "it claims node %u, the id of the receiver", f->src);
	else if (f->dst != e->self)
		snprintf(buf, len, "it takes node %u for node %u", e->self, f->dst);
	else if (e->src == RDV_SRC_HIGHER)
		snprintf(buf, len,
			 "it claims node %u, which never connects to node %u (nodes connect to "
			 "smaller ids only)",
			 f->src, e->self);
	else
		snprintf(buf, len, "it says it is node %u, not node %u", f->src, e->src);
}

static void describe_bad(const struct rdv_frame *f, char *buf, size_t len)
{
	switch (f->bad) {
	case RDV_BAD_MAGIC:
		snprintf(buf, len, "not a hello: starts with %02x %02x %02x %02x", f->head[0],
			 f->head[1], f->head[2], f->head[3]);
		break;
	case RDV_BAD_TYPE:
		snprintf(buf, len, "malformed: unknown frame type %u", f->type);
		break;
	case RDV_BAD_REFUSAL_HERE:
		snprintf(buf, len, "malformed: a refusal where a hello belongs");
		break;
	case RDV_BAD_RESERVED:
		snprintf(buf, len, "malformed: reserved bytes not zero");
		break;
	case RDV_BAD_ADDR_LEN:
		snprintf(buf, len, "UCX worker address of %u bytes (expected %u..%u)", f->body_len,
			 RDV_MIN_ADDR, RDV_MAX_ADDR);
		break;
	case RDV_BAD_TEXT_LEN:
		snprintf(buf, len, "malformed: a refusal text of %u bytes (1..%u)", f->body_len,
			 RDV_MAX_TEXT);
		break;
	case RDV_BAD_CRC:
		snprintf(buf, len, "checksum mismatch (frame says 0x%08x, its bytes give 0x%08x)",
			 f->crc_sent, f->crc_calc);
		break;
	case RDV_BAD_NR_NODES:
		snprintf(buf, len, "malformed: a cluster of %u nodes (1..%u)", f->nr_nodes,
			 TRANSPORT_MAX_NODES);
		break;
	case RDV_BAD_REASON:
		snprintf(buf, len, "malformed: unknown refusal reason %u", f->mode);
		break;
	case RDV_BAD_TEXT:
		snprintf(buf, len, "malformed: refusal text not printable");
		break;
	case RDV_BAD_NODE_IDS:
		snprintf(buf, len, "malformed: from node %u to node %u in a cluster of %u", f->src,
			 f->dst, f->nr_nodes);
		break;
	case RDV_BAD_TLS:
		snprintf(buf, len, "malformed: unknown tls setting %u", f->mode);
		break;
	case RDV_BAD_NONE:
		snprintf(buf, len, "malformed");
		break;
	}
}

char *rdv_describe(unsigned reason, const struct rdv_frame *f, const struct rdv_expect *e,
		   char *buf, size_t len)
{
	static const struct rdv_frame none = {.src = UINT32_MAX, .dst = UINT32_MAX};

	if (!f)
		f = &none;
	if (len)
		buf[0] = 0;
	if (f->bad != RDV_BAD_NONE) {
		describe_bad(f, buf, len);
		return buf;
	}
	switch (reason) {
	case TRANSPORT_HELLO_REJ_VERSION:
		snprintf(buf, len, "it speaks rendezvous version %u, node %u speaks %u", f->version,
			 e->self, RDV_VERSION);
		break;
	case TRANSPORT_HELLO_REJ_CLUSTER:
		snprintf(buf, len, "it says the cluster has %u nodes, node %u says %u", f->nr_nodes,
			 e->self, e->nr_nodes);
		break;
	case TRANSPORT_HELLO_REJ_TLS:
		snprintf(buf, len, "it uses tls %s, node %u uses %s", rdv_tls_name(f->mode),
			 e->self, rdv_tls_name(e->tls_mode));
		break;
	case TRANSPORT_HELLO_REJ_NODE:
		describe_node(f, e, buf, len);
		break;
	case TRANSPORT_HELLO_REJ_ADDRESS:
		snprintf(buf, len,
			 "its UCX worker address has an unknown format %u (node %u's UCX knows "
			 "formats below %u; another UCX release?)",
			 f->body ? f->body[0] & RDV_ADDR_FORMAT_MASK : 0u, e->self,
			 e->addr_formats);
		break;
	default:
		snprintf(buf, len, "%s", transport_hello_reject_name(reason));
	}
	return buf;
}
