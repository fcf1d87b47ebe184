// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_dsm_msg.c — DSM message codec: round trips of every type,
 * the exact wire layout, and a table of malformed inputs, plus the policy
 * text parser. */
#include "dsm/msg.h"
#include "dsm/policy.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"

/* One valid message of each type. */
static const struct dsm_msg valid[] = {
    {.type = DSM_MSG_REQ, .seq = 1, .page = 7, .rid = 3, .node = 2, .hops = 1, .flags = 1},
    {.type = DSM_MSG_FWD,
     .seq = 2,
     .page = 1ull << 39,
     .rid = 9,
     .node = 1,
     .home = 3,
     .nacks = 2,
     .flags = DSM_MF_WRITE},
    {.type = DSM_MSG_FWD, .seq = 3, .page = 0, .rid = 9, .node = 1, .home = 3},
    {.type = DSM_MSG_DATA,
     .seq = 4,
     .page = 5,
     .rid = 1,
     .home = 0,
     .nacks = 4,
     .flags = DSM_MF_WRITE},
    {.type = DSM_MSG_GRANT,
     .seq = 5,
     .page = 5,
     .rid = 1,
     .home = 2,
     .flags = DSM_MF_WRITE | DSM_MF_ZERO},
    {.type = DSM_MSG_GRANT,
     .seq = 6,
     .page = 5,
     .rid = 1,
     .home = 2,
     .nacks = 63,
     .flags = DSM_MF_WRITE | DSM_MF_UPGRADE},
    {.type = DSM_MSG_INV, .seq = 7, .page = 5, .rid = 0xffffffffu, .node = 63},
    {.type = DSM_MSG_INV_ACK, .seq = 0xffffffffu, .page = 5, .rid = 77},
    {.type = DSM_MSG_DONE, .seq = 9, .page = 5, .rid = 77, .flags = DSM_MF_WRITE},
    {.type = DSM_MSG_HOME_MOVE,
     .seq = 10,
     .page = 5,
     .node = 3,
     .copyset = 0x8 | 0x1,
     .bounces = 9},
    {.type = DSM_MSG_HOME_MOVE, .seq = 11, .page = 6, .node = 0xff},
};

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		uint8_t buf[DSM_MSG_SIZE];
		struct dsm_msg out;

		dsm_msg_encode(&valid[i], buf);
		assert_int_equal(dsm_msg_decode(buf, sizeof(buf), &out), DSM_MSG_OK);
		assert_memory_equal(&out, &valid[i], sizeof(out));
	}
}

/* The layout is little-endian at fixed offsets, whatever the host. */
static void test_layout(void **state)
{
	struct dsm_msg m = {.type = DSM_MSG_FWD,
			    .seq = 0x01020304,
			    .page = 0x1122334455667788ull,
			    .rid = 0xa1b2c3d4,
			    .node = 5,
			    .home = 6,
			    .nacks = 7,
			    .flags = DSM_MF_WRITE};
	uint8_t buf[DSM_MSG_SIZE];

	(void)state;
	dsm_msg_encode(&m, buf);
	assert_int_equal(buf[0], 'D');
	assert_int_equal(buf[1], 'M');
	assert_int_equal(buf[2], DSM_MSG_VERSION);
	assert_int_equal(buf[3], DSM_MSG_FWD);
	assert_int_equal(buf[4], 0x04);
	assert_int_equal(buf[7], 0x01);
	assert_int_equal(buf[8], 0x88);
	assert_int_equal(buf[15], 0x11);
	assert_int_equal(buf[16], 0xd4);
	assert_int_equal(buf[20], 5);
	assert_int_equal(buf[21], 6);
	assert_int_equal(buf[22], 7);
	assert_int_equal(buf[23], DSM_MF_WRITE);
	assert_int_equal(buf[33], 0);
	/* CRC-32C check value of "123456789" */
	assert_int_equal(dsm_crc32c("123456789", 9), 0xe3069283u);
}

