/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dsm/metrics_hist.h — log-linear latency histogram (HDR-style buckets).
 *
 * Values are unsigned 64-bit integers (the DSM records nanoseconds). Values
 * below 2*HIST_SUB are counted exactly; above, every power-of-two range
 * [2^k, 2^(k+1)) is split into HIST_SUB equal buckets, so any value is known
 * to within 1/HIST_SUB (3.1 %) of itself. The whole 64-bit range fits in
 * HIST_NBUCKETS buckets (about 15 KiB).
 *
 * Concurrency: one writer (hist_record) and any number of readers
 * (hist_snapshot and the queries on the snapshot) may run at the same time;
 * counts are updated with relaxed atomics, so a snapshot is not an exact
 * instant but every count in it is a real, monotonically growing count.
 * Queries on a histogram that is being written should go through a snapshot.
 */
#ifndef SSIVM_DSM_METRICS_HIST_H
#define SSIVM_DSM_METRICS_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)                      /* 32 buckets per power of two */
#define HIST_NBUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB) /* 1920 */

struct hist {
	uint64_t count;
	uint64_t sum; /* wraps after 584 years of nanoseconds */
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t buckets[HIST_NBUCKETS];
};

/* Empty the histogram. Not concurrent with hist_record. */
void hist_init(struct hist *h);
/* Count one value. One writer thread at a time. */
void hist_record(struct hist *h, uint64_t v);
/* Copy h into out (consistent enough for reporting, see above). */
void hist_snapshot(const struct hist *h, struct hist *out);
/* Add every count of src into dst (neither may be written concurrently). */
void hist_merge(struct hist *dst, const struct hist *src);

/* Bucket index of a value, and the smallest / largest value a bucket holds. */
unsigned hist_bucket_of(uint64_t v);
uint64_t hist_bucket_low(unsigned b);
uint64_t hist_bucket_high(unsigned b);

/*
 * Value at quantile q (0 < q <= 1): the largest value of the bucket holding the
 * ceil(q*count)-th smallest value, clamped to [min, max]. q >= 1 returns max.
 * Returns 0 on an empty histogram.
 */
uint64_t hist_quantile(const struct hist *h, double q);
/* Arithmetic mean (0 when empty). */
double hist_mean(const struct hist *h);

#endif
