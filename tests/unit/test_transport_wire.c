// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the transport wire format (transport/wire.c): the decoder
 * table-driven over good and bad inputs, the encoder's refusals, the
 * receive-side counters and sequence check, the log rate limiter.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/wire.h"

#define SELF 1u
#define PEER 2u
#define NR 4u

static uint8_t page[TRANSPORT_PAGE_SIZE];
static uint8_t payload[TRANSPORT_MAX_MSG];

static void set16(uint8_t *b, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(b + off, &v, 2);
}

static void set32(uint8_t *b, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(b + off, &v, 4);
}

static void set64(uint8_t *b, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(b + off, &v, 8);
}

/* A case: a valid message (len, page?), a spoiling step, the size sent, the verdict. */
struct wire_case {
	const char *name;
	enum wire_type type;
	size_t len;
	int with_page;
	void (*spoil)(uint8_t *b, size_t *n);
	int expect_ok;
	unsigned reason;
};

static void sp_none(uint8_t *b, size_t *n)
{
}
static void sp_empty(uint8_t *b, size_t *n)
{
	*n = 0;
}
static void sp_31(uint8_t *b, size_t *n)
{
	*n = WIRE_HDR_SIZE - 1;
}
static void sp_magic(uint8_t *b, size_t *n)
{
	b[3] ^= 1;
}
static void sp_version0(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, version)] = 0;
}
static void sp_version2(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, version)] = 2;
}
static void sp_type0(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, type)] = 0;
}
static void sp_type255(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, type)] = 255;
}
static void sp_flags(uint8_t *b, size_t *n)
{
	set16(b, offsetof(struct wire_hdr, flags), 0x8001);
}
static void sp_reserved(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, reserved), 0x100);
}
static void sp_len_plus1(uint8_t *b, size_t *n)
{
	uint32_t l;

	memcpy(&l, b + offsetof(struct wire_hdr, len), 4);
	set32(b, offsetof(struct wire_hdr, len), le32toh(l) + 1);
}
static void sp_cut1(uint8_t *b, size_t *n)
{
	*n -= 1;
}
static void sp_extra1(uint8_t *b, size_t *n)
{
	*n += 1;
}
static void sp_len_huge(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, len), 0xffffffffu);
}
static void sp_len_max1(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, len), TRANSPORT_MAX_MSG + 1);
	*n = WIRE_HDR_SIZE + TRANSPORT_MAX_MSG + 1;
}
static void sp_len0(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, len), 0);
	*n = WIRE_HDR_SIZE;
}
static void sp_set_page_flag(uint8_t *b, size_t *n)
{
	set16(b, offsetof(struct wire_hdr, flags), WIRE_F_PAGE);
}
static void sp_clear_page_flag(uint8_t *b, size_t *n)
{
	set16(b, offsetof(struct wire_hdr, flags), 0);
}
static void sp_hb_as_msg_len(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, type)] = WIRE_T_HEARTBEAT;
}
static void sp_bye_as_msg_len(uint8_t *b, size_t *n)
{
	b[offsetof(struct wire_hdr, type)] = WIRE_T_BYE;
}
static void sp_src_self(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, src), SELF);
}
static void sp_src_other(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, src), 3);
}
static void sp_src_range(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, src), NR);
}
static void sp_dst(uint8_t *b, size_t *n)
{
	set32(b, offsetof(struct wire_hdr, dst), 0);
}
static void sp_seq0(uint8_t *b, size_t *n)
{
	set64(b, offsetof(struct wire_hdr, seq), 0);
}
static void sp_seq_old(uint8_t *b, size_t *n)
{
	set64(b, offsetof(struct wire_hdr, seq), 9);
}
static void sp_seq_gap(uint8_t *b, size_t *n)
{
	set64(b, offsetof(struct wire_hdr, seq), 1000);
}

