/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/rendezvous.h — bootstrap of N nodes over TCP side sockets.
 *
 * Internal to transport/. Node `self` listens on addrs[self], connects to
 * every node with a smaller id (retrying until the deadline) and accepts every
 * node with a larger id. On each connection both sides send a hello: magic,
 * version, fabric setting, sender, receiver, cluster size and the sender's
 * UCX worker address. A connection that is not a hello (a stray client) is
 * closed and logged and the rendezvous goes on; a node configured differently
 * (version, cluster size, fabric setting, an id already seen) fails it on
 * both sides with -EPROTO. The side sockets
 * stay open afterwards: they carry the "ready" barrier and the "bye" byte, and
 * their EOF reveals a dead peer at once.
 *
 * All calls block for at most until `deadline_ms` (CLOCK_MONOTONIC, ms).
 * Called on the transport's thread, from transport_open only.
 */
#ifndef SSIVM_TRANSPORT_RENDEZVOUS_H
#define SSIVM_TRANSPORT_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RDV_MAGIC 0x52495353u /* bytes 'S' 'S' 'I' 'R' */
#define RDV_VERSION 1u
#define RDV_MAX_ADDR 65536u
#define RDV_READY 'R'
#define RDV_BYE 'B' /* the sender closes its transport */
#define RDV_CUT 'X' /* the sender declared us down and disconnects */

struct rdv_peer {
	int fd;          /* side socket, -1 until connected */
	void *addr;      /* peer's UCX worker address (malloc'd) */
	size_t addr_len; /* its length */
};

struct rdv_params {
	uint32_t self, nr_nodes;
	const char *const *addrs;
	uint8_t tls_mode;       /* must be equal on every node */
	const void *local_addr; /* this node's UCX worker address */
	size_t local_len;
	uint64_t deadline_ms;
	unsigned timeout_ms; /* for messages only */
};

/* Monotonic clock in milliseconds and nanoseconds. */
uint64_t rdv_now_ms(void);
uint64_t rdv_now_ns(void);

/*
 * Parse "host:port" or "[v6]:port" into a socket address. Returns 0 or
 * -EINVAL (logged with the string).
 */
int rdv_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *sslen);

/*
 * Connect every pair. peers[] has nr_nodes entries (peers[self] untouched).
 * Returns 0, -ETIMEDOUT (naming the missing node), -EPROTO, or -errno. On
 * failure every fd and address in peers[] is closed/freed.
 */
int rdv_connect_all(const struct rdv_params *rp, struct rdv_peer *peers);

/*
 * Barrier: write RDV_READY to every peer, wait for RDV_READY from each.
 * Returns 0, -ETIMEDOUT (naming the node), or -EPROTO.
 */
int rdv_barrier(const struct rdv_params *rp, struct rdv_peer *peers);

/* Free what rdv_connect_all allocated (fds closed, addresses freed). */
void rdv_release(struct rdv_peer *peers, uint32_t nr_nodes);

#endif
