// SPDX-License-Identifier: GPL-2.0-only
/*
 * The transport interface in one process: node 0 on the test thread, node 1
 * on a helper thread, each driving its own transport over loopback (TCP and
 * shared memory). Checks argument errors, delivery and counters, adaptive
 * blocking (arm + event fd), a peer that closes, a peer that goes silent
 * (heartbeat timeout) and a rendezvous nobody answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/transport.h"

#define N_MSGS 200

struct node {
	struct transport *t;
	uint32_t self;
	const char *tls;
	unsigned hb, timeout;
	/* received */
	unsigned msgs, pages, bad, acks;
	/* peer down */
	unsigned downs;
	uint32_t down_node;
	char why[256];
	/* helper thread result */
	char err[256];
	int mode;
};

static char addr0[32], addr1[32];
static const char *addrs[2] = {addr0, addr1};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A TCP port on loopback that nobody listens on right now (the kernel's pick). */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void set_ports(int k)
{
	snprintf(addr0, sizeof(addr0), "127.0.0.1:%d", free_port());
	snprintf(addr1, sizeof(addr1), "127.0.0.1:%d", free_port());
}

static void on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	struct node *nd = arg;
	uint32_t id;

	if (len == 3 && !memcmp(msg, "ack", 3)) {
		nd->acks++;
		return;
	}
	memcpy(&id, msg, sizeof(id));
	if (from == nd->self || len != 4 + id % 200 + 1 || id != nd->msgs ||
	    (id % 2 == 0) != !!page)
		nd->bad++;
	for (size_t i = 4; i < len; i++)
		if (((const uint8_t *)msg)[i] != (uint8_t)(id + i))
			nd->bad++;
	if (page) {
		for (size_t i = 0; i < TRANSPORT_PAGE_SIZE; i++)
			if (((const uint8_t *)page)[i] != (uint8_t)(id ^ i))
				nd->bad++;
		nd->pages++;
	}
	nd->msgs++;
}

static void on_down(void *arg, uint32_t node, const char *why)
{
	struct node *nd = arg;

	nd->downs++;
	nd->down_node = node;
	snprintf(nd->why, sizeof(nd->why), "%s", why);
}

static int open_node(struct node *nd, unsigned connect_ms)
{
	struct transport_params p = {
	    .self = nd->self,
	    .nr_nodes = 2,
	    .addrs = addrs,
	    .tls = nd->tls,
	    .on_msg = on_msg,
	    .on_peer_down = on_down,
	    .arg = nd,
	    .heartbeat_ms = nd->hb,
	    .peer_timeout_ms = nd->timeout,
	    .connect_timeout_ms = connect_ms,
	};

	return transport_open(&p, &nd->t);
}

/* Progress (sleeping in poll on the event fd when armed) until cond or timeout. */
static int drive(struct node *nd, int (*cond)(struct node *), unsigned ms)
{
	uint64_t end = now_ms() + ms;
	struct pollfd pfd = {.fd = transport_event_fd(nd->t), .events = POLLIN};

	while (!cond(nd)) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		if (transport_progress(nd->t) > 0)
			continue;
		if (transport_arm(nd->t) == 0)
			poll(&pfd, 1, 20);
	}
	return 0;
}

/* Like drive(), but sleeps without a timeout in poll once armed: the event
 * fd alone must wake us when the message arrives. Counts the sleeps. */
static int wait_armed(struct node *nd, int (*cond)(struct node *), unsigned ms)
{
	uint64_t end = now_ms() + ms;
	struct pollfd pfd = {.fd = transport_event_fd(nd->t), .events = POLLIN};

	while (!cond(nd)) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		if (transport_progress(nd->t) > 0)
			continue;
		if (transport_arm(nd->t) == 0 && poll(&pfd, 1, (int)ms) != 1)
			return -ETIMEDOUT;
	}
	return 0;
}

static int got_all(struct node *nd)
{
	return nd->msgs >= N_MSGS;
}

static int got_ack(struct node *nd)
{
	return nd->acks > 0;
}

static int got_down(struct node *nd)
{
	return nd->downs > 0;
}