static const struct wire_case cases[] = {
    {"msg 1 byte", WIRE_T_MSG, 1, 0, sp_none, 1, 0},
    {"msg max", WIRE_T_MSG, TRANSPORT_MAX_MSG, 0, sp_none, 1, 0},
    {"msg + page", WIRE_T_MSG, 40, 1, sp_none, 1, 0},
    {"msg max + page", WIRE_T_MSG, TRANSPORT_MAX_MSG, 1, sp_none, 1, 0},
    {"heartbeat", WIRE_T_HEARTBEAT, 0, 0, sp_none, 1, 0},
    {"bye", WIRE_T_BYE, 0, 0, sp_none, 1, 0},
    {"bye with len", WIRE_T_MSG, 8, 0, sp_bye_as_msg_len, 0, TRANSPORT_REJ_LENGTH},
    {"seq gap accepted", WIRE_T_MSG, 8, 0, sp_seq_gap, 1, 0},
    {"empty", WIRE_T_MSG, 8, 0, sp_empty, 0, TRANSPORT_REJ_TRUNCATED},
    {"31 bytes", WIRE_T_MSG, 8, 0, sp_31, 0, TRANSPORT_REJ_TRUNCATED},
    {"magic", WIRE_T_MSG, 8, 0, sp_magic, 0, TRANSPORT_REJ_MAGIC},
    {"version 0", WIRE_T_MSG, 8, 0, sp_version0, 0, TRANSPORT_REJ_VERSION},
    {"version 2", WIRE_T_MSG, 8, 1, sp_version2, 0, TRANSPORT_REJ_VERSION},
    {"type 0", WIRE_T_MSG, 8, 0, sp_type0, 0, TRANSPORT_REJ_TYPE},
    {"type 255", WIRE_T_MSG, 8, 0, sp_type255, 0, TRANSPORT_REJ_TYPE},
    {"unknown flag", WIRE_T_MSG, 8, 0, sp_flags, 0, TRANSPORT_REJ_FLAGS},
    {"reserved", WIRE_T_MSG, 8, 0, sp_reserved, 0, TRANSPORT_REJ_FLAGS},
    {"len+1", WIRE_T_MSG, 8, 0, sp_len_plus1, 0, TRANSPORT_REJ_LENGTH},
    {"cut 1 byte", WIRE_T_MSG, 8, 0, sp_cut1, 0, TRANSPORT_REJ_LENGTH},
    {"cut 1 byte of page msg", WIRE_T_MSG, 8, 1, sp_cut1, 0, TRANSPORT_REJ_LENGTH},
    {"1 extra byte", WIRE_T_MSG, 8, 0, sp_extra1, 0, TRANSPORT_REJ_LENGTH},
    {"len 0xffffffff", WIRE_T_MSG, 8, 0, sp_len_huge, 0, TRANSPORT_REJ_OVERSIZE},
    {"len max+1", WIRE_T_MSG, 8, 0, sp_len_max1, 0, TRANSPORT_REJ_OVERSIZE},
    {"msg len 0", WIRE_T_MSG, 8, 0, sp_len0, 0, TRANSPORT_REJ_OVERSIZE},
    {"page flag, no page", WIRE_T_MSG, 8, 0, sp_set_page_flag, 0, TRANSPORT_REJ_NO_PAGE},
    {"page, no flag", WIRE_T_MSG, 8, 1, sp_clear_page_flag, 0, TRANSPORT_REJ_NO_PAGE},
    {"heartbeat with len", WIRE_T_MSG, 8, 0, sp_hb_as_msg_len, 0, TRANSPORT_REJ_LENGTH},
    {"heartbeat with page", WIRE_T_HEARTBEAT, 0, 0, sp_set_page_flag, 0, TRANSPORT_REJ_LENGTH},
    {"src self", WIRE_T_MSG, 8, 0, sp_src_self, 0, TRANSPORT_REJ_SOURCE},
    {"src other node", WIRE_T_MSG, 8, 0, sp_src_other, 0, TRANSPORT_REJ_SOURCE},
    {"src out of range", WIRE_T_MSG, 8, 0, sp_src_range, 0, TRANSPORT_REJ_SOURCE},
    {"dst", WIRE_T_MSG, 8, 0, sp_dst, 0, TRANSPORT_REJ_DEST},
    {"seq 0", WIRE_T_MSG, 8, 0, sp_seq0, 0, TRANSPORT_REJ_SEQUENCE},
    {"seq replayed", WIRE_T_MSG, 8, 0, sp_seq_old, 0, TRANSPORT_REJ_SEQUENCE},
};

