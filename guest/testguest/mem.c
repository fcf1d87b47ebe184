// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/mem.c — the memory test: every 4 KiB page of RAM in the
 * multiboot memory map (below the 16 GiB the guest maps), except the pages
 * the guest itself and its boot information occupy, is written with an
 * address-dependent pattern, read back, written with the complement and read
 * back again. A page that aliases another, a lost write or a stuck bit fails
 * with the address. Options: memstride=N (bytes between checked words,
 * default 8: every word), memlimit=N (MiB to test at most; default all).
 */
#include "tg.h"

#define PAGE 4096ULL
#define MAPPED_TOP (16ULL << 30)
#define MAX_RESERVED 64

struct mem_run {
	struct mb_reserved res[MAX_RESERVED];
	unsigned nr_res;
	uint64_t stride;
	uint64_t pages, skipped, ranges;
	uint64_t left; /* pages this pass may still touch */
	int pass;      /* 0 write, 1 check + write complement, 2 check complement */
	bool failed;
	uint64_t bad_addr, bad_val, bad_want;
};

static inline uint64_t pattern(uint64_t addr)
{
	return (addr * 0x9E3779B97F4A7C15ULL) ^ 0x5555aaaa3333ccccULL;
}

static bool reserved(const struct mem_run *r, uint64_t page)
{
	for (unsigned i = 0; i < r->nr_res; i++)
		if (page >= r->res[i].start && page < r->res[i].end)
			return true;
	return false;
}

static void sweep_page(struct mem_run *r, uint64_t page)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)page;
	uint64_t step = r->stride / 8;

	for (uint64_t i = 0; i < PAGE / 8; i += step) {
		uint64_t a = page + i * 8, want = pattern(a);

		if (r->pass == 0) {
			p[i] = want;
			continue;
		}
		uint64_t v = p[i];

		if (r->pass == 2)
			want = ~want;
		if (v != want && !r->failed) {
			r->failed = true;
			r->bad_addr = a;
			r->bad_val = v;
			r->bad_want = want;
		}
		if (r->pass == 1)
			p[i] = ~want;
	}
}

static void sweep_range(uint64_t start, uint64_t end, void *arg)
{
	struct mem_run *r = arg;

	start = (start + PAGE - 1) & ~(PAGE - 1);
	end &= ~(PAGE - 1);
	if (end > MAPPED_TOP)
		end = MAPPED_TOP;
	if (r->pass == 0)
		r->ranges++;
	for (uint64_t pg = start; pg < end; pg += PAGE) {
		if (reserved(r, pg)) {
			if (r->pass == 0)
				r->skipped++;
			continue;
		}
		if (r->left == 0)
			return;
		r->left--;
		if (r->pass == 0)
			r->pages++;
		sweep_page(r, pg);
	}
}

static struct mem_run run;

void test_mem(const char *name)
{
	struct mem_run *r = &run;

	memset(r, 0, sizeof(*r));
	r->nr_res = mb_reserved_ranges(r->res, MAX_RESERVED);
	r->stride = tg_opt("memstride", 8);
	GUEST_ASSERT(r->stride >= 8 && r->stride <= PAGE && r->stride % 8 == 0,
		     "memstride=%lu: want a multiple of 8 in [8, 4096]", r->stride);
	uint64_t mib = tg_opt("memlimit", 0);

	uint64_t t0 = rdtsc();

	for (r->pass = 0; r->pass < 3; r->pass++) {
		/* the checking passes touch exactly the pages the first wrote */
		r->left = r->pass ? r->pages : (mib ? (mib << 20) / PAGE : ~0ULL);
		mb_for_each_ram(sweep_range, r);
		GUEST_ASSERT(!r->failed, "pass %d: 0x%lx reads 0x%lx, wrote 0x%lx", r->pass,
			     r->bad_addr, r->bad_val, r->bad_want);
	}
	uint64_t pages = r->pages;

	GUEST_ASSERT(pages > 0, "no RAM page to test (memory map empty?)");
	tg_printf("# mem %lu pages (%lu KiB) in %lu ranges, %lu reserved pages skipped, "
		  "stride %lu, %lu TSC cycles\n",
		  pages, pages * 4, r->ranges, r->skipped, r->stride, rdtsc() - t0);
	tg_pass(name, "%lu KiB", pages * 4);
}
