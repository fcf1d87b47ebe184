/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/metrics.h — per-node DSM metrics and their Prometheus endpoint.
 *
 * One struct dsm_metrics per node. Its writer is the node's DSM service thread
 * (dsm/runtime.c): it bumps counters with metrics_inc()/metrics_add() and
 * records fault service times. Any other thread may read at any time
 * (relaxed atomic loads; a scrape is not one instant, every figure in it is a
 * real count). The endpoint serves the Prometheus text exposition format
 * (version 0.0.4) on a Unix stream socket: connect, read to EOF.
 *
 * Metric names (label node="N" on each; see docs/dsm-runtime.md):
 *   ssivm_dsm_faults_total{kind="read"|"write"|"write_protect"}
 *   ssivm_dsm_faults_local_total          served without a message
 *   ssivm_dsm_faults_remote_total         needed at least one message
 *   ssivm_dsm_faults_failed_total         failed (peer down, protocol error)
 *   ssivm_dsm_remote_fetches_total        pages received with data
 *   ssivm_dsm_invalidations_sent_total / _received_total
 *   ssivm_dsm_messages_sent_total / _received_total
 *   ssivm_dsm_bytes_sent_total / ssivm_dsm_bytes_received_total (incl. pages)
 *   ssivm_dsm_pages_owned                 gauge: pages this node maps writable
 *   ssivm_dsm_bad_messages_total          rejected peer messages
 *   ssivm_dsm_remote_miss_ratio           gauge: remote faults / faults
 *   ssivm_dsm_fault_service_seconds       summary: quantile 0.5 0.9 0.99 0.999,
 *                                         _sum, _count; plus _max (gauge)
 *   ssivm_dsm_loop_spins_total / ssivm_dsm_loop_sleeps_total  event loop
 *   ssivm_dsm_spin_window_seconds         gauge: the current busy-poll window
 *   ssivm_dsm_action_seconds{op="copy"|"protect"|"unprotect"|"drop"|"wake"|
 *                            "send"|"recv"|"move"}  summary: time the service thread
 *                                         spends per action (quantile 0.5 0.99)
 *   ssivm_dsm_faults_home_total           of the local ones: served by the home
 *                                         for itself (first touch, own upgrade)
 *   ssivm_dsm_vcpu_faults_total{vcpu="K",where="local"|"remote"}
 *   ssivm_dsm_hot_page_faults{offset="0x..."}  gauge: remote faults of the
 *                                         DSM_HOT_PAGES hottest pages (offset in
 *                                         the guest RAM region)
 *   ssivm_dsm_vcpu_stall_seconds_total{vcpu="K"}   time vCPU K's faults waited
 *                                         (per vCPU registered with
 *                                         metrics_register_vcpu())
 */
#ifndef SSIVM_DSM_METRICS_H
#define SSIVM_DSM_METRICS_H

#include "dsm/metrics_hist.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dsm_counter {
	DSM_C_FAULT_READ,
	DSM_C_FAULT_WRITE,
	DSM_C_FAULT_WP,
	DSM_C_FAULT_LOCAL,
	DSM_C_FAULT_REMOTE,
	DSM_C_FAULT_FAILED,
	DSM_C_REMOTE_FETCH,
	DSM_C_INVAL_SENT,
	DSM_C_INVAL_RECV,
	DSM_C_MSG_SENT,
	DSM_C_MSG_RECV,
	DSM_C_BYTES_SENT,
	DSM_C_BYTES_RECV,
	DSM_C_PAGES_OWNED, /* gauge */
	DSM_C_BAD_MSG,
	DSM_C_LOOP_SPIN,
	DSM_C_LOOP_SLEEP,
	DSM_C_SPIN_WINDOW, /* gauge, nanoseconds */
	DSM_C_PAGES_LOST,  /* pages that left the mapping outside the protocol */
	DSM_C_FAULT_HOME,  /* of DSM_C_FAULT_LOCAL: served by the home for itself */
	DSM_C_NR,
};

/* Where the service thread's time goes, one histogram each (nanoseconds). */
enum dsm_op_hist {
	DSM_OP_COPY,      /* UFFDIO_COPY: install a page (wakes its waiters) */
	DSM_OP_PROTECT,   /* UFFDIO_WRITEPROTECT set (TLB shootdown) */
	DSM_OP_UNPROTECT, /* UFFDIO_WRITEPROTECT clear (wakes) */
	DSM_OP_DROP,      /* MADV_DONTNEED (TLB shootdown) */
	DSM_OP_WAKE,      /* UFFDIO_WAKE */
	DSM_OP_SEND,      /* transport_send */
	DSM_OP_RECV,      /* one peer message through the protocol, actions included */
	DSM_OP_MOVE,      /* UFFDIO_MOVE: an exclusive page leaves (replaces protect + drop) */
	DSM_OP_NR,
};

