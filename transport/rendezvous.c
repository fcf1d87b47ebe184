// SPDX-License-Identifier: GPL-2.0-only
/*
 * transport/rendezvous.c — TCP side sockets: every pair of nodes connected in
 * one non-blocking loop, hellos exchanged and checked, the ready barrier.
 */
#include "transport/rendezvous.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define RETRY_MS 20       /* nobody listens yet: try again */
#define RETRY_JUNK_MS 500 /* something else answered: try again, slower */
#define POLL_MS 20        /* the loop's longest sleep (retries, deadlines) */

uint64_t rdv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rdv_now_ms(void)
{
	return rdv_now_ns() / 1000000ull;
}

static int remaining_ms(uint64_t deadline_ms)
{
	uint64_t now = rdv_now_ms();

	if (now >= deadline_ms)
		return 0;
	return deadline_ms - now > 1000000 ? 1000000 : (int)(deadline_ms - now);
}

/* Read or write exactly n bytes before the deadline (the barrier). */
static int io_full(int fd, void *buf, size_t n, int writing, uint64_t deadline_ms)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		struct pollfd pfd = {.fd = fd, .events = writing ? POLLOUT : POLLIN};
		int ms = remaining_ms(deadline_ms);

		if (ms == 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/* The rendezvous with one other node. */
enum link_state { L_WAIT, L_CONNECTING, L_HELLO, L_DONE };

struct link {
	int fd;
	enum link_state st;
	uint64_t next_try_ms; /* L_WAIT, connections we make */
	uint8_t *tx;          /* our hello to this node */
	size_t tx_len, tx_off;
	uint8_t *rx; /* its hello (connections we make) */
	size_t rx_len, rx_need;
	int got; /* its hello was received and taken */
	int last_errno;
	char last[RDV_NOTE_LEN + 64]; /* what went wrong last, for the timeout message */
};

struct rdv {
	const struct rdv_params *rp;
	struct rdv_peer *peers;
	struct rdv_inbox *ib;
	struct link *l;
	struct sockaddr_storage *ss; /* every node's address */
	unsigned *sslen;
};

static int listen_self(const struct rdv *r, int *lfd)
{
	const struct rdv_params *rp = r->rp;
	int fd, one = 1, rc;

	fd = socket(r->ss[rp->self].ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&r->ss[rp->self], r->sslen[rp->self]) < 0 ||
	    listen(fd, 64) < 0) {
		rc = -errno;
		pr_err("transport: node %u cannot listen on %s: %s%s", rp->self,
		       rp->addrs[rp->self], strerror(errno),
		       rc == -EADDRINUSE ? " (another process there: node claimed twice?)" : "");
		close(fd);
		return rc;
	}
	*lfd = fd;
	return 0;
}

static void link_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->rx);
	l->rx = NULL;
	l->rx_len = 0;
	l->tx_off = 0;
	l->got = 0;
}

/* Our hello to node j, encoded once. */
static int make_hello(const struct rdv *r, uint32_t j)
{
	const struct rdv_params *rp = r->rp;
	struct link *l = &r->l[j];

	l->tx = malloc(RDV_HDR_SIZE + rp->local_len);
	if (!l->tx)
		return -ENOMEM;
	l->tx_len = rdv_encode_hello(l->tx, RDV_HDR_SIZE + rp->local_len, rp->tls_mode, rp->self, j,
				     rp->nr_nodes, rp->local_addr, rp->local_len);
	if (!l->tx_len) {
		pr_err(
		    "transport: node %u: cannot encode a hello (UCX worker address of %zu bytes)",
		    rp->self, rp->local_len);
		return -EINVAL;
	}
	return 0;
}

static int retryable(int e)
{
	return e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH ||
	       e == ECONNRESET || e == EAGAIN || e == ECONNABORTED;
}

/* Start a connection to node j (smaller id than ours). */
static int start_connect(struct rdv *r, uint32_t j, uint64_t now)
{
	const struct rdv_params *rp = r->rp;
	struct link *l = &r->l[j];
	struct sockaddr_storage src = r->ss[rp->self];
	int fd, one = 1;

	fd = socket(r->ss[j].ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* from our own address: the other side checks that a hello claiming
	 * node `self` comes from its IP */
	if (src.ss_family == r->ss[j].ss_family) {
		/* the port is picked at connect, not bind (retries every 20 ms) */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (src.ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&src, r->sslen[rp->self]) < 0) {
			int e = errno;

			pr_err(
			    "transport: node %u cannot connect from its own address %s: %s (is it "
			    "an address of this host?)",
			    rp->self, rp->addrs[rp->self], strerror(e));
			close(fd);
			return -e;
		}
	}
	if (connect(fd, (struct sockaddr *)&r->ss[j], r->sslen[j]) == 0) {
		l->st = L_HELLO;
	} else if (errno == EINPROGRESS) {
		l->st = L_CONNECTING;
	} else {
		int e = errno;

		close(fd);
		if (!retryable(e)) {
			pr_err("transport: cannot connect to node %u at %s: %s", j, rp->addrs[j],
			       strerror(e));
			return -e;
		}
		l->last_errno = e;
		l->last[0] = 0;
		l->next_try_ms = now + RETRY_MS;
		return 0;
	}
	l->fd = fd;
	l->rx_len = 0;
	l->rx_need = RDV_HDR_SIZE;
	l->rx = malloc(RDV_HDR_SIZE);
	return l->rx ? 0 : -ENOMEM;
}

