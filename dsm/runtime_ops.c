// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/runtime_ops.c — the service thread's glue: userfaultfd events into the
 * protocol, the protocol's actions onto the mapping and the transport, and
 * the transport's callbacks (messages, peers going down). Service thread only.
 */
#include "dsm/runtime_priv.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

static inline uintptr_t page_addr(struct dsm_runtime *rt, uint64_t page)
{
	return (uintptr_t)rt->base + (uintptr_t)page * DSM_PAGE_SIZE;
}

/* ---- protocol actions ------------------------------------------------- */

static inline void timed(struct dsm_runtime *rt, enum dsm_op_hist op, uint64_t t0)
{
	hist_record(&rt->metrics.op_ns[op], rt_now_ns() - t0);
}

/* The protocol must send to node `to`, which the transport declared down. */
static void rt_fatal_needs(struct dsm_runtime *rt, unsigned to)
{
	const char *why = rt->t ? transport_peer_down_reason(rt->t, to) : NULL;

	if (why)
		rt_fatal(rt, -ENOTCONN, "%s (the protocol needs node %u)", why, to);
	else
		rt_fatal(rt, -ENOTCONN, "the protocol needs node %u, which is down", to);
}

static int op_send(void *ctx, unsigned to, const void *msg, size_t len, const void *page)
{
	struct dsm_runtime *rt = ctx;
	struct rt_out *o;
	int r;

	if (to >= rt->p.nr_nodes || rt->down[to]) {
		rt_fatal_needs(rt, to);
		return -ENOTCONN;
	}
	if (page)
		page = rt_page_to_send(rt, msg, len, page);
	else if (rt_lazy_flush(rt))
		return -EIO;
	/* Sent at once, also from inside transport_progress (the transport
	 * allows it): a reply must leave before the protocol's next action
	 * (an owner drops its copy right after sending it). */
	if (!rt->outbox) {
		uint64_t t0 = rt_now_ns();

		r = transport_send(rt->t, to, msg, len, page);
		timed(rt, DSM_OP_SEND, t0);
		if (r != -EAGAIN) {
			if (r == -ENOTCONN)
				rt_fatal_needs(rt, to);
			else if (r)
				rt_fatal(rt, r, "sending to node %u failed: %s", to, strerror(-r));
			return r;
		}
	}
	/* the transport is full (or older messages wait): keep it, in order */
	o = rt->out_free;
	if (o)
		rt->out_free = o->next;
	else
		o = malloc(sizeof(*o));
	if (!o || len > sizeof(o->msg)) {
		free(o);
		rt_fatal(rt, -ENOMEM, "no memory to queue a message to node %u", to);
		return -ENOMEM;
	}
	o->next = NULL;
	o->to = to;
	o->len = len;
	memcpy(o->msg, msg, len);
	o->has_page = page != NULL;
	if (page)
		memcpy(o->page, page, DSM_PAGE_SIZE);
	if (!rt->outbox)
		rt->outbox_tail = &rt->outbox;
	*rt->outbox_tail = o;
	rt->outbox_tail = &o->next;
	return 0;
}

int rt_flush_outbox(struct dsm_runtime *rt)
{
	int sent = 0;

	while (rt->outbox && !rt->error) {
		struct rt_out *o = rt->outbox;
		uint64_t t0 = rt_now_ns();
		int r = transport_send(rt->t, o->to, o->msg, o->len, o->has_page ? o->page : NULL);

		timed(rt, DSM_OP_SEND, t0);
		if (r == -EAGAIN)
			break;
		if (r) {
			rt_fatal(rt, r, "sending to node %u failed: %s", o->to, strerror(-r));
			break;
		}
		rt->outbox = o->next;
		o->next = rt->out_free;
		rt->out_free = o;
		sent++;
	}
	return sent;
}

static int op_install(void *ctx, uint64_t page, const void *data, bool writable)
{
	struct dsm_runtime *rt = ctx;
	uintptr_t a = page_addr(rt, page);
	uint64_t t0;
	int r;

	if (rt_lazy_flush(rt))
		return -EIO;
	t0 = rt_now_ns();
	r = uffd_copy(&rt->u, a, data ? data : rt->zero_page, DSM_PAGE_SIZE, writable, false);

	if (r == -EEXIST) { /* replacing a read-only copy: drop it, then install */
		r = uffd_drop(&rt->u, a, DSM_PAGE_SIZE);
		if (!r)
			r = uffd_copy(&rt->u, a, data ? data : rt->zero_page, DSM_PAGE_SIZE,
				      writable, false);
	}
	timed(rt, DSM_OP_COPY, t0);
	if (r) {
		rt_fatal(rt, r, "installing page 0x%llx failed: %s", (unsigned long long)page,
			 strerror(-r));
		return r;
	}
	rt->woke_page = page;
	rt->woke_valid = true;
	return 0;
}

