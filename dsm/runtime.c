// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/runtime.c — the DSM service thread: userfaultfd + protocol + transport
 * in one event loop (see dsm/runtime.h and docs/dsm-runtime.md).
 */
#include "dsm/runtime.h"
#include "dsm/runtime_priv.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rt_fatal(struct dsm_runtime *rt, int err, const char *fmt, ...)
{
	va_list ap;
	unsigned failed = 0;

	if (__atomic_load_n(&rt->error, __ATOMIC_ACQUIRE))
		return;
	va_start(ap, fmt);
	vsnprintf(rt->why, sizeof(rt->why), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < rt->nr_slots; i++)
		failed += rt->slots[i].used;
	failed += rt->nr_held;
	metrics_add(&rt->metrics, DSM_C_FAULT_FAILED, failed);
	pr_err("DSM on node %u stopped: %s (%u fault%s pending, failed; no stale data was served)",
	       rt->p.self, rt->why, failed, failed == 1 ? "" : "s");
	pthread_mutex_lock(&rt->lock);
	__atomic_store_n(&rt->error, err ? err : -EIO, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
	if (rt->p.on_fatal)
		rt->p.on_fatal(rt->p.arg, err, rt->why);
}

static unsigned home_block(void *arg, uint64_t page)
{
	struct dsm_runtime *rt = arg;

	return (unsigned)(page * rt->p.nr_nodes / rt->nr_pages);
}

static unsigned home_trampoline(void *arg, uint64_t page)
{
	struct dsm_runtime *rt = arg;

	return rt->p.home_of ? rt->p.home_of(rt->p.arg, page) : home_block(rt, page);
}

/* ---- metrics ---------------------------------------------------------- */

void rt_sync_metrics(struct dsm_runtime *rt)
{
	const struct dsm_counters *c = dsm_proto_counters(rt->proto);
	struct dsm_metrics *m = &rt->metrics;
	struct transport_stats ts;

	metrics_set(m, DSM_C_FAULT_READ, c->faults_read);
	metrics_set(m, DSM_C_FAULT_WRITE, c->faults_write);
	metrics_set(m, DSM_C_FAULT_WP, c->faults_upgrade);
	metrics_set(m, DSM_C_FAULT_LOCAL, c->faults_local + c->faults_served_home);
	metrics_set(m, DSM_C_FAULT_HOME, c->faults_served_home);
	metrics_set(m, DSM_C_FAULT_REMOTE, c->faults_served_remote);
	metrics_set(m, DSM_C_REMOTE_FETCH, c->remote_fetches);
	metrics_set(m, DSM_C_INVAL_SENT, c->inv_sent);
	metrics_set(m, DSM_C_INVAL_RECV, c->inv_recv);
	metrics_set(m, DSM_C_MSG_SENT, c->msgs_sent);
	metrics_set(m, DSM_C_MSG_RECV, c->msgs_recv);
	metrics_set(m, DSM_C_BYTES_SENT, c->bytes_sent);
	metrics_set(m, DSM_C_BYTES_RECV, c->bytes_recv);
	metrics_set(m, DSM_C_PAGES_OWNED, c->pages_exclusive);
	if (rt->t) {
		transport_get_stats(rt->t, &ts);
		metrics_set(m, DSM_C_BAD_MSG, c->rejected_total + ts.rejected_total);
	} else {
		metrics_set(m, DSM_C_BAD_MSG, c->rejected_total);
	}
	rt->last_sync = rt->now;
}

/* ---- the event loop ---------------------------------------------------- */

static void check_timeouts(struct dsm_runtime *rt)
{
	uint64_t limit = (uint64_t)rt->fault_timeout_ms * 1000000ull;

	for (unsigned i = 0; i < rt->nr_slots; i++) {
		struct rt_slot *s = &rt->slots[i];

		if (s->used && rt->now - s->t0 > limit) {
			unsigned h = dsm_proto_home_hint(rt->proto, s->page);

			rt_fatal(rt, -ETIMEDOUT,
				 "%s fault on page 0x%llx (address %p) not served within %u ms "
				 "(its home is node %u%s)",
				 s->write ? "write" : "read", (unsigned long long)s->page,
				 (void *)(rt->base + s->page * DSM_PAGE_SIZE), rt->fault_timeout_ms,
				 h, h < DSM_MAX_NODES && rt->down[h] ? ", which is down" : "");
			return;
		}
	}
}

/* One pass of work. Returns how many things it did (0: idle). */
static int poll_once(struct dsm_runtime *rt)
{
	struct uffd_fault f[RT_BATCH];
	int did = 0, n, r;

	if (rt->outbox)
		did += rt_flush_outbox(rt);
	if (rt->nr_held && rt->retry_held)
		did += rt_retry_held(rt);
	if (!rt->nr_held && !rt->error) {
		n = uffd_read_faults(&rt->u, f, RT_BATCH);
		if (n < 0) {
			rt_fatal(rt, n, "reading the userfaultfd failed: %s", strerror(-n));
			return 0;
		}
		rt->now = rt_now_ns();
		for (int i = 0; i < n && !rt->error; i++)
			rt_handle_fault(rt, &f[i], rt->now);
		did += n;
	}
	if (rt->error)
		return did;
	r = transport_progress(rt->t);
	if (rt->outbox && !rt->error)
		did += rt_flush_outbox(rt);
	if (r < 0) {
		rt_fatal(rt, r, "the transport failed: %s", strerror(-r));
		return did;
	}
	return did + r;
}

static void drain_ctl(struct dsm_runtime *rt)
{
	uint64_t v;

	if (read(rt->ctl_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_warn("DSM: reading the control eventfd: %s", strerror(errno));
}

static void wait_for_stop(struct dsm_runtime *rt)
{
	struct epoll_event ev;

	/* Failed: serve nothing more (never stale data), wait for stop(). */
	while (!__atomic_load_n(&rt->stop, __ATOMIC_ACQUIRE)) {
		if (epoll_wait(rt->ctl_epfd, &ev, 1, 1000) > 0)
			drain_ctl(rt);
	}
}

static void rt_sleep(struct dsm_runtime *rt, struct epoll_event *ev, int max, int timeout_ms)
{
	int n = epoll_wait(rt->epfd, ev, max, timeout_ms);

	for (int i = 0; i < n; i++)
		if (ev[i].data.fd == rt->ctl_fd)
			drain_ctl(rt);
}

static void service_loop(struct dsm_runtime *rt)
{
	uint64_t spin_ns = (uint64_t)rt->p.spin_us * 1000ull, last_active, last_check;
	uint64_t pending_ns = (uint64_t)rt->p.spin_pending_us * 1000ull;
	uint64_t spin_min = spin_ns, spin_max = (uint64_t)rt->p.spin_max_us * 1000ull, t_sleep;
	struct epoll_event ev[4];

	rt->now = last_active = last_check = rt_now_ns();
	while (!__atomic_load_n(&rt->stop, __ATOMIC_ACQUIRE)) {
		int did = poll_once(rt);

		if (rt->error)
			break;
		rt->now = rt_now_ns();
		if (rt->tick_policy && rt->now - rt->last_tick >= 1000000ull) {
			int r = dsm_proto_tick(rt->proto, rt->now);

			rt_move_end_event(rt);
			rt->last_tick = rt->now;
			if (r && r != -EPROTO)
				rt_fatal(rt, r, "protocol tick failed: %s", strerror(-r));
		}
		if (rt->now - last_check >= 10000000ull) {
			last_check = rt->now;
			rt_sync_metrics(rt);
			check_timeouts(rt);
			if (rt->error)
				break;
		}
		if (did || rt->outbox || rt->nr_held) {
			last_active = rt->now;
			continue;
		}
		/* spin for the window after any activity; while a fault waits for
		 * a reply, for the longer pending window (the reply is near) */
		if (rt->now - last_active < (rt->nr_waiting ? pending_ns : spin_ns)) {
			metrics_inc(&rt->metrics, DSM_C_LOOP_SPIN);
			continue;
		}
		/* idle for the whole spin window: arm and sleep */
		rt_sync_metrics(rt);
		int r = transport_arm(rt->t);

		if (r == -EAGAIN)
			continue;
		if (r) {
			rt_fatal(rt, r, "arming the transport failed: %s", strerror(-r));
			break;
		}
		metrics_inc(&rt->metrics, DSM_C_LOOP_SLEEP);
		t_sleep = rt_now_ns();
		rt_sleep(rt, ev, 4, rt->nr_waiting ? 20 : 500);
		rt->now = last_active = rt_now_ns();
		/* Adaptive window (as KVM's halt polling): woken soon after going to
		 * sleep means polling a little longer would have saved the wake-up:
		 * grow the window; a long sleep means polling was wasted: shrink it. */
		if (spin_max > spin_min) {
			if (rt->now - t_sleep < spin_max)
				spin_ns = spin_ns * 2 > spin_max
					      ? spin_max
					      : (spin_ns < 10000 ? 10000 : spin_ns * 2);
			else
				spin_ns = spin_ns / 2 < spin_min ? spin_min : spin_ns / 2;
			metrics_set(&rt->metrics, DSM_C_SPIN_WINDOW, spin_ns);
		}
	}
	rt_sync_metrics(rt);
	if (rt->error)
		wait_for_stop(rt);
}

static void *service_main(void *arg)
{
	struct dsm_runtime *rt = arg;
	int err = rt_open_peers(rt);

	pthread_mutex_lock(&rt->lock);
	rt->start_err = err;
	rt->started = 1;
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
	if (err)
		return NULL;
	service_loop(rt);
	/* after a failure no goodbye: the peers see this node break, not leave
	 * cleanly */
	if (!rt->error)
		transport_close(rt->t);
	else
		transport_abandon(rt->t);
	rt->t = NULL;
	return NULL;
}

/* ---- owner's side ------------------------------------------------------- */

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_local(struct dsm_runtime *rt)
{
	int err;

	rt->base = mmap(NULL, rt->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rt->base == MAP_FAILED) {
		rt->base = NULL;
		err = -errno;
		pr_err("DSM: cannot map %zu bytes: %s", rt->size, strerror(-err));
		return err;
	}
	/* The coherence granule is the 4 KiB page: no transparent huge pages
	 * (khugepaged would collapse 512 pages of different states into one). */
	if (madvise(rt->base, rt->size, MADV_NOHUGEPAGE))
		pr_warn("DSM: madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	rt->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	err = uffd_open(&rt->u, rt->base, rt->size, rt->p.user_only);
	if (err) {
		if (err == -EPERM)
			pr_err("DSM: userfaultfd not allowed (needs root, CAP_SYS_PTRACE or "
			       "vm.unprivileged_userfaultfd=1)");
		else
			pr_err("DSM: userfaultfd with missing + write-protect faults: %s",
			       strerror(-err));
		return err;
	}
	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	rt->ctl_epfd = epoll_create1(EPOLL_CLOEXEC);
	rt->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rt->epfd < 0 || rt->ctl_epfd < 0 || rt->ctl_fd < 0)
		return -errno;
	if ((err = add_fd(rt->epfd, rt->u.fd)) || (err = add_fd(rt->epfd, rt->ctl_fd)) ||
	    (err = add_fd(rt->ctl_epfd, rt->ctl_fd)))
		return err;
	return rt_move_setup(rt);
}

int dsm_runtime_start(const struct dsm_runtime_params *p, struct dsm_runtime **out)
{
	struct dsm_runtime *rt;
	int err;

	if (!p || !p->nr_nodes || p->self >= p->nr_nodes || p->nr_nodes > DSM_MAX_NODES ||
	    !p->size || p->size % DSM_PAGE_SIZE || (p->nr_nodes > 1 && !p->addrs)) {
		pr_err("DSM: bad runtime parameters (node %u of %u, %zu bytes)", p ? p->self : 0,
		       p ? p->nr_nodes : 0, p ? p->size : 0);
		return -EINVAL;
	}
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	rt->p = *p;
	rt->size = p->size;
	rt->nr_pages = p->size / DSM_PAGE_SIZE;
	rt->fault_timeout_ms = p->fault_timeout_ms ? p->fault_timeout_ms : 10000;
	if (rt->p.spin_pending_us < rt->p.spin_us)
		rt->p.spin_pending_us = rt->p.spin_us;
	rt->epfd = rt->ctl_epfd = rt->ctl_fd = rt->pagemap_fd = -1;
	rt->u.fd = -1;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->cond, NULL);
	metrics_init(&rt->metrics, (int)p->self);
	metrics_set(&rt->metrics, DSM_C_SPIN_WINDOW, (uint64_t)rt->p.spin_us * 1000ull);
	rt->home_fn = home_trampoline;
	err = setup_local(rt);
	if (err)
		goto fail;
	if (p->metrics_path) {
		err = metrics_server_start(&rt->ms, p->metrics_path, &rt->metrics);
		if (err) {
			pr_err("DSM: metrics socket %s: %s", p->metrics_path, strerror(-err));
			goto fail;
		}
	}
	err = -pthread_create(&rt->thread, NULL, service_main, rt);
	if (err)
		goto fail;
	pthread_mutex_lock(&rt->lock);
	while (!rt->started)
		pthread_cond_wait(&rt->cond, &rt->lock);
	err = rt->start_err;
	pthread_mutex_unlock(&rt->lock);
	if (err) {
		pthread_join(rt->thread, NULL);
		goto fail;
	}
	rt->thread_running = true;
	*out = rt;
	return 0;
fail:
	dsm_runtime_stop(rt);
	return err;
}

void *dsm_runtime_base(const struct dsm_runtime *rt)
{
	return rt->base;
}

size_t dsm_runtime_size(const struct dsm_runtime *rt)
{
	return rt->size;
}

const struct dsm_metrics *dsm_runtime_metrics(const struct dsm_runtime *rt)
{
	return &rt->metrics;
}

int dsm_runtime_register_vcpu(struct dsm_runtime *rt, uint32_t vcpu, int32_t tid)
{
	return metrics_register_vcpu(&rt->metrics, vcpu, tid);
}

void dsm_runtime_quiesce(struct dsm_runtime *rt)
{
	__atomic_store_n(&rt->quiescing, true, __ATOMIC_RELEASE);
}

int dsm_runtime_error(const struct dsm_runtime *rt)
{
	return __atomic_load_n(&rt->error, __ATOMIC_ACQUIRE);
}

static void deadline(struct timespec *dl, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	if (timeout_ms >= 0) {
		dl->tv_sec += timeout_ms / 1000;
		dl->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl->tv_nsec >= 1000000000L) {
			dl->tv_sec++;
			dl->tv_nsec -= 1000000000L;
		}
	}
}

int dsm_runtime_wait_peers_gone(struct dsm_runtime *rt, int timeout_ms)
{
	struct timespec dl;
	int err = 0;

	deadline(&dl, timeout_ms);
	pthread_mutex_lock(&rt->lock);
	while (rt->nr_down + 1 < rt->p.nr_nodes && !rt->error) {
		if (pthread_cond_clockwait(&rt->cond, &rt->lock, CLOCK_MONOTONIC, &dl) ==
		    ETIMEDOUT) {
			err = rt->nr_down + 1 < rt->p.nr_nodes ? -ETIMEDOUT : 0;
			break;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return err;
}

int dsm_runtime_wait(struct dsm_runtime *rt, int timeout_ms)
{
	struct timespec dl;
	int err;

	deadline(&dl, timeout_ms);
	pthread_mutex_lock(&rt->lock);
	while (!(err = rt->error)) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&rt->cond, &rt->lock);
		} else if (pthread_cond_clockwait(&rt->cond, &rt->lock, CLOCK_MONOTONIC, &dl) ==
			   ETIMEDOUT) {
			err = rt->error;
			break;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return err;
}

void dsm_runtime_fence(struct dsm_runtime *rt)
{
	/*
	 * A thread woken from a fault retries the access: after a failure that
	 * would install a fresh zero page (a lost write, a stale read), and
	 * closing the userfaultfd wakes every waiter. Make the region
	 * inaccessible first, then wake them: each retry faults (SIGSEGV for a
	 * user access, -EFAULT from KVM_RUN for a vCPU), none sees a page.
	 */
	if (!rt || !rt->base || rt->fenced)
		return;
	if (mprotect(rt->base, rt->size, PROT_NONE))
		pr_err("DSM: mprotect(PROT_NONE) of the region: %s", strerror(errno));
	rt->fenced = true;
	if (rt->u.fd >= 0)
		uffd_wake(&rt->u, (uintptr_t)rt->base, rt->size);
}

void dsm_runtime_stop(struct dsm_runtime *rt)
{
	uint64_t one = 1;

	if (!rt)
		return;
	if (rt->thread_running) {
		__atomic_store_n(&rt->stop, true, __ATOMIC_RELEASE);
		if (write(rt->ctl_fd, &one, sizeof(one)) < 0)
			pr_warn("DSM: cannot wake the service thread: %s", strerror(errno));
		pthread_join(rt->thread, NULL);
	}
	metrics_server_stop(&rt->ms);
	/* closing the userfaultfd wakes the blocked threads: fenced first */
	dsm_runtime_fence(rt);
	uffd_close(&rt->u);
	if (rt->proto)
		dsm_proto_destroy(rt->proto);
	rt_free_queues(rt);
	if (rt->base)
		munmap(rt->base, rt->size);
	if (rt->epfd >= 0)
		close(rt->epfd);
	if (rt->ctl_epfd >= 0)
		close(rt->ctl_epfd);
	if (rt->ctl_fd >= 0)
		close(rt->ctl_fd);
	if (rt->pagemap_fd >= 0)
		close(rt->pagemap_fd);
	pthread_mutex_destroy(&rt->lock);
	pthread_cond_destroy(&rt->cond);
	free(rt);
}
