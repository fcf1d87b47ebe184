// SPDX-License-Identifier: GPL-2.0-only
/*
 * cluster/channel_recv.c — what arrives on the control channel: decoded and
 * checked (cluster/msg.h), then checked against who may send it now, then
 * acted on. Channel thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/channel_priv.h"
#include "common/log.h"

/* A message refused: counted, logged (the first ten, then every 1000th). */
static void reject(struct cluster *c, uint32_t from, unsigned type, unsigned reason,
		   const char *what)
{
	uint64_t n = __atomic_add_fetch(&c->st.rejected, 1, __ATOMIC_RELAXED);

	if (reason < CL_REJ_NR)
		__atomic_add_fetch(&c->st.rejected_by[reason], 1, __ATOMIC_RELAXED);
	if (n <= 10 || n % 1000 == 0)
		pr_warn("cluster: refused a %s message from node %u: %s (%llu refused so far)",
			cl_type_name(type), from, what ? what : cl_reject_name(reason),
			(unsigned long long)n);
}

static uint32_t vcpu_node(const struct cluster *c, uint32_t cpu)
{
	return c->p.vcpu_node ? __atomic_load_n(&c->p.vcpu_node[cpu], __ATOMIC_ACQUIRE)
			      : UINT32_MAX;
}

static void on_hello(struct cluster *c, uint32_t from, const struct cl_hello *h)
{
	const char *what = NULL;

	if (h->node != from)
		what = "it names another node than the one it came from";
	else if (h->nr_nodes != c->p.nr_nodes)
		what = "another number of nodes";
	else if (h->nr_vcpus != c->p.nr_vcpus)
		what = "another number of vCPUs";
	else if (h->ram_bytes != c->p.ram_bytes)
		what = "another amount of guest RAM";
	else if (h->config_hash != c->p.config_hash)
		what = "another configuration (its hash differs)";
	pthread_mutex_lock(&c->lock);
	if (what) {
		pr_err("cluster: node %u runs %s than node %u (nodes %u/%u, vCPUs %u/%u, RAM "
		       "%llu/%llu MiB, configuration %016llx/%016llx): every node must run "
		       "the same configuration",
		       from, what, c->p.self, h->nr_nodes, c->p.nr_nodes, h->nr_vcpus,
		       c->p.nr_vcpus, (unsigned long long)(h->ram_bytes >> 20),
		       (unsigned long long)(c->p.ram_bytes >> 20),
		       (unsigned long long)h->config_hash, (unsigned long long)c->p.config_hash);
		c->start_err = -EPROTO;
	} else if (!c->hello_seen[from]) {
		c->hello_seen[from] = true;
		c->nr_hellos++;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_busmap(struct cluster *c, uint32_t from, const struct cl_busmap *b)
{
	struct cl_range *r;

	if (from != c->p.io_node || c->p.self == c->p.io_node || c->busmap_done) {
		reject(c, from, CL_BUSMAP, CL_REJ_FIELD, "not expected from that node now");
		return;
	}
	pthread_mutex_lock(&c->lock);
	r = realloc(c->busmap, (c->busmap_n + b->count) * sizeof(*r) + 1);
	if (r) {
		memcpy(r + c->busmap_n, b->r, b->count * sizeof(*r));
		c->busmap = r;
		c->busmap_n += b->count;
	} else {
		pr_err("cluster: no memory for the device ranges");
	}
	c->busmap_done = b->last;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_io_req(struct cluster *c, uint32_t from, const struct cl_io_req *q)
{
	struct cl_msg m = {.type = CL_IO_RESP};
	uint32_t owner = vcpu_node(c, q->cpu);
	int err;

	if (c->p.self != c->p.io_node || !c->p.ops->io) {
		reject(c, from, CL_IO_REQ, CL_REJ_FIELD, "this node runs no devices");
		return;
	}
	if (owner != UINT32_MAX && owner != from) {
		reject(c, from, CL_IO_REQ, CL_REJ_VCPU, "that vCPU does not run on that node");
		return;
	}
	m.u.io_resp.cpu = q->cpu;
	m.u.io_resp.seq = q->seq;
	memcpy(m.u.io_resp.data, q->data, sizeof(q->data));
	err =
	    c->p.ops->io(c->p.arg, q->cpu, q->bus, q->addr, m.u.io_resp.data, q->len, q->is_write);
	m.u.io_resp.err = err > 0 ? 0 : err;
	if (q->is_write)
		memset(m.u.io_resp.data, 0, sizeof(m.u.io_resp.data));
	__atomic_add_fetch(&c->st.io_served, 1, __ATOMIC_RELAXED);
	if (q->bus == CL_BUS_MMIO)
		__atomic_add_fetch(&c->st.io_served_mmio, 1, __ATOMIC_RELAXED);
	cl_send_now(c, from, &m);
}

static void on_io_resp(struct cluster *c, uint32_t from, const struct cl_io_resp *r)
{
	struct cl_io_slot *s = &c->io[r->cpu];

	if (from != c->p.io_node || r->seq != __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&s->done, __ATOMIC_ACQUIRE) == r->seq) {
		reject(c, from, CL_IO_RESP, CL_REJ_FIELD, "an answer nobody waits for");
		return;
	}
	s->err = r->err;
	memcpy(s->data, r->data, sizeof(s->data));
	__atomic_store_n(&s->done, r->seq, __ATOMIC_RELEASE);
	syscall_futex_wake(&s->done);
}

static void on_pong(struct cluster *c, uint32_t from, const struct cl_pong *p)
{
	uint64_t t4 = cl_now_ns(CLOCK_REALTIME);
	int64_t rtt = (int64_t)(t4 - p->t1) - (int64_t)(p->t3 - p->t2);

	if (from != c->p.io_node || p->t1 > t4 || p->t3 < p->t2 || rtt < 0) {
		reject(c, from, CL_PONG, CL_REJ_FIELD, "inconsistent timestamps");
		return;
	}
	pthread_mutex_lock(&c->lock);
	if ((uint64_t)rtt < c->best_rtt) {
		/* the I/O node's clock minus ours is ((t2 - t1) + (t3 - t4)) / 2,
		 * within +-rtt/2 (the two directions' delays are not known apart) */
		int64_t theirs = ((int64_t)(p->t2 - p->t1) + (int64_t)(p->t3 - t4)) / 2;

		c->best_rtt = (uint64_t)rtt;
		c->offset_raw_ns = -theirs;
		/* an estimate whose error interval holds 0 says the clocks already
		 * agree as well as this can tell (same host, NTP/PTP): keep them */
		c->offset_ns = (theirs < 0 ? -theirs : theirs) <= rtt / 2 ? 0 : -theirs;
	}
	c->pongs++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void cl_on_msg(void *arg, uint32_t from, const void *buf, size_t len, const void *page)
{
	struct cluster *c = arg;
	uint64_t t_recv = cl_now_ns(CLOCK_REALTIME);
	unsigned reason = 0;
	struct cl_msg m, r;

	if (from >= c->p.nr_nodes || from == c->p.self)
		return;
	if (page || cl_decode(buf, len, &c->lim, &m, &reason)) {
		reject(c, from, len ? ((const uint8_t *)buf)[0] : 0, page ? CL_REJ_LENGTH : reason,
		       page ? "a page attached" : NULL);
		return;
	}
	__atomic_add_fetch(&c->st.recv[m.type], 1, __ATOMIC_RELAXED);
	switch (m.type) {
	case CL_HELLO:
		on_hello(c, from, &m.u.hello);
		break;
	case CL_READY:
		pthread_mutex_lock(&c->lock);
		if (m.u.ready.phase > c->phase[from])
			c->phase[from] = m.u.ready.phase;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
		break;
	case CL_BUSMAP:
		on_busmap(c, from, &m.u.busmap);
		break;
	case CL_IO_REQ:
		on_io_req(c, from, &m.u.io_req);
		break;
	case CL_IO_RESP:
		on_io_resp(c, from, &m.u.io_resp);
		break;
	case CL_IRQ:
		if (vcpu_node(c, m.u.irq.dest) != UINT32_MAX &&
		    vcpu_node(c, m.u.irq.dest) != c->p.self) {
			reject(c, from, CL_IRQ, CL_REJ_VCPU, "that vCPU does not run here");
			break;
		}
		if (c->p.ops->irq)
			c->p.ops->irq(c->p.arg, &m.u.irq);
		break;
	case CL_EOI:
		if (c->p.self != c->p.io_node) {
			reject(c, from, CL_EOI, CL_REJ_FIELD, "this node runs no IOAPIC");
			break;
		}
		if (c->p.ops->eoi)
			c->p.ops->eoi(c->p.arg, m.u.eoi.vector);
		break;
	case CL_EXIT: {
		char why[CL_WHY_LEN + 32];

		snprintf(why, sizeof(why), "node %u: %s", from, m.u.exit.why);
		cl_end_by_peer(c, m.u.exit.status, why);
		break;
	}
	case CL_PING:
		r = (struct cl_msg){.type = CL_PONG};
		r.u.pong.t1 = m.u.ping.t1;
		r.u.pong.t2 = t_recv;
		r.u.pong.seq = m.u.ping.seq;
		r.u.pong.t3 = cl_now_ns(CLOCK_REALTIME);
		cl_send_now(c, from, &r);
		break;
	case CL_PONG:
		on_pong(c, from, &m.u.pong);
		break;
	case CL_CLOCK:
		if (from != c->p.io_node) {
			reject(c, from, CL_CLOCK, CL_REJ_NODE, "only the I/O node sets the time");
			break;
		}
		pthread_mutex_lock(&c->lock);
		c->clock = m.u.clock;
		c->clock_set = true;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
		break;
	case CL_VCPU_STATE:
		if (c->p.ops->vcpu_state)
			c->p.ops->vcpu_state(c->p.arg, from, &m.u.state);
		else
			reject(c, from, CL_VCPU_STATE, CL_REJ_TYPE, "not expected");
		break;
	case CL_VCPU_MOVED:
		if (c->p.ops->vcpu_moved)
			c->p.ops->vcpu_moved(c->p.arg, from, m.u.moved.cpu, m.u.moved.node);
		break;
	}
}
