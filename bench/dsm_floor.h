/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench/dsm_floor.h — the floors a DSM fault is bounded by, measured in the
 * same run as the DSM figures.
 *
 * bench_uffd_floor: a fault on a userfaultfd-registered page resolved by a
 * local handler thread with UFFDIO_COPY (missing) or by clearing write
 * protection (wp), timed from the faulting thread: the bare userfaultfd round
 * trip with no network. busy: the handler busy-polls its non-blocking
 * descriptor; else it sleeps in poll(2). same_cpu (not with busy): both
 * threads are pinned to the CPU the caller runs on, so the round trip is two
 * context switches on one CPU and no cross-CPU wake-up; on a VM whose vCPUs
 * halt when idle, a cross-CPU wake-up can cost more than the rest of the round
 * trip, and which of the two a DSM fault pays depends on where the scheduler
 * put its threads, so the floor is the lowest of the variants. The caller's
 * CPU affinity is restored before returning.
 *
 * bench_transport_floor: the transport's 4 KiB request/response round trip
 * between two nodes (a small request, answered by a small message carrying
 * one page), busy-polling transport_progress() on both sides, or (blocking)
 * sleeping in epoll on the transport's event fd whenever idle, as the DSM
 * service thread does with a zero spin window. Node 0 times, node 1 answers.
 * Both nodes call it with the same arguments.
 *
 * Both return 0 or -errno and fill a histogram of nanoseconds.
 */
#ifndef SSIVM_BENCH_DSM_FLOOR_H
#define SSIVM_BENCH_DSM_FLOOR_H

#include "dsm/metrics_hist.h"

#include <stdbool.h>
#include <stdint.h>

int bench_uffd_floor(unsigned nr_faults, bool busy, bool wp, bool same_cpu, struct hist *out);

int bench_transport_floor(uint32_t self, const char *const addrs[2], const char *tls,
			  unsigned iters, bool blocking, struct hist *out);

#endif
