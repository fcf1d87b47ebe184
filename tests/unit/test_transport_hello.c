// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the rendezvous frames (transport/hello.c): the decoder
 * table-driven over good and bad hellos and refusals (one case per rule and
 * edge, the exact 25-byte hello that used to abort UCX among them), every
 * prefix and every byte flip of a valid hello, the encoders' refusals, the
 * CRC, and the sentences that name what is wrong.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/hello.h"

#define ADDR_LEN 40u
#define TLS_TCP 1u

static uint8_t addr[RDV_MAX_ADDR + 1];

static void set32(uint8_t *b, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(b + off, &v, 4);
}

/* Recompute the checksum after a field was changed on purpose. */
static void fix_crc(uint8_t *b, size_t body_len)
{
	set32(b, RDV_OFF_CRC, rdv_crc32(rdv_crc32(0, b, RDV_OFF_CRC), b + RDV_HDR_SIZE, body_len));
}

/* Node 1 of 4 accepting (src: any higher id), or connecting to node 0. */
static const struct rdv_expect accepting = {
    .self = 1, .nr_nodes = 4, .tls_mode = TLS_TCP, .src = RDV_SRC_HIGHER, .addr_formats = 2};
static const struct rdv_expect connecting = {
    .self = 1, .nr_nodes = 4, .tls_mode = TLS_TCP, .src = 0, .refusal_ok = 1, .addr_formats = 2};

/* What a case starts from: a valid hello to node 1 of 4 (from node 2 with a
 * 40-byte address, unless said otherwise), a refusal, or raw bytes. */
enum base { B_HELLO, B_HELLO_FROM3, B_MIN_ADDR, B_MAX_ADDR, B_FROM0, B_REFUSAL, B_RAW };

struct hello_case {
	const char *name;
	enum base base;
	const char *raw; /* B_RAW: these bytes (n of them) */
	unsigned off;    /* a field to overwrite: byte or 32-bit word at off */
	unsigned width;  /* 0 (none), 1 or 4 */
	uint32_t val;
	int fix;         /* recompute the checksum afterwards */
	int to_acceptor; /* a refusal sent to the accepting node */
	long n; /* bytes given to the decoder: 0 the whole frame (+3 after it), EMPTY none */
	int rc; /* expected: 0, RDV_MORE, -EBADMSG, -EPROTO */
	unsigned reason;
	enum rdv_bad bad;
	size_t need; /* for RDV_MORE */
};

#define EMPTY (-1)
#define SET8(o, v) .off = (o), .width = 1, .val = (v)
#define SET32(o, v) .off = (o), .width = 4, .val = (v)
#define JUNK(r, b) .rc = -EBADMSG, .reason = TRANSPORT_HELLO_REJ_##r, .bad = RDV_BAD_##b
#define MISFIT(r) .rc = -EPROTO, .reason = TRANSPORT_HELLO_REJ_##r
#define MORE(k) .rc = RDV_MORE, .need = (k)
#define AL ADDR_LEN

/* The input that aborted a node inside UCX: a version-1 hello claiming node 1
 * of 2 (tls tcp) with a 1-byte worker address 0x02. */
static const char hello25[] =
    "SSIR\x01\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02";