/* Try again later, with a note for the timeout message. */
static void retry_later(struct link *l, uint64_t when, int err, const char *note)
{
	link_close(l);
	l->st = L_WAIT;
	l->next_try_ms = when;
	l->last_errno = err;
	snprintf(l->last, sizeof(l->last), "%s", note ? note : "");
}

/* A whole frame from node j, which we connected to. Returns 0, 1 (done), -EPROTO. */
static int outgoing_frame(struct rdv *r, uint32_t j, uint64_t now)
{
	const struct rdv_params *rp = r->rp;
	struct link *l = &r->l[j];
	struct rdv_expect e = {.self = rp->self,
			       .nr_nodes = rp->nr_nodes,
			       .tls_mode = rp->tls_mode,
			       .src = j,
			       .refusal_ok = 1,
			       .addr_formats = rp->addr_formats};
	struct rdv_frame f;
	unsigned reason;
	size_t need;
	char desc[RDV_NOTE_LEN], note[RDV_NOTE_LEN + 64];
	int rc = rdv_decode(l->rx, l->rx_len, &e, &f, &reason, &need);

	if (rc == RDV_MORE) {
		uint8_t *nb = need > l->rx_need ? realloc(l->rx, need) : l->rx;

		if (!nb)
			return -ENOMEM;
		l->rx = nb;
		l->rx_need = need;
		return 0;
	}
	rdv_describe(reason, &f, &e, desc, sizeof(desc));
	if (rc == -EBADMSG) {
		/* not an ssivm node: something else took the port? */
		snprintf(note, sizeof(note), "what answers at %s sent a bad hello (%s)",
			 rp->addrs[j], desc);
		pr_warn("transport: node %u: %s; trying again", j, note);
		retry_later(l, now + RETRY_JUNK_MS, 0, note);
		return 0;
	}
	if (rc == -EPROTO) {
		pr_err("transport: node %u (%s) answered with a hello that does not fit: %s", j,
		       rp->addrs[j], desc);
		return -EPROTO;
	}
	if (f.type == RDV_T_REFUSE) {
		pr_err("transport: node %u (%s) refused our hello: %.*s", j, rp->addrs[j],
		       (int)f.body_len, (const char *)f.body);
		return -EPROTO;
	}
	r->peers[j].addr = malloc(f.body_len);
	if (!r->peers[j].addr)
		return -ENOMEM;
	memcpy(r->peers[j].addr, f.body, f.body_len);
	r->peers[j].addr_len = f.body_len;
	rdv_format_addr(&r->ss[j], r->peers[j].who, sizeof(r->peers[j].who));
	l->got = 1;
	return 1;
}

/* Drive a connection we made or took. Returns 0 or a fatal -errno. */
static int drive_link(struct rdv *r, uint32_t j, uint64_t now)
{
	struct link *l = &r->l[j];
	int err = 0;
	socklen_t el = sizeof(err);

	if (l->st == L_WAIT && j < r->rp->self && now >= l->next_try_ms)
		return start_connect(r, j, now);
	if (l->st == L_CONNECTING) {
		struct pollfd pfd = {.fd = l->fd, .events = POLLOUT};

		if (poll(&pfd, 1, 0) != 1)
			return 0;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &el))
			err = errno;
		if (err) {
			if (!retryable(err)) {
				pr_err("transport: cannot connect to node %u at %s: %s", j,
				       r->rp->addrs[j], strerror(err));
				return -err;
			}
			retry_later(l, now + RETRY_MS, err, NULL);
			return 0;
		}
		l->st = L_HELLO;
	}
	if (l->st != L_HELLO)
		return 0;
	while (l->tx_off < l->tx_len) {
		ssize_t n = send(l->fd, l->tx + l->tx_off, l->tx_len - l->tx_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			l->tx_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (j > r->rp->self) {
			/* a connection we took: peers[j] owns the fd */
			pr_warn("transport: node %u (%s) went away during the rendezvous", j,
				r->peers[j].who);
			close(r->peers[j].fd);
			r->peers[j].fd = l->fd = -1;
			free(r->peers[j].addr);
			r->peers[j].addr = NULL;
			l->got = 0;
			l->st = L_WAIT;
			return 0;
		}
		retry_later(l, now + RETRY_MS, errno, "the connection broke during the hello");
		return 0;
	}
	while (!l->got) {
		ssize_t n = recv(l->fd, l->rx + l->rx_len, l->rx_need - l->rx_len, MSG_DONTWAIT);
		int rc;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			retry_later(l, now + RETRY_JUNK_MS, n ? errno : 0,
				    "it closed the connection without answering our hello");
			return 0;
		}
		l->rx_len += (size_t)n;
		rc = outgoing_frame(r, j, now);
		if (rc < 0)
			return rc;
		if (l->st == L_WAIT)
			return 0;
	}
	if (l->got && l->tx_off == l->tx_len) {
		if (j < r->rp->self)
			r->peers[j].fd = l->fd;
		l->fd = -1;
		l->st = L_DONE;
	}
	return 0;
}

