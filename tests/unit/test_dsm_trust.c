// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_dsm_trust.c — DSM protocol input checks: one rejection of
 * each kind, and well-formed messages from nodes not entitled to send them
 * (docs/dsm-protocol.md, "Who may send what"); nothing is ever acted on. */
#include "tests/unit/dsm_proto_harness.h"

static void test_rejects(void **state)
{
	static uint8_t page[DSM_PAGE_SIZE];
	struct dsm_msg m = {0};
	uint8_t buf[DSM_MSG_SIZE] = {0};

	setup_nodes(NULL, 0);
	assert_int_equal(dsm_proto_recv(nodes[0].p, 0, buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(dsm_proto_recv(nodes[0].p, 9, buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(ctr(0)->rejected[DSM_REJ_NODE], 2);
	assert_int_equal(dsm_proto_recv(nodes[0].p, 1, buf, 3, NULL), -EPROTO);
	assert_int_equal(ctr(0)->rejected[DSM_REJ_LEN], 1);
	assert_int_equal(dsm_proto_recv(nodes[0].p, 1, buf, sizeof(buf), NULL), -EPROTO);
	assert_int_equal(ctr(0)->rejected[DSM_REJ_MAGIC], 1);

	m = (struct dsm_msg){.type = DSM_MSG_INV_ACK, .seq = 1, .page = PAGES, .rid = 1};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_PAGE);
	m = (struct dsm_msg){.type = DSM_MSG_INV, .seq = 1, .page = 0, .node = 7};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NODE);
	/* INV for a page not held */
	m = (struct dsm_msg){.type = DSM_MSG_INV, .seq = 1, .page = 1, .rid = 1, .node = 2};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_STATE);
	/* the same sequence number again: duplicate, even though it is well-formed */
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_DUP);
	/* data nobody asked for */
	m = (struct dsm_msg){.type = DSM_MSG_DATA, .seq = 2, .page = 1, .rid = 1, .home = 1};
	send_raw(1, 0, &m, page, -EPROTO, DSM_REJ_NO_REQUEST);
	m.seq = 3;
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NO_DATA);
	/* contents with a message that carries none */
	m = (struct dsm_msg){.type = DSM_MSG_INV_ACK, .seq = 4, .page = 1, .rid = 1};
	send_raw(1, 0, &m, page, -EPROTO, DSM_REJ_NO_DATA);
	/* DONE to a node that is not the page's home */
	m = (struct dsm_msg){.type = DSM_MSG_DONE, .seq = 5, .page = 1, .rid = 1};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NOT_HOME);
	/* DONE for no transaction, at the home */
	m = (struct dsm_msg){.type = DSM_MSG_DONE, .seq = 6, .page = 0, .rid = 1};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NO_REQUEST);
	/* a request on behalf of another node, not forwarded */
	m = (struct dsm_msg){.type = DSM_MSG_REQ, .seq = 7, .page = 0, .rid = 1, .node = 2};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NODE);
	/* a FWD that does not come from the home it names */
	m = (struct dsm_msg){
	    .type = DSM_MSG_FWD, .seq = 8, .page = 0, .rid = 1, .node = 2, .home = 2};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_NODE);
	/* forwarded too often */
	m = (struct dsm_msg){
	    .type = DSM_MSG_REQ, .seq = 9, .page = 1, .rid = 1, .node = 2, .hops = 64};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_HOPS);
	/* forwarded, but without migration nobody forwards */
	m = (struct dsm_msg){
	    .type = DSM_MSG_REQ, .seq = 12, .page = 0, .rid = 1, .node = 2, .hops = 1};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	/* far behind the window */
	m = (struct dsm_msg){.type = DSM_MSG_INV_ACK, .seq = 200, .page = 1, .rid = 1};
	send_raw(2, 0, &m, NULL, -EPROTO, DSM_REJ_NO_REQUEST);
	m.seq = 100;
	send_raw(2, 0, &m, NULL, -EPROTO, DSM_REJ_STALE);
	/* sequence numbers wrap (0 is skipped); the window follows */
	m = (struct dsm_msg){.type = DSM_MSG_INV_ACK, .seq = 0xfffffffeu, .page = 1, .rid = 1};
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_NO_REQUEST);
	m.seq = 0xffffffffu;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_NO_REQUEST);
	m.seq = 1;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_NO_REQUEST);
	m.seq = 0xffffffffu;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_DUP);
	m.seq = 0xffffff00u;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_STALE);
	/* a home move while migration is off, even from the page's home */
	m = (struct dsm_msg){
	    .type = DSM_MSG_HOME_MOVE, .seq = 10, .page = 1, .node = 0, .copyset = 1};
	send_raw(1, 0, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	/* nothing was changed by any of this */
	for (unsigned pg = 0; pg < PAGES; pg++)
		assert_int_equal(dsm_proto_page_state(nodes[0].p, pg), DSM_INVALID);
	assert_true(dsm_proto_idle(nodes[0].p));
	assert_int_equal(dsm_proto_fault(nodes[0].p, PAGES, false, 1), -EINVAL);
}