/* Faults of one vCPU thread of this node. tid is set by any thread
 * (metrics_register_vcpu), the counts by the service thread. */
#define DSM_METRICS_VCPUS 64
struct dsm_vcpu_stats {
	int32_t tid;   /* 0: slot unused (published last, release) */
	int claimed;   /* the slot is taken (registration, compare-and-swap) */
	uint32_t vcpu; /* the vCPU index (APIC ID) */
	uint64_t faults_local, faults_remote;
	uint64_t stall_ns; /* sum of its faults' service times */
};

/* The pages with the most remote faults (space-saving top-k: a count is an
 * upper bound, exact for a page that stayed in the table since it entered;
 * service thread writes, any thread reads, page and count may be read from
 * two different moments). */
#define DSM_HOT_PAGES 8
struct dsm_hot_page {
	uint64_t page; /* page index in the region */
	uint64_t count;
};

struct dsm_metrics {
	int node;
	uint64_t c[DSM_C_NR];
	struct dsm_hot_page hot[DSM_HOT_PAGES];
	struct dsm_vcpu_stats vcpu[DSM_METRICS_VCPUS];
	struct hist service_ns;       /* fault service time, nanoseconds */
	struct hist op_ns[DSM_OP_NR]; /* time per action (see enum dsm_op_hist) */
};

/* Name of an action histogram ("copy", "protect", ...). */
const char *metrics_op_name(enum dsm_op_hist op);

void metrics_init(struct dsm_metrics *m, int node);

static inline void metrics_add(struct dsm_metrics *m, enum dsm_counter c, uint64_t v)
{
	/* single writer: a relaxed load+store is enough and costs no lock */
	__atomic_store_n(&m->c[c], __atomic_load_n(&m->c[c], __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}

static inline void metrics_inc(struct dsm_metrics *m, enum dsm_counter c)
{
	metrics_add(m, c, 1);
}

static inline void metrics_set(struct dsm_metrics *m, enum dsm_counter c, uint64_t v)
{
	__atomic_store_n(&m->c[c], v, __ATOMIC_RELAXED);
}

static inline uint64_t metrics_get(const struct dsm_metrics *m, enum dsm_counter c)
{
	return __atomic_load_n(&m->c[c], __ATOMIC_RELAXED);
}

/* Tell the metrics that thread tid runs vCPU vcpu (any thread, once per vCPU
 * thread). 0, or -ENOSPC when DSM_METRICS_VCPUS threads are registered. */
int metrics_register_vcpu(struct dsm_metrics *m, uint32_t vcpu, int32_t tid);
/* The registered slot of thread tid, or -1 (service thread). */
int metrics_vcpu_slot(const struct dsm_metrics *m, int32_t tid);
/* Count one served fault of slot s (service thread; s < 0 is ignored). */
void metrics_vcpu_fault(struct dsm_metrics *m, int s, bool remote, uint64_t ns);

/* Count one remote fault on page (service thread). */
void metrics_hot_page(struct dsm_metrics *m, uint64_t page);

/* Write the Prometheus text for m into buf (NUL-terminated, truncated to len).
 * Returns the length it needed (like snprintf). */
size_t metrics_format_prometheus(const struct dsm_metrics *m, char *buf, size_t len);
/* A short human-readable summary (several lines) of m. Same return rule. */
size_t metrics_format_summary(const struct dsm_metrics *m, char *buf, size_t len);

/*
 * Whether the endpoint may be created at path, without changing anything:
 * 0 when nothing is there, or a stale socket (a socket file nobody listens
 * on, left by a process that died), which metrics_server_start() replaces;
 * -EEXIST when something that is not a socket is there (a regular file, a
 * directory, a symbolic link, ...), -EADDRINUSE when a process listens on
 * the socket there: never replaced; -ENAMETOOLONG, or the -errno of lstat or
 * connect. *what says what was found ("a regular file", "a stale socket
 * (nobody listens on it)", ...), for the caller's message. Any thread.
 */
int metrics_socket_check(const char *path, const char **what);

/*
 * The endpoint: a thread accepting connections on a Unix socket at path and
 * answering each with the Prometheus text of m. Only a stale socket at path
 * is replaced (metrics_socket_check(); anything else fails the start, with an
 * error logged naming path and what is there). Returns 0 or -errno;
 * metrics_server_stop() joins the thread and removes the socket file if it
 * is still the one it created. The server reads m, never writes it.
 */
struct metrics_server {
	pthread_t thread;
	int listen_fd;
	int stop_fd; /* eventfd */
	char path[108];
	dev_t dev; /* the socket file it created */
	ino_t ino;
	const struct dsm_metrics *m;
	int running;
};

int metrics_server_start(struct metrics_server *s, const char *path, const struct dsm_metrics *m);
void metrics_server_stop(struct metrics_server *s);

#endif
