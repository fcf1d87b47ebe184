// SPDX-License-Identifier: GPL-2.0-only
/* transport/rendezvous.c — TCP side sockets: hello exchange and ready barrier. */
#include "transport/rendezvous.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define HELLO_SIZE 24u
#define HELLO_TIMEOUT_MS 2000u
#define RETRY_MS 20

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
	if (hl == 0 || hl >= sizeof(host) || !*port || strspn(port, "0123456789") != strlen(port) ||
	    atoi(port) <= 0 || atoi(port) > 65535)
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

static void set_nonblock(int fd)
{
	int one = 1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Read or write exactly n bytes before the deadline. */
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

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static const char *tls_name(unsigned mode)
{
	static const char *const names[] = {"auto", "tcp", "shm"};

	return mode < 3 ? names[mode] : "unknown";
}

static int send_hello(const struct rdv_params *rp, int fd, uint32_t dst, uint64_t deadline)
{
	uint8_t h[HELLO_SIZE] = {0};
	int rc;

	put32(h, RDV_MAGIC);
	h[4] = RDV_VERSION;
	h[6] = rp->tls_mode;
	put32(h + 8, rp->self);
	put32(h + 12, dst);
	put32(h + 16, rp->nr_nodes);
	put32(h + 20, (uint32_t)rp->local_len);
	rc = io_full(fd, h, sizeof(h), 1, deadline);
	if (!rc)
		rc = io_full(fd, (void *)rp->local_addr, rp->local_len, 1, deadline);
	return rc;
}

/*
 * Read and check a hello. want_src == UINT32_MAX: any node with a larger id
 * than ours. Returns 0 with *src and the address filled; -EBADMSG for junk
 * (not a hello at all: a stray client); -EPROTO (logged) for a node of an
 * incompatible configuration (other version, cluster size, fabric setting,
 * node id), with *src set to the id it claims; or -errno.
 */
static int recv_hello(const struct rdv_params *rp, int fd, uint32_t want_src, uint32_t *src,
		      struct rdv_peer *out, uint64_t deadline)
{
	uint8_t h[HELLO_SIZE];
	uint32_t len, s;
	void *addr;
	int rc;

	rc = io_full(fd, h, sizeof(h), 0, deadline);
	if (rc)
		return rc;
	s = get32(h + 8);
	len = get32(h + 20);
	*src = s;
	if (get32(h) != RDV_MAGIC) {
		pr_warn("transport: rendezvous: not a hello (magic 0x%08x)", get32(h));
		return -EBADMSG;
	}
	if (h[4] != RDV_VERSION) {
		pr_err("transport: rendezvous: node %u speaks rendezvous version %u, we speak %u",
		       s, h[4], RDV_VERSION);
		return -EPROTO;
	}
	if (get32(h + 16) != rp->nr_nodes || get32(h + 12) != rp->self) {
		pr_err(
		    "transport: rendezvous: node %u believes the cluster has %u nodes and we are "
		    "node %u (we: %u nodes, node %u)",
		    s, get32(h + 16), get32(h + 12), rp->nr_nodes, rp->self);
		return -EPROTO;
	}
	if (h[6] != rp->tls_mode) {
		pr_err("transport: rendezvous: node %u uses another tls setting (%s, we %s)", s,
		       tls_name(h[6]), tls_name(rp->tls_mode));
		return -EPROTO;
	}
	if ((want_src != UINT32_MAX && s != want_src) ||
	    (want_src == UINT32_MAX && (s <= rp->self || s >= rp->nr_nodes))) {
		pr_err(
		    "transport: rendezvous: node %u connected as node %u (two nodes with one id?)",
		    rp->self, s);
		return -EPROTO;
	}
	if (len == 0 || len > RDV_MAX_ADDR) {
		pr_warn("transport: rendezvous: node %u sent a worker address of %u bytes", s, len);
		return -EBADMSG;
	}
	addr = malloc(len);
	if (!addr)
		return -ENOMEM;
	rc = io_full(fd, addr, len, 0, deadline);
	if (rc) {
		free(addr);
		return rc;
	}
	*src = s;
	out->addr = addr;
	out->addr_len = len;
	return 0;
}

/* One TCP connection to node j, retried until the deadline. */
static int connect_node(const struct rdv_params *rp, uint32_t j, int *fdp)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	int rc, fd = -1, last = ECONNREFUSED;

	rc = rdv_parse_addr(rp->addrs[j], &ss, &sslen);
	if (rc)
		return rc;
	while (remaining_ms(rp->deadline_ms) > 0) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		set_nonblock(fd);
		rc = connect(fd, (struct sockaddr *)&ss, sslen);
		if (rc < 0 && errno == EINPROGRESS) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int ms = remaining_ms(rp->deadline_ms), err = 0;
			socklen_t el = sizeof(err);

			if (poll(&pfd, 1, ms) == 1 &&
			    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) && err == 0)
				rc = 0;
			else
				errno = err ? err : ETIMEDOUT;
		}
		if (rc == 0) {
			*fdp = fd;
			return 0;
		}
		last = errno;
		close(fd);
		fd = -1;
		if (last != ECONNREFUSED && last != ETIMEDOUT && last != EHOSTUNREACH &&
		    last != ENETUNREACH && last != ECONNRESET && last != EAGAIN) {
			pr_err("transport: cannot connect to node %u at %s: %s", j, rp->addrs[j],
			       strerror(last));
			return -last;
		}
		usleep(RETRY_MS * 1000);
	}
	pr_err("transport: node %u (%s) did not show up within %u ms (last error: %s)", j,
	       rp->addrs[j], rp->timeout_ms, strerror(last));
	return -ETIMEDOUT;
}

