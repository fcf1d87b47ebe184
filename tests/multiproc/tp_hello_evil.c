// SPDX-License-Identifier: GPL-2.0-only
/*
 * tp-hello-evil — a hostile client of a node's rendezvous port
 * (tests/multiproc/transport-rdv.sh).
 *
 *   tp-hello-evil -a IP:PORT -m MODE [-b BIND_IP] [-i CLAIM] [-N NR_NODES]
 *                 [-T TARGET] [-k COUNT] [-s HOLD_MS] [-w WAIT_MS]
 *
 * Connects to IP:PORT (retrying until it listens, at most WAIT_MS; from
 * BIND_IP when given) and sends exactly one input; the defaults claim node
 * CLAIM=1 of a cluster of NR_NODES=2 with tls tcp, talking to node TARGET=0:
 *   v1-25       the 25 bytes of issue 10 that aborted a node inside UCX: a
 *               version-1 hello with a 1-byte worker address 0x02
 *   short-addr  a version-2 hello, right checksum, 1-byte worker address
 *   bad-format  a version-2 hello whose 79-byte worker address has UCX format 2
 *   bad-crc     a valid hello with a wrong checksum
 *   nr-nodes    a well-formed hello for a cluster of NR_NODES + 1
 *   tls-shm     a well-formed hello with tls shm
 *   valid       a well-formed hello with a plausible (made-up) worker address
 *   junk        an HTTP request
 *   silent      COUNT connections that send nothing, held HOLD_MS, then closed
 * and prints, per connection, what came back:
 *   tp-hello-evil: MODE from IP:PORT: refused (REASON): TEXT
 *   tp-hello-evil: MODE from IP:PORT: closed without an answer
 *   tp-hello-evil: MODE from IP:PORT: a hello from node N
 *   tp-hello-evil: MODE from IP:PORT: no answer within WAIT_MS ms
 * Exit: 0 every connection was made and its answer printed, 1 a connection
 * could not be made, 2 usage.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/multiproc/tp_args.h"
#include "transport/hello.h"

#define MAX_CONNS 64
#define ADDR_LEN 79

struct opts {
	struct sockaddr_in to, from;
	int bind_from;
	const char *mode;
	uint32_t claim, nr_nodes, target;
	unsigned count, hold_ms, wait_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr, "usage: tp-hello-evil -a IP:PORT -m "
			"v1-25|short-addr|bad-format|bad-crc|nr-nodes|tls-shm|valid|junk|silent "
			"[-b BIND_IP] [-i CLAIM] [-N NR_NODES] [-T TARGET] [-k COUNT] [-s HOLD_MS] "
			"[-w WAIT_MS]\n");
	exit(2);
}

static void parse_ip_port(const char *s, struct sockaddr_in *sa)
{
	char ip[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		usage();
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = 0;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)tp_parse_num("tp-hello-evil", 'a', colon + 1, 1, 65535));
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		fprintf(stderr, "tp-hello-evil: -a '%s': not an IPv4 address and port\n", s);
		exit(2);
	}
}

/* One connection to the target, retried until it listens. Returns the fd or -1. */
static int knock(const struct opts *o, char *who, size_t wlen)
{
	uint64_t end = now_ms() + o->wait_ms;
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);

	do {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -1;
		if (o->bind_from && bind(fd, (const struct sockaddr *)&o->from, sizeof(o->from))) {
			perror("tp-hello-evil: bind");
			close(fd);
			return -1;
		}
		if (!connect(fd, (const struct sockaddr *)&o->to, sizeof(o->to))) {
			getsockname(fd, (struct sockaddr *)&me, &ml);
			snprintf(who, wlen, "%s:%u", inet_ntoa(me.sin_addr), ntohs(me.sin_port));
			return fd;
		}
		close(fd);
		usleep(20 * 1000);
	} while (now_ms() < end);
	fprintf(stderr, "tp-hello-evil: nobody listens at %s:%u\n", inet_ntoa(o->to.sin_addr),
		ntohs(o->to.sin_port));
	return -1;
}

/* The bytes of one input. Returns its length. */
static size_t make_input(const struct opts *o, uint8_t *b, size_t cap)
{
	static const uint8_t v1_25[25] = {'S', 'S', 'I', 'R', 1, 0, 1, 0, 1, 0, 0, 0, 0,
					  0,   0,   0,   2,   0, 0, 0, 1, 0, 0, 0, 2};
	uint8_t addr[ADDR_LEN];
	uint32_t v;
	size_t n;

	addr[0] = 0x20; /* UCX 1.13's format byte: V1, worker id present */
	for (size_t i = 1; i < sizeof(addr); i++)
		addr[i] = (uint8_t)(i * 37 + 11);
	if (!strcmp(o->mode, "v1-25")) {
		memcpy(b, v1_25, sizeof(v1_25));
		return sizeof(v1_25);
	}
	if (!strcmp(o->mode, "junk"))
		return (size_t)snprintf((char *)b, cap, "GET / HTTP/1.0\r\nHost: ssivm\r\n\r\n");
	if (!strcmp(o->mode, "bad-format"))
		addr[0] = 0x02;
	n = rdv_encode_hello(b, cap, !strcmp(o->mode, "tls-shm") ? 2 : 1, o->claim, o->target,
			     o->nr_nodes + !strcmp(o->mode, "nr-nodes"), addr, sizeof(addr));
	if (!strcmp(o->mode, "bad-crc"))
		b[RDV_OFF_CRC] ^= 0x5a;
	if (!strcmp(o->mode, "short-addr")) {
		/* a 1-byte address with a right checksum: the length is the lie */
		v = htole32(1);
		memcpy(b + RDV_OFF_BODY_LEN, &v, 4);
		b[RDV_HDR_SIZE] = 0x02;
		v = htole32(rdv_crc32(rdv_crc32(0, b, RDV_OFF_CRC), b + RDV_HDR_SIZE, 1));
		memcpy(b + RDV_OFF_CRC, &v, 4);
		n = RDV_HDR_SIZE + 1;
	}
	return n;
}