static void test_decode_table(void **state)
{
	static uint8_t buf[WIRE_MAX_SIZE + 16];
	const struct wire_expect e = {.self = SELF, .nr_nodes = NR, .src = PEER, .min_seq = 10};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wire_case *c = &cases[i];
		struct wire_msg m;
		unsigned reason = 12345;
		size_t n = wire_encode(buf, sizeof(buf), c->type, PEER, SELF, 10,
				       c->len ? payload : NULL, c->len, c->with_page ? page : NULL);
		int rc;

		assert_int_equal(n, wire_size(c->len, c->with_page));
		c->spoil(buf, &n);
		rc = wire_decode(buf, n, &e, &m, &reason);
		if (c->expect_ok) {
			if (rc)
				fail_msg("case '%s': rejected (%s)", c->name,
					 transport_reject_name(reason));
			assert_int_equal(m.src, PEER);
			assert_int_equal(m.dst, SELF);
			assert_int_equal(m.len, c->len);
			assert_int_equal(m.type, c->type);
			assert_true(m.page == (c->with_page ? buf + WIRE_HDR_SIZE : NULL));
			if (c->len)
				assert_memory_equal(m.msg, payload, c->len);
			else
				assert_null(m.msg);
			if (c->with_page)
				assert_memory_equal(m.page, page, TRANSPORT_PAGE_SIZE);
		} else {
			if (rc != -EBADMSG)
				fail_msg("case '%s': accepted", c->name);
			if (reason != c->reason)
				fail_msg("case '%s': reason '%s', expected '%s'", c->name,
					 transport_reject_name(reason),
					 transport_reject_name(c->reason));
		}
	}
}

static void test_decode_any_source(void **state)
{
	uint8_t buf[128];
	const struct wire_expect e = {
	    .self = SELF, .nr_nodes = NR, .src = WIRE_SRC_ANY, .min_seq = 1};
	struct wire_msg m;
	unsigned reason;
	size_t n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, 3, SELF, 1, payload, 4, NULL);

	assert_int_equal(wire_decode(buf, n, &e, &m, &reason), 0);
	assert_int_equal(m.src, 3);
	assert_int_equal(wire_decode(NULL, 0, &e, &m, &reason), -EBADMSG);
	assert_int_equal(reason, TRANSPORT_REJ_TRUNCATED);
}

/* Every prefix and every single-byte corruption of a message either decodes
 * to exactly what was sent or is rejected: never a crash, never a lie. */
static void test_decode_prefixes_and_flips(void **state)
{
	static uint8_t buf[WIRE_MAX_SIZE], copy[WIRE_MAX_SIZE];
	const struct wire_expect e = {.self = SELF, .nr_nodes = NR, .src = PEER, .min_seq = 1};
	size_t n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, PEER, SELF, 5, payload, 100, page);
	struct wire_msg m;
	unsigned reason;

	for (size_t k = 0; k < n; k++)
		assert_int_equal(wire_decode(buf, k, &e, &m, &reason), -EBADMSG);
	for (size_t k = 0; k < WIRE_HDR_SIZE; k++) {
		memcpy(copy, buf, n);
		copy[k] ^= 0x5a;
		if (wire_decode(copy, n, &e, &m, &reason) == 0) {
			/* only the sequence number may change and still be valid */
			assert_true(k >= offsetof(struct wire_hdr, seq));
			assert_int_equal(m.len, 100);
		}
	}
}

static void test_encode_refuses(void **state)
{
	static uint8_t buf[WIRE_MAX_SIZE];

	assert_int_equal(wire_encode(buf, sizeof(buf), WIRE_T_MSG, 0, 1, 1, payload, 0, NULL), 0);
	assert_int_equal(wire_encode(buf, sizeof(buf), WIRE_T_MSG, 0, 1, 1, payload,
				     TRANSPORT_MAX_MSG + 1, NULL),
			 0);
	assert_int_equal(wire_encode(buf, sizeof(buf), WIRE_T_MSG, 0, 1, 1, NULL, 4, NULL), 0);
	assert_int_equal(wire_encode(buf, sizeof(buf), WIRE_T_HEARTBEAT, 0, 1, 1, payload, 4, NULL),
			 0);
	assert_int_equal(wire_encode(buf, sizeof(buf), WIRE_T_HEARTBEAT, 0, 1, 1, NULL, 0, page),
			 0);
	assert_int_equal(
	    wire_encode(buf, sizeof(buf), (enum wire_type)7, 0, 1, 1, payload, 4, NULL), 0);
	assert_int_equal(
	    wire_encode(buf, wire_size(4, 1) - 1, WIRE_T_MSG, 0, 1, 1, payload, 4, page), 0);
	assert_int_equal(wire_encode(buf, wire_size(4, 1), WIRE_T_MSG, 0, 1, 1, payload, 4, page),
			 wire_size(4, 1));
	assert_int_equal(WIRE_MAX_SIZE, wire_size(TRANSPORT_MAX_MSG, 1));
}

