// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_dsm_proto.c — DSM protocol, single-step scenarios: a few
 * instances joined by a hand-driven message queue; each step's actions are
 * logged as text and compared. (Random interleavings: tests/sim.) */
#include "tests/unit/dsm_proto_harness.h"

static void test_params(void **state)
{
	struct dsm_proto_params prm = {
	    .self = 0, .nr_nodes = 2, .nr_pages = 4, .home_of = home_of, .ops = &ops};
	struct dsm_proto *p;

	dsm_policy_defaults(&prm.policy);
	prm.nr_nodes = 0;
	assert_int_equal(dsm_proto_create(&prm, &p), -EINVAL);
	prm.nr_nodes = 65;
	assert_int_equal(dsm_proto_create(&prm, &p), -EINVAL);
	prm.nr_nodes = 2;
	prm.self = 2;
	assert_int_equal(dsm_proto_create(&prm, &p), -EINVAL);
	prm.self = 0;
	prm.ops = NULL;
	assert_int_equal(dsm_proto_create(&prm, &p), -EINVAL);
	prm.ops = &ops;
	/* homes[2] == 2: not a node of a 2-node cluster */
	assert_int_equal(dsm_proto_create(&prm, &p), -EINVAL);
	prm.nr_pages = 2;
	assert_int_equal(dsm_proto_create(&prm, &p), 0);
	assert_int_equal(dsm_proto_bytes_per_page(), 2);
	assert_int_equal(dsm_proto_dir_bytes_per_page(), 16);
	dsm_proto_destroy(p);
}

/* A page homed here, touched first here: no message at all. */
static void test_first_touch_at_home(void **state)
{
	unsigned owner;
	uint64_t set;

	setup_nodes(NULL, 0);
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, false, 7), DSM_FAULT_WAIT);
	assert_string_equal(nodes[0].log, "install 0 rw zero;wake 0 7;");
	assert_int_equal(qlen, 0);
	assert_int_equal(dsm_proto_page_state(nodes[0].p, 0), DSM_EXCLUSIVE);
	assert_int_equal(dsm_proto_dir(nodes[0].p, 0, &owner, &set, NULL), 0);
	assert_int_equal(owner, 0);
	assert_int_equal(set, 1);
	/* now mapped: a fault there is resolved at once */
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, true, 8), DSM_FAULT_DONE);
	assert_int_equal(ctr(0)->first_touch, 1);
	/* a first touch at its own home: served without a message */
	assert_int_equal(ctr(0)->faults_served_home, 1);
	assert_int_equal(ctr(0)->faults_served_remote, 0);
	assert_int_equal(ctr(0)->faults_waiting, 0);
	assert_int_equal(ctr(0)->faults_local, 1);
	assert_true(dsm_proto_idle(nodes[0].p));
}

/* Remote read of an owned page, then an in-place upgrade at the reader. */
static void test_read_then_upgrade(void **state)
{
	unsigned owner;
	uint64_t set;

	setup_nodes(NULL, 0);
	/* node 1 writes page 0 (homed at 0) first: zero grant from node 0 */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	assert_string_equal(nodes[1].log, "send 0 REQ 0;");
	deliver_all();
	assert_string_equal(nodes[1].log, "send 0 REQ 0;install 0 rw zero;wake 0 1;send 0 DONE 0;");
	nodes[1].mem[0][100] = 42;
	clear_logs();

	/* node 2 reads: home 0 forwards to owner 1, which downgrades */
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 5), DSM_FAULT_WAIT);
	deliver(); /* REQ -> 0 */
	assert_string_equal(nodes[0].log, "send 1 FWD 0;");
	deliver(); /* FWD -> 1 */
	assert_string_equal(nodes[1].log, "protect 0;send 2 DATA 0;");
	deliver(); /* DATA -> 2 */
	assert_string_equal(nodes[2].log, "send 0 REQ 0;install 0 ro;wake 0 5;send 0 DONE 0;");
	assert_int_equal(nodes[2].mem[0][100], 42);
	deliver(); /* DONE -> 0 */
	assert_int_equal(dsm_proto_dir(nodes[0].p, 0, &owner, &set, NULL), 0);
	assert_int_equal(owner, 1);
	assert_int_equal(set, 0x6);
	clear_logs();

	/* node 2 writes: its copy is current, node 1's is invalidated */
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, true, 6), DSM_FAULT_WAIT);
	deliver_all();
	assert_string_equal(nodes[0].log, "send 1 INV 0;send 2 GRANT 0;");
	assert_string_equal(nodes[1].log, "drop 0;send 2 INV_ACK 0;");
	assert_string_equal(nodes[2].log, "send 0 REQ 0;unprotect 0;wake 0 6;send 0 DONE 0;");
	assert_int_equal(ctr(2)->upgrades_in_place, 1);
	assert_int_equal(ctr(2)->faults_upgrade, 1);
	assert_int_equal(ctr(2)->pages_recv, 1); /* only the read brought data */
	/* every fault of node 2 needed a message (its pages are homed at 0) */
	assert_int_equal(ctr(2)->faults_served_remote, 2);
	assert_int_equal(ctr(2)->faults_served_home, 0);
	assert_int_equal(ctr(1)->faults_served_remote, 1);
	assert_int_equal(ctr(1)->inv_recv, 1);
	assert_int_equal(dsm_proto_dir(nodes[0].p, 0, &owner, &set, NULL), 0);
	assert_int_equal(owner, 2);
	assert_int_equal(set, 0x4);
	clear_logs();

	/* node 0, the home, writes while node 2 owns it: a remote fault even
	 * though the request never left node 0 (the data comes from node 2) */
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, true, 9), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[0].p, 0), DSM_EXCLUSIVE);
	assert_int_equal(ctr(0)->faults_served_remote, 1);
	assert_int_equal(ctr(0)->faults_served_home, 0);
	assert_int_equal(ctr(0)->faults_waiting, 0);
}