/* Wait for and describe what the node answers on fd. */
static void report(const struct opts *o, int fd, const char *who)
{
	static uint8_t b[RDV_MAX_FRAME];
	struct rdv_expect e = {.self = o->claim,
			       .nr_nodes = o->nr_nodes,
			       .tls_mode = 1,
			       .src = o->target,
			       .refusal_ok = 1,
			       .addr_formats = 2};
	uint64_t end = now_ms() + o->wait_ms;
	size_t len = 0, need = RDV_HDR_SIZE;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct rdv_frame f;
		unsigned reason;
		char text[256];
		int ms = (int)(end > now_ms() ? end - now_ms() : 0), rc;
		ssize_t r;

		if (poll(&pfd, 1, ms) != 1) {
			printf("tp-hello-evil: %s from %s: no answer within %u ms\n", o->mode, who,
			       o->wait_ms);
			return;
		}
		r = recv(fd, b + len, need - len, 0);
		if (r <= 0) {
			printf("tp-hello-evil: %s from %s: closed without an answer\n", o->mode,
			       who);
			return;
		}
		len += (size_t)r;
		rc = rdv_decode(b, len, &e, &f, &reason, &need);
		if (rc == RDV_MORE)
			continue;
		if (rc == 0 && f.type == RDV_T_REFUSE)
			printf("tp-hello-evil: %s from %s: refused (%s): %.*s\n", o->mode, who,
			       transport_hello_reject_name(f.mode), (int)f.body_len,
			       (const char *)f.body);
		else if (rc == 0 || rc == -EPROTO)
			printf("tp-hello-evil: %s from %s: a hello from node %u\n", o->mode, who,
			       f.src);
		else
			printf("tp-hello-evil: %s from %s: an answer that is no frame (%s)\n",
			       o->mode, who, rdv_describe(reason, &f, &e, text, sizeof(text)));
		return;
	}
}

static int known_mode(const char *m)
{
	static const char *const modes[] = {"v1-25",   "short-addr", "bad-format",
					    "bad-crc", "nr-nodes",   "tls-shm",
					    "valid",   "junk",       "silent"};

	for (size_t i = 0; m && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(m, modes[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.claim = 1, .nr_nodes = 2, .count = 1, .wait_ms = 3000};
	static uint8_t input[RDV_MAX_FRAME];
	int fds[MAX_CONNS], c;
	char who[MAX_CONNS][64];
	size_t n = 0;

#define NUM(lo, hi) tp_parse_num("tp-hello-evil", (char)c, optarg, (lo), (hi))
	while ((c = getopt(argc, argv, "a:m:b:i:N:T:k:s:w:")) != -1) {
		switch (c) {
		case 'a':
			parse_ip_port(optarg, &o.to);
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 'b':
			o.bind_from = 1;
			o.from.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg, &o.from.sin_addr) != 1)
				usage();
			break;
		case 'i':
			o.claim = (uint32_t)NUM(0, TRANSPORT_MAX_NODES - 1);
			break;
		case 'N':
			o.nr_nodes = (uint32_t)NUM(2, TRANSPORT_MAX_NODES - 1);
			break;
		case 'T':
			o.target = (uint32_t)NUM(0, TRANSPORT_MAX_NODES - 1);
			break;
		case 'k':
			o.count = (unsigned)NUM(1, MAX_CONNS);
			break;
		case 's':
			o.hold_ms = (unsigned)NUM(0, 600000);
			break;
		case 'w':
			o.wait_ms = (unsigned)NUM(1, 600000);
			break;
		default:
			usage();
		}
	}
	if (!o.to.sin_port || !known_mode(o.mode) || optind != argc || o.claim >= o.nr_nodes ||
	    o.target >= o.nr_nodes || o.claim == o.target)
		usage();
	if (strcmp(o.mode, "silent")) {
		o.count = 1;
		n = make_input(&o, input, sizeof(input));
	}
	for (unsigned i = 0; i < o.count; i++) {
		fds[i] = knock(&o, who[i], sizeof(who[i]));
		if (fds[i] < 0)
			return 1;
		if (n && send(fds[i], input, n, MSG_NOSIGNAL) != (ssize_t)n) {
			perror("tp-hello-evil: send");
			return 1;
		}
		printf("tp-hello-evil: %s: sent %zu bytes from %s\n", o.mode, n, who[i]);
		fflush(stdout);
	}
	if (o.hold_ms)
		usleep(o.hold_ms * 1000u);
	for (unsigned i = 0; i < o.count; i++) {
		report(&o, fds[i], who[i]);
		close(fds[i]);
	}
	return 0;
}