static const struct hello_case cases[] = {
    {.name = "valid"},
    {.name = "valid, highest node", .base = B_HELLO_FROM3},
    {.name = "valid, shortest address", .base = B_MIN_ADDR},
    {.name = "valid, longest address", .base = B_MAX_ADDR},
    {.name = "valid, from the node we connected to", .base = B_FROM0},
    {.name = "a refusal", .base = B_REFUSAL},
    {.name = "nothing yet", .n = EMPTY, MORE(5)},
    {.name = "magic only", .n = 4, MORE(5)},
    {.name = "31 bytes", .n = 31, MORE(32)},
    {.name = "header, no address", .n = 32, MORE(32 + AL)},
    {.name = "one byte short", .n = 32 + AL - 1, MORE(32 + AL)},
    {.name = "a stray HTTP client",
     .base = B_RAW,
     .raw = "GET / HTTP/1.0\r\n\r\n",
     .n = 18,
     JUNK(JUNK, MAGIC)},
    {.name = "junk decided on the first byte",
     .base = B_RAW,
     .raw = "G",
     .n = 1,
     JUNK(JUNK, MAGIC)},
    {.name = "wire magic, not rendezvous", .base = B_RAW, .raw = "SSIT", .n = 4, JUNK(JUNK, MAGIC)},
    {.name = "the 25-byte version-1 hello",
     .base = B_RAW,
     .raw = hello25,
     .n = 25,
     MISFIT(VERSION)},
    {.name = "version 3", SET8(RDV_OFF_VERSION, 3), MISFIT(VERSION)},
    {.name = "version 0, decided at 5 bytes", SET8(RDV_OFF_VERSION, 0), .n = 5, MISFIT(VERSION)},
    {.name = "type 0", SET8(RDV_OFF_TYPE, 0), .fix = 1, JUNK(MALFORMED, TYPE)},
    {.name = "type 3, decided at 32 bytes", SET8(RDV_OFF_TYPE, 3), .n = 32, JUNK(MALFORMED, TYPE)},
    {.name = "a refusal sent to the accepting node",
     .base = B_REFUSAL,
     .to_acceptor = 1,
     JUNK(MALFORMED, REFUSAL_HERE)},
    {.name = "reserved byte 7", SET8(RDV_OFF_RESERVED0, 1), .fix = 1, JUNK(MALFORMED, RESERVED)},
    {.name = "reserved word 24",
     SET32(RDV_OFF_RESERVED1, 0x100),
     .fix = 1,
     JUNK(MALFORMED, RESERVED)},
    {.name = "a 1-byte address (the 25-byte hello in version 2)",
     SET32(RDV_OFF_BODY_LEN, 1),
     .n = 33,
     JUNK(ADDRESS, ADDR_LEN)},
    {.name = "address 1 byte too short",
     SET32(RDV_OFF_BODY_LEN, RDV_MIN_ADDR - 1),
     .n = 32,
     JUNK(ADDRESS, ADDR_LEN)},
    {.name = "empty address", SET32(RDV_OFF_BODY_LEN, 0), .n = 32, JUNK(ADDRESS, ADDR_LEN)},
    {.name = "address 1 byte too long, refused before it comes",
     SET32(RDV_OFF_BODY_LEN, RDV_MAX_ADDR + 1),
     .n = 32,
     JUNK(ADDRESS, ADDR_LEN)},
    {.name = "address of 4 GiB - 1",
     SET32(RDV_OFF_BODY_LEN, 0xffffffffu),
     .n = 32,
     JUNK(ADDRESS, ADDR_LEN)},
    {.name = "checksum changed", SET32(RDV_OFF_CRC, 0x12345678), JUNK(CHECKSUM, CRC)},
    {.name = "address byte changed", SET8(RDV_HDR_SIZE + 7, 0x55), JUNK(CHECKSUM, CRC)},
    {.name = "source changed, checksum not", SET32(RDV_OFF_SRC, 3), JUNK(CHECKSUM, CRC)},
    {.name = "cluster of 0 nodes", SET32(RDV_OFF_NR_NODES, 0), .fix = 1, JUNK(MALFORMED, NR_NODES)},
    {.name = "cluster of 65 nodes",
     SET32(RDV_OFF_NR_NODES, 65),
     .fix = 1,
     JUNK(MALFORMED, NR_NODES)},
    {.name = "source beyond the cluster",
     SET32(RDV_OFF_SRC, 4),
     .fix = 1,
     JUNK(MALFORMED, NODE_IDS)},
    {.name = "destination beyond the cluster",
     SET32(RDV_OFF_DST, 0xffffffffu),
     .fix = 1,
     JUNK(MALFORMED, NODE_IDS)},
    {.name = "source = destination", SET32(RDV_OFF_DST, 2), .fix = 1, JUNK(MALFORMED, NODE_IDS)},
    {.name = "tls 3", SET8(RDV_OFF_MODE, 3), .fix = 1, JUNK(MALFORMED, TLS)},
    {.name = "another cluster size (the forged node count)",
     SET32(RDV_OFF_NR_NODES, 3),
     .fix = 1,
     MISFIT(CLUSTER)},
    {.name = "a cluster of 64, node id beyond ours",
     SET32(RDV_OFF_NR_NODES, 64),
     .fix = 1,
     MISFIT(CLUSTER)},
    {.name = "another tls setting", SET8(RDV_OFF_MODE, 2), .fix = 1, MISFIT(TLS)},
    {.name = "a lower node connects", SET32(RDV_OFF_SRC, 0), .fix = 1, MISFIT(NODE)},
    {.name = "addressed to node 2",
     .base = B_HELLO_FROM3,
     SET32(RDV_OFF_DST, 2),
     .fix = 1,
     MISFIT(NODE)},
    {.name = "node 0's port answers as node 2",
     .base = B_FROM0,
     SET32(RDV_OFF_SRC, 2),
     .fix = 1,
     MISFIT(NODE)},
    {.name = "UCX address format 1 (V2)", SET8(RDV_HDR_SIZE, 0x01), .fix = 1},
    {.name = "UCX address format 2 (aborted UCX)",
     SET8(RDV_HDR_SIZE, 0x02),
     .fix = 1,
     MISFIT(ADDRESS)},
    {.name = "UCX address format 15", SET8(RDV_HDR_SIZE, 0xff), .fix = 1, MISFIT(ADDRESS)},
    {.name = "refusal with an unknown reason",
     .base = B_REFUSAL,
     SET8(RDV_OFF_MODE, 200),
     .fix = 1,
     JUNK(MALFORMED, REASON)},
    {.name = "refusal without text",
     .base = B_REFUSAL,
     SET32(RDV_OFF_BODY_LEN, 0),
     .n = 32,
     JUNK(MALFORMED, TEXT_LEN)},
    {.name = "refusal text too long",
     .base = B_REFUSAL,
     SET32(RDV_OFF_BODY_LEN, RDV_MAX_TEXT + 1),
     .n = 32,
     JUNK(MALFORMED, TEXT_LEN)},
    {.name = "refusal text with an escape",
     .base = B_REFUSAL,
     SET8(RDV_HDR_SIZE + 2, 0x1b),
     .fix = 1,
     JUNK(MALFORMED, TEXT)},
    {.name = "refusal, cluster of 0",
     .base = B_REFUSAL,
     SET32(RDV_OFF_NR_NODES, 0),
     .fix = 1,
     JUNK(MALFORMED, NR_NODES)},
};