/* The inbox's judge during the rendezvous: take the first hello for each missing node. */
static unsigned judge_join(void *arg, const struct rdv_frame *f, const char *who, char *why,
			   size_t len)
{
	struct rdv *r = arg;

	if (r->peers[f->src].fd >= 0 || r->l[f->src].st != L_WAIT) {
		snprintf(why, len,
			 "node %u is claimed by two processes: %s (connected first) and %s", f->src,
			 r->peers[f->src].who, who);
		return TRANSPORT_HELLO_REJ_DUPLICATE;
	}
	return 0;
}

static void take(struct rdv *r, struct rdv_taken *tk)
{
	struct rdv_peer *pe = &r->peers[tk->node];
	struct link *l = &r->l[tk->node];

	pe->fd = tk->fd;
	pe->addr = tk->addr;
	pe->addr_len = tk->addr_len;
	memcpy(pe->who, tk->who, sizeof(pe->who));
	l->fd = tk->fd; /* to send our hello; peers[] owns it */
	l->got = 1;
	l->tx_off = 0;
	l->st = L_HELLO;
}

static int timed_out(const struct rdv *r)
{
	const struct rdv_params *rp = r->rp;
	int rc = -ETIMEDOUT;

	for (uint32_t j = 0; j < rp->nr_nodes; j++) {
		const struct link *l = &r->l[j];
		const char *claim = r->ib->claim[j];

		if (j == rp->self || l->st == L_DONE)
			continue;
		if (j < rp->self && l->st == L_HELLO)
			pr_err("transport: node %u (%s) did not answer our hello within %u ms", j,
			       rp->addrs[j], rp->timeout_ms);
		else if (j < rp->self)
			pr_err("transport: node %u (%s) did not show up within %u ms (last error: "
			       "%s)",
			       j, rp->addrs[j], rp->timeout_ms,
			       l->st == L_CONNECTING ? "no answer to the connection attempt"
			       : l->last[0]          ? l->last
			       : l->last_errno       ? strerror(l->last_errno)
						     : "none");
		else if (l->st == L_HELLO)
			pr_err(
			    "transport: node %u (%s) connected but did not take our hello within "
			    "%u ms",
			    j, r->peers[j].who, rp->timeout_ms);
		else
			pr_err(
			    "transport: node %u (%s) did not connect to node %u within %u ms%s%s",
			    j, rp->addrs[j], rp->self, rp->timeout_ms,
			    claim[0] ? "; meanwhile, " : "", claim);
		if (j > rp->self && r->ib->claim_misfit[j])
			rc = -EPROTO;
	}
	if (r->ib->others)
		pr_err("transport: node %u also refused %" PRIu64
		       " other connections to its rendezvous port (last: %s)",
		       rp->self, r->ib->others, r->ib->other);
	return rc;
}

static int run(struct rdv *r)
{
	const struct rdv_params *rp = r->rp;
	struct pollfd pfd[1 + RDV_MAX_PENDING + TRANSPORT_MAX_NODES];

	for (;;) {
		uint64_t now = rdv_now_ms();
		struct rdv_taken tk;
		unsigned np, done = 0;
		int rc;

		for (uint32_t j = 0; j < rp->nr_nodes; j++) {
			if (j == rp->self)
				continue;
			rc = drive_link(r, j, now);
			if (rc)
				return rc;
			done += r->l[j].st == L_DONE;
		}
		while ((rc = rdv_inbox_run(r->ib, now, judge_join, r, &tk)) == 1) {
			take(r, &tk);
			drive_link(r, tk.node, now);
			done += r->l[tk.node].st == L_DONE;
		}
		if (rc < 0)
			return rc;
		if (done == rp->nr_nodes - 1)
			return 0;
		if (now >= rp->deadline_ms)
			return timed_out(r);
		np = rdv_inbox_pollfds(r->ib, pfd, RDV_MAX_PENDING + 1);
		for (uint32_t j = 0; j < rp->nr_nodes; j++) {
			const struct link *l = &r->l[j];

			if (l->st == L_CONNECTING)
				pfd[np++] = (struct pollfd){.fd = l->fd, .events = POLLOUT};
			else if (l->st == L_HELLO)
				pfd[np++] = (struct pollfd){
				    .fd = l->fd,
				    .events =
					(short)(POLLIN | (l->tx_off < l->tx_len ? POLLOUT : 0))};
		}
		rc = remaining_ms(rp->deadline_ms);
		if (poll(pfd, np, rc < POLL_MS ? rc : POLL_MS) < 0 && errno != EINTR)
			return -errno;
	}
}

