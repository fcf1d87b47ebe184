// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_cluster_msg.c — the control channel's decoder: every type
 * round-trips, and every way a peer can get a message wrong is refused with
 * its reason (table-driven).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/msg.h"

static const struct cl_limits lim = {.nr_nodes = 3, .nr_vcpus = 4};

/* A valid message of each type. */
static struct cl_msg valid(unsigned type)
{
	struct cl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	switch (type) {
	case CL_HELLO:
		m.u.hello = (struct cl_hello){.node = 2, .nr_nodes = 3, .nr_vcpus = 4};
		break;
	case CL_READY:
		m.u.ready.phase = 3;
		break;
	case CL_BUSMAP:
		m.u.busmap.count = 2;
		m.u.busmap.last = 1;
		m.u.busmap.r[0] = (struct cl_range){.bus = CL_BUS_PIO, .len = 8, .base = 0x3f8};
		m.u.busmap.r[1] =
		    (struct cl_range){.bus = CL_BUS_MMIO, .len = 0x1000, .base = 0xfec00000};
		break;
	case CL_IO_REQ:
		m.u.io_req = (struct cl_io_req){
		    .cpu = 3, .bus = CL_BUS_PIO, .len = 1, .is_write = 1, .addr = 0x3f8};
		m.u.io_req.data[0] = 'x';
		break;
	case CL_IO_RESP:
		m.u.io_resp = (struct cl_io_resp){.cpu = 1, .err = -EIO};
		break;
	case CL_IRQ:
		m.u.irq = (struct cl_irq){.dest = 2, .vector = 0xf7};
		break;
	case CL_EOI:
		m.u.eoi.vector = 0x24;
		break;
	case CL_EXIT:
		m.u.exit.status = 3;
		strcpy(m.u.exit.why, "guest wrote 1 to the exit port");
		break;
	case CL_PING:
		m.u.ping.t1 = 5;
		break;
	case CL_PONG:
		m.u.pong = (struct cl_pong){.t1 = 1, .t2 = 2, .t3 = 3};
		break;
	case CL_CLOCK:
		m.u.clock = (struct cl_clock){.epoch_ns = 1, .tsc_khz = 2100000};
		break;
	case CL_VCPU_STATE:
		m.u.state =
		    (struct cl_vcpu_state){.cpu = 1, .total = 2000, .offset = 960, .len = 960};
		break;
	case CL_VCPU_MOVED:
		m.u.moved = (struct cl_vcpu_moved){.cpu = 1, .node = 2};
		break;
	}
	return m;
}

static void every_type_round_trips(void **state)
{
	for (unsigned t = 1; t < CL_TYPE_MAX; t++) {
		struct cl_msg m = valid(t), out;
		uint8_t buf[CL_MAX_LEN + 1]; /* one spare for the too-long case */
		size_t n = cl_encode(&m, buf);
		unsigned why = 99;

		assert_int_equal(n, CL_HDR_LEN + cl_body_len(t));
		assert_int_equal(cl_decode(buf, n, &lim, &out, &why), 0);
		assert_int_equal(out.type, t);
		assert_memory_equal(&out.u, &m.u, cl_body_len(t));
		/* one byte short, one byte long: refused by length */
		assert_int_equal(cl_decode(buf, n - 1, &lim, &out, &why), -EPROTO);
		assert_int_equal(why, CL_REJ_LENGTH);
		buf[n] = 0;
		assert_int_equal(cl_decode(buf, n + 1, &lim, &out, &why), -EPROTO);
		assert_int_equal(why, CL_REJ_LENGTH);
	}
}

struct bad {
	const char *what;
	unsigned type;
	void (*mutate)(struct cl_msg *m);
	unsigned reason;
};