static const char refusal_text[] = "node 2 is claimed by two processes";

/* A valid hello from node src to node 1 of 4 with an address of len bytes. */
static size_t hello(uint8_t *b, size_t cap, uint32_t src, size_t len)
{
	return rdv_encode_hello(b, cap, TLS_TCP, src, 1, 4, addr, len);
}

static void run_case(const struct hello_case *c)
{
	static uint8_t b[RDV_MAX_FRAME + 64];
	/* a refusal goes to the node that connected, unless the case says otherwise */
	const struct rdv_expect *e = c->base == B_FROM0 || (c->base == B_REFUSAL && !c->to_acceptor)
					 ? &connecting
					 : &accepting;
	uint32_t src = c->base == B_HELLO_FROM3 ? 3 : c->base == B_FROM0 ? 0 : 2;
	size_t len = c->base == B_MIN_ADDR   ? RDV_MIN_ADDR
		     : c->base == B_MAX_ADDR ? RDV_MAX_ADDR
					     : AL;
	struct rdv_frame f;
	unsigned reason = ~0u;
	size_t need = 0, n;
	int rc;

	memset(b, 0xa5, sizeof(b));
	if (c->base == B_RAW) {
		memcpy(b, c->raw, (size_t)c->n);
		len = (size_t)c->n;
	} else if (c->base == B_REFUSAL) {
		len = rdv_encode_refusal(b, sizeof(b), TRANSPORT_HELLO_REJ_DUPLICATE, 0, 1, 4,
					 refusal_text);
	} else {
		len = rdv_encode_hello(b, sizeof(b), TLS_TCP, src, 1, 4, addr, len);
	}
	assert_true(len > 0);
	if (c->width == 1)
		b[c->off] = (uint8_t)c->val;
	else if (c->width == 4)
		set32(b, c->off, c->val);
	if (c->fix)
		fix_crc(b, len - RDV_HDR_SIZE);
	n = c->n == 0       ? len + 3 /* what follows the frame is not part of it */
	    : c->n == EMPTY ? 0
			    : (size_t)c->n;
	rc = rdv_decode(b, n, e, &f, &reason, &need);
	if (rc != c->rc)
		fail_msg("%s: rc %d, expected %d (reason %u, bad %d)", c->name, rc, c->rc, reason,
			 f.bad);
	if (rc == RDV_MORE) {
		assert_int_equal(need, c->need);
		return;
	}
	if (rc < 0) {
		if (reason != c->reason)
			fail_msg("%s: reason %s, expected %s", c->name,
				 transport_hello_reject_name(reason),
				 transport_hello_reject_name(c->reason));
		assert_int_equal(f.bad, rc == -EPROTO ? RDV_BAD_NONE : c->bad);
		return;
	}
	assert_int_equal(f.body_len + RDV_HDR_SIZE, len);
	assert_ptr_equal(f.body, b + RDV_HDR_SIZE);
	if (c->base == B_REFUSAL) {
		assert_int_equal(f.type, RDV_T_REFUSE);
		assert_int_equal(f.mode, TRANSPORT_HELLO_REJ_DUPLICATE);
		assert_memory_equal(f.body, refusal_text, strlen(refusal_text));
	} else {
		assert_int_equal(f.type, RDV_T_HELLO);
		assert_int_equal(f.src, src);
		assert_int_equal(f.dst, 1);
		assert_int_equal(f.nr_nodes, 4);
		assert_int_equal(f.mode, TLS_TCP);
	}
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* src = self would be src == dst with dst = self: take src 1, dst 2 instead. */
static void test_claims_self(void **state)
{
	static uint8_t b[256];
	struct rdv_frame f;
	unsigned reason;
	size_t need, n;
	char text[256];

	n = rdv_encode_hello(b, sizeof(b), TLS_TCP, 1, 2, 4, addr, ADDR_LEN);
	assert_int_equal(rdv_decode(b, n, &accepting, &f, &reason, &need), -EPROTO);
	assert_int_equal(reason, TRANSPORT_HELLO_REJ_NODE);
	rdv_describe(reason, &f, &accepting, text, sizeof(text));
	assert_string_equal(text, "it claims node 1, the id of the receiver");
}

/* Every prefix of a valid hello: "more" with a need beyond it, never accepted early. */
static void test_prefixes(void **state)
{
	static uint8_t b[256];
	size_t len = hello(b, sizeof(b), 2, ADDR_LEN);

	for (size_t n = 0; n < len; n++) {
		struct rdv_frame f;
		unsigned reason;
		size_t need = 0;

		assert_int_equal(rdv_decode(b, n, &accepting, &f, &reason, &need), RDV_MORE);
		assert_true(need > n && need <= len);
	}
}

/* Every byte of a valid hello changed (header, checksum, address): never accepted. */
static void test_flips(void **state)
{
	static uint8_t b[256];
	size_t len = hello(b, sizeof(b), 2, ADDR_LEN);

	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			struct rdv_frame f;
			unsigned reason = ~0u;
			size_t need;
			int rc;

			b[i] ^= (uint8_t)(1u << bit);
			rc = rdv_decode(b, len, &accepting, &f, &reason, &need);
			b[i] ^= (uint8_t)(1u << bit);
			if (rc == 0)
				fail_msg("byte %zu bit %u flipped: accepted", i, bit);
			assert_true(rc == RDV_MORE || reason < TRANSPORT_HELLO_REJ_NR);
		}
	}
}