struct bad_case {
	const char *name;
	size_t len;
	int byte; /* byte to set (-1: none) */
	uint8_t value;
	bool fix_crc; /* recompute the CRC after the change */
	enum dsm_msg_err want;
};

static const struct bad_case bad[] = {
    {"empty", 0, -1, 0, false, DSM_MSG_ELEN},
    {"short", DSM_MSG_SIZE - 1, -1, 0, false, DSM_MSG_ELEN},
    {"long", DSM_MSG_SIZE + 1, -1, 0, false, DSM_MSG_ELEN},
    {"magic", DSM_MSG_SIZE, 0, 'X', true, DSM_MSG_EMAGIC},
    {"version 0", DSM_MSG_SIZE, 2, 0, true, DSM_MSG_EVERSION},
    {"version 2", DSM_MSG_SIZE, 2, 2, true, DSM_MSG_EVERSION},
    {"type 0", DSM_MSG_SIZE, 3, 0, true, DSM_MSG_ETYPE},
    {"type 9", DSM_MSG_SIZE, 3, 9, true, DSM_MSG_ETYPE},
    {"type 255", DSM_MSG_SIZE, 3, 255, true, DSM_MSG_ETYPE},
    {"crc", DSM_MSG_SIZE, 36, 0x00, false, DSM_MSG_ECRC},
    {"flipped page", DSM_MSG_SIZE, 9, 0x40, false, DSM_MSG_ECRC},
    {"reserved", DSM_MSG_SIZE, 33, 1, true, DSM_MSG_EFIELD},
    {"unknown flag", DSM_MSG_SIZE, 23, 0x80, true, DSM_MSG_EFIELD},
    {"REQ with zero flag", DSM_MSG_SIZE, 23, DSM_MF_ZERO, true, DSM_MSG_EFIELD},
    {"REQ with copyset", DSM_MSG_SIZE, 24, 1, true, DSM_MSG_EFIELD},
    {"REQ with home", DSM_MSG_SIZE, 21, 1, true, DSM_MSG_EFIELD},
    {"REQ with nacks", DSM_MSG_SIZE, 22, 1, true, DSM_MSG_EFIELD},
    {"REQ with bounces", DSM_MSG_SIZE, 34, 1, true, DSM_MSG_EFIELD},
    {"seq 0", DSM_MSG_SIZE, 4, 0, true, DSM_MSG_EFIELD},
};

static void test_malformed(void **state)
{
	/* base: a REQ with seq 1 (so clearing byte 4 makes seq 0) */
	struct dsm_msg m = {.type = DSM_MSG_REQ, .seq = 1, .page = 3, .rid = 4, .node = 1};
	struct dsm_msg out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[DSM_MSG_SIZE + 8] = {0};

		dsm_msg_encode(&m, buf);
		if (bad[i].byte >= 0)
			buf[bad[i].byte] = bad[i].byte == 9 ? buf[9] ^ bad[i].value : bad[i].value;
		if (bad[i].fix_crc) {
			uint32_t c = dsm_crc32c(buf, 36);
			memcpy(buf + 36,
			       (uint8_t[4]){(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16),
					    (uint8_t)(c >> 24)},
			       4);
		}
		if (dsm_msg_decode(buf, bad[i].len, &out) != bad[i].want)
			fail_msg("case '%s': got %s, want %s", bad[i].name,
				 dsm_msg_err_name(dsm_msg_decode(buf, bad[i].len, &out)),
				 dsm_msg_err_name(bad[i].want));
	}
	assert_int_equal(dsm_msg_decode(NULL, DSM_MSG_SIZE, &out), DSM_MSG_ELEN);
}