/* Helper thread = node 1. mode 0: receive, ack, close. mode 1: go silent, then close. */
static void *helper(void *arg)
{
	struct node *nd = arg;
	uint8_t page[TRANSPORT_PAGE_SIZE] = {1};
	int rc = open_node(nd, 5000);

	if (rc) {
		snprintf(nd->err, sizeof(nd->err), "node 1 open: %s", strerror(-rc));
		return NULL;
	}
	if (nd->mode == 0) {
		if (drive(nd, got_all, 10000))
			snprintf(nd->err, sizeof(nd->err), "node 1: got %u of %u messages",
				 nd->msgs, N_MSGS);
		else if (nd->bad)
			snprintf(nd->err, sizeof(nd->err), "node 1: %u bad deliveries", nd->bad);
		rc = transport_send(nd->t, 0, "ack", 3, page);
		if (rc)
			snprintf(nd->err, sizeof(nd->err), "node 1: ack: %s", strerror(-rc));
		for (int i = 0; i < 100; i++)
			transport_progress(nd->t);
	} else if (nd->mode == 3) {
		usleep(2000 * 1000); /* not reading: the sender's queue fills up */
		drive(nd, got_down, 3000);
	} else if (nd->mode == 2) {
		drive(nd, got_down, 2000); /* awake: progress and heartbeats for 2 s */
	} else {
		usleep(600 * 1000); /* silent: no progress, no heartbeats */
	}
	transport_close(nd->t);
	return NULL;
}

/* A stray client that connects to node 0's rendezvous port and sends junk. */
static void *stray(void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char junk[] = "GET / HTTP/1.0\r\nHost: ssivm\r\n\r\n";
	struct node *n1 = arg;
	pthread_t th;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)atoi(strchr(addr0, ':') + 1));
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			if (write(fd, junk, sizeof(junk)) < 0)
				n1->bad++;
			usleep(100 * 1000);
			close(fd);
			break;
		}
		close(fd);
		usleep(10 * 1000);
	}
	/* then the real node 1 */
	pthread_create(&th, NULL, helper, n1);
	pthread_join(th, NULL);
	return NULL;
}

static void test_deliver_and_close(const char *tls, int k)
{
	/* heartbeats every 5 s: while waiting for the ack, only UCX can wake us */
	struct node n0 = {.self = 0, .tls = tls, .hb = 5000, .timeout = 20000};
	struct node n1 = {.self = 1, .tls = tls, .hb = 5000, .timeout = 20000, .mode = 0};
	uint8_t msg[TRANSPORT_MAX_MSG + 1] = {0}, page[TRANSPORT_PAGE_SIZE];
	struct transport_stats st;
	uint64_t bytes = 0, t0;
	pthread_t th;

	set_ports(k);
	/* over TCP, a stray client knocks at the rendezvous port first */
	pthread_create(&th, NULL, strcmp(tls, "tcp") ? helper : stray, &n1);
	assert_int_equal(open_node(&n0, 5000), 0);
	assert_true(transport_event_fd(n0.t) >= 0);
	assert_int_equal(transport_peer_alive(n0.t, 1), 1);
	assert_int_equal(transport_peer_alive(n0.t, 0), 1);
	assert_int_equal(transport_peer_alive(n0.t, 2), 0);
	assert_null(transport_peer_down_reason(n0.t, 1));
	assert_null(transport_peer_down_reason(n0.t, 0));
	assert_null(transport_peer_down_reason(n0.t, 2));
	/* argument errors */
	assert_int_equal(transport_send(n0.t, 0, msg, 4, NULL), -EINVAL);
	assert_int_equal(transport_send(n0.t, 2, msg, 4, NULL), -EINVAL);
	assert_int_equal(transport_send(n0.t, 1, msg, 0, NULL), -EINVAL);
	assert_int_equal(transport_send(n0.t, 1, NULL, 4, NULL), -EINVAL);
	assert_int_equal(transport_send(n0.t, 1, msg, TRANSPORT_MAX_MSG + 1, NULL), -EINVAL);
	for (uint32_t id = 0; id < N_MSGS; id++) {
		size_t len = 4 + id % 200 + 1;

		memcpy(msg, &id, 4);
		for (size_t i = 4; i < len; i++)
			msg[i] = (uint8_t)(id + i);
		for (size_t i = 0; i < sizeof(page); i++)
			page[i] = (uint8_t)(id ^ i);
		assert_int_equal(transport_send(n0.t, 1, msg, len, id % 2 ? NULL : page), 0);
		/* the caller's buffers are free at once */
		memset(msg, 0xee, sizeof(msg));
		memset(page, 0xee, sizeof(page));
		bytes += len + (id % 2 ? 0 : TRANSPORT_PAGE_SIZE);
	}
	t0 = now_ms();
	assert_int_equal(wait_armed(&n0, got_ack, 10000), 0);
	assert_true(now_ms() - t0 < 4000); /* woken by the message, not the 5 s timer */
	assert_int_equal(drive(&n0, got_down, 5000), 0);
	pthread_join(th, NULL);
	if (n1.err[0])
		fail_msg("%s", n1.err);
	assert_int_equal(n1.msgs, N_MSGS);
	assert_int_equal(n1.pages, N_MSGS / 2);
	assert_int_equal(n0.downs, 1);
	assert_int_equal(n0.down_node, 1);
	assert_string_equal(n0.why, "node 1: closed its transport");
	assert_int_equal(transport_send(n0.t, 1, msg, 4, NULL), -ENOTCONN);
	assert_int_equal(transport_peer_alive(n0.t, 1), 0);
	assert_string_equal(transport_peer_down_reason(n0.t, 1), "node 1: closed its transport");
	for (int i = 0; i < 10; i++)
		transport_progress(n0.t);
	assert_int_equal(n0.downs, 1); /* reported once */
	transport_get_stats(n0.t, &st);
	assert_int_equal(st.msgs_sent, N_MSGS);
	assert_int_equal(st.pages_sent, N_MSGS / 2);
	assert_int_equal(st.bytes_sent, bytes);
	assert_int_equal(st.msgs_recv, 1);
	assert_int_equal(st.pages_recv, 1);
	assert_int_equal(st.peers_down, 1);
	assert_int_equal(st.rejected_total, 0);
	transport_close(n0.t);
}