static void test_encoders(void **state)
{
	static uint8_t b[RDV_MAX_FRAME];
	struct rdv_frame f;
	unsigned reason;
	size_t need, n;
	char text[300];

	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 2, 1, 4, addr, RDV_MIN_ADDR - 1), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 2, 1, 4, addr, RDV_MAX_ADDR + 1), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 3, 2, 1, 4, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 4, 1, 4, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 1, 1, 4, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 0, 1, 0, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 0, 1, 65, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, sizeof(b), 1, 2, 1, 4, NULL, ADDR_LEN), 0);
	assert_int_equal(
	    rdv_encode_hello(b, RDV_HDR_SIZE + ADDR_LEN - 1, 1, 2, 1, 4, addr, ADDR_LEN), 0);
	assert_int_equal(rdv_encode_hello(b, RDV_HDR_SIZE + ADDR_LEN, 1, 2, 1, 4, addr, ADDR_LEN),
			 RDV_HDR_SIZE + ADDR_LEN);
	assert_int_equal(rdv_encode_refusal(b, sizeof(b), 0, 0, 1, 4, ""), 0);
	assert_int_equal(rdv_encode_refusal(b, sizeof(b), 0, 0, 1, 4, NULL), 0);
	assert_int_equal(rdv_encode_refusal(b, sizeof(b), TRANSPORT_HELLO_REJ_NR, 0, 1, 4, "x"), 0);
	assert_int_equal(rdv_encode_refusal(b, sizeof(b), 0, 0, 1, 0, "x"), 0);
	/* a long text is cut, a control character replaced: the result decodes */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	text[3] = '\n';
	n = rdv_encode_refusal(b, sizeof(b), TRANSPORT_HELLO_REJ_TLS, 0, 1, 4, text);
	assert_int_equal(n, RDV_HDR_SIZE + RDV_MAX_TEXT);
	assert_int_equal(rdv_decode(b, n, &connecting, &f, &reason, &need), 0);
	assert_int_equal(f.body[3], '?');
	assert_int_equal(f.mode, TRANSPORT_HELLO_REJ_TLS);
}

