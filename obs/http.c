// SPDX-License-Identifier: GPL-2.0-only
/* obs/http.c — the Prometheus endpoint over HTTP (see obs/http.h). */
#include "obs/http.h"

#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 8192
#define REQ_TIMEOUT_MS 2000

const char *obs_http_addr;

int obs_parse_addr(const char *s, uint32_t node, uint32_t *ip, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	struct in_addr a;
	unsigned long p;
	char *end;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host)) {
		pr_err("--metrics-http %s: expected HOST:PORT (e.g. 127.0.0.1:9100)", s);
		return -EINVAL;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &a) != 1) {
		pr_err("--metrics-http %s: '%s' is not an IPv4 address", s, host);
		return -EINVAL;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p > 65535 || (p && p + node > 65535)) {
		pr_err(
		    "--metrics-http %s: the port must be 0..65535 (node %u listens on port + %u)",
		    s, node, node);
		return -EINVAL;
	}
	*ip = a.s_addr;
	*port = (uint16_t)(p ? p + node : 0);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};

			if (poll(&pf, 1, REQ_TIMEOUT_MS) <= 0)
				return;
			continue;
		}
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void answer(int fd, int code, const char *type, const char *body, size_t len)
{
	const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 code, reason, type, len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

/* Read the request head (to the blank line). 0, or 400 when bad. */
static int read_request(int fd, char *buf, size_t cap)
{
	int64_t deadline = now_ms() + REQ_TIMEOUT_MS;
	size_t len = 0;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t r;

		buf[len] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
		if (len + 1 >= cap || left <= 0)
			return 400;
		if (poll(&pf, 1, (int)left) <= 0)
			continue; /* the deadline decides */
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return 400;
		len += (size_t)r;
	}
}

/* The status for a request head: 200 for GET /metrics, 404, or 400. */
static int route(const char *req)
{
	const char *eol = strpbrk(req, "\r\n");
	char method[16], path[512], version[16], extra;
	char line[600];
	size_t n = eol ? (size_t)(eol - req) : strlen(req);

	if (n >= sizeof(line))
		return 400;
	memcpy(line, req, n);
	line[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return 400;
	if (sscanf(line, "%15[A-Z] %511[^ ] %15[^ ] %c", method, path, version, &extra) != 3)
		return 400;
	if (strcmp(version, "HTTP/1.0") && strcmp(version, "HTTP/1.1"))
		return 400;
	if (path[0] != '/')
		return 400;
	path[strcspn(path, "?")] = 0;
	return !strcmp(method, "GET") && !strcmp(path, "/metrics") ? 200 : 404;
}

static void serve(struct obs_http *h, int fd)
{
	static const char *const text = "text/plain; charset=utf-8";
	char *req = malloc(REQ_MAX);
	size_t cap = 65536, need;
	char *body = NULL;
	int code;

	if (!req)
		return;
	code = read_request(fd, req, REQ_MAX);
	if (!code)
		code = route(req);
	free(req);
	if (code == 400) {
		char sink[4096];

		answer(fd, 400, text, "bad request\n", 12);
		/* read what the client still sends (a little, briefly): closing
		 * with unread data resets the connection, and the client may lose
		 * the answer */
		for (int i = 0; i < 16; i++) {
			struct pollfd pf = {.fd = fd, .events = POLLIN};

			if (poll(&pf, 1, 50) <= 0 || recv(fd, sink, sizeof(sink), 0) <= 0)
				break;
		}
		return;
	}
	if (code == 404) {
		answer(fd, 404, text, "not found: the metrics are at /metrics\n", 39);
		return;
	}
	for (int tries = 0; tries < 3; tries++) {
		char *nb = realloc(body, cap);

		if (!nb)
			break;
		body = nb;
		need = h->format(&h->src, body, cap);
		if (need < cap) {
			answer(fd, 200, "text/plain; version=0.0.4; charset=utf-8", body, need);
			free(body);
			return;
		}
		cap = need + 4096; /* it may grow between two calls */
	}
	free(body);
	answer(fd, 400, text, "out of memory\n", 14);
}

static void *http_main(void *arg)
{
	struct obs_http *h = arg;
	struct pollfd p[2] = {{.fd = h->listen_fd, .events = POLLIN},
			      {.fd = h->stop_fd, .events = POLLIN}};

	pthread_setname_np(pthread_self(), "metrics-http");
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("metrics: poll on %s failed: %s", h->addr, strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (fd >= 0) {
				serve(h, fd);
				shutdown(fd, SHUT_WR);
				close(fd);
			}
		}
	}
	return NULL;
}

int obs_http_start(struct obs_http *h, const char *addr, const struct obs_sources *src,
		   obs_format_fn format)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	uint32_t ip;
	uint16_t port;
	int one = 1, err;

	memset(h, 0, sizeof(*h));
	h->listen_fd = h->stop_fd = -1;
	err = obs_parse_addr(addr, src->node, &ip, &port);
	if (err)
		return err;
	h->src = *src;
	h->format = format;
	sa.sin_addr.s_addr = ip;
	sa.sin_port = htons(port);
	h->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (h->listen_fd < 0 || h->stop_fd < 0)
		goto fail;
	setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(h->listen_fd, 16) < 0 ||
	    getsockname(h->listen_fd, (struct sockaddr *)&sa, &sl) < 0)
		goto fail;
	{
		char ipbuf[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sa.sin_addr, ipbuf, sizeof(ipbuf));
		snprintf(h->addr, sizeof(h->addr), "%s:%u", ipbuf, ntohs(sa.sin_port));
	}
	err = pthread_create(&h->thread, NULL, http_main, h);
	if (err) {
		errno = err;
		goto fail;
	}
	h->running = 1;
	pr_info("node %u: metrics at http://%s/metrics", src->node, h->addr);
	return 0;
fail:
	err = -errno;
	pr_err("metrics: cannot listen on %s (node %u: port %u): %s", addr, src->node, port,
	       strerror(errno));
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	h->listen_fd = h->stop_fd = -1;
	return err;
}

void obs_http_stop(struct obs_http *h)
{
	uint64_t one = 1;

	if (!h->running)
		return;
	if (write(h->stop_fd, &one, sizeof(one)) < 0)
		pr_warn("metrics: cannot wake the HTTP thread: %s", strerror(errno));
	pthread_join(h->thread, NULL);
	close(h->listen_fd);
	close(h->stop_fd);
	h->running = 0;
}