static int listen_self(const struct rdv_params *rp, int *lfd)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	int fd, one = 1, rc;

	rc = rdv_parse_addr(rp->addrs[rp->self], &ss, &sslen);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		pr_err("transport: node %u cannot listen on %s: %s", rp->self, rp->addrs[rp->self],
		       strerror(errno));
		close(fd);
		return rc;
	}
	*lfd = fd;
	return 0;
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

static int accept_higher(const struct rdv_params *rp, int lfd, struct rdv_peer *peers)
{
	uint32_t missing = rp->nr_nodes - rp->self - 1;

	while (missing) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		int ms = remaining_ms(rp->deadline_ms), fd, rc;
		uint64_t hello_deadline;
		struct rdv_peer tmp = {.fd = -1};
		uint32_t src;

		if (ms == 0) {
			char list[256] = "";
			size_t off = 0;

			for (uint32_t j = rp->self + 1; j < rp->nr_nodes; j++)
				if (peers[j].fd < 0 && off < sizeof(list) - 1)
					off += (size_t)snprintf(list + off, sizeof(list) - off,
								"%snode %u (%s)", off ? ", " : "",
								j, rp->addrs[j]);
			pr_err("transport: %s did not connect to node %u within %u ms", list,
			       rp->self, rp->timeout_ms);
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		set_nonblock(fd);
		hello_deadline = rdv_now_ms() + HELLO_TIMEOUT_MS;
		if (hello_deadline > rp->deadline_ms)
			hello_deadline = rp->deadline_ms;
		rc = recv_hello(rp, fd, UINT32_MAX, &src, &tmp, hello_deadline);
		if (!rc && peers[src].fd >= 0) {
			pr_err("transport: rendezvous: node %u connected twice (two nodes with one "
			       "id?)",
			       src);
			rc = -EPROTO;
		}
		if (rc == -EPROTO) {
			/* a node of this cluster, configured differently: let it see
			 * our side of the mismatch too, and fail */
			if (send_hello(rp, fd, src, hello_deadline))
				pr_debug("transport: could not answer node %u", src);
			free(tmp.addr);
			close(fd);
			return -EPROTO;
		}
		if (!rc)
			rc = send_hello(rp, fd, src, rp->deadline_ms);
		if (rc) {
			pr_warn(
			    "transport: node %u: dropped an incoming rendezvous connection (%s)",
			    rp->self, strerror(-rc));
			free(tmp.addr);
			close(fd);
			continue;
		}
		tmp.fd = fd;
		peers[src] = tmp;
		missing--;
	}
	return 0;
}

int rdv_connect_all(const struct rdv_params *rp, struct rdv_peer *peers)
{
	int lfd = -1, rc;

	for (uint32_t i = 0; i < rp->nr_nodes; i++)
		peers[i] = (struct rdv_peer){.fd = -1};
	if (rp->nr_nodes == 1)
		return 0;
	if (rp->self + 1 < rp->nr_nodes) {
		rc = listen_self(rp, &lfd);
		if (rc)
			return rc;
	}
	for (uint32_t j = 0; j < rp->self; j++) {
		uint32_t src;

		rc = connect_node(rp, j, &peers[j].fd);
		if (!rc)
			rc = send_hello(rp, peers[j].fd, j, rp->deadline_ms);
		if (!rc)
			rc = recv_hello(rp, peers[j].fd, j, &src, &peers[j], rp->deadline_ms);
		if (rc == -ETIMEDOUT && peers[j].fd >= 0)
			pr_err("transport: node %u (%s) did not answer the rendezvous within %u ms",
			       j, rp->addrs[j], rp->timeout_ms);
		else if (rc && rc != -ETIMEDOUT && rc != -EPROTO)
			pr_err("transport: rendezvous with node %u (%s) failed: %s", j,
			       rp->addrs[j], strerror(-rc));
		if (rc)
			goto fail;
	}
	if (lfd >= 0) {
		rc = accept_higher(rp, lfd, peers);
		if (rc)
			goto fail;
		close(lfd);
	}
	return 0;
fail:
	if (lfd >= 0)
		close(lfd);
	rdv_release(peers, rp->nr_nodes);
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