static void test_crc(void **state)
{
	assert_int_equal(rdv_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(rdv_crc32(rdv_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(rdv_crc32(0, "", 0), 0);
}

/* The sentences name what differs, with both sides' values. */
static void test_describe(void **state)
{
	static uint8_t b[256];
	struct rdv_frame f;
	unsigned reason;
	size_t need, n;
	char text[256];

	n = hello(b, sizeof(b), 2, ADDR_LEN);
	set32(b, RDV_OFF_NR_NODES, 3);
	fix_crc(b, ADDR_LEN);
	assert_int_equal(rdv_decode(b, n, &accepting, &f, &reason, &need), -EPROTO);
	assert_string_equal(rdv_describe(reason, &f, &accepting, text, sizeof(text)),
			    "it says the cluster has 3 nodes, node 1 says 4");
	n = hello(b, sizeof(b), 2, ADDR_LEN);
	b[RDV_OFF_MODE] = 2;
	fix_crc(b, ADDR_LEN);
	assert_int_equal(rdv_decode(b, n, &accepting, &f, &reason, &need), -EPROTO);
	assert_string_equal(rdv_describe(reason, &f, &accepting, text, sizeof(text)),
			    "it uses tls shm, node 1 uses tcp");
	assert_int_equal(rdv_decode("GET /", 5, &accepting, &f, &reason, &need), -EBADMSG);
	assert_string_equal(rdv_describe(reason, &f, &accepting, text, sizeof(text)),
			    "not a hello: starts with 47 45 54 20");
	n = hello(b, sizeof(b), 2, ADDR_LEN);
	set32(b, RDV_OFF_BODY_LEN, 1);
	assert_int_equal(rdv_decode(b, 33, &accepting, &f, &reason, &need), -EBADMSG);
	assert_string_equal(rdv_describe(reason, &f, &accepting, text, sizeof(text)),
			    "UCX worker address of 1 bytes (expected 16..65536)");
	n = hello(b, sizeof(b), 2, ADDR_LEN);
	b[RDV_HDR_SIZE] = 0x02;
	fix_crc(b, ADDR_LEN);
	assert_int_equal(rdv_decode(b, n, &accepting, &f, &reason, &need), -EPROTO);
	rdv_describe(reason, &f, &accepting, text, sizeof(text));
	assert_non_null(strstr(text, "unknown format 2"));
	/* a tiny buffer is cut, not overrun */
	assert_string_equal(rdv_describe(reason, &f, &accepting, text, 5), "its ");
	/* every reason has a distinct name */
	for (unsigned r = 0; r < TRANSPORT_HELLO_REJ_NR; r++)
		for (unsigned q = 0; q < r; q++)
			assert_string_not_equal(transport_hello_reject_name(r),
						transport_hello_reject_name(q));
	assert_string_equal(transport_hello_reject_name(TRANSPORT_HELLO_REJ_NR), "unknown reason");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),    cmocka_unit_test(test_claims_self),
	    cmocka_unit_test(test_prefixes), cmocka_unit_test(test_flips),
	    cmocka_unit_test(test_encoders), cmocka_unit_test(test_crc),
	    cmocka_unit_test(test_describe),
	};

	for (size_t i = 0; i < sizeof(addr); i++)
		addr[i] = (uint8_t)(i * 7 + 0x20); /* byte 0: 0x20, UCX format 0 (V1) */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
