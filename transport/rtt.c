// SPDX-License-Identifier: GPL-2.0-only
/* transport/rtt.c — the transport floor: checked 4 KiB request/response round trips. */
#include "transport/rtt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/rendezvous.h"

#define RTT_MAGIC 0x52545431u /* "RTT1" */
#define RTT_MSG_LEN 64u

enum { RTT_REQ = 1, RTT_RESP = 2, RTT_STOP = 3 };

struct rtt_msg {
	uint32_t magic;
	uint32_t kind;
	uint64_t id;
	uint8_t pad[RTT_MSG_LEN - 16];
};
_Static_assert(sizeof(struct rtt_msg) == RTT_MSG_LEN, "rtt message size");

static void fill_page(uint64_t *w, uint64_t id)
{
	for (unsigned k = 0; k < TRANSPORT_PAGE_SIZE / 8; k++)
		w[k] = id ^ (k * 0x9e3779b97f4a7c15ull);
}

static int page_ok(const void *page, uint64_t id)
{
	const uint8_t *p = page;

	for (unsigned k = 0; k < TRANSPORT_PAGE_SIZE / 8; k++) {
		uint64_t v;

		memcpy(&v, p + 8 * k, 8);
		if (v != (id ^ (k * 0x9e3779b97f4a7c15ull)))
			return 0;
	}
	return 1;
}

void transport_rtt_on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	struct transport_rtt *rs = arg;
	struct rtt_msg m, r = {.magic = RTT_MAGIC, .kind = RTT_RESP};
	uint64_t buf[TRANSPORT_PAGE_SIZE / 8];
	int rc;

	if (len != sizeof(m) || from != rs->peer) {
		pr_err("transport rtt: unexpected %zu-byte message from node %u", len, from);
		rs->error = -EPROTO;
		return;
	}
	memcpy(&m, msg, sizeof(m));
	if (m.magic != RTT_MAGIC) {
		rs->error = -EPROTO;
		return;
	}
	switch (m.kind) {
	case RTT_REQ:
		if (page && !page_ok(page, m.id)) {
			pr_err("transport rtt: request %llu from node %u: page corrupted",
			       (unsigned long long)m.id, from);
			rs->error = -EPROTO;
			return;
		}
		r.id = m.id;
		fill_page(buf, m.id);
		rc = transport_send(rs->t, from, &r, sizeof(r), buf);
		if (rc)
			rs->error = rc;
		break;
	case RTT_RESP:
		if (!page || !page_ok(page, m.id) || m.id != rs->last_resp_id + 1) {
			pr_err("transport rtt: response %llu from node %u: bad page or order "
			       "(expected %llu)",
			       (unsigned long long)m.id, from,
			       (unsigned long long)rs->last_resp_id + 1);
			rs->error = -EPROTO;
			return;
		}
		rs->last_resp_id = m.id;
		rs->resp_count++;
		break;
	case RTT_STOP:
		rs->stop = 1;
		break;
	default:
		rs->error = -EPROTO;
	}
}

void transport_rtt_on_peer_down(void *arg, uint32_t node, const char *why)
{
	struct transport_rtt *rs = arg;

	if (node == rs->peer && !rs->stop)
		rs->peer_down = 1;
}

/* Drive the transport once: busy, or adaptive (spin, then sleep). */
static int pump(struct transport_rtt *rs, int epfd, unsigned spin_us)
{
	uint64_t until = rdv_now_ns() + (uint64_t)spin_us * 1000;
	struct epoll_event ev;
	int n;

	do {
		n = transport_progress(rs->t);
		if (n)
			return n;
	} while (rdv_now_ns() < until);
	if (epfd < 0)
		return 0;
	n = transport_arm(rs->t);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return n;
	rs->sleeps++;
	epoll_wait(epfd, &ev, 1, 100);
	return 0;
}

static int make_epfd(struct transport_rtt *rs, int blocking)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int epfd;

	if (!blocking)
		return -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, transport_event_fd(rs->t), &ev)) {
		close(epfd);
		return -1;
	}
	return epfd;
}

