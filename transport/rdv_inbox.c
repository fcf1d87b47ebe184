// SPDX-License-Identifier: GPL-2.0-only
/* transport/rdv_inbox.c — connections on the rendezvous port until they said who they are. */
#include "transport/rdv_inbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

void rdv_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "(address family %u)", ss->ss_family);
	}
}

int rdv_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *sslen)
{
	char host[256];
	const char *port, *h = s;
	size_t hl;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc;

	if (!s)
		return -EINVAL;
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(end - h);
		port = end + 2;
	} else {
		port = strrchr(s, ':');
		if (!port)
			goto bad;
		hl = (size_t)(port - s);
		port++;
	}
	if (hl == 0 || hl >= sizeof(host) || !*port || strlen(port) > 5 ||
	    strspn(port, "0123456789") != strlen(port) || strtoul(port, NULL, 10) == 0 ||
	    strtoul(port, NULL, 10) > 65535)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = 0;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		pr_err("transport: cannot resolve '%s': %s", s, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	pr_err("transport: bad node address '%s' (expected ip:port or [ipv6]:port)", s);
	return -EINVAL;
}

/* The IPv4 address of ss (also when IPv4-mapped IPv6); 0 when it has none. */
static int ipv4_of(const struct sockaddr_storage *ss, struct in_addr *out)
{
	if (ss->ss_family == AF_INET) {
		*out = ((const struct sockaddr_in *)ss)->sin_addr;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(&out->s_addr, a->s6_addr + 12, 4);
			return 1;
		}
	}
	return 0;
}

int rdv_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct in_addr a4, b4;
	int ha = ipv4_of(a, &a4), hb = ipv4_of(b, &b4);

	if (ha || hb)
		return ha && hb && a4.s_addr == b4.s_addr;
	if (a->ss_family != AF_INET6 || b->ss_family != AF_INET6)
		return 0;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

