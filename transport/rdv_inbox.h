/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/rdv_inbox.h — the connections that arrive on a node's rendezvous
 * port and have not said who they are yet.
 *
 * Internal to transport/. Every connection accepted on the listening socket
 * waits here, non-blocking, with a deadline of its own (RDV_HELLO_TIMEOUT_MS),
 * so that no connection holds up another: a silent client, a slow one or a
 * flood of them (the oldest is dropped beyond RDV_MAX_PENDING) never delays
 * the hello of a real node. Each frame is checked by rdv_decode() and then by
 * the caller's judge (the rendezvous: is the claimed node still missing, from
 * its IP? afterwards: every claim is refused, the cluster is formed). A
 * refused connection is counted (transport_stats.hello_rejected[]), logged
 * with its IP:port (at most 10 lines a second), answered with a refusal frame
 * when it was a well-formed hello, and closed; the inbox goes on.
 *
 * Used on the transport's thread only: by rdv_connect_all() during
 * transport_open (polling) and from transport_progress() afterwards. The
 * address helpers at the end (parse, format, compare) serve the whole
 * rendezvous.
 */
#ifndef SSIVM_TRANSPORT_RDV_INBOX_H
#define SSIVM_TRANSPORT_RDV_INBOX_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transport/hello.h"
#include "transport/wire.h"

#define RDV_MAX_PENDING 32
#define RDV_HELLO_TIMEOUT_MS 2000u
#define RDV_WHO_LEN 64 /* "[v6]:port" */
#define RDV_NOTE_LEN 256

struct rdv_pending {
	int fd;
	uint64_t deadline_ms;
	uint8_t *buf;
	size_t len, need;
	struct sockaddr_storage ss;
	char who[RDV_WHO_LEN];
};

/* A connection the judge took: its side socket and the peer's UCX address. */
struct rdv_taken {
	int fd;
	uint32_t node;
	void *addr; /* malloc'd, addr_len bytes: the caller frees it */
	size_t addr_len;
	struct sockaddr_storage ss;
	char who[RDV_WHO_LEN];
};

/*
 * Decide on a hello that rdv_decode() accepted, from the IP of the node it
 * claims (f->src, a node id above ours). Return 0 to take the connection, or a transport_hello_reject reason
 * with why[] (a sentence without the connection's address) to refuse it.
 */
typedef unsigned (*rdv_judge_fn)(void *arg, const struct rdv_frame *f, const char *who, char *why,
				 size_t len);

struct rdv_inbox {
	int lfd; /* listening socket (owned), -1: none */
	struct rdv_expect e;
	struct transport_stats *st; /* hello counters are updated here */
	/* Where every node is: a hello claiming node i must come from the IP of
	 * node_ss[i] (the connecting node binds its side socket to its own
	 * address), else it is refused before the judge sees it. */
	struct sockaddr_storage node_ss[TRANSPORT_MAX_NODES];
	struct rdv_pending p[RDV_MAX_PENDING];
	unsigned n;
	struct wire_ratelimit rl;
	/* For rdv_connect_all's final messages: the last refusal of a
	 * connection that claimed node i, and whether that was a hello of a
	 * node configured differently (then the join fails with -EPROTO). */
	char claim[TRANSPORT_MAX_NODES][RDV_NOTE_LEN];
	uint8_t claim_misfit[TRANSPORT_MAX_NODES];
	uint64_t others; /* refused connections that claimed no node of ours */
	char other[RDV_NOTE_LEN];
};

/* Start with listening socket lfd (non-blocking; -1: none); node_ss: the
 * e->nr_nodes addresses of the cluster. */
void rdv_inbox_init(struct rdv_inbox *ib, int lfd, const struct rdv_expect *e,
		    const struct sockaddr_storage *node_ss, struct transport_stats *st);

/*
 * Accept what waits on the listener, read what arrived, enforce deadlines,
 * refuse what does not fit; never blocks. Returns 1 with *out filled when the
 * judge took a connection (call again: more may be ready), 0 when there is
 * nothing more to do now, -ENOMEM.
 */
int rdv_inbox_run(struct rdv_inbox *ib, uint64_t now_ms, rdv_judge_fn judge, void *arg,
		  struct rdv_taken *out);

/* Fill pfd with the listener and the waiting connections (POLLIN); returns the count. */
unsigned rdv_inbox_pollfds(const struct rdv_inbox *ib, struct pollfd *pfd, unsigned cap);

/* Close every waiting connection and the listener. */
void rdv_inbox_close(struct rdv_inbox *ib);

/*
 * Parse "host:port" or "[v6]:port" into a socket address. Returns 0 or
 * -EINVAL (logged with the string).
 */
int rdv_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *sslen);

/* "ip:port" of a socket address into buf (RDV_WHO_LEN). */
void rdv_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

/* 1 when a and b hold the same IP address (IPv4-mapped IPv6 = IPv4), ports ignored. */
int rdv_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