static void hello_node(struct cl_msg *m)
{
	m->u.hello.node = 3;
}
static void hello_reserved(struct cl_msg *m)
{
	m->u.hello.reserved = 1;
}
static void busmap_count(struct cl_msg *m)
{
	m->u.busmap.count = CL_BUSMAP_MAX + 1;
}
static void busmap_tail(struct cl_msg *m)
{
	m->u.busmap.r[5].len = 1;
}
static void busmap_wrap(struct cl_msg *m)
{
	m->u.busmap.r[1].base = UINT64_MAX;
}
static void busmap_port(struct cl_msg *m)
{
	m->u.busmap.r[0].base = 0xfffc;
}
static void busmap_zero_len(struct cl_msg *m)
{
	m->u.busmap.r[0].len = 0;
}
static void io_cpu(struct cl_msg *m)
{
	m->u.io_req.cpu = 4;
}
static void io_len3(struct cl_msg *m)
{
	m->u.io_req.len = 3;
}
static void io_len0(struct cl_msg *m)
{
	m->u.io_req.len = 0;
}
static void io_port8(struct cl_msg *m)
{
	m->u.io_req.len = 8;
}
static void io_port_end(struct cl_msg *m)
{
	m->u.io_req.addr = 0xffff;
	m->u.io_req.len = 2;
}
static void io_bus(struct cl_msg *m)
{
	m->u.io_req.bus = 2;
}
static void io_mmio_wrap(struct cl_msg *m)
{
	m->u.io_req.bus = CL_BUS_MMIO;
	m->u.io_req.len = 8;
	m->u.io_req.addr = UINT64_MAX - 3;
}
static void io_read_data(struct cl_msg *m)
{
	m->u.io_req.is_write = 0;
}
static void io_write_flag(struct cl_msg *m)
{
	m->u.io_req.is_write = 2;
}
static void io_pad(struct cl_msg *m)
{
	m->u.io_req.pad2 = 1;
}
static void resp_cpu(struct cl_msg *m)
{
	m->u.io_resp.cpu = 77;
}
static void resp_err(struct cl_msg *m)
{
	m->u.io_resp.err = 5;
}
static void resp_err_big(struct cl_msg *m)
{
	m->u.io_resp.err = -100000;
}
static void irq_dest(struct cl_msg *m)
{
	m->u.irq.dest = 4;
}
static void irq_smi(struct cl_msg *m)
{
	m->u.irq.delivery = 2;
}
static void irq_extint(struct cl_msg *m)
{
	m->u.irq.delivery = 7;
}
static void irq_low_vector(struct cl_msg *m)
{
	m->u.irq.vector = 15;
}
static void irq_level(struct cl_msg *m)
{
	m->u.irq.level = 2;
}
static void eoi_pad(struct cl_msg *m)
{
	m->u.eoi.pad[6] = 1;
}
static void exit_text(struct cl_msg *m)
{
	memset(m->u.exit.why, 'a', sizeof(m->u.exit.why));
}
static void clock_flags(struct cl_msg *m)
{
	m->u.clock.flags = 2;
}
static void clock_khz(struct cl_msg *m)
{
	m->u.clock.tsc_khz = 0;
}
static void state_len(struct cl_msg *m)
{
	m->u.state.len = CL_STATE_CHUNK + 1;
}
static void state_past_end(struct cl_msg *m)
{
	m->u.state.offset = 1500;
}
static void state_total(struct cl_msg *m)
{
	m->u.state.total = 2u << 20;
}
static void moved_node(struct cl_msg *m)
{
	m->u.moved.node = 3;
}