static int op_protect(void *ctx, uint64_t page)
{
	struct dsm_runtime *rt = ctx;
	uint64_t t0;
	int r;

	if (rt_lazy_protect(rt, page))
		return rt->error; /* deferred (see runtime_move.c) */
	t0 = rt_now_ns();
	r = uffd_wp(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE, true, true);

	timed(rt, DSM_OP_PROTECT, t0);
	if (r)
		rt_fatal(rt, r, "write-protecting page 0x%llx failed: %s", (unsigned long long)page,
			 strerror(-r));
	return r;
}

static int op_unprotect(void *ctx, uint64_t page)
{
	struct dsm_runtime *rt = ctx;
	uint64_t t0;
	int r;

	if (rt_lazy_flush(rt))
		return -EIO;
	t0 = rt_now_ns();
	r = uffd_wp(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE, false, false);

	timed(rt, DSM_OP_UNPROTECT, t0);
	if (r) {
		rt_fatal(rt, r, "unprotecting page 0x%llx failed: %s", (unsigned long long)page,
			 strerror(-r));
		return r;
	}
	rt->woke_page = page;
	rt->woke_valid = true;
	return 0;
}

static int op_drop(void *ctx, uint64_t page)
{
	struct dsm_runtime *rt = ctx;
	uint64_t t0;
	int r;

	if (rt_drop_moved(rt, page))
		return 0; /* it left with UFFDIO_MOVE */
	if (rt_lazy_flush(rt))
		return -EIO;
	t0 = rt_now_ns();
	r = uffd_drop(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE);

	timed(rt, DSM_OP_DROP, t0);
	if (r)
		rt_fatal(rt, r, "dropping page 0x%llx failed: %s", (unsigned long long)page,
			 strerror(-r));
	return r;
}

static const void *op_read_page(void *ctx, uint64_t page)
{
	struct dsm_runtime *rt = ctx;
	enum dsm_page_state st = dsm_proto_page_state(rt->proto, page);

	if (rt->lazy_wp && rt->lazy_page != page)
		rt_lazy_flush(rt);
	if (st == DSM_INVALID) {
		/* reading it would fault on our own mapping and hang this thread */
		rt_fatal(rt, -EPROTO, "the protocol read page 0x%llx, which is not mapped here",
			 (unsigned long long)page);
		return rt->zero_page;
	}
	if (st == DSM_EXCLUSIVE) {
		/* The contents leave this node: no local write may land after the
		 * copy. Write-protect first; a later local write faults and is
		 * served by the protocol (see the fix-up in rt_handle_fault). */
		uint64_t t0 = rt_now_ns();
		int r = uffd_wp(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE, true, true);

		timed(rt, DSM_OP_PROTECT, t0);
		if (r)
			rt_fatal(rt, r, "write-protecting page 0x%llx failed: %s",
				 (unsigned long long)page, strerror(-r));
	}
	return (const void *)page_addr(rt, page);
}

static void op_wake(void *ctx, uint64_t page, uint64_t token)
{
	struct dsm_runtime *rt = ctx;
	struct rt_slot *s;

	if (token >= rt->nr_slots || !rt->slots[token].used || rt->slots[token].page != page) {
		rt_fatal(rt, -EPROTO,
			 "the protocol woke an unknown fault (page 0x%llx, token %llu)",
			 (unsigned long long)page, (unsigned long long)token);
		return;
	}
	s = &rt->slots[token];
	rt_lazy_flush(rt);
	if (!(rt->woke_valid && rt->woke_page == page)) {
		uint64_t t0 = rt_now_ns();
		int r = uffd_wake(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE);

		timed(rt, DSM_OP_WAKE, t0);
		if (r)
			rt_fatal(rt, r, "waking the faults on page 0x%llx failed: %s",
				 (unsigned long long)page, strerror(-r));
	}
	{
		uint64_t ns = rt_now_ns() - s->t0;

		hist_record(&rt->metrics.service_ns, ns);
		bool remote = dsm_proto_waking_remote(rt->proto);

		metrics_vcpu_fault(&rt->metrics, s->vcpu, remote, ns);
		if (remote)
			metrics_hot_page(&rt->metrics, page);
	}
	s->used = false;
	s->next_free = rt->free_slot;
	rt->free_slot = (unsigned)token;
	rt->nr_waiting--;
	rt->retry_held = true;
}

