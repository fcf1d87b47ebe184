/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * transport/rendezvous.h — bootstrap of N nodes over TCP side sockets.
 *
 * Internal to transport/. Node `self` listens on addrs[self], connects to
 * every node with a smaller id (retrying until the deadline; the socket is
 * bound to addrs[self]'s IP, so the other side can check where a hello comes
 * from) and accepts every node with a larger id, all at once in one
 * non-blocking loop: a slow or silent connection never holds up another, and
 * a node answers the nodes above it while it still waits for those below.
 * On each connection both sides exchange a hello (transport/hello.h). What
 * arrives on the listening socket goes through the inbox (rdv_inbox.h): junk
 * and forged or misfit hellos are refused, counted and logged with the
 * connection's IP:port, and the node keeps waiting for the real peer until
 * the deadline. A hello or refusal from a node we connected to that does not
 * fit (another version, cluster size, tls setting, id) fails the rendezvous at
 * once with -EPROTO. The side sockets stay open afterwards: they carry the
 * "ready" barrier and the "bye" byte, and their EOF reveals a dead peer at
 * once; the listening socket stays open too (in the inbox), so that a late
 * or duplicate node is told why it cannot join.
 *
 * All calls block for at most until `deadline_ms` (CLOCK_MONOTONIC, ms).
 * Called on the transport's thread, from transport_open only.
 */
#ifndef SSIVM_TRANSPORT_RENDEZVOUS_H
#define SSIVM_TRANSPORT_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transport/hello.h"
#include "transport/rdv_inbox.h"

#define RDV_READY 'R'
#define RDV_BYE 'B' /* the sender closes its transport */
#define RDV_CUT 'X' /* the sender declared us down and disconnects */

struct rdv_peer {
	int fd;                /* side socket, -1 until connected */
	void *addr;            /* peer's UCX worker address (malloc'd) */
	size_t addr_len;       /* its length */
	char who[RDV_WHO_LEN]; /* the side socket's other end, "ip:port" */
};

struct rdv_params {
	uint32_t self, nr_nodes;
	const char *const *addrs;
	uint8_t tls_mode;       /* must be equal on every node */
	const void *local_addr; /* this node's UCX worker address */
	size_t local_len;
	unsigned addr_formats; /* UCX address formats this UCX knows (rdv_expect) */
	uint64_t deadline_ms;
	unsigned timeout_ms; /* for messages only */
};

/* Monotonic clock in milliseconds and nanoseconds. */
uint64_t rdv_now_ms(void);
uint64_t rdv_now_ns(void);

/*
 * Connect every pair. peers[] has nr_nodes entries (peers[self] untouched).
 * ib receives the listening socket and the connections still waiting on it
 * (lfd -1 for the node with the largest id, which listens for nobody); its
 * counters go to *st. Returns 0, -ETIMEDOUT (naming each missing node and
 * what was refused in its name), -EPROTO (a node of another configuration),
 * or -errno. On failure every fd and address in peers[] and ib is
 * closed/freed.
 */
int rdv_connect_all(const struct rdv_params *rp, struct rdv_peer *peers, struct rdv_inbox *ib,
		    struct transport_stats *st);

/*
 * Barrier: write RDV_READY to every peer, wait for RDV_READY from each.
 * Returns 0, -ETIMEDOUT (naming the node), or -EPROTO.
 */
int rdv_barrier(const struct rdv_params *rp, struct rdv_peer *peers);

/* Free what rdv_connect_all allocated in peers[] (fds closed, addresses freed). */
void rdv_release(struct rdv_peer *peers, uint32_t nr_nodes);

#endif