/* Two writers at once: the home queues the second until the first's DONE. */
static void test_concurrent_writers(void **state)
{
	setup_nodes(NULL, 0);
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, true, 2), DSM_FAULT_WAIT);
	/* a second vCPU of node 2 joins the same request */
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 3), DSM_FAULT_WAIT);
	assert_int_equal(ctr(2)->faults_joined, 1);
	/* the joined read has its kind too: read + write + upgrade = requested + joined */
	assert_int_equal(ctr(2)->faults_read, 1);
	assert_int_equal(ctr(2)->faults_write, 1);
	assert_int_equal(ctr(2)->faults_requested, 1);
	assert_int_equal(ctr(2)->faults_waiting, 2);
	deliver();
	deliver(); /* both REQs at home; the second waits */
	assert_int_equal(ctr(0)->queued_home, 1);
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_INVALID);
	assert_int_equal(dsm_proto_page_state(nodes[2].p, 0), DSM_EXCLUSIVE);
	/* the old owner stops writing before its contents leave, then drops */
	assert_non_null(strstr(nodes[1].log, "protect 0;send 2 DATA 0;drop 0;"));
	assert_non_null(strstr(nodes[2].log, "wake 0 3;"));
	assert_non_null(strstr(nodes[2].log, "wake 0 2;"));
	for (unsigned i = 0; i < NODES; i++)
		assert_true(dsm_proto_idle(nodes[i].p));
}

static void test_no_replication(void **state)
{
	struct dsm_policy pol;

	dsm_policy_defaults(&pol);
	pol.replication = false;
	setup_nodes(&pol, 0);
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 2), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[2].p, 0), DSM_EXCLUSIVE);
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_INVALID);
	assert_int_equal(ctr(0)->reads_exclusive, 1);
}

/* Without first touch, untouched pages are the home's (zero, unmapped). */
static void test_home_placement(void **state)
{
	struct dsm_policy pol;

	dsm_policy_defaults(&pol);
	pol.first_touch = false;
	setup_nodes(&pol, 0);
	assert_int_equal(dsm_proto_page_state(nodes[0].p, 0), DSM_EXCLUSIVE);
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, false, 1), DSM_FAULT_WAIT);
	deliver_all();
	assert_string_equal(nodes[0].log, "send 1 DATA 0;");
	assert_int_equal(dsm_proto_page_state(nodes[0].p, 0), DSM_SHARED);
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_SHARED);
	assert_int_equal(ctr(0)->home_zero_fill, 1);
	assert_int_equal(ctr(0)->first_touch, 0);
	/* the home reads its own page: mapped now, read-only */
	clear_logs();
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, false, 2), DSM_FAULT_DONE);
	assert_string_equal(nodes[0].log, "install 0 ro zero;");
}

/* After migrate_after transactions in a row by node 2, page 0's home moves
 * there; node 1 still finds it through the old home. */
