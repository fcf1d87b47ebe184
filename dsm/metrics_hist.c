// SPDX-License-Identifier: GPL-2.0-only
/* dsm/metrics_hist.c — log-linear histogram (see dsm/metrics_hist.h). */
#include "dsm/metrics_hist.h"

#include <string.h>

#define HALF (HIST_SUB)            /* exact below 2*HALF */
#define LINEAR_LIMIT (2ull * HALF) /* values below are their own bucket */

static inline uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/*
 * Below 2*HALF: bucket = v. Above, with m the index of the top bit, shift =
 * m - HIST_SUB_BITS keeps the top HIST_SUB_BITS+1 bits, i.e. (v >> shift) in
 * [HALF, 2*HALF); bucket = (shift + 1) * HALF + (v >> shift) - HALF. The two
 * pieces join without a gap: v = 2*HALF gives shift 1 and bucket 2*HALF.
 */
unsigned hist_bucket_of(uint64_t v)
{
	if (v < LINEAR_LIMIT)
		return (unsigned)v;
	unsigned m = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = m - HIST_SUB_BITS;

	return (shift + 1) * HALF + (unsigned)(v >> shift) - HALF;
}

uint64_t hist_bucket_low(unsigned b)
{
	if (b < LINEAR_LIMIT)
		return b;
	unsigned shift = b / HALF - 1;

	return (uint64_t)(HALF + b % HALF) << shift;
}

uint64_t hist_bucket_high(unsigned b)
{
	if (b < LINEAR_LIMIT)
		return b;
	unsigned shift = b / HALF - 1;

	return hist_bucket_low(b) + ((1ull << shift) - 1);
}

void hist_record(struct hist *h, uint64_t v)
{
	unsigned b = hist_bucket_of(v);

	st(&h->buckets[b], ld(&h->buckets[b]) + 1);
	st(&h->sum, ld(&h->sum) + v);
	if (v < ld(&h->min))
		st(&h->min, v);
	if (v > ld(&h->max))
		st(&h->max, v);
	/* count last: a reader that sees count sees at least as many bucket
	 * increments only approximately; quantile() uses the bucket total. */
	__atomic_store_n(&h->count, ld(&h->count) + 1, __ATOMIC_RELEASE);
}

void hist_snapshot(const struct hist *h, struct hist *out)
{
	out->count = __atomic_load_n(&h->count, __ATOMIC_ACQUIRE);
	out->sum = ld(&h->sum);
	out->min = ld(&h->min);
	out->max = ld(&h->max);
	for (unsigned b = 0; b < HIST_NBUCKETS; b++)
		out->buckets[b] = ld(&h->buckets[b]);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (unsigned b = 0; b < HIST_NBUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t total = 0, rank, seen = 0;

	for (unsigned b = 0; b < HIST_NBUCKETS; b++)
		total += h->buckets[b];
	if (!total)
		return 0;
	if (q >= 1.0)
		return h->max;
	if (q <= 0.0)
		return h->min;
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;
	if (!rank)
		rank = 1;
	for (unsigned b = 0; b < HIST_NBUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(b);

			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
