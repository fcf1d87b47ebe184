// SPDX-License-Identifier: GPL-2.0-only
/*
 * cluster/channel.c — the control channel's thread, its queue and the
 * start-up exchanges (see cluster/channel.h, docs/cluster.md).
 */
#include "cluster/channel.h"
#include "cluster/channel_priv.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/machine.h"

uint64_t cl_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void syscall_futex_wake(uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static void futex_wait_ms(uint32_t *addr, uint32_t old, unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, old, &ts, NULL, 0);
}

/* ---- the queue (any thread) -> the channel thread ---------------------- */

static void wake_thread(struct cluster *c)
{
	uint64_t one = 1;

	if (write(c->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("cluster: cannot wake the channel thread: %s", strerror(errno));
}

int cl_enqueue(struct cluster *c, uint32_t to, const struct cl_msg *m)
{
	struct cl_out *o;
	int ret = 0;

	if (to >= c->p.nr_nodes || to == c->p.self)
		return -EINVAL;
	pthread_mutex_lock(&c->qlock);
	while (c->qtail - c->qhead == CL_QUEUE && !c->thread_done)
		pthread_cond_wait(&c->qcond, &c->qlock);
	if (c->thread_done) {
		ret = -ENOTCONN;
	} else {
		o = &c->q[c->qtail % CL_QUEUE];
		o->to = to;
		o->len = (uint16_t)cl_encode(m, o->buf);
		c->qtail++;
	}
	pthread_mutex_unlock(&c->qlock);
	if (!ret)
		wake_thread(c);
	return ret;
}

/* Channel thread: send what is queued, in order. Returns how many. */
static int flush_queue(struct cluster *c)
{
	int sent = 0;

	for (;;) {
		struct cl_out *o;
		int r;

		pthread_mutex_lock(&c->qlock);
		if (c->qhead == c->qtail) {
			pthread_mutex_unlock(&c->qlock);
			return sent;
		}
		o = &c->q[c->qhead % CL_QUEUE];
		pthread_mutex_unlock(&c->qlock);
		/* only this thread advances qhead: o stays valid unlocked */
		if (c->down[o->to] || !c->t) {
			r = 0; /* gone: nobody to tell */
		} else {
			r = transport_send(c->t, o->to, o->buf, o->len, NULL);
			if (r == -EAGAIN)
				return sent;
			if (r == -ENOTCONN)
				r = 0; /* its down report follows */
			else if (r)
				pr_warn("cluster: sending %s to node %u: %s",
					cl_type_name(o->buf[0]), o->to, strerror(-r));
			else
				__atomic_add_fetch(&c->st.sent[o->buf[0] % CL_TYPE_MAX], 1,
						   __ATOMIC_RELAXED);
		}
		pthread_mutex_lock(&c->qlock);
		c->qhead++;
		pthread_cond_broadcast(&c->qcond);
		pthread_mutex_unlock(&c->qlock);
		sent++;
	}
}

/* Channel thread: send at once unless older messages wait. */
int cl_send_now(struct cluster *c, uint32_t to, const struct cl_msg *m)
{
	uint8_t buf[CL_MAX_LEN];
	size_t len;
	int r;

	pthread_mutex_lock(&c->qlock);
	bool empty = c->qhead == c->qtail;

	pthread_mutex_unlock(&c->qlock);
	if (!empty || !c->t)
		return cl_enqueue(c, to, m);
	len = cl_encode(m, buf);
	r = transport_send(c->t, to, buf, len, NULL);
	if (r == -EAGAIN)
		return cl_enqueue(c, to, m);
	if (!r)
		__atomic_add_fetch(&c->st.sent[m->type], 1, __ATOMIC_RELAXED);
	return r;
}

/* ---- the end ------------------------------------------------------------ */

/* Every waiter gives up: vCPUs waiting for I/O, barriers, start-up waits. */
static void cancel_waiters(struct cluster *c)
{
	__atomic_store_n(&c->cancel, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < c->p.nr_vcpus; i++)
		syscall_futex_wake(&c->io[i].done);
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Record the end; true for the first. Any thread. */
static bool set_ending(struct cluster *c, int status)
{
	bool first;

	pthread_mutex_lock(&c->lock);
	first = !c->ending;
	if (first) {
		c->ending = true;
		c->end_status = status;
	}
	pthread_mutex_unlock(&c->lock);
	return first;
}

void cluster_exit(struct cluster *c, int status, const char *why)
{
	struct cl_msg m = {.type = CL_EXIT};

	if (!set_ending(c, status))
		return;
	m.u.exit.status = status;
	snprintf(m.u.exit.why, sizeof(m.u.exit.why), "%s", why ? why : "");
	for (uint32_t n = 0; n < c->p.nr_nodes; n++)
		if (n != c->p.self)
			cl_enqueue(c, n, &m);
	cancel_waiters(c);
}

bool cluster_ending(const struct cluster *c)
{
	return __atomic_load_n(&c->ending, __ATOMIC_ACQUIRE);
}

/* Channel thread: the VM ends because of another node. */
void cl_end_by_peer(struct cluster *c, int status, const char *why)
{
	struct cl_msg m = {.type = CL_EXIT};

	if (!set_ending(c, status))
		return;
	/* tell the others too, before this node closes (a clean end must
	 * never look like a failure to a third node) */
	m.u.exit.status = status;
	snprintf(m.u.exit.why, sizeof(m.u.exit.why), "%s", why);
	for (uint32_t n = 0; n < c->p.nr_nodes; n++)
		if (n != c->p.self && !c->down[n])
			cl_enqueue(c, n, &m);
	cancel_waiters(c);
	if (c->p.ops && c->p.ops->exit)
		c->p.ops->exit(c->p.arg, status, why);
}

static void on_peer_down(void *arg, uint32_t node, const char *why)
{
	struct cluster *c = arg;
	char buf[CL_WHY_LEN + 64];

	if (node >= CL_MAX_NODES)
		return;
	c->down[node] = true;
	pthread_mutex_lock(&c->lock);
	c->nr_down++;
	if (!c->down_why[0])
		snprintf(c->down_why, sizeof(c->down_why), "%s", why);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (cluster_ending(c)) {
		pr_debug("cluster: %s (the VM is ending)", why);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", why);
	pr_err("cluster: %s: the VM cannot go on without it", why);
	cl_end_by_peer(c, VM_STATUS_ERROR, buf);
}

/* ---- the thread ---------------------------------------------------------- */

static void *channel_main(void *arg)
{
	struct cluster *c = arg;
	struct transport_params tp = {
	    .self = c->p.self,
	    .nr_nodes = c->p.nr_nodes,
	    .addrs = c->p.addrs,
	    .tls = c->p.fabric,
	    .on_msg = cl_on_msg,
	    .on_peer_down = on_peer_down,
	    .arg = c,
	    .heartbeat_ms = c->p.heartbeat_ms,
	    .peer_timeout_ms = c->p.peer_timeout_ms,
	    .connect_timeout_ms = c->p.connect_timeout_ms,
	};
	uint64_t spin = (uint64_t)(c->p.spin_us ? c->p.spin_us : 50) * 1000ull, last;
	int err = transport_open(&tp, &c->t);

	pthread_mutex_lock(&c->lock);
	c->open_err = err;
	c->opened = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (!err && transport_event_fd(c->t) >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = transport_event_fd(c->t)};

		epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	last = cl_now_ns(CLOCK_MONOTONIC);
	while (!err && !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		int n = transport_progress(c->t), r;
		struct epoll_event ev[2];

		if (n < 0) {
			pr_err("cluster: the control transport failed: %s", strerror(-n));
			cl_end_by_peer(c, VM_STATUS_ERROR, "the control transport failed");
			break;
		}
		n += flush_queue(c);
		if (n) {
			last = cl_now_ns(CLOCK_MONOTONIC);
			continue;
		}
		if (cl_now_ns(CLOCK_MONOTONIC) - last < spin)
			continue;
		r = transport_arm(c->t);
		if (r == -EAGAIN)
			continue;
		if (r) {
			pr_err("cluster: arming the control transport: %s", strerror(-r));
			break;
		}
		pthread_mutex_lock(&c->qlock);
		bool queued = c->qhead != c->qtail;

		pthread_mutex_unlock(&c->qlock);
		if (queued)
			continue;
		n = epoll_wait(c->epfd, ev, 2, 100);
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == c->evfd) {
				uint64_t v;

				if (read(c->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					pr_warn("cluster: reading the eventfd: %s",
						strerror(errno));
			}
		last = cl_now_ns(CLOCK_MONOTONIC);
	}
	if (c->t) {
		/* what is queued (the EXIT) leaves before the transport closes */
		uint64_t until = cl_now_ns(CLOCK_MONOTONIC) + 500000000ull;

		while (cl_now_ns(CLOCK_MONOTONIC) < until) {
			pthread_mutex_lock(&c->qlock);
			bool empty = c->qhead == c->qtail;

			pthread_mutex_unlock(&c->qlock);
			if (empty)
				break;
			transport_progress(c->t);
			flush_queue(c);
		}
		transport_close(c->t);
		c->t = NULL;
	}
	pthread_mutex_lock(&c->qlock);
	c->thread_done = true;
	pthread_cond_broadcast(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
	cancel_waiters(c);
	return NULL;
}

/* ---- start-up ------------------------------------------------------------ */

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wait (c->lock held) until @done(c) or the deadline/cancel. 0, -ETIMEDOUT,
 * -ECANCELED. */
static int wait_until(struct cluster *c, bool (*done)(struct cluster *c), unsigned ms)
{
	struct timespec dl;

	deadline_after(&dl, ms);
	while (!done(c)) {
		if (__atomic_load_n(&c->cancel, __ATOMIC_ACQUIRE))
			return -ECANCELED;
		if (pthread_cond_clockwait(&c->cond, &c->lock, CLOCK_MONOTONIC, &dl) == ETIMEDOUT)
			return done(c) ? 0 : -ETIMEDOUT;
	}
	return 0;
}

static bool all_hellos(struct cluster *c)
{
	return c->nr_hellos + 1 >= c->p.nr_nodes || c->start_err;
}

static bool all_pongs(struct cluster *c)
{
	return c->pongs >= CL_PINGS;
}

static int measure_clock(struct cluster *c)
{
	struct cl_msg m = {.type = CL_PING};
	int err;

	for (uint32_t i = 0; i < CL_PINGS; i++) {
		m.u.ping.seq = i;
		m.u.ping.t1 = cl_now_ns(CLOCK_REALTIME);
		err = cl_enqueue(c, c->p.io_node, &m);
		if (err)
			return err;
		usleep(2000);
	}
	pthread_mutex_lock(&c->lock);
	err = wait_until(c, all_pongs, 5000);
	pthread_mutex_unlock(&c->lock);
	if (err) {
		pr_err("cluster: node %u did not answer the clock measurement (%u of %u pongs)",
		       c->p.io_node, c->pongs, CL_PINGS);
		return err;
	}
	pr_info("cluster: node %u: clock offset to node %u measured %+lld ns +- %llu ns (best "
		"round trip of %u); applied %+lld ns%s",
		c->p.self, c->p.io_node, (long long)c->offset_raw_ns,
		(unsigned long long)c->best_rtt / 2, CL_PINGS, (long long)c->offset_ns,
		c->offset_ns ? "" : " (the clocks agree within the measurement's error)");
	return 0;
}

int cluster_start(const struct cluster_params *p, struct cluster **out)
{
	struct cl_msg hello = {.type = CL_HELLO};
	struct cluster *c;
	int err;

	if (!p || p->nr_nodes < 2 || p->nr_nodes > CL_MAX_NODES || p->self >= p->nr_nodes ||
	    p->io_node >= p->nr_nodes || !p->nr_vcpus || !p->addrs || !p->ops) {
		pr_err("cluster: bad parameters");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->p = *p;
	c->lim = (struct cl_limits){.nr_nodes = p->nr_nodes, .nr_vcpus = p->nr_vcpus};
	c->best_rtt = UINT64_MAX;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	c->io = calloc(p->nr_vcpus, sizeof(c->io[0]));
	c->q = calloc(CL_QUEUE, sizeof(c->q[0]));
	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!c->io || !c->q || c->evfd < 0 || c->epfd < 0) {
		err = -ENOMEM;
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->evfd};

	epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->evfd, &ev);
	err = -pthread_create(&c->thread, NULL, channel_main, c);
	if (err)
		goto fail;
	c->thread_up = true;
	pthread_mutex_lock(&c->lock);
	while (!c->opened)
		pthread_cond_wait(&c->cond, &c->lock);
	err = c->open_err;
	pthread_mutex_unlock(&c->lock);
	if (err) {
		pr_err("cluster: node %u: the control channel did not come up: %s", p->self,
		       strerror(-err));
		goto fail;
	}
	hello.u.hello = (struct cl_hello){.node = p->self,
					  .nr_nodes = p->nr_nodes,
					  .nr_vcpus = p->nr_vcpus,
					  .ram_bytes = p->ram_bytes,
					  .config_hash = p->config_hash};
	for (uint32_t n = 0; n < p->nr_nodes; n++)
		if (n != p->self && (err = cl_enqueue(c, n, &hello)))
			goto fail;
	pthread_mutex_lock(&c->lock);
	err = wait_until(c, all_hellos, 10000);
	if (!err)
		err = c->start_err;
	pthread_mutex_unlock(&c->lock);
	if (err) {
		if (err == -ETIMEDOUT)
			pr_err("cluster: node %u: not every node introduced itself within 10 s",
			       p->self);
		goto fail;
	}
	if (p->self != p->io_node && (err = measure_clock(c)))
		goto fail;
	*out = c;
	return 0;
fail:
	cluster_stop(c);
	return err;
}

static bool barrier_done(struct cluster *c)
{
	for (uint32_t n = 0; n < c->p.nr_nodes; n++)
		if (n != c->p.self && c->phase[n] < c->want_phase)
			return false;
	return true;
}

int cluster_barrier(struct cluster *c, uint32_t phase, unsigned timeout_ms)
{
	struct cl_msg m = {.type = CL_READY};
	char who[256] = "";
	size_t off = 0;
	int err;

	m.u.ready.phase = phase;
	for (uint32_t n = 0; n < c->p.nr_nodes; n++)
		if (n != c->p.self && (err = cl_enqueue(c, n, &m)))
			return err;
	pthread_mutex_lock(&c->lock);
	c->want_phase = phase;
	err = wait_until(c, barrier_done, timeout_ms);
	if (err == -ETIMEDOUT)
		for (uint32_t n = 0; n < c->p.nr_nodes && off < sizeof(who); n++)
			if (n != c->p.self && c->phase[n] < phase)
				off += (size_t)snprintf(who + off, sizeof(who) - off, "%s%u",
							off ? ", " : "", n);
	pthread_mutex_unlock(&c->lock);
	if (err == -ETIMEDOUT)
		pr_err("cluster: start-up step %u: node(s) %s did not arrive within %u ms", phase,
		       who, timeout_ms);
	else if (err)
		err = -ENOTCONN;
	return err;
}

void cluster_clock_offset(const struct cluster *c, int64_t *offset_ns, uint64_t *rtt_ns)
{
	*offset_ns = c->p.self == c->p.io_node ? 0 : c->offset_ns;
	*rtt_ns = c->p.self == c->p.io_node ? 0 : c->best_rtt;
}

int cluster_send_busmap(struct cluster *c, const struct cl_range *r, unsigned n)
{
	unsigned done = 0;
	int err;

	do {
		struct cl_msg m = {.type = CL_BUSMAP};
		unsigned k = n - done > CL_BUSMAP_MAX ? CL_BUSMAP_MAX : n - done;

		m.u.busmap.count = (uint16_t)k;
		m.u.busmap.last = done + k == n;
		memcpy(m.u.busmap.r, r + done, k * sizeof(*r));
		for (uint32_t node = 0; node < c->p.nr_nodes; node++)
			if (node != c->p.self && (err = cl_enqueue(c, node, &m)))
				return err;
		done += k;
	} while (done < n);
	return 0;
}

static bool busmap_done(struct cluster *c)
{
	return c->busmap_done;
}

int cluster_wait_busmap(struct cluster *c, struct cl_range **r, unsigned *n, unsigned timeout_ms)
{
	int err;

	pthread_mutex_lock(&c->lock);
	err = wait_until(c, busmap_done, timeout_ms);
	if (!err) {
		*r = c->busmap;
		*n = c->busmap_n;
		c->busmap = NULL;
		c->busmap_n = 0;
	}
	pthread_mutex_unlock(&c->lock);
	if (err == -ETIMEDOUT)
		pr_err("cluster: node %u did not send its device ranges within %u ms", c->p.io_node,
		       timeout_ms);
	return err;
}

int cluster_send_clock(struct cluster *c, const struct cl_clock *k)
{
	struct cl_msg m = {.type = CL_CLOCK};
	int err;

	m.u.clock = *k;
	for (uint32_t n = 0; n < c->p.nr_nodes; n++)
		if (n != c->p.self && (err = cl_enqueue(c, n, &m)))
			return err;
	return 0;
}

static bool clock_done(struct cluster *c)
{
	return c->clock_set;
}

int cluster_wait_clock(struct cluster *c, struct cl_clock *k, unsigned timeout_ms)
{
	int err;

	pthread_mutex_lock(&c->lock);
	err = wait_until(c, clock_done, timeout_ms);
	if (!err)
		*k = c->clock;
	pthread_mutex_unlock(&c->lock);
	if (err == -ETIMEDOUT)
		pr_err("cluster: node %u did not send the guest's time base within %u ms",
		       c->p.io_node, timeout_ms);
	return err;
}

/* ---- forwarded I/O and interrupts ----------------------------------------- */

int cluster_io(struct cluster *c, uint32_t cpu, unsigned bus, uint64_t addr, void *data,
	       uint32_t len, bool is_write)
{
	struct cl_msg m = {.type = CL_IO_REQ};
	struct cl_io_slot *s;
	uint32_t seq;
	uint64_t t0 = cl_now_ns(CLOCK_MONOTONIC);
	int err;

	if (cpu >= c->p.nr_vcpus || len > 8 || !len)
		return -EINVAL;
	s = &c->io[cpu];
	seq = ++s->seq;
	m.u.io_req = (struct cl_io_req){
	    .cpu = cpu, .bus = (uint8_t)bus, .len = (uint8_t)len, .is_write = is_write, .seq = seq};
	m.u.io_req.addr = addr;
	if (is_write)
		memcpy(m.u.io_req.data, data, len);
	err = cl_enqueue(c, c->p.io_node, &m);
	if (err)
		return err;
	while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) != seq) {
		if (__atomic_load_n(&c->cancel, __ATOMIC_ACQUIRE))
			return -ECANCELED;
		futex_wait_ms(&s->done, seq - 1, 100);
	}
	if (!is_write)
		memcpy(data, s->data, len);
	__atomic_add_fetch(&c->st.io_forwarded, 1, __ATOMIC_RELAXED);
	if (bus == CL_BUS_MMIO)
		__atomic_add_fetch(&c->st.io_forwarded_mmio, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->st.io_round_trip_ns, cl_now_ns(CLOCK_MONOTONIC) - t0,
			   __ATOMIC_RELAXED);
	return s->err;
}

int cluster_send_irq(struct cluster *c, uint32_t node, const struct cl_irq *irq)
{
	struct cl_msg m = {.type = CL_IRQ};

	m.u.irq = *irq;
	return cl_enqueue(c, node, &m);
}

int cluster_send_eoi(struct cluster *c, uint8_t vector)
{
	struct cl_msg m = {.type = CL_EOI};

	m.u.eoi.vector = vector;
	return cl_enqueue(c, c->p.io_node, &m);
}

int cluster_send(struct cluster *c, uint32_t node, const struct cl_msg *m)
{
	return cl_enqueue(c, node, m);
}

void cluster_get_stats(const struct cluster *c, struct cluster_stats *s)
{
	const uint64_t *src = (const uint64_t *)&c->st;
	uint64_t *dst = (uint64_t *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void cluster_stop(struct cluster *c)
{
	if (!c)
		return;
	if (c->thread_up) {
		if (!cluster_ending(c) && c->t)
			cluster_exit(c, VM_STATUS_ERROR, "its ssivm stopped");
		__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
		wake_thread(c);
		pthread_join(c->thread, NULL);
	}
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->epfd >= 0)
		close(c->epfd);
	free(c->busmap);
	free(c->io);
	free(c->q);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
	free(c);
}
