/* SPDX-License-Identifier: GPL-2.0-only */
/* tests/unit/dsm_proto_harness.h — the hand-driven harness of the DSM
 * protocol unit tests (test_dsm_proto.c, test_dsm_trust.c): NODES instances
 * joined by a message queue, each action logged as text. One includer per
 * test program. */
#ifndef SSIVM_TESTS_DSM_PROTO_HARNESS_H
#define SSIVM_TESTS_DSM_PROTO_HARNESS_H

#include "dsm/proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"

#define NODES 3
#define PAGES 4

struct qmsg {
	unsigned from, to;
	uint8_t buf[DSM_MSG_SIZE];
	bool page;
	uint8_t data[DSM_PAGE_SIZE];
};

struct node {
	struct dsm_proto *p;
	unsigned id;
	char log[1024];
	uint8_t mem[PAGES][DSM_PAGE_SIZE];
};

static struct node nodes[NODES];
static struct qmsg q[64];
static unsigned qlen;
static unsigned homes[PAGES] = {0, 1, 2, 0};

static __attribute__((unused)) void logf_(struct node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static __attribute__((unused)) void logf_(struct node *n, const char *fmt, ...)
{
	size_t len = strlen(n->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->log + len, sizeof(n->log) - len, fmt, ap);
	va_end(ap);
}

static __attribute__((unused)) int h_send(void *ctx, unsigned to, const void *msg, size_t len,
					  const void *page)
{
	struct node *n = ctx;
	struct dsm_msg m;

	assert_true(qlen < 64);
	assert_int_equal(dsm_msg_decode(msg, len, &m), DSM_MSG_OK);
	q[qlen] = (struct qmsg){.from = n->id, .to = to, .page = page != NULL};
	memcpy(q[qlen].buf, msg, len);
	if (page)
		memcpy(q[qlen].data, page, DSM_PAGE_SIZE);
	qlen++;
	logf_(n, "send %u %s %llu;", to, dsm_msg_type_name(m.type), (unsigned long long)m.page);
	return 0;
}

static __attribute__((unused)) int h_install(void *ctx, uint64_t page, const void *data,
					     bool writable)
{
	struct node *n = ctx;

	if (data)
		memcpy(n->mem[page], data, DSM_PAGE_SIZE);
	else
		memset(n->mem[page], 0, DSM_PAGE_SIZE);
	logf_(n, "install %llu %s%s;", (unsigned long long)page, writable ? "rw" : "ro",
	      data ? "" : " zero");
	return 0;
}

static __attribute__((unused)) int h_protect(void *ctx, uint64_t page)
{
	logf_(ctx, "protect %llu;", (unsigned long long)page);
	return 0;
}

static __attribute__((unused)) int h_unprotect(void *ctx, uint64_t page)
{
	logf_(ctx, "unprotect %llu;", (unsigned long long)page);
	return 0;
}

static __attribute__((unused)) int h_drop(void *ctx, uint64_t page)
{
	logf_(ctx, "drop %llu;", (unsigned long long)page);
	return 0;
}

static __attribute__((unused)) const void *h_read_page(void *ctx, uint64_t page)
{
	struct node *n = ctx;
	return n->mem[page];
}

static __attribute__((unused)) void h_wake(void *ctx, uint64_t page, uint64_t token)
{
	logf_(ctx, "wake %llu %llu;", (unsigned long long)page, (unsigned long long)token);
}

static const struct dsm_proto_ops ops = {h_send, h_install,   h_protect, h_unprotect,
					 h_drop, h_read_page, h_wake};

static __attribute__((unused)) unsigned home_of(void *ctx, uint64_t page)
{
	return homes[page];
}

static __attribute__((unused)) void setup_nodes(const struct dsm_policy *pol, unsigned max_pending)
{
	qlen = 0;
	for (unsigned i = 0; i < NODES; i++) {
		struct dsm_proto_params prm = {.self = i,
					       .nr_nodes = NODES,
					       .nr_pages = PAGES,
					       .home_of = home_of,
					       .ops = &ops,
					       .ctx = &nodes[i],
					       .max_pending = max_pending};
		if (pol)
			prm.policy = *pol;
		else
			dsm_policy_defaults(&prm.policy);
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].id = i;
		assert_int_equal(dsm_proto_create(&prm, &nodes[i].p), 0);
	}
}

static __attribute__((unused)) int teardown_nodes(void **state)
{
	for (unsigned i = 0; i < NODES; i++) {
		dsm_proto_destroy(nodes[i].p);
		nodes[i].p = NULL;
	}
	return 0;
}

static __attribute__((unused)) void clear_logs(void)
{
	for (unsigned i = 0; i < NODES; i++)
		nodes[i].log[0] = 0;
}

/* Deliver the oldest message; returns its receiver. */
static __attribute__((unused)) unsigned deliver(void)
{
	struct qmsg m = q[0];

	assert_true(qlen > 0);
	memmove(q, q + 1, --qlen * sizeof(q[0]));
	assert_int_equal(
	    dsm_proto_recv(nodes[m.to].p, m.from, m.buf, DSM_MSG_SIZE, m.page ? m.data : NULL), 0);
	return m.to;
}

static __attribute__((unused)) void deliver_all(void)
{
	while (qlen)
		deliver();
}

static __attribute__((unused)) const struct dsm_counters *ctr(unsigned n)
{
	return dsm_proto_counters(nodes[n].p);
}

/* Hand one crafted message to `to`; when it must be rejected, check the
 * reason was counted and nothing was acted on. */
static __attribute__((unused)) void send_raw(unsigned from, unsigned to, struct dsm_msg *m,
					     const void *page, int want, enum dsm_reject why)
{
	uint8_t buf[DSM_MSG_SIZE];
	uint64_t before = ctr(to)->rejected[why];

	dsm_msg_encode(m, buf);
	clear_logs();
	assert_int_equal(dsm_proto_recv(nodes[to].p, from, buf, sizeof(buf), page), want);
	if (want == -EPROTO) {
		assert_int_equal(ctr(to)->rejected[why], before + 1);
		assert_int_equal(dsm_proto_last_reject(nodes[to].p), why);
		assert_string_equal(nodes[to].log, ""); /* nothing acted on */
	}
}

#endif