static void test_migration(void **state)
{
	struct dsm_policy pol;
	unsigned owner;

	dsm_policy_defaults(&pol);
	pol.migrate_after = 2;
	setup_nodes(&pol, 0);
	/* node 2 touches page 0 (homed at 0), then node 1 reads it: streak 1 */
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 1), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, false, 2), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_dir(nodes[0].p, 0, NULL, NULL, NULL), 0);
	/* node 1 again (upgrade): two in a row, the home moves to node 1 */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 3), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_dir(nodes[0].p, 0, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(dsm_proto_dir(nodes[1].p, 0, &owner, NULL, NULL), 0);
	assert_int_equal(owner, 1);
	assert_int_equal(ctr(0)->migrations_out, 1);
	assert_int_equal(ctr(1)->migrations_in, 1);
	assert_int_equal(dsm_proto_home_hint(nodes[1].p, 0), 1);
	/* node 2 still asks node 0, which forwards to node 1 */
	assert_int_equal(dsm_proto_home_hint(nodes[2].p, 0), 0);
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 4), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(ctr(0)->forwarded, 1);
	assert_int_equal(dsm_proto_page_state(nodes[2].p, 0), DSM_SHARED);
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_SHARED);
	assert_int_equal(dsm_proto_home_hint(nodes[2].p, 0), 1);
}

/* Ping-pong: the third move within the window pins the page; then each
 * holder keeps it pin_hold_us before the next request is served. */
static void test_pingpong_pin(void **state)
{
	struct dsm_policy pol;

	dsm_policy_defaults(&pol);
	pol.pingpong_threshold = 2;
	pol.pingpong_window_ms = 100;
	pol.pin_ms = 10;
	pol.pin_hold_us = 500;
	setup_nodes(&pol, 0);
	for (unsigned i = 0; i < NODES; i++)
		dsm_proto_tick(nodes[i].p, 1000000);
	for (unsigned k = 0; k < 4; k++) {
		unsigned w = 1 + k % 2;
		assert_int_equal(dsm_proto_fault(nodes[w].p, 0, true, k), DSM_FAULT_WAIT);
		deliver_all();
	}
	assert_int_equal(ctr(0)->pins, 1);
	assert_int_equal(ctr(0)->pages_pinned, 1);
	/* held by node 2: node 1's request waits at the home */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 9), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(ctr(0)->pin_delays, 1);
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_INVALID);
	assert_false(dsm_proto_idle(nodes[0].p));
	dsm_proto_tick(nodes[0].p, 1000000 + 400000);
	assert_int_equal(qlen, 0);
	dsm_proto_tick(nodes[0].p, 1000000 + 600000);
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_EXCLUSIVE);
	/* the pin ends after pin_ms */
	dsm_proto_tick(nodes[0].p, 1000000 + 11000000);
	assert_int_equal(ctr(0)->pages_pinned, 0);
}

static void test_eagain(void **state)
{
	setup_nodes(NULL, 1);
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	assert_int_equal(dsm_proto_fault(nodes[1].p, 2, true, 2), -EAGAIN);
	deliver_all();
	assert_int_equal(dsm_proto_fault(nodes[1].p, 2, true, 2), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 2), DSM_EXCLUSIVE);
}

#define BIG_PAGES (1ull << 22) /* a 16 GiB guest */

static int big_install(void *ctx, uint64_t page, const void *data, bool writable)
{
	return 0;
}

static const struct dsm_proto_ops big_ops = {h_send, big_install, h_protect, h_unprotect,
					     h_drop, h_read_page, h_wake};

static unsigned big_home_of(void *ctx, uint64_t page)
{
	return (unsigned)(page / (BIG_PAGES / 4));
}

/* A 16 GiB guest on 4 nodes: 2 bytes per page everywhere plus 16 per page
 * homed here, and the directory found for any page of the home's range. */
