// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/proto_dir.c — where directory entries live. Only a page's home keeps
 * one (16 bytes): the pages home_of() gives to this node in a dense array
 * found through a sorted list of page runs (a NUMA layout has one run per
 * node range), and pages whose home moved here in a pool found through a
 * hash map. Every node keeps 2 bytes for every page (dsm_page).
 */
#include "dsm/proto_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* ---- idmap: page number -> small index ---- */

int idmap_init(struct idmap *m, unsigned cap)
{
	uint32_t size = 16;

	while (size < 2 * cap)
		size <<= 1;
	m->keys = calloc(size, sizeof(*m->keys));
	m->vals = malloc(size * sizeof(*m->vals));
	if (!m->keys || !m->vals)
		return -ENOMEM;
	memset(m->vals, 0xff, size * sizeof(*m->vals));
	m->mask = size - 1;
	return 0;
}

void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
}

static uint32_t idmap_hash(const struct idmap *m, uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(key >> 32) & m->mask;
}

int32_t idmap_get(const struct idmap *m, uint64_t key)
{
	for (uint32_t i = idmap_hash(m, key);; i = (i + 1) & m->mask) {
		if (m->vals[i] < 0)
			return -1;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

void idmap_put(struct idmap *m, uint64_t key, int32_t val)
{
	uint32_t i = idmap_hash(m, key);

	while (m->vals[i] >= 0 && m->keys[i] != key)
		i = (i + 1) & m->mask;
	m->keys[i] = key;
	m->vals[i] = val;
}

void idmap_del(struct idmap *m, uint64_t key)
{
	uint32_t i = idmap_hash(m, key), j;

	while (m->vals[i] >= 0 && m->keys[i] != key)
		i = (i + 1) & m->mask;
	if (m->vals[i] < 0)
		return;
	/* backward-shift: move later members of the run into the hole */
	for (j = (i + 1) & m->mask; m->vals[j] >= 0; j = (j + 1) & m->mask) {
		uint32_t h = idmap_hash(m, m->keys[j]);
		bool movable = (i <= j) ? (h <= i || h > j) : (h <= i && h > j);
		if (movable) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->vals[i] = -1;
}

static int add_range(struct dsm_proto *p, unsigned *cap, uint64_t page, uint64_t base)
{
	struct dir_range *r;

	if (p->nr_ranges &&
	    p->ranges[p->nr_ranges - 1].first + p->ranges[p->nr_ranges - 1].count == page) {
		p->ranges[p->nr_ranges - 1].count++;
		return 0;
	}
	if (p->nr_ranges == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 4;
		r = realloc(p->ranges, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		p->ranges = r;
		*cap = ncap;
	}
	p->ranges[p->nr_ranges++] = (struct dir_range){.first = page, .count = 1, .base = base};
	return 0;
}

/* Free pool entries are chained through their copyset field. */
static void pool_link(struct dsm_proto *p, unsigned from)
{
	for (unsigned i = from; i < p->pool_cap; i++)
		p->pool[i].copyset = i + 1 < p->pool_cap ? i + 1 : (uint64_t)p->pool_free;
	p->pool_free = (int32_t)from;
}

static void dir_clear(struct dsm_dir *d)
{
	*d = (struct dsm_dir){.owner = DSM_NO_NODE, .last_req = DSM_NO_NODE};
}

int dir_init(struct dsm_proto *p, const struct dsm_proto_params *prm)
{
	unsigned cap = 0;
	uint64_t nr = 0;
	int r;

	for (uint64_t i = 0; i < p->nr_pages; i++) {
		unsigned h = prm->home_of(prm->ctx, i);

		if (h >= p->n) {
			pr_err("dsm: home_of(page 0x%llx) = %u: not a node (nr_nodes=%u)",
			       (unsigned long long)i, h, p->n);
			return -EINVAL;
		}
		p->pages[i].home = (uint8_t)h;
		if (h != p->self)
			continue;
		p->pages[i].st |= PF_HOME;
		r = add_range(p, &cap, i, nr++);
		if (r)
			return r;
	}
	p->c.pages_home = nr;
	p->dir_static = malloc((nr ? nr : 1) * sizeof(*p->dir_static));
	p->pool_cap = 64;
	p->pool = malloc(p->pool_cap * sizeof(*p->pool));
	p->pool_page = malloc(p->pool_cap * sizeof(*p->pool_page));
	if (!p->dir_static || !p->pool || !p->pool_page)
		return -ENOMEM;
	memset(p->pool_page, 0xff, p->pool_cap * sizeof(*p->pool_page));
	p->pool_free = -1;
	pool_link(p, 0);
	r = idmap_init(&p->pool_map, p->pool_cap);
	if (r)
		return r;
	for (uint64_t i = 0; i < nr; i++)
		dir_clear(&p->dir_static[i]);
	return 0;
}

void dir_fini(struct dsm_proto *p)
{
	free(p->dir_static);
	free(p->ranges);
	free(p->pool);
	free(p->pool_page);
	if (p->pool_map.keys)
		idmap_free(&p->pool_map);
}

static struct dsm_dir *static_entry(struct dsm_proto *p, uint64_t page)
{
	unsigned lo = 0, hi = p->nr_ranges;

	/* the last run starting at or before page */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (p->ranges[mid].first <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	{
		const struct dir_range *r = &p->ranges[lo - 1];
		if (page - r->first >= r->count)
			return NULL;
		return &p->dir_static[r->base + (page - r->first)];
	}
}

struct dsm_dir *dir_of(struct dsm_proto *p, uint64_t page)
{
	struct dsm_dir *d;
	int32_t i;

	if (!(p->pages[page].st & PF_HOME))
		return NULL;
	d = static_entry(p, page);
	if (d)
		return d;
	i = idmap_get(&p->pool_map, page);
	return i < 0 ? NULL : &p->pool[i];
}

static int pool_grow(struct dsm_proto *p)
{
	unsigned cap = p->pool_cap * 2;
	struct dsm_dir *pool;
	uint64_t *pages;
	struct idmap m;

	if (cap > (1u << 26) || idmap_init(&m, cap))
		return -ENOMEM;
	pool = realloc(p->pool, cap * sizeof(*pool));
	if (pool)
		p->pool = pool;
	pages = realloc(p->pool_page, cap * sizeof(*pages));
	if (pages)
		p->pool_page = pages;
	if (!pool || !pages) {
		idmap_free(&m);
		return -ENOMEM;
	}
	memset(pages + p->pool_cap, 0xff, (cap - p->pool_cap) * sizeof(*pages));
	for (unsigned i = 0; i < p->pool_cap; i++)
		if (pages[i] != UINT64_MAX)
			idmap_put(&m, pages[i], (int32_t)i);
	idmap_free(&p->pool_map);
	p->pool_map = m;
	{
		unsigned old = p->pool_cap;
		p->pool_cap = cap;
		pool_link(p, old);
	}
	return 0;
}

struct dsm_dir *dir_add(struct dsm_proto *p, uint64_t page)
{
	struct dsm_dir *d = static_entry(p, page);
	int32_t i;

	if (d)
		return d;
	i = idmap_get(&p->pool_map, page);
	if (i >= 0)
		return &p->pool[i];
	if (p->pool_free < 0 && pool_grow(p))
		return NULL;
	i = p->pool_free;
	p->pool_free = (int32_t)p->pool[i].copyset;
	p->pool_page[i] = page;
	p->pool_used++;
	idmap_put(&p->pool_map, page, (int32_t)i);
	return &p->pool[i];
}

void dir_release(struct dsm_proto *p, uint64_t page)
{
	int32_t i;

	if (static_entry(p, page))
		return;
	i = idmap_get(&p->pool_map, page);
	if (i < 0)
		return;
	idmap_del(&p->pool_map, page);
	p->pool_page[i] = UINT64_MAX;
	p->pool[i].copyset = (uint64_t)p->pool_free;
	p->pool_free = i;
	p->pool_used--;
}

size_t dir_mem_bytes(const struct dsm_proto *p)
{
	uint64_t nr_static = 0;

	for (unsigned i = 0; i < p->nr_ranges; i++)
		nr_static += p->ranges[i].count;
	return nr_static * sizeof(struct dsm_dir) + p->nr_ranges * sizeof(struct dir_range) +
	       p->pool_cap * (sizeof(struct dsm_dir) + sizeof(uint64_t) + 2 * 12);
}
