/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cluster/channel.h — the control channel of a guest that spans hosts:
 * membership, start-up barriers, forwarded I/O, interrupts, the guest's time
 * base, the VM's end, and a node's failure. Everything that crosses hosts
 * except guest memory (the DSM has a transport of its own, so nothing here
 * sits on a page fault's path).
 *
 * One transport (transport/transport.h, on its own rendezvous addresses) and
 * one thread per node, the channel thread, which owns it: it delivers what
 * arrives (the callbacks of struct cluster_ops run on it) and sends what the
 * other threads queue. Any thread may call the functions below; a queue
 * with a short lock hands their messages to the channel thread (no lock is
 * held around a device or a vCPU). docs/cluster.md has the design and the
 * figures.
 *
 * Life cycle (main thread): cluster_start (rendezvous, HELLO checks that
 * every node runs the same configuration, clock offset to the I/O node) ->
 * start-up exchanges (busmap, clock, barriers) -> the VM runs -> cluster_exit
 * or a peer's EXIT or a failure -> cluster_stop.
 *
 * Failure: a node whose control transport goes down (killed, stopped, host
 * gone: the transport's heartbeat) before it announced the VM's end ends the
 * VM on every survivor: ops->exit(VM_STATUS_ERROR, "node 1: no heartbeat for
 * 1500 ms"). Every node announces the end (EXIT) before it closes, so a clean
 * end is never taken for a failure.
 */
#ifndef SSIVM_CLUSTER_CHANNEL_H
#define SSIVM_CLUSTER_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/msg.h"

struct cluster;

struct cluster_ops {
	/* The I/O node serves an access forwarded by vCPU @cpu of another node:
	 * @data is @len bytes, filled for a read. 0 or -errno. Channel thread. */
	int (*io)(void *arg, uint32_t cpu, unsigned bus, uint64_t addr, void *data, uint32_t len,
		  bool is_write);
	/* An interrupt message for a vCPU of this node. Channel thread. */
	void (*irq)(void *arg, const struct cl_irq *m);
	/* The I/O node: a vCPU of another node EOI'd level-triggered @vector. */
	void (*eoi)(void *arg, uint8_t vector);
	/* The VM ends: another node asked (status, its reason), or a node failed
	 * (VM_STATUS_ERROR, why names the node). Once, channel thread. */
	void (*exit)(void *arg, int status, const char *why);
	/* A chunk of a vCPU's state moved to this node (CL_VCPU_STATE), and a
	 * vCPU that moved (CL_VCPU_MOVED). Channel thread. May be NULL. */
	void (*vcpu_state)(void *arg, uint32_t from, const struct cl_vcpu_state *s);
	void (*vcpu_moved)(void *arg, uint32_t from, uint32_t cpu, uint32_t node);
};

struct cluster_params {
	uint32_t self, nr_nodes, nr_vcpus;
	uint32_t io_node;                       /* the node that runs the devices (0) */
	const char *const *addrs;               /* "ip:port" per node, the channel's own */
	const char *fabric;                     /* "tcp", "shm", "auto" (transport.h) */
	uint64_t ram_bytes;                     /* checked equal on every node (HELLO) */
	uint64_t config_hash;                   /* idem: every node runs the same configuration */
	unsigned connect_timeout_ms;            /* 0: 30000 */
	unsigned heartbeat_ms, peer_timeout_ms; /* 0: the transport's defaults */
	unsigned spin_us;                       /* busy-poll window after activity (0: 50) */
	/* Where each vCPU runs ([nr_vcpus], owned by the caller, read with
	 * atomics): a forwarded access must come from the node of its vCPU, an
	 * interrupt must name a vCPU of this node. NULL: not checked. */
	const uint32_t *vcpu_node;
	const struct cluster_ops *ops;
	void *arg;
};

/* Counters (any thread). */
struct cluster_stats {
	uint64_t sent[CL_TYPE_MAX], recv[CL_TYPE_MAX];
	uint64_t rejected, rejected_by[CL_REJ_NR];
	uint64_t io_forwarded;      /* accesses this node's vCPUs sent to the I/O node */
	uint64_t io_served;         /* accesses the I/O node served for others */
	uint64_t io_round_trip_ns;  /* sum over io_forwarded */
	uint64_t io_forwarded_mmio; /* of io_forwarded: MMIO (the rest is port I/O) */
	uint64_t io_served_mmio;    /* of io_served: MMIO */
};

/*
 * Join: rendezvous with every node (at most connect_timeout_ms: the message
 * names the node that did not show up), check every node's HELLO (same
 * cluster size, vCPUs, RAM and configuration hash: a mismatch names the
 * node), and on nodes other than the I/O node measure the clock offset to
 * it. 0 and *out, or -errno (logged).
 */
int cluster_start(const struct cluster_params *p, struct cluster **out);

/* Wait until every node reached start-up @phase (this one included). 0, or
 * -ETIMEDOUT naming the nodes that did not arrive, -ENOTCONN after a failure. */
int cluster_barrier(struct cluster *c, uint32_t phase, unsigned timeout_ms);

/* This node's CLOCK_REALTIME minus the I/O node's, and the round trip of the
 * best of the measurements (ns). 0/0 on the I/O node. */
void cluster_clock_offset(const struct cluster *c, int64_t *offset_ns, uint64_t *rtt_ns);

/* I/O node: tell every node the ranges its devices claim. Others: wait for
 * them (*r malloc'd). 0 or -errno. */
int cluster_send_busmap(struct cluster *c, const struct cl_range *r, unsigned n);
int cluster_wait_busmap(struct cluster *c, struct cl_range **r, unsigned *n, unsigned timeout_ms);

/* I/O node: the guest's time base to every node. Others: wait for it. */
int cluster_send_clock(struct cluster *c, const struct cl_clock *k);
int cluster_wait_clock(struct cluster *c, struct cl_clock *k, unsigned timeout_ms);

/*
 * A vCPU of this node accesses a range the I/O node owns: forward it and wait
 * for the answer (@data filled for a read). Blocks the calling vCPU thread;
 * 0, the device's -errno, or -ECANCELED when the VM ends or the I/O node is
 * gone. At most one access per vCPU at a time (its own thread).
 */
int cluster_io(struct cluster *c, uint32_t cpu, unsigned bus, uint64_t addr, void *data,
	       uint32_t len, bool is_write);

/* Queue an interrupt message for a vCPU of @node / an EOI for the I/O node.
 * 0 or -errno (-ENOTCONN after the end). Never blocks for long. */
int cluster_send_irq(struct cluster *c, uint32_t node, const struct cl_irq *m);
int cluster_send_eoi(struct cluster *c, uint8_t vector);

/* Send any other message to @node (vCPU state...). 0 or -errno. */
int cluster_send(struct cluster *c, uint32_t node, const struct cl_msg *m);

/* This node ends the VM with @status: every node is told (EXIT), and
 * ops->exit is NOT called for this node's own request. First end wins. */
void cluster_exit(struct cluster *c, int status, const char *why);
/* True once the VM's end is known here (own request, a peer's EXIT, failure). */
bool cluster_ending(const struct cluster *c);

void cluster_get_stats(const struct cluster *c, struct cluster_stats *s);

/* Announce the end if not done (EXIT with VM_STATUS_ERROR), close the
 * transport, join the thread, free. c may be NULL. */
void cluster_stop(struct cluster *c);

#endif