static void test_memory_per_page(void **state)
{
	struct dsm_proto_params prm = {.self = 1,
				       .nr_nodes = 4,
				       .nr_pages = BIG_PAGES,
				       .home_of = big_home_of,
				       .ops = &big_ops,
				       .ctx = &nodes[1]};
	struct dsm_proto *p;
	size_t bytes;
	unsigned owner;

	dsm_policy_defaults(&prm.policy);
	memset(&nodes[1], 0, sizeof(nodes[1]));
	nodes[1].id = 1;
	assert_int_equal(dsm_proto_create(&prm, &p), 0);
	bytes = dsm_proto_mem_bytes(p);
	assert_true(bytes >= BIG_PAGES * 2 + BIG_PAGES / 4 * 16);
	assert_true(bytes < BIG_PAGES * 2 + BIG_PAGES / 4 * 16 + (1u << 20));
	assert_int_equal(dsm_proto_counters(p)->pages_home, BIG_PAGES / 4);
	assert_int_equal(dsm_proto_dir(p, BIG_PAGES / 4 - 1, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(dsm_proto_dir(p, BIG_PAGES / 2, NULL, NULL, NULL), -ENOENT);
	/* pages 0 and 3 of node 1's range, touched here first */
	for (uint64_t pg = BIG_PAGES / 4; pg < BIG_PAGES / 4 + 4; pg += 3) {
		assert_int_equal(dsm_proto_fault(p, pg, true, 1), DSM_FAULT_WAIT);
		assert_int_equal(dsm_proto_dir(p, pg, &owner, NULL, NULL), 0);
		assert_int_equal(owner, 1);
	}
	assert_int_equal(dsm_proto_dir(p, BIG_PAGES / 2 - 1, &owner, NULL, NULL), 0);
	assert_int_equal(owner, DSM_NO_NODE);
	dsm_proto_destroy(p);
}

static const void *zero_read_page(void *ctx, uint64_t page)
{
	static const uint8_t zero[DSM_PAGE_SIZE];
	return zero;
}

static const struct dsm_proto_ops pool_ops = {h_send, big_install,    h_protect, h_unprotect,
					      h_drop, zero_read_page, h_wake};

static unsigned home_zero(void *ctx, uint64_t page)
{
	return 0;
}

/* 150 pages homed at node 0 migrate to node 1 (its directory pool grows
 * past its first 64 entries), then on to node 2 (node 1 gives the entries
 * back), then home again to node 0 (its static entries). */
static void test_migration_pool(void **state)
{
	enum { NP = 150 };
	struct dsm_policy pol;
	unsigned owner;

	dsm_policy_defaults(&pol);
	pol.migrate_after = 1;
	qlen = 0;
	for (unsigned i = 0; i < NODES; i++) {
		struct dsm_proto_params prm = {.self = i,
					       .nr_nodes = NODES,
					       .nr_pages = NP,
					       .home_of = home_zero,
					       .ops = &pool_ops,
					       .ctx = &nodes[i],
					       .policy = pol};
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].id = i;
		assert_int_equal(dsm_proto_create(&prm, &nodes[i].p), 0);
	}
	for (unsigned hop = 1; hop <= 3; hop++) {
		unsigned to = hop % NODES;
		for (uint64_t pg = 0; pg < NP; pg++) {
			assert_true(dsm_proto_fault(nodes[to].p, pg, true, pg) >= 0);
			deliver_all();
			clear_logs();
			assert_int_equal(dsm_proto_page_state(nodes[to].p, pg), DSM_EXCLUSIVE);
		}
		for (uint64_t pg = 0; pg < NP; pg++) {
			assert_int_equal(dsm_proto_dir(nodes[to].p, pg, &owner, NULL, NULL), 0);
			assert_int_equal(owner, to);
			for (unsigned i = 0; i < NODES; i++)
				if (i != to)
					assert_int_equal(
					    dsm_proto_dir(nodes[i].p, pg, NULL, NULL, NULL),
					    -ENOENT);
		}
		assert_int_equal(ctr(to)->pages_home, NP);
	}
	assert_int_equal(ctr(1)->migrations_in, NP);
	assert_int_equal(ctr(1)->migrations_out, NP);
	assert_int_equal(ctr(0)->migrations_in, NP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),
	    cmocka_unit_test_teardown(test_first_touch_at_home, teardown_nodes),
	    cmocka_unit_test_teardown(test_read_then_upgrade, teardown_nodes),
	    cmocka_unit_test_teardown(test_concurrent_writers, teardown_nodes),
	    cmocka_unit_test_teardown(test_no_replication, teardown_nodes),
	    cmocka_unit_test_teardown(test_home_placement, teardown_nodes),
	    cmocka_unit_test_teardown(test_migration, teardown_nodes),
	    cmocka_unit_test_teardown(test_pingpong_pin, teardown_nodes),
	    cmocka_unit_test_teardown(test_eagain, teardown_nodes),
	    cmocka_unit_test(test_memory_per_page),
	    cmocka_unit_test_teardown(test_migration_pool, teardown_nodes),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