void rdv_release(struct rdv_peer *peers, uint32_t nr_nodes)
{
	for (uint32_t i = 0; i < nr_nodes; i++) {
		if (peers[i].fd >= 0)
			close(peers[i].fd);
		peers[i].fd = -1;
		free(peers[i].addr);
		peers[i].addr = NULL;
		peers[i].addr_len = 0;
	}
}

int rdv_connect_all(const struct rdv_params *rp, struct rdv_peer *peers, struct rdv_inbox *ib,
		    struct transport_stats *st)
{
	struct rdv_expect e = {.self = rp->self,
			       .nr_nodes = rp->nr_nodes,
			       .tls_mode = rp->tls_mode,
			       .src = RDV_SRC_HIGHER,
			       .addr_formats = rp->addr_formats};
	struct rdv r = {.rp = rp, .peers = peers, .ib = ib};
	int lfd = -1, rc = -ENOMEM;

	for (uint32_t i = 0; i < rp->nr_nodes; i++)
		peers[i] = (struct rdv_peer){.fd = -1};
	memset(ib, 0, sizeof(*ib));
	ib->lfd = -1;
	r.l = calloc(rp->nr_nodes, sizeof(*r.l));
	r.ss = calloc(rp->nr_nodes, sizeof(*r.ss));
	r.sslen = calloc(rp->nr_nodes, sizeof(*r.sslen));
	if (!r.l || !r.ss || !r.sslen)
		goto out;
	for (uint32_t i = 0; i < rp->nr_nodes; i++) {
		r.l[i] = (struct link){.fd = -1};
		rc = rdv_parse_addr(rp->addrs[i], &r.ss[i], &r.sslen[i]);
		if (rc)
			goto out;
	}
	rc = 0;
	if (rp->nr_nodes == 1)
		goto out;
	if (rp->self + 1 < rp->nr_nodes)
		rc = listen_self(&r, &lfd);
	rdv_inbox_init(ib, lfd, &e, r.ss, st);
	for (uint32_t j = 0; !rc && j < rp->nr_nodes; j++)
		if (j != rp->self)
			rc = make_hello(&r, j);
	if (!rc)
		rc = run(&r);
out:
	for (uint32_t i = 0; r.l && i < rp->nr_nodes; i++) {
		if (r.l[i].fd >= 0 && r.l[i].fd != peers[i].fd)
			close(r.l[i].fd);
		free(r.l[i].rx);
		free(r.l[i].tx);
	}
	if (rc) {
		rdv_release(peers, rp->nr_nodes);
		rdv_inbox_close(ib);
	}
	free(r.l);
	free(r.ss);
	free(r.sslen);
	return rc;
}

int rdv_barrier(const struct rdv_params *rp, struct rdv_peer *peers)
{
	uint8_t c = RDV_READY;
	int rc;

	for (uint32_t j = 0; j < rp->nr_nodes; j++) {
		if (j == rp->self)
			continue;
		rc = io_full(peers[j].fd, &c, 1, 1, rp->deadline_ms);
		if (rc) {
			pr_err("transport: node %u: lost during rendezvous (%s)", j, strerror(-rc));
			return rc;
		}
	}
	for (uint32_t j = 0; j < rp->nr_nodes; j++) {
		if (j == rp->self)
			continue;
		rc = io_full(peers[j].fd, &c, 1, 0, rp->deadline_ms);
		if (rc == -ETIMEDOUT) {
			pr_err("transport: node %u (%s) was not ready within %u ms", j,
			       rp->addrs[j], rp->timeout_ms);
			return rc;
		}
		if (rc) {
			pr_err("transport: node %u: lost during rendezvous (%s)", j, strerror(-rc));
			return rc;
		}
		if (c != RDV_READY) {
			pr_err("transport: node %u: sent 0x%02x instead of ready", j, c);
			return -EPROTO;
		}
	}
	return 0;
}