static int send_req(struct transport_rtt *rs, uint64_t id, int with_page, uint64_t *page)
{
	struct rtt_msg m = {.magic = RTT_MAGIC, .kind = RTT_REQ, .id = id};

	if (with_page)
		fill_page(page, id);
	return transport_send(rs->t, rs->peer, &m, sizeof(m), with_page ? page : NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *s, unsigned n, double p)
{
	unsigned i = (unsigned)(p * (n - 1) + 0.5);

	return s[i < n ? i : n - 1] / 1000.0;
}

static int wait_resp(struct transport_rtt *rs, int epfd, unsigned spin, uint64_t want,
		     uint64_t deadline)
{
	while (rs->last_resp_id < want) {
		int n = pump(rs, epfd, spin);

		if (n < 0)
			return n;
		if (rs->error)
			return rs->error;
		if (rs->peer_down)
			return -ENOTCONN;
		if (rdv_now_ms() > deadline)
			return -ETIMEDOUT;
	}
	return 0;
}

int transport_rtt_run(struct transport_rtt *rs, uint32_t server,
		      const struct transport_rtt_opts *opt, struct transport_rtt_result *r)
{
	unsigned warm = opt->warmup ? opt->warmup : 1000, iters = opt->iters ? opt->iters : 10000;
	unsigned spin = opt->blocking ? opt->spin_us : 0;
	uint64_t deadline = rdv_now_ms() + (opt->timeout_ms ? opt->timeout_ms : 60000);
	uint64_t page[TRANSPORT_PAGE_SIZE / 8], *s, id = 0, t0, sum = 0;
	int epfd = make_epfd(rs, opt->blocking), rc = 0;
	struct rtt_msg stop = {.magic = RTT_MAGIC, .kind = RTT_STOP};

	s = malloc(iters * sizeof(*s));
	if (!s) {
		if (epfd >= 0)
			close(epfd);
		return -ENOMEM;
	}
	rs->peer = server;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < warm + iters && !rc; i++) {
		t0 = rdv_now_ns();
		rc = send_req(rs, ++id, opt->page_both_ways, page);
		if (!rc)
			rc = wait_resp(rs, epfd, spin, id, deadline);
		if (i >= warm)
			s[i - warm] = rdv_now_ns() - t0;
	}
	if (!rc) {
		for (unsigned i = 0; i < iters; i++)
			sum += s[i];
		qsort(s, iters, sizeof(*s), cmp_u64);
		r->iters = iters;
		r->min_us = s[0] / 1000.0;
		r->median_us = pct(s, iters, 0.5);
		r->p99_us = pct(s, iters, 0.99);
		r->p999_us = pct(s, iters, 0.999);
		r->max_us = s[iters - 1] / 1000.0;
		r->mean_us = sum / 1000.0 / iters;
		r->rtts_per_s = 1e9 * iters / (double)sum;
	}
	if (!rc && opt->window > 1) {
		uint64_t sent = id, target = id + iters;

		t0 = rdv_now_ns();
		while (!rc && rs->last_resp_id < target) {
			while (!rc && sent < target && sent - rs->last_resp_id < opt->window)
				rc = send_req(rs, ++sent, opt->page_both_ways, page);
			if (!rc && pump(rs, epfd, spin) < 0)
				rc = -EIO;
			if (!rc && rs->error)
				rc = rs->error;
			if (!rc && rs->peer_down)
				rc = -ENOTCONN;
			if (!rc && rdv_now_ms() > deadline)
				rc = -ETIMEDOUT;
		}
		if (!rc)
			r->msgs_per_s = 1e9 * iters / (double)(rdv_now_ns() - t0);
	}
	if (rc != -ENOTCONN && !rs->peer_down)
		transport_send(rs->t, server, &stop, sizeof(stop), NULL);
	/* let the stop leave before the caller closes */
	for (int i = 0; i < 1000; i++)
		transport_progress(rs->t);
	free(s);
	if (epfd >= 0)
		close(epfd);
	return rc;
}

int transport_rtt_serve(struct transport_rtt *rs, uint32_t client,
			const struct transport_rtt_opts *opt)
{
	uint64_t deadline = rdv_now_ms() + (opt->timeout_ms ? opt->timeout_ms : 60000);
	int epfd = make_epfd(rs, opt->blocking), rc = 0;

	rs->peer = client;
	while (!rs->stop && !rc) {
		int n = pump(rs, epfd, opt->blocking ? opt->spin_us : 0);

		if (n < 0)
			rc = n;
		else if (rs->error)
			rc = rs->error;
		else if (rs->peer_down)
			rc = -ENOTCONN;
		else if (rdv_now_ms() > deadline)
			rc = -ETIMEDOUT;
	}
	if (epfd >= 0)
		close(epfd);
	return rc;
}
