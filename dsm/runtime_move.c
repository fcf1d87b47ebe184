// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/runtime_move.c — sending a page away with one TLB shootdown instead of
 * two (service thread only).
 *
 * When an owner hands its exclusive page to another node the protocol calls
 * protect (write-protect: shootdown 1), read_page, send, drop (MADV_DONTNEED:
 * shootdown 2). With UFFDIO_MOVE (Linux 6.8) the runtime instead defers the
 * write protection; if the message that carries the page turns out to be an
 * exclusive transfer (DATA with DSM_MF_WRITE), it moves the page out of the
 * mapping into a staging page in one step (one shootdown: local accesses
 * fault as missing from then on), sends the staging page, and the protocol's
 * drop finds nothing left to do. Any other use of the deferred page (a
 * downgrade keeps a read-only copy) write-protects it first, as before: the
 * copy always happens after the last local write could land. Staging pages
 * are recycled in batches (one MADV_DONTNEED for RT_STAGE_PAGES pages).
 */
#include "dsm/runtime_priv.h"

#include "common/log.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static inline uintptr_t page_addr(struct dsm_runtime *rt, uint64_t page)
{
	return (uintptr_t)rt->base + (uintptr_t)page * DSM_PAGE_SIZE;
}

int rt_move_setup(struct dsm_runtime *rt)
{
	size_t len = (size_t)RT_STAGE_PAGES * DSM_PAGE_SIZE;
	int err;

	if (rt->p.no_move || !rt->u.has_move)
		return 0;
	rt->stage = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rt->stage == MAP_FAILED) {
		rt->stage = NULL;
		return -errno;
	}
	err = uffd_register_missing(&rt->u, rt->stage, len);
	if (err) {
		munmap(rt->stage, len);
		rt->stage = NULL;
		pr_warn("DSM: no staging area for UFFDIO_MOVE (%s): pages leave by copy",
			strerror(-err));
		return 0;
	}
	rt->use_move = true;
	return 0;
}

void rt_move_free(struct dsm_runtime *rt)
{
	if (rt->stage)
		munmap(rt->stage, (size_t)RT_STAGE_PAGES * DSM_PAGE_SIZE);
	rt->stage = NULL;
}

int rt_lazy_flush(struct dsm_runtime *rt)
{
	uint64_t t0;
	int r;

	if (!rt->lazy_wp)
		return 0;
	rt->lazy_wp = false;
	t0 = rt_now_ns();
	r = uffd_wp(&rt->u, page_addr(rt, rt->lazy_page), DSM_PAGE_SIZE, true, true);
	hist_record(&rt->metrics.op_ns[DSM_OP_PROTECT], rt_now_ns() - t0);
	if (r)
		rt_fatal(rt, r, "write-protecting page 0x%llx failed: %s",
			 (unsigned long long)rt->lazy_page, strerror(-r));
	return r;
}

/* Returns 1 when the protection was deferred, 0 when the caller must do it now. */
int rt_lazy_protect(struct dsm_runtime *rt, uint64_t page)
{
	if (!rt->use_move)
		return 0;
	if (rt->lazy_wp && rt->lazy_page != page && rt_lazy_flush(rt))
		return 1; /* failed: rt_fatal already called */
	rt->lazy_wp = true;
	rt->lazy_page = page;
	return 1;
}

const void *rt_page_to_send(struct dsm_runtime *rt, const uint8_t *msg, size_t len,
			    const void *page)
{
	uintptr_t stage;
	uint64_t t0;
	int r;

	if (!rt->lazy_wp || page != (const void *)page_addr(rt, rt->lazy_page))
		return page;
	/* our own encoder made msg: byte 3 is the type, byte 23 the flags */
	if (len < 24 || msg[3] != DSM_MSG_DATA || !(msg[23] & DSM_MF_WRITE)) {
		rt_lazy_flush(rt);
		return page;
	}
	if (rt->stage_next == RT_STAGE_PAGES) { /* recycle the whole staging area at once */
		madvise(rt->stage, (size_t)RT_STAGE_PAGES * DSM_PAGE_SIZE, MADV_DONTNEED);
		rt->stage_next = 0;
	}
	stage = (uintptr_t)rt->stage + (uintptr_t)rt->stage_next * DSM_PAGE_SIZE;
	t0 = rt_now_ns();
	r = uffd_move(&rt->u, stage, page_addr(rt, rt->lazy_page), DSM_PAGE_SIZE);
	hist_record(&rt->metrics.op_ns[DSM_OP_MOVE], rt_now_ns() - t0);
	if (r) {
		/* e.g. -EBUSY (page shared or pinned): the two-step way */
		rt_lazy_flush(rt);
		return page;
	}
	rt->stage_next++;
	rt->lazy_wp = false;
	rt->moved = true;
	rt->moved_page = rt->lazy_page;
	return (const void *)stage;
}

bool rt_drop_moved(struct dsm_runtime *rt, uint64_t page)
{
	if (!rt->moved || rt->moved_page != page)
		return false;
	rt->moved = false;
	return true;
}

void rt_move_end_event(struct dsm_runtime *rt)
{
	rt_lazy_flush(rt);
	if (rt->moved) {
		rt->moved = false;
		rt_fatal(rt, -EPROTO,
			 "page 0x%llx left exclusively but the protocol did not drop it",
			 (unsigned long long)rt->moved_page);
	}
}
