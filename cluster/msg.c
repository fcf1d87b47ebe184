// SPDX-License-Identifier: GPL-2.0-only
/* cluster/msg.c — encoding and checking of the control channel's messages. */
#include "cluster/msg.h"

#include <errno.h>
#include <string.h>

#include "transport/transport.h"

/* The bodies are the structs' bytes: x86 hosts, no padding the compiler adds. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian wire format");
_Static_assert(sizeof(struct cl_hello) == 32, "hello");
_Static_assert(sizeof(struct cl_range) == 16, "range");
_Static_assert(sizeof(struct cl_busmap) == 8 + 16 * CL_BUSMAP_MAX, "busmap");
_Static_assert(sizeof(struct cl_io_req) == 32, "io_req");
_Static_assert(sizeof(struct cl_io_resp) == 24, "io_resp");
_Static_assert(sizeof(struct cl_irq) == 8, "irq");
_Static_assert(sizeof(struct cl_eoi) == 8, "eoi");
_Static_assert(sizeof(struct cl_exit) == 8 + CL_WHY_LEN, "exit");
_Static_assert(sizeof(struct cl_ping) == 16, "ping");
_Static_assert(sizeof(struct cl_pong) == 32, "pong");
_Static_assert(sizeof(struct cl_clock) == 32, "clock");
_Static_assert(sizeof(struct cl_vcpu_state) == 16 + CL_STATE_CHUNK, "vcpu_state");
_Static_assert(sizeof(struct cl_vcpu_moved) == 8, "vcpu_moved");
_Static_assert(sizeof(struct cl_ready) == 8, "ready");
_Static_assert(CL_HDR_LEN + sizeof(((struct cl_msg *)0)->u) <= TRANSPORT_MAX_MSG,
	       "a message fits one transport control message");
_Static_assert(CL_MAX_LEN >= CL_HDR_LEN + sizeof(struct cl_vcpu_state), "CL_MAX_LEN");

static const size_t body_len[CL_TYPE_MAX] = {
    [CL_HELLO] = sizeof(struct cl_hello),
    [CL_READY] = sizeof(struct cl_ready),
    [CL_BUSMAP] = sizeof(struct cl_busmap),
    [CL_IO_REQ] = sizeof(struct cl_io_req),
    [CL_IO_RESP] = sizeof(struct cl_io_resp),
    [CL_IRQ] = sizeof(struct cl_irq),
    [CL_EOI] = sizeof(struct cl_eoi),
    [CL_EXIT] = sizeof(struct cl_exit),
    [CL_PING] = sizeof(struct cl_ping),
    [CL_PONG] = sizeof(struct cl_pong),
    [CL_CLOCK] = sizeof(struct cl_clock),
    [CL_VCPU_STATE] = sizeof(struct cl_vcpu_state),
    [CL_VCPU_MOVED] = sizeof(struct cl_vcpu_moved),
};

static const char *const type_names[CL_TYPE_MAX] = {
    [CL_HELLO] = "HELLO",
    [CL_READY] = "READY",
    [CL_BUSMAP] = "BUSMAP",
    [CL_IO_REQ] = "IO_REQ",
    [CL_IO_RESP] = "IO_RESP",
    [CL_IRQ] = "IRQ",
    [CL_EOI] = "EOI",
    [CL_EXIT] = "EXIT",
    [CL_PING] = "PING",
    [CL_PONG] = "PONG",
    [CL_CLOCK] = "CLOCK",
    [CL_VCPU_STATE] = "VCPU_STATE",
    [CL_VCPU_MOVED] = "VCPU_MOVED",
};

static const char *const reject_names[CL_REJ_NR] = {
    [CL_REJ_SHORT] = "shorter than its header", [CL_REJ_TYPE] = "unknown type",
    [CL_REJ_VERSION] = "unknown version",       [CL_REJ_LENGTH] = "wrong length for its type",
    [CL_REJ_RESERVED] = "reserved bytes set",   [CL_REJ_NODE] = "node id out of range",
    [CL_REJ_VCPU] = "vCPU index out of range",  [CL_REJ_ACCESS] = "bad bus, width or address",
    [CL_REJ_FIELD] = "field out of range",      [CL_REJ_TEXT] = "text not terminated",
};

const char *cl_reject_name(unsigned r)
{
	return r < CL_REJ_NR ? reject_names[r] : "?";
}

const char *cl_type_name(unsigned type)
{
	return type < CL_TYPE_MAX && type_names[type] ? type_names[type] : "unknown";
}

size_t cl_body_len(unsigned type)
{
	return type < CL_TYPE_MAX ? body_len[type] : 0;
}

size_t cl_encode(const struct cl_msg *m, void *buf)
{
	uint8_t *b = buf;
	size_t n = cl_body_len(m->type);

	b[0] = m->type;
	b[1] = CL_VERSION;
	b[2] = b[3] = 0;
	memcpy(b + CL_HDR_LEN, &m->u, n);
	return CL_HDR_LEN + n;
}

static bool zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

#define REJECT(r)                                                                                  \
	do {                                                                                       \
		*reason = (r);                                                                     \
		return -EPROTO;                                                                    \
	} while (0)

static int check_io(const struct cl_io_req *q, const struct cl_limits *lim, unsigned *reason)
{
	if (q->cpu >= lim->nr_vcpus)
		REJECT(CL_REJ_VCPU);
	if (q->pad || q->pad2)
		REJECT(CL_REJ_RESERVED);
	if (q->is_write > 1)
		REJECT(CL_REJ_FIELD);
	if (q->len != 1 && q->len != 2 && q->len != 4 && q->len != 8)
		REJECT(CL_REJ_ACCESS);
	if (q->bus == CL_BUS_PIO) {
		if (q->len > 4 || q->addr > 0xffff || q->addr + q->len > 0x10000)
			REJECT(CL_REJ_ACCESS);
	} else if (q->bus != CL_BUS_MMIO || q->addr + q->len < q->addr) {
		REJECT(CL_REJ_ACCESS);
	}
	if (!q->is_write && !zero(q->data, sizeof(q->data)))
		REJECT(CL_REJ_RESERVED);
	return 0;
}

static int check_busmap(const struct cl_busmap *b, unsigned *reason)
{
	if (b->count > CL_BUSMAP_MAX || b->last > 1)
		REJECT(CL_REJ_FIELD);
	if (b->pad)
		REJECT(CL_REJ_RESERVED);
	for (unsigned i = 0; i < CL_BUSMAP_MAX; i++) {
		const struct cl_range *r = &b->r[i];

		if (i >= b->count) {
			if (!zero(r, sizeof(*r)))
				REJECT(CL_REJ_RESERVED);
			continue;
		}
		if (!zero(r->pad, sizeof(r->pad)))
			REJECT(CL_REJ_RESERVED);
		if (!r->len || r->base + r->len < r->base || r->bus > CL_BUS_MMIO ||
		    (r->bus == CL_BUS_PIO && r->base + r->len > 0x10000))
			REJECT(CL_REJ_ACCESS);
	}
	return 0;
}

static int check(struct cl_msg *m, const struct cl_limits *lim, unsigned *reason)
{
	switch (m->type) {
	case CL_HELLO:
		if (m->u.hello.node >= lim->nr_nodes)
			REJECT(CL_REJ_NODE);
		if (m->u.hello.reserved)
			REJECT(CL_REJ_RESERVED);
		return 0; /* the values are compared by the channel, naming the node */
	case CL_READY:
		return m->u.ready.pad ? (*reason = CL_REJ_RESERVED, -EPROTO) : 0;
	case CL_BUSMAP:
		return check_busmap(&m->u.busmap, reason);
	case CL_IO_REQ:
		return check_io(&m->u.io_req, lim, reason);
	case CL_IO_RESP:
		if (m->u.io_resp.cpu >= lim->nr_vcpus)
			REJECT(CL_REJ_VCPU);
		if (m->u.io_resp.pad)
			REJECT(CL_REJ_RESERVED);
		if (m->u.io_resp.err > 0 || m->u.io_resp.err < -4095)
			REJECT(CL_REJ_FIELD);
		return 0;
	case CL_IRQ:
		if (m->u.irq.dest >= lim->nr_vcpus)
			REJECT(CL_REJ_VCPU);
		if (m->u.irq.pad)
			REJECT(CL_REJ_RESERVED);
		/* fixed, lowest, NMI, INIT, SIPI; not SMI, ExtINT or reserved modes */
		if (m->u.irq.delivery > 6 || m->u.irq.delivery == 2 || m->u.irq.delivery == 3 ||
		    m->u.irq.level > 1)
			REJECT(CL_REJ_FIELD);
		if ((m->u.irq.delivery <= 1) && m->u.irq.vector < 16)
			REJECT(CL_REJ_FIELD); /* the LAPIC refuses vectors 0-15 */
		return 0;
	case CL_EOI:
		if (!zero(m->u.eoi.pad, sizeof(m->u.eoi.pad)))
			REJECT(CL_REJ_RESERVED);
		return 0;
	case CL_EXIT:
		if (m->u.exit.pad)
			REJECT(CL_REJ_RESERVED);
		if (!memchr(m->u.exit.why, 0, sizeof(m->u.exit.why)))
			REJECT(CL_REJ_TEXT);
		return 0;
	case CL_PING:
		return m->u.ping.pad ? (*reason = CL_REJ_RESERVED, -EPROTO) : 0;
	case CL_PONG:
		return m->u.pong.pad ? (*reason = CL_REJ_RESERVED, -EPROTO) : 0;
	case CL_CLOCK:
		if (m->u.clock.flags & ~(uint32_t)CL_CLOCK_KVMCLOCK)
			REJECT(CL_REJ_RESERVED);
		if (!m->u.clock.tsc_khz)
			REJECT(CL_REJ_FIELD);
		return 0;
	case CL_VCPU_STATE: {
		const struct cl_vcpu_state *s = &m->u.state;

		if (s->cpu >= lim->nr_vcpus)
			REJECT(CL_REJ_VCPU);
		if (s->pad)
			REJECT(CL_REJ_RESERVED);
		if (s->len > CL_STATE_CHUNK || s->total > (1u << 20) || s->offset > s->total ||
		    s->len > s->total - s->offset)
			REJECT(CL_REJ_FIELD);
		return 0;
	}
	case CL_VCPU_MOVED:
		if (m->u.moved.cpu >= lim->nr_vcpus)
			REJECT(CL_REJ_VCPU);
		if (m->u.moved.node >= lim->nr_nodes)
			REJECT(CL_REJ_NODE);
		return 0;
	}
	REJECT(CL_REJ_TYPE);
}

int cl_decode(const void *buf, size_t len, const struct cl_limits *lim, struct cl_msg *out,
	      unsigned *reason)
{
	const uint8_t *b = buf;
	size_t n;

	if (len < CL_HDR_LEN)
		REJECT(CL_REJ_SHORT);
	n = cl_body_len(b[0]);
	if (!n)
		REJECT(CL_REJ_TYPE);
	if (b[1] != CL_VERSION)
		REJECT(CL_REJ_VERSION);
	if (b[2] || b[3])
		REJECT(CL_REJ_RESERVED);
	if (len != CL_HDR_LEN + n)
		REJECT(CL_REJ_LENGTH);
	memset(out, 0, sizeof(*out));
	out->type = b[0];
	memcpy(&out->u, b + CL_HDR_LEN, n);
	return check(out, lim, reason);
}