static const struct dsm_proto_ops rt_ops = {
    .send = op_send,
    .install = op_install,
    .protect = op_protect,
    .unprotect = op_unprotect,
    .drop = op_drop,
    .read_page = op_read_page,
    .wake = op_wake,
};

/* ---- faults ------------------------------------------------------------ */

static void hold(struct dsm_runtime *rt, const struct uffd_fault *f, uint64_t t0)
{
	if (rt->nr_held == sizeof(rt->held) / sizeof(rt->held[0])) {
		rt_fatal(rt, -EOVERFLOW, "too many faults waiting for the protocol");
		return;
	}
	rt->held[rt->nr_held].f = *f;
	rt->held[rt->nr_held].t0 = t0;
	rt->nr_held++;
}

/*
 * Is the page at @addr mapped in this process (present, or swapped out)?
 * From /proc/self/pagemap (bit 63 present, bit 62 swapped); when that cannot
 * be read, assume it is (the old behaviour: wake the thread).
 */
static bool page_present(struct dsm_runtime *rt, uintptr_t addr)
{
	uint64_t e;

	if (rt->pagemap_fd < 0 || pread(rt->pagemap_fd, &e, sizeof(e),
					(off_t)(addr / DSM_PAGE_SIZE * sizeof(e))) != sizeof(e))
		return true;
	return e & (3ull << 62);
}

/*
 * A missing fault on a page the protocol holds mapped here: the page left the
 * mapping outside the protocol (MADV_DONTNEED by a balloon, a discard). Waking
 * the thread would only raise the same fault again, forever. Held Exclusive,
 * this node had the only copy and whoever dropped it discarded the contents:
 * the page is zero now, as a discarded page is (installed writable, counted).
 * Held Shared, the current contents are elsewhere and this node's copy is
 * lost; re-reading it would need a protocol transaction that no state allows
 * (the home counts this node as holding a current copy), so the node fails:
 * never a zero or stale page. Returns 0, or 1 after rt_fatal.
 */
static int lost_page(struct dsm_runtime *rt, uint64_t page)
{
	enum dsm_page_state st = dsm_proto_page_state(rt->proto, page);
	int r;

	metrics_inc(&rt->metrics, DSM_C_PAGES_LOST);
	if (st != DSM_EXCLUSIVE) {
		rt_fatal(rt, -EFAULT,
			 "page 0x%llx (address %p) left this node's mapping outside the protocol "
			 "while held read-only; its contents cannot be recovered here",
			 (unsigned long long)page, (void *)page_addr(rt, page));
		return 1;
	}
	if (++rt->lost_logged <= 10 || rt->lost_logged % 1000 == 0)
		pr_warn("DSM: page 0x%llx left the mapping outside the protocol (discarded); "
			"it is a zero page now (%llu such pages)",
			(unsigned long long)page, (unsigned long long)rt->lost_logged);
	r = uffd_copy(&rt->u, page_addr(rt, page), rt->zero_page, DSM_PAGE_SIZE, true, false);
	if (r == -EEXIST) /* it came back meanwhile: only wake */
		r = uffd_wake(&rt->u, page_addr(rt, page), DSM_PAGE_SIZE);
	if (r) {
		rt_fatal(rt, r, "re-installing discarded page 0x%llx failed: %s",
			 (unsigned long long)page, strerror(-r));
		return 1;
	}
	return 0;
}

