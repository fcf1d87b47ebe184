/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/runtime.h — one node's distributed shared memory: the mapping, the
 * userfaultfd, and the one service thread that runs the coherence protocol
 * (dsm/proto.h) over the transport (transport/transport.h).
 *
 * The region is one anonymous private mapping (MAP_NORESERVE) of `size`
 * bytes on every node, registered with userfaultfd for missing and
 * write-protect faults. Any thread of the process (a vCPU thread, KVM itself
 * on behalf of a vCPU, a device, a test worker) may read and write it with
 * ordinary memory accesses; a missing page or a write to a read-only copy
 * blocks that thread in the kernel until the service thread has made the
 * page coherent and woken it. The VMM registers [base, base + size) as KVM
 * memory slot(s): dsm_runtime_base()/dsm_runtime_size().
 *
 * Fault path and thread hand-offs (docs/dsm-runtime.md):
 *   faulting thread --(uffd event)--> service thread --(transport)--> peer's
 *   service thread --(transport)--> service thread --(UFFDIO_COPY, wakes)-->
 *   faulting thread.
 * The service thread owns the protocol instance and the transport; there is no
 * other thread, no queue and no lock between the fault and the wire. It
 * busy-polls (non-blocking uffd read + transport_progress) for spin_us after
 * the last activity (spin_pending_us while a local fault waits for a reply),
 * then arms the transport and sleeps in epoll on the uffd, the transport's
 * event fd and its own control eventfd.
 *
 * Liveness: a peer that crashes or stops answering (transport's on_peer_down)
 * is fatal for this node unless dsm_runtime_quiesce() was called: the region
 * has lost the pages that peer owned or was home of. A peer that closed its
 * transport cleanly (it finished) is not fatal by itself; a later fault or
 * message that needs it is. A fault pending for longer than fault_timeout_ms
 * is fatal too. Fatal means: the service thread logs one error naming the
 * node and the page, counts the pending faults as failed, stops serving
 * (faulting threads stay blocked: they never see stale data), and reports the
 * failure through on_fatal and dsm_runtime_wait(). The owner must then end
 * the process (or at least never resume the threads that use the region).
 *
 * Threading: start/stop/quiesce/wait and the getters are called by the
 * owner's thread(s); the service thread is internal. The metrics may be read
 * from any thread at any time; the service thread copies the protocol's and
 * the transport's counters into them before it sleeps and every 10 ms while
 * busy (the service time histogram is recorded at each wake-up).
 */
#ifndef SSIVM_DSM_RUNTIME_H
#define SSIVM_DSM_RUNTIME_H

#include "dsm/metrics.h"
#include "dsm/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dsm_runtime;

struct dsm_runtime_params {
	uint32_t self, nr_nodes;  /* this node, number of nodes */
	const char *const *addrs; /* "ip:port" per node (transport rendezvous) */
	const char *tls;          /* "tcp", "shm", "auto"/NULL (transport.h) */
	size_t size;              /* region bytes, a multiple of 4096, > 0 */
	/* Home node of a page (same function on every node); NULL: contiguous
	 * blocks, page * nr_nodes / nr_pages (as NUMA ranges are laid out). */
	unsigned (*home_of)(void *arg, uint64_t page);
	struct dsm_policy policy; /* dsm_policy_defaults() then adjust */
	unsigned max_pending;     /* pages with faults in flight (0: 64) */
	/* Busy-poll window after the last activity, microseconds. 0: block in
	 * epoll as soon as there is nothing to do. */
	unsigned spin_us;
	/* Busy-poll window while a local fault waits for a reply (at least
	 * spin_us): the reply is usually a network round trip away, and a
	 * sleep costs a wake-up on the critical path. 0: spin_us. */
	unsigned spin_pending_us;
	/* > spin_us: the window adapts between spin_us and spin_max_us, like
	 * KVM's halt polling: it doubles (from at least 10 us) when a sleep
	 * ended within spin_max_us (polling would have caught the event), and
	 * halves when a sleep lasted longer. 0 or <= spin_us: fixed window. */
	unsigned spin_max_us;
	unsigned fault_timeout_ms;                                  /* 0: 10000 */
	unsigned heartbeat_ms, peer_timeout_ms, connect_timeout_ms; /* 0: transport defaults */
	/* false (the VMM): faults raised by the kernel on behalf of the process
	 * (KVM, read(2) into the region) are served too. true: user accesses
	 * only (UFFD_USER_MODE_ONLY), enough for tests without KVM. */
	bool user_only;
	const char *metrics_path; /* Unix socket for the Prometheus text; NULL: none */
	/* Never send an exclusive page away with UFFDIO_MOVE (one TLB shootdown,
	 * Linux >= 6.8); use write-protect + copy + MADV_DONTNEED (two). */
	bool no_move;
	/* Called once, on the service thread, when the node fails (see above);
	 * why names the node/page. May be NULL. Must not call the runtime. */
	void (*on_fatal)(void *arg, int err, const char *why);
	void *arg; /* for home_of and on_fatal */
};

/*
 * Map the region, open the userfaultfd, start the service thread, which
 * creates the protocol and rendezvouses with every node through the transport.
 * Returns when the cluster is connected (0, *out set) or failed (-errno: -EPERM
 * when userfaultfd is not allowed — root or vm.unprivileged_userfaultfd=1
 * needed, -ETIMEDOUT when a node did not show up, ...; logged).
 */
int dsm_runtime_start(const struct dsm_runtime_params *p, struct dsm_runtime **out);

/* The region, for the owner's accesses and the VMM's KVM memory slots. */
void *dsm_runtime_base(const struct dsm_runtime *rt);
size_t dsm_runtime_size(const struct dsm_runtime *rt);
/* This node's metrics (live; the service thread writes them). */
const struct dsm_metrics *dsm_runtime_metrics(const struct dsm_runtime *rt);
/* Thread tid runs vCPU vcpu: its faults are counted per vCPU from now on
 * (ssivm_dsm_vcpu_*). Any thread. 0 or -ENOSPC (DSM_METRICS_VCPUS reached). */
int dsm_runtime_register_vcpu(struct dsm_runtime *rt, uint32_t vcpu, int32_t tid);

/* From now on peers leaving or dying are logged, not fatal: the owner will no
 * longer touch the region (its run is over). */
void dsm_runtime_quiesce(struct dsm_runtime *rt);

/*
 * Wait until the node failed, or timeout_ms passed (-1: no limit). Returns 0
 * when still healthy after the wait, or the failure's -errno (-ENOTCONN: a
 * peer went down; -ETIMEDOUT: a fault was not served in time; -EPROTO, -EIO).
 */
int dsm_runtime_wait(struct dsm_runtime *rt, int timeout_ms);
/*
 * Wait until every peer has left or gone down (after dsm_runtime_quiesce(),
 * e.g. on the node that must leave last), at most timeout_ms. Returns 0 when
 * all are gone, -ETIMEDOUT otherwise.
 */
int dsm_runtime_wait_peers_gone(struct dsm_runtime *rt, int timeout_ms);
/* The failure so far (0: healthy), without waiting. */
int dsm_runtime_error(const struct dsm_runtime *rt);

/*
 * Fence the region: from now on every access to it faults (SIGSEGV for a
 * user access, -EFAULT from KVM_RUN), and every thread blocked on a fault of
 * it is woken into that fault. No thread ever sees a zero or stale page
 * after a failure: this is how an owner releases its threads (vCPUs blocked
 * in KVM_RUN on a page that will never come) before joining them. The
 * mapping stays until dsm_runtime_stop(). Owner's thread; idempotent.
 */
void dsm_runtime_fence(struct dsm_runtime *rt);

/*
 * Stop: close the transport (peers see "closed its transport"), join the
 * service thread, stop the metrics endpoint, fence the region
 * (dsm_runtime_fence), unregister the userfaultfd and unmap the region.
 * Threads must not touch the region any more. Safe after a failure. rt may be
 * NULL.
 */
void dsm_runtime_stop(struct dsm_runtime *rt);

#endif