static void test_tcp(void **state)
{
	test_deliver_and_close("tcp", 0);
}

static void test_shm(void **state)
{
	test_deliver_and_close("shm", 1);
}

/* auto with every node on this host's loopback: shared memory, unless $UCX_TLS says otherwise */
static void test_auto(void **state)
{
	test_deliver_and_close("auto", 6);
}

static void test_heartbeat_timeout(void **state)
{
	struct node n0 = {.self = 0, .tls = "tcp", .hb = 20, .timeout = 150};
	struct node n1 = {.self = 1, .tls = "tcp", .hb = 20, .timeout = 150, .mode = 1};
	struct transport_stats st;
	uint64_t t0;
	pthread_t th;

	set_ports(2);
	pthread_create(&th, NULL, helper, &n1);
	assert_int_equal(open_node(&n0, 5000), 0);
	t0 = now_ms();
	assert_int_equal(drive(&n0, got_down, 3000), 0);
	assert_true(now_ms() - t0 >= 150);
	assert_int_equal(n0.down_node, 1);
	if (strncmp(n0.why, "node 1: no heartbeat for ", 25))
		fail_msg("reason: '%s'", n0.why);
	transport_get_stats(n0.t, &st);
	assert_true(st.heartbeats_missed >= 1);
	assert_true(st.heartbeats_sent >= 3);
	assert_int_equal(transport_send(n0.t, 1, "x", 1, NULL), -ENOTCONN);
	pthread_join(th, NULL);
	transport_close(n0.t);
}

/* Node 0 is not driven for 1 s (its caller stalled) with a 300 ms timeout:
 * on resuming it must drain what arrived meanwhile, not accuse node 1. */
static void test_stalled_caller(void **state)
{
	struct node n0 = {.self = 0, .tls = "tcp", .hb = 50, .timeout = 300};
	struct node n1 = {.self = 1, .tls = "tcp", .hb = 50, .timeout = 30000, .mode = 2};
	pthread_t th;

	set_ports(4);
	pthread_create(&th, NULL, helper, &n1);
	assert_int_equal(open_node(&n0, 5000), 0);
	usleep(1000 * 1000);
	drive(&n0, got_down, 500);
	if (n0.downs)
		fail_msg("node 0 accused node 1 after its own stall: %s", n0.why);
	/* and a real silence afterwards is still seen: node 1 closes at 2 s */
	assert_int_equal(drive(&n0, got_down, 5000), 0);
	assert_string_equal(n0.why, "node 1: closed its transport");
	pthread_join(th, NULL);
	if (n1.err[0])
		fail_msg("%s", n1.err);
	transport_close(n0.t);
}

/* A peer that does not read: sends pile up, transport_send says -EAGAIN
 * after a bounded wait instead of blocking, and all is delivered later. */