/* Returns 1 when the protocol took the fault, 0 when it must be held. */
static int start_fault(struct dsm_runtime *rt, const struct uffd_fault *f, uint64_t t0)
{
	uint64_t page = (f->addr - (uintptr_t)rt->base) / DSM_PAGE_SIZE;
	unsigned tok;
	int r;

	if (f->addr < (uintptr_t)rt->base || page >= rt->nr_pages) {
		rt_fatal(rt, -EFAULT, "fault at %p outside the region", (void *)f->addr);
		return 1;
	}
	if (rt->free_slot == UINT32_MAX)
		return 0;
	tok = rt->free_slot;
	rt->free_slot = rt->slots[tok].next_free;
	rt->slots[tok] = (struct rt_slot){.page = page,
					  .t0 = t0,
					  .used = true,
					  .write = f->write,
					  .vcpu = metrics_vcpu_slot(&rt->metrics, (int32_t)f->tid),
					  .next_free = UINT32_MAX};
	rt->nr_waiting++;
	rt->woke_valid = false;
	r = dsm_proto_fault(rt->proto, page, f->write, tok);
	rt_move_end_event(rt);
	if (r == DSM_FAULT_WAIT)
		return 1;
	/* not waiting: give the slot back */
	rt->slots[tok].used = false;
	rt->slots[tok].next_free = rt->free_slot;
	rt->free_slot = tok;
	rt->nr_waiting--;
	if (r == -EAGAIN)
		return 0;
	if (r < 0) {
		if (!rt->error)
			rt_fatal(rt, r, "the protocol failed a %s fault on page 0x%llx: %s",
				 f->write ? "write" : "read", (unsigned long long)page,
				 strerror(-r));
		return 1;
	}
	/* DSM_FAULT_DONE: the page is already mapped as needed (a second event
	 * for a fault that was just served, or a write to a page the protocol
	 * holds Exclusive that read_page write-protected), or it left the
	 * mapping behind the protocol's back. Make sure the mapping agrees and
	 * wake the thread. */
	if (f->wp && dsm_proto_page_state(rt->proto, page) == DSM_EXCLUSIVE)
		r = uffd_wp(&rt->u, f->addr, DSM_PAGE_SIZE, false, false);
	else if (!f->wp && !page_present(rt, f->addr))
		r = lost_page(rt, page);
	else
		r = uffd_wake(&rt->u, f->addr, DSM_PAGE_SIZE);
	if (r == 1)
		return 1; /* failed: the thread stays blocked */
	if (r)
		rt_fatal(rt, r, "waking the fault on page 0x%llx failed: %s",
			 (unsigned long long)page, strerror(-r));
	{
		uint64_t ns = rt_now_ns() - t0;

		hist_record(&rt->metrics.service_ns, ns);
		metrics_vcpu_fault(&rt->metrics, rt->slots[tok].vcpu, false, ns);
	}
	return 1;
}

void rt_handle_fault(struct dsm_runtime *rt, const struct uffd_fault *f, uint64_t t0)
{
	if (rt->nr_held || !start_fault(rt, f, t0))
		hold(rt, f, t0);
}

int rt_retry_held(struct dsm_runtime *rt)
{
	unsigned done = 0;

	rt->retry_held = false;
	while (done < rt->nr_held && !rt->error) {
		if (!start_fault(rt, &rt->held[done].f, rt->held[done].t0))
			break;
		done++;
	}
	memmove(rt->held, rt->held + done, (rt->nr_held - done) * sizeof(rt->held[0]));
	rt->nr_held -= done;
	return (int)done;
}

/* ---- transport callbacks ------------------------------------------------ */

static void on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	struct dsm_runtime *rt = arg;
	int r;

	if (rt->error)
		return;
	rt->woke_valid = false;
	uint64_t t0 = rt_now_ns();

	r = dsm_proto_recv(rt->proto, from, msg, len, page);
	rt_move_end_event(rt);
	timed(rt, DSM_OP_RECV, t0);
	if (r == -EPROTO) {
		/* counted by the protocol; log the first few, then every 1000th */
		uint64_t n = ++rt->rejects_logged;

		if (n <= 10 || n % 1000 == 0)
			pr_warn("DSM: rejected a message from node %u (%s); %llu so far", from,
				dsm_reject_name(dsm_proto_last_reject(rt->proto)),
				(unsigned long long)n);
	} else if (r < 0 && !rt->error) {
		rt_fatal(rt, r, "handling a message from node %u failed: %s", from, strerror(-r));
	}
}