static const struct bad bads[] = {
    {"hello from a node out of range", CL_HELLO, hello_node, CL_REJ_NODE},
    {"hello reserved", CL_HELLO, hello_reserved, CL_REJ_RESERVED},
    {"busmap count", CL_BUSMAP, busmap_count, CL_REJ_FIELD},
    {"busmap entry past count", CL_BUSMAP, busmap_tail, CL_REJ_RESERVED},
    {"busmap range wraps", CL_BUSMAP, busmap_wrap, CL_REJ_ACCESS},
    {"busmap port range past 0xffff", CL_BUSMAP, busmap_port, CL_REJ_ACCESS},
    {"busmap empty range", CL_BUSMAP, busmap_zero_len, CL_REJ_ACCESS},
    {"io vcpu", CL_IO_REQ, io_cpu, CL_REJ_VCPU},
    {"io width 3", CL_IO_REQ, io_len3, CL_REJ_ACCESS},
    {"io width 0", CL_IO_REQ, io_len0, CL_REJ_ACCESS},
    {"io 8-byte port access", CL_IO_REQ, io_port8, CL_REJ_ACCESS},
    {"io port access past 0xffff", CL_IO_REQ, io_port_end, CL_REJ_ACCESS},
    {"io bus", CL_IO_REQ, io_bus, CL_REJ_ACCESS},
    {"io mmio wraps", CL_IO_REQ, io_mmio_wrap, CL_REJ_ACCESS},
    {"io read carrying data", CL_IO_REQ, io_read_data, CL_REJ_RESERVED},
    {"io write flag 2", CL_IO_REQ, io_write_flag, CL_REJ_FIELD},
    {"io pad", CL_IO_REQ, io_pad, CL_REJ_RESERVED},
    {"io answer vcpu", CL_IO_RESP, resp_cpu, CL_REJ_VCPU},
    {"io answer positive error", CL_IO_RESP, resp_err, CL_REJ_FIELD},
    {"io answer huge error", CL_IO_RESP, resp_err_big, CL_REJ_FIELD},
    {"irq dest", CL_IRQ, irq_dest, CL_REJ_VCPU},
    {"irq SMI", CL_IRQ, irq_smi, CL_REJ_FIELD},
    {"irq ExtINT", CL_IRQ, irq_extint, CL_REJ_FIELD},
    {"irq vector 15", CL_IRQ, irq_low_vector, CL_REJ_FIELD},
    {"irq level 2", CL_IRQ, irq_level, CL_REJ_FIELD},
    {"eoi pad", CL_EOI, eoi_pad, CL_REJ_RESERVED},
    {"exit text unterminated", CL_EXIT, exit_text, CL_REJ_TEXT},
    {"clock flags", CL_CLOCK, clock_flags, CL_REJ_RESERVED},
    {"clock 0 kHz", CL_CLOCK, clock_khz, CL_REJ_FIELD},
    {"state chunk too long", CL_VCPU_STATE, state_len, CL_REJ_FIELD},
    {"state chunk past the end", CL_VCPU_STATE, state_past_end, CL_REJ_FIELD},
    {"state too big", CL_VCPU_STATE, state_total, CL_REJ_FIELD},
    {"moved to no node", CL_VCPU_MOVED, moved_node, CL_REJ_NODE},
};

static void every_bad_field_is_refused(void **state)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct cl_msg m = valid(bads[i].type), out;
		uint8_t buf[CL_MAX_LEN];
		unsigned why = 99;
		size_t n;

		bads[i].mutate(&m);
		n = cl_encode(&m, buf);
		if (cl_decode(buf, n, &lim, &out, &why) != -EPROTO || why != bads[i].reason)
			fail_msg("%s: expected refusal '%s', got %s", bads[i].what,
				 cl_reject_name(bads[i].reason), cl_reject_name(why));
	}
}

static void header_checks(void **state)
{
	struct cl_msg m = valid(CL_PING), out;
	uint8_t buf[CL_MAX_LEN];
	size_t n = cl_encode(&m, buf);
	unsigned why;

	assert_int_equal(cl_decode(buf, 3, &lim, &out, &why), -EPROTO);
	assert_int_equal(why, CL_REJ_SHORT);
	buf[0] = CL_TYPE_MAX;
	assert_int_equal(cl_decode(buf, n, &lim, &out, &why), -EPROTO);
	assert_int_equal(why, CL_REJ_TYPE);
	buf[0] = 0;
	assert_int_equal(cl_decode(buf, n, &lim, &out, &why), -EPROTO);
	assert_int_equal(why, CL_REJ_TYPE);
	buf[0] = CL_PING;
	buf[1] = CL_VERSION + 1;
	assert_int_equal(cl_decode(buf, n, &lim, &out, &why), -EPROTO);
	assert_int_equal(why, CL_REJ_VERSION);
	buf[1] = CL_VERSION;
	buf[3] = 1;
	assert_int_equal(cl_decode(buf, n, &lim, &out, &why), -EPROTO);
	assert_int_equal(why, CL_REJ_RESERVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_type_round_trips),
	    cmocka_unit_test(every_bad_field_is_refused),
	    cmocka_unit_test(header_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