void rdv_inbox_init(struct rdv_inbox *ib, int lfd, const struct rdv_expect *e,
		    const struct sockaddr_storage *node_ss, struct transport_stats *st)
{
	memset(ib, 0, sizeof(*ib));
	ib->lfd = lfd;
	ib->e = *e;
	memcpy(ib->node_ss, node_ss, e->nr_nodes * sizeof(*node_ss));
	ib->st = st;
	ib->rl = (struct wire_ratelimit){.period_ms = 1000, .burst = 10};
	for (unsigned i = 0; i < RDV_MAX_PENDING; i++)
		ib->p[i].fd = -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

/* Forget waiting connection i (its fd is closed unless keep_fd). */
static void forget(struct rdv_inbox *ib, unsigned i, int keep_fd)
{
	if (!keep_fd && ib->p[i].fd >= 0)
		close(ib->p[i].fd);
	free(ib->p[i].buf);
	ib->p[i] = ib->p[--ib->n];
	ib->p[ib->n] = (struct rdv_pending){.fd = -1};
}

/*
 * Refuse waiting connection i: count, log, remember, close. A well-formed
 * hello deserves to know why: `answer` (NULL: none) goes back in a refusal
 * frame first. claimed: the node the hello claimed, or UINT32_MAX.
 */
static void refuse(struct rdv_inbox *ib, unsigned i, unsigned reason, uint32_t claimed,
		   const char *answer, int misfit, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void refuse(struct rdv_inbox *ib, unsigned i, unsigned reason, uint32_t claimed,
		   const char *answer, int misfit, const char *fmt, ...)
{
	struct rdv_pending *c = &ib->p[i];
	char text[RDV_NOTE_LEN];
	uint8_t frame[RDV_HDR_SIZE + RDV_MAX_TEXT];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ib->st->hellos_rejected++;
	ib->st->hello_rejected[reason]++;
	if (wire_ratelimit(&ib->rl, mono_ms()))
		pr_warn("transport: rendezvous: %s (%" PRIu64
			" connections refused so far, %" PRIu64 " log lines suppressed)",
			text, ib->st->hellos_rejected, ib->rl.suppressed);
	if (claimed < ib->e.nr_nodes) {
		snprintf(ib->claim[claimed], RDV_NOTE_LEN, "%s", text);
		ib->claim_misfit[claimed] = (uint8_t)misfit;
	} else {
		ib->others++;
		snprintf(ib->other, RDV_NOTE_LEN, "%s", text);
	}
	if (answer) {
		n = rdv_encode_refusal(frame, sizeof(frame), reason, ib->e.self,
				       claimed < TRANSPORT_MAX_NODES ? claimed : 0, ib->e.nr_nodes,
				       answer);
		if (n && send(c->fd, frame, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("transport: rendezvous: no refusal sent to %s", c->who);
	}
	forget(ib, i, 0);
}

static void accept_new(struct rdv_inbox *ib, uint64_t now)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int one = 1, fd = accept4(ib->lfd, (struct sockaddr *)&ss, &sl,
					  SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rdv_pending *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				pr_debug("transport: rendezvous: accept: %s", strerror(errno));
			return;
		}
		if (ib->n == RDV_MAX_PENDING) {
			unsigned oldest = 0;

			for (unsigned i = 1; i < ib->n; i++)
				if (ib->p[i].deadline_ms < ib->p[oldest].deadline_ms)
					oldest = i;
			refuse(ib, oldest, TRANSPORT_HELLO_REJ_OVERFLOW, UINT32_MAX, NULL, 0,
			       "more than %u connections wait for their hello: dropped the oldest, "
			       "from %s",
			       RDV_MAX_PENDING, ib->p[oldest].who);
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = &ib->p[ib->n];
		*c = (struct rdv_pending){.fd = fd,
					  .deadline_ms = now + RDV_HELLO_TIMEOUT_MS,
					  .need = RDV_HDR_SIZE,
					  .ss = ss};
		c->buf = malloc(RDV_HDR_SIZE);
		if (!c->buf) {
			close(fd);
			c->fd = -1;
			return;
		}
		rdv_format_addr(&ss, c->who, sizeof(c->who));
		ib->n++;
	}
}

/* Read and judge connection i. Returns 1 (taken: *out), 0 (still waiting or
 * refused), -ENOMEM. */
static int serve(struct rdv_inbox *ib, unsigned i, uint64_t now, rdv_judge_fn judge, void *arg,
		 struct rdv_taken *out)
{
	struct rdv_pending *c = &ib->p[i];
	struct rdv_frame f;
	unsigned reason, jr;
	char desc[RDV_NOTE_LEN];
	size_t need;
	int rc;

	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, c->need - c->len, MSG_DONTWAIT);

		if (r == 0 ||
		    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			refuse(ib, i, TRANSPORT_HELLO_REJ_CLOSED, UINT32_MAX, NULL, 0,
			       "a connection from %s %s after %zu bytes, before a whole hello",
			       c->who, r == 0 ? "closed" : "failed", c->len);
			return 0;
		}
		if (r < 0)
			break;
		c->len += (size_t)r;
		rc = rdv_decode(c->buf, c->len, &ib->e, &f, &reason, &need);
		if (rc == RDV_MORE) {
			uint8_t *nb = need > c->need ? realloc(c->buf, need) : c->buf;

			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->need = need;
			continue;
		}
		rdv_describe(reason, &f, &ib->e, desc, sizeof(desc));
		if (rc == -EBADMSG) {
			refuse(ib, i, reason, UINT32_MAX, NULL, 0,
			       "a connection from %s sent a bad hello (%s), ignored", c->who, desc);
			return 0;
		}
		if (rc == -EPROTO) {
			if (f.src < ib->e.nr_nodes)
				refuse(
				    ib, i, reason, f.src, desc, 1,
				    "a connection from %s claiming node %u sent a hello that does "
				    "not fit (%s), refused",
				    c->who, f.src, desc);
			else
				refuse(ib, i, reason, UINT32_MAX, desc, 1,
				       "a connection from %s sent a hello that does not fit (%s), "
				       "refused",
				       c->who, desc);
			return 0;
		}
		if (!rdv_same_ip(&c->ss, &ib->node_ss[f.src])) {
			char at[RDV_WHO_LEN];

			rdv_format_addr(&ib->node_ss[f.src], at, sizeof(at));
			snprintf(desc, sizeof(desc), "it does not come from node %u's IP (%s)",
				 f.src, at);
			jr = TRANSPORT_HELLO_REJ_SOURCE;
		} else {
			jr = judge(arg, &f, c->who, desc, sizeof(desc));
		}
		if (jr) {
			refuse(ib, i, jr, f.src, desc, 0,
			       "a connection from %s claiming node %u: %s", c->who, f.src, desc);
			return 0;
		}
		*out = (struct rdv_taken){.fd = c->fd, .node = f.src, .ss = c->ss};
		out->addr = malloc(f.body_len);
		if (!out->addr)
			return -ENOMEM;
		memcpy(out->addr, f.body, f.body_len);
		out->addr_len = f.body_len;
		memcpy(out->who, c->who, sizeof(out->who));
		forget(ib, i, 1);
		return 1;
	}
	if (now >= c->deadline_ms) {
		refuse(ib, i, TRANSPORT_HELLO_REJ_TIMEOUT, UINT32_MAX, NULL, 0,
		       "a connection from %s sent no whole hello within %u ms (%zu bytes), closed",
		       c->who, RDV_HELLO_TIMEOUT_MS, c->len);
	}
	return 0;
}

int rdv_inbox_run(struct rdv_inbox *ib, uint64_t now_ms, rdv_judge_fn judge, void *arg,
		  struct rdv_taken *out)
{
	if (ib->lfd >= 0)
		accept_new(ib, now_ms);
	for (unsigned i = 0; i < ib->n;) {
		int fd = ib->p[i].fd, rc = serve(ib, i, now_ms, judge, arg, out);

		if (rc)
			return rc;
		if (i < ib->n && ib->p[i].fd == fd)
			i++; /* still waiting; else slot i now holds another one */
	}
	return 0;
}

unsigned rdv_inbox_pollfds(const struct rdv_inbox *ib, struct pollfd *pfd, unsigned cap)
{
	unsigned k = 0;

	if (ib->lfd >= 0 && k < cap)
		pfd[k++] = (struct pollfd){.fd = ib->lfd, .events = POLLIN};
	for (unsigned i = 0; i < ib->n && k < cap; i++)
		pfd[k++] = (struct pollfd){.fd = ib->p[i].fd, .events = POLLIN};
	return k;
}

void rdv_inbox_close(struct rdv_inbox *ib)
{
	while (ib->n)
		forget(ib, ib->n - 1, 0);
	if (ib->lfd >= 0)
		close(ib->lfd);
	ib->lfd = -1;
}