static void test_back_pressure(void **state)
{
	struct node n0 = {.self = 0, .tls = "tcp", .hb = 100, .timeout = 20000};
	struct node n1 = {.self = 1, .tls = "tcp", .hb = 100, .timeout = 20000, .mode = 3};
	static uint8_t page[TRANSPORT_PAGE_SIZE];
	uint8_t msg[TRANSPORT_MAX_MSG] = {0};
	uint64_t t0, longest = 0;
	unsigned sent = 0;
	int rc = 0;
	pthread_t th;

	set_ports(5);
	pthread_create(&th, NULL, helper, &n1);
	assert_int_equal(open_node(&n0, 5000), 0);
	while (sent < 100000) {
		t0 = now_ms();
		rc = transport_send(n0.t, 1, msg, sizeof(msg), page);
		if (now_ms() - t0 > longest)
			longest = now_ms() - t0;
		if (rc)
			break;
		sent++;
	}
	assert_int_equal(rc, -EAGAIN);
	assert_true(longest < 1000); /* 100 ms wait, with room for a loaded machine */
	/* the receiver wakes up, takes everything, closes */
	assert_int_equal(drive(&n0, got_down, 15000), 0);
	pthread_join(th, NULL);
	assert_int_equal(n1.msgs, sent);
	assert_string_equal(n0.why, "node 1: closed its transport");
	transport_close(n0.t);
}

static void test_nobody_shows_up(void **state)
{
	struct node n0 = {.self = 0, .tls = "tcp"}, n1 = {.self = 1, .tls = "tcp"};
	uint64_t t0;

	set_ports(3);
	t0 = now_ms();
	assert_int_equal(open_node(&n0, 300), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 2000);
	t0 = now_ms();
	assert_int_equal(open_node(&n1, 300), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 2000);
}

/* Two nodes of one cluster with different tls settings. Node 1, which
 * connects, is refused at once (-EPROTO); node 0 cannot tell a misconfigured
 * node 1 from a forged hello, so it refuses the hello, keeps waiting for a
 * node 1 that fits, and fails with -EPROTO at its connect timeout. */
static void *mismatched(void *arg)
{
	struct node *nd = arg;
	uint64_t t0 = now_ms();
	int rc = open_node(nd, 5000);

	if (rc != -EPROTO)
		snprintf(nd->err, sizeof(nd->err), "node 1 open: %d, expected -EPROTO", rc);
	else if (now_ms() - t0 > 1200)
		snprintf(nd->err, sizeof(nd->err), "node 1 was refused only after %u ms",
			 (unsigned)(now_ms() - t0));
	if (!rc)
		transport_close(nd->t);
	return NULL;
}

static void test_tls_mismatch(void **state)
{
	struct node n0 = {.self = 0, .tls = "tcp"}, n1 = {.self = 1, .tls = "shm"};
	uint64_t t0 = now_ms();
	pthread_t th;

	set_ports(0);
	pthread_create(&th, NULL, mismatched, &n1);
	assert_int_equal(open_node(&n0, 1500), -EPROTO);
	assert_true(now_ms() - t0 >= 1500);
	assert_true(now_ms() - t0 < 4000);
	pthread_join(th, NULL);
	if (n1.err[0])
		fail_msg("%s", n1.err);
}

static void test_bad_params(void **state)
{
	struct node nd = {0};
	struct transport *t = NULL;
	struct transport_params p = {
	    .self = 0, .nr_nodes = 2, .addrs = addrs, .on_msg = on_msg, .arg = &nd};

	p.nr_nodes = 0;
	assert_int_equal(transport_open(&p, &t), -EINVAL);
	p.nr_nodes = TRANSPORT_MAX_NODES + 1;
	assert_int_equal(transport_open(&p, &t), -EINVAL);
	p.nr_nodes = 2;
	p.self = 2;
	assert_int_equal(transport_open(&p, &t), -EINVAL);
	p.self = 0;
	p.tls = "rdma-please";
	assert_int_equal(transport_open(&p, &t), -EINVAL);
	p.tls = NULL;
	p.on_msg = NULL;
	assert_int_equal(transport_open(&p, &t), -EINVAL);
	assert_int_equal(transport_open(NULL, &t), -EINVAL);
	assert_null(t);
	transport_close(NULL);
	assert_int_equal(transport_progress(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_tcp),
	    cmocka_unit_test(test_shm),
	    cmocka_unit_test(test_auto),
	    cmocka_unit_test(test_heartbeat_timeout),
	    cmocka_unit_test(test_nobody_shows_up),
	    cmocka_unit_test(test_stalled_caller),
	    cmocka_unit_test(test_back_pressure),
	    cmocka_unit_test(test_tls_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
