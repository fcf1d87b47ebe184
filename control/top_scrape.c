// SPDX-License-Identifier: GPL-2.0-only
/* control/top_scrape.c — fetch and parse a node's metrics for `ssivm top`
 * (see control/top_scrape.h). */
#include "control/top_scrape.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SCRAPE_MAX (4u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	long long left = deadline - now_ms();

	if (left <= 0)
		return 0;
	while (poll(&p, 1, (int)left) < 0)
		if (errno != EINTR)
			return -1;
	return p.revents ? 1 : 0;
}

static int connect_to(const char *ep, long long deadline, char *why, size_t len)
{
	int fd;

	if (strchr(ep, '/')) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(ep) >= sizeof(sa.sun_path)) {
			snprintf(why, len, "socket path too long");
			return -1;
		}
		memcpy(sa.sun_path, ep, strlen(ep) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		const char *colon = strrchr(ep, ':');
		char host[64];
		long port;

		if (!colon || (size_t)(colon - ep) >= sizeof(host)) {
			snprintf(why, len, "expected HOST:PORT or a socket path");
			return -1;
		}
		memcpy(host, ep, (size_t)(colon - ep));
		host[colon - ep] = 0;
		port = strtol(colon + 1, NULL, 10);
		if (!strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || port <= 0 || port > 65535) {
			snprintf(why, len, "expected an IPv4 HOST:PORT");
			return -1;
		}
		sa.sin_port = htons((uint16_t)port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			goto fail;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) > 0) {
			int err = 0;
			socklen_t sl = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			if (!err) {
				static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";

				if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) ==
				    (ssize_t)sizeof(req) - 1)
					return fd;
			}
			errno = err ? err : errno;
		}
	}
fail:
	snprintf(why, len, "cannot connect: %s", strerror(errno ? errno : ETIMEDOUT));
	if (fd >= 0)
		close(fd);
	return -1;
}

static char *read_all(int fd, long long deadline, size_t *n, char *why, size_t len)
{
	char *buf = malloc(SCRAPE_MAX + 1);

	*n = 0;
	if (!buf) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t r;
		int w = wait_fd(fd, POLLIN, deadline);

		if (w <= 0) {
			snprintf(why, len, "no complete answer in time");
			break;
		}
		r = read(fd, buf + *n, SCRAPE_MAX - *n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			snprintf(why, len, "read: %s", strerror(errno));
			break;
		}
		if (r == 0) {
			buf[*n] = 0;
			return buf;
		}
		*n += (size_t)r;
		if (*n >= SCRAPE_MAX) {
			snprintf(why, len, "answer larger than %u MiB", SCRAPE_MAX >> 20);
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Split the exposition text into samples, in place. */
static int parse(struct scrape *out, char *body, char *why, size_t len)
{
	size_t cap = 0;

	for (char *l = body, *next; l && *l; l = next) {
		char *nl = strchr(l, '\n'), *sp, *end;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		if (*l == '#' || !*l)
			continue;
		if (out->n == cap) {
			struct sample *ns =
			    realloc(out->s, (cap = cap ? cap * 2 : 256) * sizeof(*ns));

			if (!ns) {
				snprintf(why, len, "out of memory");
				return -1;
			}
			out->s = ns;
		}
		struct sample *s = &out->s[out->n];
		char *brace = strchr(l, '{');

		sp = strrchr(l, ' ');
		if (!sp || (brace && brace > sp)) {
			snprintf(why, len, "not Prometheus text: '%.60s'", l);
			return -1;
		}
		*sp = 0;
		s->name = l;
		s->labels = "";
		if (brace) {
			char *close = strrchr(brace, '}');

			if (!close) {
				snprintf(why, len, "not Prometheus text: '%.60s'", l);
				return -1;
			}
			*brace = 0;
			*close = 0;
			s->labels = brace + 1;
		}
		s->v = strtod(sp + 1, &end);
		if (end == sp + 1) {
			snprintf(why, len, "not a number in '%.60s'", l);
			return -1;
		}
		out->n++;
	}
	return 0;
}

int scrape_fetch(const char *ep, int timeout_ms, struct scrape *out, char *why, size_t len)
{
	long long deadline = now_ms() + timeout_ms;
	char *body;
	size_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	fd = connect_to(ep, deadline, why, len);
	if (fd < 0)
		return -1;
	out->text = read_all(fd, deadline, &n, why, len);
	close(fd);
	if (!out->text)
		return -1;
	body = out->text;
	if (!strchr(ep, '/')) {
		if (strncmp(body, "HTTP/1.", 7) || strncmp(body + 8, " 200", 4)) {
			snprintf(why, len, "HTTP answer not 200: '%.40s'", body);
			goto fail;
		}
		body = strstr(body, "\r\n\r\n");
		if (!body) {
			snprintf(why, len, "HTTP answer without a body");
			goto fail;
		}
		body += 4;
	}
	if (parse(out, body, why, len))
		goto fail;
	return 0;
fail:
	scrape_free(out);
	return -1;
}

void scrape_free(struct scrape *s)
{
	free(s->text);
	free(s->s);
	memset(s, 0, sizeof(*s));
}

/* Whether labels hold every k="v" of want (comma-separated). */
static int match(const char *labels, const char *want)
{
	char item[96];

	while (want && *want) {
		const char *c = strchr(want, ',');
		size_t l = c ? (size_t)(c - want) : strlen(want);
		const char *p;

		if (l >= sizeof(item))
			return 0;
		memcpy(item, want, l);
		item[l] = 0;
		p = strstr(labels, item);
		/* a whole label: at the start or after a comma */
		while (p && p != labels && p[-1] != ',')
			p = strstr(p + 1, item);
		if (!p)
			return 0;
		want = c ? c + 1 : NULL;
	}
	return 1;
}

double scrape_sum(const struct scrape *s, const char *name, const char *want, int *found)
{
	double sum = 0;
	int any = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->s[i].name, name) && match(s->s[i].labels, want)) {
			sum += s->s[i].v;
			any = 1;
		}
	if (found)
		*found = any;
	return sum;
}

int scrape_label(const char *labels, const char *key, char *buf, size_t len)
{
	char k[64];
	const char *p, *e;

	snprintf(k, sizeof(k), "%s=\"", key);
	p = strstr(labels, k);
	while (p && p != labels && p[-1] != ',')
		p = strstr(p + 1, k);
	if (!p)
		return -1;
	p += strlen(k);
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= len)
		return -1;
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = 0;
	return 0;
}
