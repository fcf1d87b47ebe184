// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/proto_setup.c — creation and destruction of a protocol instance, and
 * its read-only views. See dsm/proto.h.
 */
#include "dsm/proto_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

size_t dsm_proto_bytes_per_page(void)
{
	return sizeof(struct dsm_page);
}

size_t dsm_proto_dir_bytes_per_page(void)
{
	return sizeof(struct dsm_dir);
}

size_t dsm_proto_mem_bytes(const struct dsm_proto *p)
{
	return sizeof(*p) + p->nr_pages * sizeof(struct dsm_page) + dir_mem_bytes(p) +
	       p->pend_cap * (sizeof(struct pend) + 24) + p->wt_cap * sizeof(struct waiter) +
	       p->tx_cap * (sizeof(struct htxn) + 24) + p->hq_cap * sizeof(struct hreq) +
	       p->loop_cap * sizeof(struct dsm_msg) + DSM_PAGE_SIZE +
	       (p->pins ? p->pol.max_pinned * sizeof(struct dsm_pin) : 0);
}

static int check_params(const struct dsm_proto_params *prm)
{
	const struct dsm_proto_ops *o = prm->ops;

	if (prm->nr_nodes == 0 || prm->nr_nodes > DSM_MAX_NODES) {
		pr_err("dsm: nr_nodes=%u: must be 1..%u", prm->nr_nodes, DSM_MAX_NODES);
		return -EINVAL;
	}
	if (prm->self >= prm->nr_nodes) {
		pr_err("dsm: self=%u: must be < nr_nodes=%u", prm->self, prm->nr_nodes);
		return -EINVAL;
	}
	if (prm->nr_pages == 0 || prm->nr_pages > (1ull << 40)) {
		pr_err("dsm: nr_pages=%llu: must be 1..2^40", (unsigned long long)prm->nr_pages);
		return -EINVAL;
	}
	if (!prm->home_of || !o || !o->send || !o->install || !o->protect || !o->unprotect ||
	    !o->drop || !o->read_page || !o->wake) {
		pr_err("dsm: home_of and every dsm_proto_ops member are required");
		return -EINVAL;
	}
	if (prm->max_pending > 65536 || prm->max_waiters > 1u << 20) {
		pr_err("dsm: max_pending=%u max_waiters=%u: too large", prm->max_pending,
		       prm->max_waiters);
		return -EINVAL;
	}
	return dsm_policy_validate(&prm->policy);
}

static int init_pages(struct dsm_proto *p, const struct dsm_proto_params *prm)
{
	int r = dir_init(p, prm);

	if (r || p->pol.first_touch)
		return r;
	/* untouched pages belong to their home, zero, not mapped */
	for (unsigned k = 0; k < p->nr_ranges; k++) {
		const struct dir_range *rg = &p->ranges[k];
		for (uint64_t i = rg->first; i < rg->first + rg->count; i++) {
			struct dsm_dir *d = dir_of(p, i);
			d->owner = (uint8_t)p->self;
			d->copyset = node_bit(p->self);
			p->pages[i].st |= PF_ZERO;
			proto_set_state(p, i, DSM_EXCLUSIVE);
		}
	}
	return 0;
}

int dsm_proto_create(const struct dsm_proto_params *prm, struct dsm_proto **out)
{
	struct dsm_proto *p;
	int r;

	r = check_params(prm);
	if (r)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->self = prm->self;
	p->n = prm->nr_nodes;
	p->nr_pages = prm->nr_pages;
	p->ops = prm->ops;
	p->ctx = prm->ctx;
	p->pol = prm->policy;
	p->rid_key = prm->rid_key;
	p->pend_cap = prm->max_pending ? prm->max_pending : 64;
	p->wt_cap = prm->max_waiters ? prm->max_waiters : 4 * p->pend_cap;
	p->tx_cap = p->n * p->pend_cap;
	p->hq_cap = p->n * p->pend_cap;
	p->loop_cap = 4 * p->n + 64;

	r = -ENOMEM;
	p->pages = calloc(p->nr_pages, sizeof(*p->pages));
	p->pend = calloc(p->pend_cap, sizeof(*p->pend));
	p->wt = calloc(p->wt_cap, sizeof(*p->wt));
	p->loop = calloc(p->loop_cap, sizeof(*p->loop));
	p->zero_page = calloc(1, DSM_PAGE_SIZE);
	if (p->pol.pingpong_threshold)
		p->pins = calloc(p->pol.max_pinned, sizeof(*p->pins));
	if (!p->pages || !p->pend || !p->wt || !p->loop || !p->zero_page ||
	    (p->pol.pingpong_threshold && !p->pins))
		goto fail;
	r = idmap_init(&p->pend_map, p->pend_cap);
	if (r)
		goto fail;
	r = home_init(p);
	if (r)
		goto fail;
	for (unsigned i = 0; i < p->pend_cap; i++)
		p->pend[i].next_free = i + 1 < p->pend_cap ? (int32_t)i + 1 : -1;
	for (unsigned i = 0; i < p->wt_cap; i++)
		p->wt[i].next = i + 1 < p->wt_cap ? (int32_t)i + 1 : -1;
	p->pend_free = 0;
	p->wt_free = 0;
	r = init_pages(p, prm);
	if (r)
		goto fail;
	*out = p;
	return 0;
fail:
	dsm_proto_destroy(p);
	return r;
}

void dsm_proto_destroy(struct dsm_proto *p)
{
	if (!p)
		return;
	home_fini(p);
	dir_fini(p);
	idmap_free(&p->pend_map);
	free(p->pages);
	free(p->pend);
	free(p->wt);
	free(p->loop);
	free(p->zero_page);
	free(p->pins);
	free(p);
}

enum dsm_reject dsm_proto_last_reject(const struct dsm_proto *p)
{
	return p->last_rej;
}

bool dsm_proto_waking_remote(const struct dsm_proto *p)
{
	return p->waking_remote;
}

const struct dsm_counters *dsm_proto_counters(const struct dsm_proto *p)
{
	return &p->c;
}

enum dsm_page_state dsm_proto_page_state(const struct dsm_proto *p, uint64_t page)
{
	return page < p->nr_pages ? pg_state(p, page) : DSM_INVALID;
}

unsigned dsm_proto_home_hint(const struct dsm_proto *p, uint64_t page)
{
	return page < p->nr_pages ? p->pages[page].home : DSM_NO_NODE;
}

int dsm_proto_dir(const struct dsm_proto *p, uint64_t page, unsigned *owner, uint64_t *copyset,
		  bool *busy)
{
	const struct dsm_dir *pg;

	if (page >= p->nr_pages || !(p->pages[page].st & PF_HOME))
		return -ENOENT;
	pg = dir_of((struct dsm_proto *)p, page);
	if (!pg)
		return -ENOENT;
	if (owner)
		*owner = pg->owner;
	if (copyset)
		*copyset = pg->copyset;
	if (busy)
		*busy = p->pages[page].st & PF_TXN;
	return 0;
}

bool dsm_proto_idle(const struct dsm_proto *p)
{
	return p->pend_used == 0 && home_idle(p) && p->loop_len == 0;
}

/* See dsm_proto_params.rid_key. */
uint32_t proto_new_rid(struct dsm_proto *p)
{
	uint32_t r;

	if (!p->rid_key)
		return ++p->next_rid;
	do {
		uint64_t x = p->rid_key + ++p->next_rid * 0x9e3779b97f4a7c15ull;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
		x ^= (x >> 31) ^ p->rid_key;
		x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull;
		r = (uint32_t)(x >> 33);
	} while (!r);
	return r;
}
