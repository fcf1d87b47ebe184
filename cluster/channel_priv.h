/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cluster/channel_priv.h — the state of a control channel, shared by
 * cluster/channel.c (thread, queue, start-up, API) and
 * cluster/channel_recv.c (what arrives). Not for other parts.
 */
#ifndef SSIVM_CLUSTER_CHANNEL_PRIV_H
#define SSIVM_CLUSTER_CHANNEL_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cluster/channel.h"
#include "transport/transport.h"

#define CL_MAX_NODES TRANSPORT_MAX_NODES
#define CL_QUEUE 512 /* messages queued for the channel thread */
#define CL_PINGS 32  /* clock offset samples (the best round trip wins) */

/* One vCPU's forwarded access: its thread waits on @done == @seq. */
struct cl_io_slot {
	uint32_t seq;  /* last request (vCPU thread) */
	uint32_t done; /* last answered request (futex; channel thread) */
	int32_t err;
	uint8_t data[8];
};

struct cl_out {
	uint32_t to;
	uint16_t len;
	uint8_t buf[CL_MAX_LEN];
};

struct cluster {
	struct cluster_params p;
	struct cl_limits lim;
	struct transport *t; /* channel thread only */
	pthread_t thread;
	bool thread_up;
	int evfd, epfd;

	/* the queue: any thread appends, the channel thread sends */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct cl_out *q;
	uint32_t qhead, qtail;
	bool thread_done;

	/* state the API waits on (lock, cond) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool opened, stop;
	int open_err, start_err;
	uint32_t nr_hellos;
	bool hello_seen[CL_MAX_NODES];
	uint32_t phase[CL_MAX_NODES], want_phase;
	struct cl_range *busmap;
	unsigned busmap_n;
	bool busmap_done;
	struct cl_clock clock;
	bool clock_set;
	unsigned pongs;
	int64_t offset_ns;     /* applied: 0 when |raw| is within the error */
	int64_t offset_raw_ns; /* the best sample's estimate */
	uint64_t best_rtt;
	bool ending;
	int end_status;
	int cancel; /* atomic: waiters give up */
	bool down[CL_MAX_NODES];
	uint32_t nr_down;
	char down_why[CL_WHY_LEN];

	struct cl_io_slot *io; /* [nr_vcpus] */
	struct cluster_stats st;
	uint64_t rejects_logged;
};

uint64_t cl_now_ns(clockid_t clk);
/* Wake every thread waiting on the futex at @addr. */
void syscall_futex_wake(uint32_t *addr);
/* Any thread: queue @m for @to. 0 or -errno. */
int cl_enqueue(struct cluster *c, uint32_t to, const struct cl_msg *m);
/* Channel thread: send @m at once unless older messages wait. */
int cl_send_now(struct cluster *c, uint32_t to, const struct cl_msg *m);
/* Channel thread: the VM ends because of another node (ops->exit). */
void cl_end_by_peer(struct cluster *c, int status, const char *why);
/* The transport's on_msg (channel_recv.c). */
void cl_on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page);

#endif