/* Type-specific rules: invalid combinations with a correct CRC. */
static void test_type_rules(void **state)
{
	static const struct dsm_msg wrong[] = {
	    /* a grant is exclusive and exactly one kind */
	    {.type = DSM_MSG_GRANT, .seq = 1, .flags = DSM_MF_ZERO},
	    {.type = DSM_MSG_GRANT, .seq = 1, .flags = DSM_MF_WRITE},
	    {.type = DSM_MSG_GRANT, .seq = 1, .flags = DSM_MF_ALL},
	    {.type = DSM_MSG_GRANT, .seq = 1, .nacks = 1, .flags = DSM_MF_WRITE | DSM_MF_ZERO},
	    /* readers wait for no acks */
	    {.type = DSM_MSG_DATA, .seq = 1, .nacks = 1},
	    {.type = DSM_MSG_FWD, .seq = 1, .nacks = 1},
	    {.type = DSM_MSG_INV, .seq = 1, .flags = DSM_MF_WRITE},
	    {.type = DSM_MSG_INV_ACK, .seq = 1, .node = 1},
	    {.type = DSM_MSG_DONE, .seq = 1, .home = 1},
	    {.type = DSM_MSG_HOME_MOVE, .seq = 1, .rid = 1},
	    {.type = DSM_MSG_DATA, .seq = 1, .hops = 1},
	};
	struct dsm_msg out;

	(void)state;
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		uint8_t buf[DSM_MSG_SIZE];

		dsm_msg_encode(&wrong[i], buf);
		if (dsm_msg_decode(buf, sizeof(buf), &out) != DSM_MSG_EFIELD)
			fail_msg("case %zu (%s) accepted", i, dsm_msg_type_name(wrong[i].type));
	}
}

/* Every single-bit flip of a valid message is detected. */
static void test_bit_flips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		uint8_t buf[DSM_MSG_SIZE];
		struct dsm_msg out;

		dsm_msg_encode(&valid[i], buf);
		for (unsigned bit = 0; bit < DSM_MSG_SIZE * 8; bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_not_equal(dsm_msg_decode(buf, sizeof(buf), &out), DSM_MSG_OK);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
}

static void test_policy_text(void **state)
{
	struct dsm_policy pol;
	char buf[256], buf2[256];

	(void)state;
	dsm_policy_defaults(&pol);
	assert_true(pol.first_touch && pol.replication);
	assert_int_equal(dsm_policy_parse(&pol, "first_touch=off,replication=0,migrate_after=3,"
						"pingpong_threshold=4,pin_ms=50"),
			 0);
	assert_false(pol.first_touch);
	assert_false(pol.replication);
	assert_int_equal(pol.migrate_after, 3);
	assert_int_equal(pol.pingpong_threshold, 4);
	assert_int_equal(pol.pin_ms, 50);
	/* format and parse again: same policy */
	dsm_policy_format(&pol, buf, sizeof(buf));
	{
		struct dsm_policy again;
		dsm_policy_defaults(&again);
		assert_int_equal(dsm_policy_parse(&again, buf), 0);
		dsm_policy_format(&again, buf2, sizeof(buf2));
		assert_string_equal(buf, buf2);
	}
	assert_int_equal(dsm_policy_parse(&pol, "bogus=1"), -EINVAL);
	assert_int_equal(dsm_policy_parse(&pol, "first_touch=maybe"), -EINVAL);
	assert_int_equal(dsm_policy_parse(&pol, "migrate_after"), -EINVAL);
	assert_int_equal(dsm_policy_parse(&pol, "migrate_after=-1"), -EINVAL);
	assert_int_equal(dsm_policy_parse(&pol, "migrate_after=256"), -EINVAL);
	dsm_policy_defaults(&pol);
	assert_int_equal(dsm_policy_parse(&pol, "pingpong_threshold=2,pingpong_window_ms=0"),
			 -EINVAL);
	dsm_policy_defaults(&pol);
	assert_int_equal(dsm_policy_parse(&pol, "pingpong_threshold=2,pingpong_window_ms=10"), 0);
	assert_int_equal(dsm_policy_parse(&pol, "pin_ms=99999999999"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_malformed),  cmocka_unit_test(test_type_rules),
	    cmocka_unit_test(test_bit_flips),  cmocka_unit_test(test_policy_text),
	};

	log_set_level(LOG_ERR + 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