/* Well-formed home-only messages from a node that is not the page's home
 * (node 2 for page 0, homed at node 0), and a DONE from a node that is not
 * the running transaction's requester: rejected, nothing acted on. */
static void test_unauthorised_senders(void **state)
{
	struct dsm_policy pol;
	struct dsm_msg m;

	dsm_policy_defaults(&pol);
	pol.migrate_after = 3; /* a HOME_MOVE is possible, just not from node 2 */
	setup_nodes(&pol, 0);
	/* node 1 owns page 0 (E) */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	deliver_all();
	m = (struct dsm_msg){
	    .type = DSM_MSG_FWD, .seq = 1, .page = 0, .rid = 7, .node = 2, .home = 2};
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	m.flags = DSM_MF_WRITE;
	m.seq = 2;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	/* node 0 reads: both hold S */
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, false, 2), DSM_FAULT_WAIT);
	deliver_all();
	m = (struct dsm_msg){.type = DSM_MSG_INV, .seq = 3, .page = 0, .rid = 7, .node = 2};
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	m = (struct dsm_msg){.type = DSM_MSG_HOME_MOVE, .seq = 4, .page = 0, .node = 1};
	m.copyset = 3;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	/* node 1 upgrades (its second request, rid 2); a grant with the right
	 * rid from node 2, and a DONE of node 2 at the home, are refused */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 3), DSM_FAULT_WAIT);
	assert_int_equal(deliver(), 0); /* the REQ reaches the home */
	m = (struct dsm_msg){.type = DSM_MSG_GRANT, .seq = 5, .page = 0, .rid = 2, .home = 2};
	m.flags = DSM_MF_WRITE | DSM_MF_UPGRADE;
	send_raw(2, 1, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	m = (struct dsm_msg){.type = DSM_MSG_DONE, .seq = 1, .page = 0, .rid = 2};
	m.flags = DSM_MF_WRITE;
	send_raw(2, 0, &m, NULL, -EPROTO, DSM_REJ_SENDER);
	/* a forwarded request from a node that is no former home is passed on
	 * with migration on; without, nobody forwards: see test_rejects */
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_EXCLUSIVE);
	assert_int_equal(dsm_proto_page_state(nodes[0].p, 0), DSM_INVALID);
	assert_int_equal(ctr(1)->rejected[DSM_REJ_SENDER], 5);
	assert_int_equal(ctr(0)->rejected[DSM_REJ_SENDER], 1);
	for (unsigned i = 0; i < NODES; i++)
		assert_true(dsm_proto_idle(nodes[i].p));
}

/* The home sends the requester of its running transaction nothing but the
 * grant: an INV or a FWD to a node whose own request is granted and waits
 * for its acks is nonsense, even from the home. Acting on it dropped the
 * copy, then unprotected the unmapped page when the last ack came (found
 * by the fuzz target). */
static void test_home_nonsense_to_granted_requester(void **state)
{
	struct dsm_msg m;

	setup_nodes(NULL, 0);
	/* page 0 (home 0): node 1 writes, nodes 0 and 2 read: three sharers */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 1), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_fault(nodes[0].p, 0, false, 2), DSM_FAULT_WAIT);
	deliver_all();
	assert_int_equal(dsm_proto_fault(nodes[2].p, 0, false, 3), DSM_FAULT_WAIT);
	deliver_all();
	/* node 1 upgrades: GRANT(upgrade, 2 acks); node 0's ack arrives, node
	 * 2's is still in flight */
	assert_int_equal(dsm_proto_fault(nodes[1].p, 0, true, 4), DSM_FAULT_WAIT);
	assert_int_equal(deliver(), 0); /* REQ at the home: INV to 2, GRANT */
	while (qlen > 1 || q[0].from != 2)
		deliver();
	assert_int_equal(qlen, 1); /* node 2's INV_ACK to node 1 */
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_SHARED);
	m = (struct dsm_msg){.type = DSM_MSG_INV, .seq = 50, .page = 0, .rid = 9, .node = 2};
	send_raw(0, 1, &m, NULL, -EPROTO, DSM_REJ_STATE);
	m = (struct dsm_msg){.type = DSM_MSG_FWD, .seq = 51, .page = 0, .rid = 9, .node = 2};
	m.flags = DSM_MF_WRITE;
	send_raw(0, 1, &m, NULL, -EPROTO, DSM_REJ_STATE);
	m.flags = 0;
	m.seq = 52;
	send_raw(0, 1, &m, NULL, -EPROTO, DSM_REJ_STATE);
	clear_logs();
	deliver_all();
	assert_string_equal(nodes[1].log, "unprotect 0;wake 0 4;send 0 DONE 0;");
	deliver_all();
	assert_int_equal(dsm_proto_page_state(nodes[1].p, 0), DSM_EXCLUSIVE);
	for (unsigned i = 0; i < NODES; i++)
		assert_true(dsm_proto_idle(nodes[i].p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_rejects, teardown_nodes),
	    cmocka_unit_test_teardown(test_unauthorised_senders, teardown_nodes),
	    cmocka_unit_test_teardown(test_home_nonsense_to_granted_requester, teardown_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
