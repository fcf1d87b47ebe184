// SPDX-License-Identifier: GPL-2.0-only
/* bench/dsm_floor.c — userfaultfd and transport floors (see bench/dsm_floor.h). */
#include "bench/dsm_floor.h"

#include "common/log.h"
#include "dsm/uffd.h"
#include "transport/transport.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG 4096u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct floor_handler {
	struct uffd u;
	bool busy, stop;
	char *src;
	int err;
};

static void *handler_main(void *arg)
{
	struct floor_handler *h = arg;
	struct uffd_fault f[16];

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		int n = uffd_read_faults(&h->u, f, 16);

		if (n < 0) {
			h->err = n;
			break;
		}
		if (!n && !h->busy) {
			struct pollfd p = {.fd = h->u.fd, .events = POLLIN};

			poll(&p, 1, 10);
			continue;
		}
		for (int i = 0; i < n; i++) {
			int r = f[i].wp ? uffd_wp(&h->u, f[i].addr, PG, false, false)
					: uffd_copy(&h->u, f[i].addr, h->src, PG, true, false);

			if (r == -EEXIST)
				r = uffd_wake(&h->u, f[i].addr, PG);
			if (r) {
				h->err = r;
				__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
			}
		}
	}
	return NULL;
}

int bench_uffd_floor(unsigned nr_faults, bool busy, bool wp, bool same_cpu, struct hist *out)
{
	size_t len = (size_t)nr_faults * PG;
	struct floor_handler h = {.busy = busy};
	cpu_set_t saved, one;
	bool pinned = false;
	pthread_t th;
	char *mem;
	int err;

	if (same_cpu && busy)
		return -EINVAL; /* a busy handler on the faulting thread's CPU never lets it run */
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	h.src = aligned_alloc(PG, PG);
	if (mem == MAP_FAILED || !h.src) {
		if (mem != MAP_FAILED)
			munmap(mem, len);
		free(h.src);
		return -ENOMEM;
	}
	memset(h.src, 0x5a, PG);
	if (same_cpu) { /* both threads on the CPU this one runs on now; restored below */
		int cpu = sched_getcpu();

		err = -EINVAL;
		if (cpu < 0 || sched_getaffinity(0, sizeof(saved), &saved))
			goto out;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			goto out;
		pinned = true; /* the handler thread inherits the mask */
	}
	err = uffd_open(&h.u, mem, len, true);
	if (err)
		goto out;
	if (wp) { /* populate writable, then write-protect everything */
		for (size_t off = 0; off < len && !err; off += PG)
			err = uffd_copy(&h.u, (uintptr_t)mem + off, h.src, PG, true, false);
		if (!err)
			err = uffd_wp(&h.u, (uintptr_t)mem, len, true, false);
		if (err)
			goto out_close;
	}
	err = -pthread_create(&th, NULL, handler_main, &h);
	if (err)
		goto out_close;
	for (unsigned i = 0; i < nr_faults && !h.err; i++) {
		volatile char *p = mem + (size_t)i * PG;
		uint64_t t0 = now_ns();

		if (wp)
			*p = 1;
		else
			(void)*p;
		hist_record(out, now_ns() - t0);
	}
	__atomic_store_n(&h.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	err = h.err;
out_close:
	uffd_close(&h.u);
out:
	munmap(mem, len);
	free(h.src);
	if (pinned && sched_setaffinity(0, sizeof(saved), &saved) && !err)
		err = -EINVAL;
	return err;
}

struct tp_floor {
	struct transport *t;
	uint32_t self;
	unsigned got;
	char *page;
	int down;
};

static void tp_on_msg(void *arg, uint32_t from, const void *msg, size_t len, const void *page)
{
	struct tp_floor *f = arg;

	f->got++;
	if (f->self == 1) { /* answer every request with one page */
		int r;

		while ((r = transport_send(f->t, from, msg, len, f->page)) == -EAGAIN)
			;
		if (r)
			f->down = 1;
	}
}

static void tp_on_down(void *arg, uint32_t node, const char *why)
{
	struct tp_floor *f = arg;

	pr_err("transport floor: %s", why);
	f->down = 1;
}

/* Drive the transport once; when blocking and idle, arm it and sleep on its fd. */
static void pump(struct tp_floor *f, int epfd, bool blocking)
{
	struct epoll_event ev;

	if (transport_progress(f->t) > 0 || !blocking)
		return;
	if (transport_arm(f->t) == 0)
		epoll_wait(epfd, &ev, 1, 100);
}

int bench_transport_floor(uint32_t self, const char *const addrs[2], const char *tls,
			  unsigned iters, bool blocking, struct hist *out)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int epfd;
	struct tp_floor f = {.self = self};
	struct transport_params p = {
	    .self = self,
	    .nr_nodes = 2,
	    .addrs = addrs,
	    .tls = tls,
	    .on_msg = tp_on_msg,
	    .on_peer_down = tp_on_down,
	    .arg = &f,
	    /* a loaded shared machine can stall a process for a second or more */
	    .peer_timeout_ms = 10000,
	};
	uint64_t req[2] = {0x666c6f6f72ull, 0};
	int err;

	f.page = aligned_alloc(PG, PG);
	if (!f.page)
		return -ENOMEM;
	memset(f.page, 0xa5, PG);
	err = transport_open(&p, &f.t);
	if (err) {
		free(f.page);
		return err;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = transport_event_fd(f.t);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		err = -errno;
		goto out;
	}
	if (self == 0) {
		for (unsigned i = 0; i < iters + 100 && !f.down; i++) {
			unsigned want = f.got + 1;
			uint64_t t0 = now_ns();

			req[1] = i;
			while ((err = transport_send(f.t, 1, req, sizeof(req), NULL)) == -EAGAIN)
				transport_progress(f.t);
			if (err)
				break;
			while (f.got < want && !f.down)
				pump(&f, epfd, blocking);
			if (i >= 100) /* the first 100 warm the path up */
				hist_record(out, now_ns() - t0);
		}
		/* tell node 1 we are done (req[0] = 0) and wait for its answer, so
		 * that it has everything before either side closes */
		req[0] = 0;
		if (!err && !f.down) {
			unsigned want = f.got + 1;

			err = transport_send(f.t, 1, req, sizeof(req), NULL);
			while (!err && f.got < want && !f.down)
				pump(&f, epfd, blocking);
			/* node 1 may be seen leaving before its last answer: done anyway */
			f.down = 0;
		}
	} else {
		/* answer until node 0 is done (it sends iters+100 requests then a stop) */
		while (f.got < iters + 101 && !f.down)
			pump(&f, epfd, blocking);
	}
out:
	if (epfd >= 0)
		close(epfd);
	transport_close(f.t);
	free(f.page);
	if (!err && f.down)
		err = -ENOTCONN;
	return err;
}