static void test_rx_counters(void **state)
{
	static uint8_t buf[WIRE_MAX_SIZE];
	struct transport_stats st = {0};
	struct wire_rx rx = {.node = PEER, .next_seq = 1};
	struct wire_msg m;
	unsigned reason;
	size_t n;

	n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, PEER, SELF, 1, payload, 10, page);
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, n, &m, &reason), 0);
	assert_int_equal(rx.next_seq, 2);
	/* the same message again: a replay */
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, n, &m, &reason), -EBADMSG);
	assert_int_equal(reason, TRANSPORT_REJ_SEQUENCE);
	n = wire_encode(buf, sizeof(buf), WIRE_T_HEARTBEAT, PEER, SELF, 2, NULL, 0, NULL);
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, n, &m, &reason), 0);
	n = wire_encode(buf, sizeof(buf), WIRE_T_MSG, PEER, SELF, 3, payload, 7, NULL);
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, n, &m, &reason), 0);
	buf[0] = 0;
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, n, &m, &reason), -EBADMSG);
	assert_int_equal(wire_rx_accept(&rx, SELF, NR, &st, buf, 3, &m, &reason), -EBADMSG);
	wire_count_reject(&st, TRANSPORT_REJ_PEER_DOWN);
	wire_count_reject(&st, 999); /* out of range: counted as unexpected */

	assert_int_equal(st.msgs_recv, 2);
	assert_int_equal(st.bytes_recv, 10 + TRANSPORT_PAGE_SIZE + 7);
	assert_int_equal(st.pages_recv, 1);
	assert_int_equal(st.heartbeats_recv, 1);
	assert_int_equal(st.rejected_total, 5);
	assert_int_equal(st.rejected[TRANSPORT_REJ_SEQUENCE], 1);
	assert_int_equal(st.rejected[TRANSPORT_REJ_MAGIC], 1);
	assert_int_equal(st.rejected[TRANSPORT_REJ_TRUNCATED], 1);
	assert_int_equal(st.rejected[TRANSPORT_REJ_PEER_DOWN], 1);
	assert_int_equal(st.rejected[TRANSPORT_REJ_UNEXPECTED], 1);
	assert_int_equal(rx.next_seq, 4);
}

static void test_reject_names(void **state)
{
	for (unsigned a = 0; a < TRANSPORT_REJ_NR; a++) {
		assert_non_null(transport_reject_name(a));
		assert_string_not_equal(transport_reject_name(a), "unknown reason");
		for (unsigned b = 0; b < a; b++)
			assert_string_not_equal(transport_reject_name(a), transport_reject_name(b));
	}
	assert_string_equal(transport_reject_name(TRANSPORT_REJ_NR), "unknown reason");
}

static void test_ratelimit(void **state)
{
	struct wire_ratelimit rl = {.period_ms = 1000, .burst = 3};
	int allowed = 0;

	for (int i = 0; i < 10; i++)
		allowed += wire_ratelimit(&rl, 5000 + i);
	assert_int_equal(allowed, 3);
	assert_int_equal(rl.suppressed, 7);
	assert_int_equal(wire_ratelimit(&rl, 6000), 1); /* next window */
	assert_int_equal(wire_ratelimit(&rl, 100), 1);  /* clock went back: new window */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_decode_any_source),
	    cmocka_unit_test(test_decode_prefixes_and_flips),
	    cmocka_unit_test(test_encode_refuses),
	    cmocka_unit_test(test_rx_counters),
	    cmocka_unit_test(test_reject_names),
	    cmocka_unit_test(test_ratelimit),
	};

	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