static void on_peer_down(void *arg, uint32_t node, const char *why)
{
	struct dsm_runtime *rt = arg;

	if (node < DSM_MAX_NODES && !rt->down[node]) {
		rt->down[node] = true;
		pthread_mutex_lock(&rt->lock);
		rt->nr_down++;
		pthread_cond_broadcast(&rt->cond);
		pthread_mutex_unlock(&rt->lock);
	}
	if (rt->error)
		return;
	if (__atomic_load_n(&rt->quiescing, __ATOMIC_ACQUIRE)) {
		pr_info("DSM: %s (this node's run is over)", why);
		return;
	}
	if (strstr(why, "closed its transport")) {
		/* it finished and left; what it owned is gone, so any fault that
		 * still needs it fails (send to a down node, or the timeout) */
		for (unsigned i = 0; i < rt->nr_slots; i++) {
			struct rt_slot *s = &rt->slots[i];

			if (s->used && dsm_proto_home_hint(rt->proto, s->page) == node) {
				rt_fatal(rt, -ENOTCONN,
					 "%s; a %s fault on page 0x%llx waits for it (its home)",
					 why, s->write ? "write" : "read",
					 (unsigned long long)s->page);
				return;
			}
		}
		pr_warn("DSM: %s", why);
		return;
	}
	rt_fatal(rt, -ENOTCONN, "%s", why);
}

/* ---- set-up (service thread) -------------------------------------------- */

int rt_open_peers(struct dsm_runtime *rt)
{
	struct dsm_proto_params pp = {
	    .self = rt->p.self,
	    .nr_nodes = rt->p.nr_nodes,
	    .nr_pages = rt->nr_pages,
	    .home_of = rt->home_fn,
	    .ops = &rt_ops,
	    .ctx = rt,
	    .max_pending = rt->p.max_pending,
	    .policy = rt->p.policy,
	};
	struct transport_params tp = {
	    .self = rt->p.self,
	    .nr_nodes = rt->p.nr_nodes,
	    .addrs = rt->p.addrs,
	    .tls = rt->p.tls,
	    .on_msg = on_msg,
	    .on_peer_down = on_peer_down,
	    .arg = rt,
	    .heartbeat_ms = rt->p.heartbeat_ms,
	    .peer_timeout_ms = rt->p.peer_timeout_ms,
	    .connect_timeout_ms = rt->p.connect_timeout_ms,
	};
	unsigned max_pending = rt->p.max_pending ? rt->p.max_pending : 64;
	int err;

	rt->nr_slots = 4 * max_pending;
	rt->slots = calloc(rt->nr_slots, sizeof(rt->slots[0]));
	rt->zero_page = aligned_alloc(DSM_PAGE_SIZE, DSM_PAGE_SIZE);
	if (!rt->slots || !rt->zero_page)
		return -ENOMEM;
	memset(rt->zero_page, 0, DSM_PAGE_SIZE);
	for (unsigned i = 0; i < rt->nr_slots; i++)
		rt->slots[i].next_free = i + 1 < rt->nr_slots ? i + 1 : UINT32_MAX;
	rt->free_slot = 0;
	pp.max_waiters = rt->nr_slots;
	/* unguessable request ids (see dsm_proto_params.rid_key) */
	if (getrandom(&pp.rid_key, sizeof(pp.rid_key), 0) != sizeof(pp.rid_key)) {
		pr_warn("DSM: getrandom failed (%s): request ids are sequential", strerror(errno));
		pp.rid_key = 0;
	}
	rt->tick_policy = rt->p.policy.pingpong_threshold > 0;
	err = dsm_proto_create(&pp, &rt->proto);
	if (err) {
		pr_err("DSM: creating the protocol for node %u failed: %s", rt->p.self,
		       strerror(-err));
		return err;
	}
	err = transport_open(&tp, &rt->t);
	if (err) {
		pr_err("DSM: node %u could not join the cluster of %u nodes: %s", rt->p.self,
		       rt->p.nr_nodes, strerror(-err));
		rt->t = NULL;
		return err;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = transport_event_fd(rt->t)};

	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		err = -errno;
		pr_err("DSM: cannot wait on the transport's event fd: %s", strerror(-err));
		transport_close(rt->t);
		rt->t = NULL;
	}
	return err;
}

void rt_free_queues(struct dsm_runtime *rt)
{
	rt_move_free(rt);
	while (rt->outbox) {
		struct rt_out *o = rt->outbox;

		rt->outbox = o->next;
		free(o);
	}
	while (rt->out_free) {
		struct rt_out *o = rt->out_free;

		rt->out_free = o->next;
		free(o);
	}
	free(rt->slots);
	rt->slots = NULL;
	free(rt->zero_page);
	rt->zero_page = NULL;
}
