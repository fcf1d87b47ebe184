/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/runtime_priv.h — state shared by dsm/runtime.c (loop, start/stop) and
 * dsm/runtime_ops.c (fault handling, protocol actions, transport glue).
 * Everything here is touched by the service thread only, except the fields
 * marked (any thread), which use atomics or rt->lock.
 */
#ifndef SSIVM_DSM_RUNTIME_PRIV_H
#define SSIVM_DSM_RUNTIME_PRIV_H

#include "dsm/metrics.h"
#include "dsm/proto.h"
#include "dsm/runtime.h"
#include "dsm/uffd.h"
#include "transport/transport.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define RT_BATCH 16        /* uffd events read per pass */
#define RT_STAGE_PAGES 256 /* staging pages for UFFDIO_MOVE, recycled together */

/* A fault handed to the protocol and not woken yet; its index is the token. */
struct rt_slot {
	uint64_t page;
	uint64_t t0; /* when the service thread read the event */
	bool used, write;
	int vcpu; /* slot in metrics.vcpu of the faulting thread, or -1 */
	unsigned next_free;
};

/* A fault the protocol could not take yet (-EAGAIN: too many in flight). */
struct rt_held {
	struct uffd_fault f;
	uint64_t t0;
};

/* A message the transport could not take yet (-EAGAIN), sent in order later. */
struct rt_out {
	struct rt_out *next;
	uint32_t to;
	size_t len;
	bool has_page;
	uint8_t msg[TRANSPORT_MAX_MSG];
	uint8_t page[DSM_PAGE_SIZE];
};

struct dsm_runtime {
	struct dsm_runtime_params p;
	char *base;
	size_t size;
	uint64_t nr_pages;
	unsigned (*home_fn)(void *arg, uint64_t page);
	struct uffd u;
	struct dsm_proto *proto;
	struct transport *t;
	struct dsm_metrics metrics; /* (any thread reads) */
	struct metrics_server ms;
	pthread_t thread;
	bool thread_running;
	int epfd, ctl_epfd, ctl_fd;

	pthread_mutex_t lock; /* start handshake and error (any thread) */
	pthread_cond_t cond;
	int started, start_err;
	int error;            /* 0 or the failure's -errno (any thread) */
	char why[256];        /* the failure, for the log */
	bool quiescing, stop; /* (any thread) */
	bool fenced;          /* dsm_runtime_fence() done (owner's thread) */

	bool down[DSM_MAX_NODES];
	unsigned nr_down; /* (any thread, under lock) */
	unsigned fault_timeout_ms;
	uint64_t now, last_sync, last_tick;
	bool tick_policy;
	int pagemap_fd;       /* /proc/self/pagemap: is a page mapped here? */
	uint64_t lost_logged; /* pages found gone from the mapping, logged */

	struct rt_slot *slots;
	unsigned nr_slots, free_slot, nr_waiting;
	struct rt_held held[RT_BATCH * 4];
	unsigned nr_held;
	bool retry_held;
	struct rt_out *outbox, **outbox_tail, *out_free;

	/* the page the current protocol call already woke (install/unprotect) */
	uint64_t woke_page;
	bool woke_valid;
	char *zero_page;
	uint64_t rejects_logged;

	/* UFFDIO_MOVE transfer (runtime_move.c) */
	bool use_move, lazy_wp, moved;
	uint64_t lazy_page, moved_page;
	char *stage;
	unsigned stage_next;
};

uint64_t rt_now_ns(void);
/* Mark the node failed (first call wins), log it naming node/page, count the
 * pending faults as failed, tell the owner. */
void rt_fatal(struct dsm_runtime *rt, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rt_sync_metrics(struct dsm_runtime *rt);

/* runtime_ops.c */
int rt_open_peers(struct dsm_runtime *rt); /* protocol + transport, on the service thread */
void rt_handle_fault(struct dsm_runtime *rt, const struct uffd_fault *f, uint64_t t0);
int rt_retry_held(struct dsm_runtime *rt);
int rt_flush_outbox(struct dsm_runtime *rt);
void rt_free_queues(struct dsm_runtime *rt);

/* runtime_move.c */
int rt_move_setup(struct dsm_runtime *rt);
void rt_move_free(struct dsm_runtime *rt);
/* protect(page): 1 when deferred (until the page is sent or anything else happens) */
int rt_lazy_protect(struct dsm_runtime *rt, uint64_t page);
/* do a deferred protection now (before any other action); 0 or -errno */
int rt_lazy_flush(struct dsm_runtime *rt);
/* the page to attach to msg: the deferred page moved to staging for an
 * exclusive transfer, else page (protected first if it was deferred) */
const void *rt_page_to_send(struct dsm_runtime *rt, const uint8_t *msg, size_t len,
			    const void *page);
/* drop(page) of a page that was moved away: true (nothing left to do) */
bool rt_drop_moved(struct dsm_runtime *rt, uint64_t page);
/* after each protocol call: flush what is deferred, check the drop came */
void rt_move_end_event(struct dsm_runtime *rt);

#endif
