// SPDX-License-Identifier: GPL-2.0-only
/* cluster/node.c — one node of a guest spanning hosts (see cluster/node.h). */
#include "cluster/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/channel.h"
#include "common/log.h"
#include "dsm/metrics.h"
#include "dsm/runtime.h"
#include "irq/irq.h"
#include "irq/lapic.h"
#include "obs/http.h"
#include "platform/memmap.h"

#define START_TIMEOUT_MS 60000 /* busmap, clock, barriers */
#define PHASE_READY 1          /* every node set its clocks: run */
#define LEAVE_TIMEOUT_MS 3000

struct span_node {
	const struct ssivm_config *cfg;
	uint32_t self, nr_hosts;
	struct memmap map;
	uint32_t vcpu_node[SSIVM_MAX_VCPUS];
	struct dsm_runtime *dsm;
	struct cluster *cl;
	struct vm *vm; /* set before anything can call back into it */
	struct vm_span span;
	int dsm_failed; /* atomic */
	/* the guest's time base */
	uint64_t epoch_ns;
	uint32_t tsc_khz;
	int64_t offset_ns; /* this node's CLOCK_REALTIME minus node 0's */
};

int span_host_addr(const struct ssivm_config *cfg, uint32_t h, bool control, char *buf, size_t size)
{
	const char *a = h < cfg->cluster.nr_addrs ? cfg->cluster.addrs[h] : NULL;
	const char *colon = a ? strrchr(a, ':') : NULL;
	unsigned long port;

	if (!a)
		return -EINVAL;
	/* "[v6]" has colons inside the brackets: the port comes after "]:" */
	if (colon && a[0] == '[' && (colon < strchr(a, ']')))
		colon = NULL;
	if (colon) {
		char *end;

		port = strtoul(colon + 1, &end, 10);
		if (*end || !port || port > 65534)
			return -EINVAL;
		snprintf(buf, size, "%.*s:%lu", (int)(colon - a), a, port + (control ? 1 : 0));
	} else {
		port = config_cluster_port(cfg) + 2 * h + (control ? 1 : 0);
		snprintf(buf, size, "%s:%lu", a, port);
	}
	return 0;
}

/* ---- the DSM ------------------------------------------------------------ */

static unsigned home_of(void *arg, uint64_t page)
{
	struct span_node *n = arg;
	uint64_t off = page * 4096;
	uint32_t lo = 0, hi = n->map.nr_ranges;

	/* ranges are in RAM-offset order */
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (n->map.ranges[mid].ram_offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return n->cfg->nodes[n->map.ranges[lo].node].host;
}

static void on_dsm_fatal(void *arg, int err, const char *why)
{
	struct span_node *n = arg;

	__atomic_store_n(&n->dsm_failed, 1, __ATOMIC_RELEASE);
	pr_err("the guest's memory failed on node %u: %s; stopping every node", n->self, why);
	if (n->vm)
		vm_request_exit(n->vm, VM_STATUS_ERROR);
	else if (n->cl)
		cluster_exit(n->cl, VM_STATUS_ERROR, why);
	/* vCPUs blocked on pages that will never come fault now, not later */
	dsm_runtime_fence(n->dsm);
}

static int start_dsm(struct span_node *n)
{
	char addr[SSIVM_MAX_HOSTS][300];
	const char *addrs[SSIVM_MAX_HOSTS];
	const struct cluster_config *cl = &n->cfg->cluster;
	struct dsm_runtime_params p = {
	    .self = n->self,
	    .nr_nodes = n->nr_hosts,
	    .addrs = addrs,
	    .tls = cl->fabric,
	    .size = n->map.ram_bytes,
	    .home_of = home_of,
	    .spin_us = cl->spin_us ? cl->spin_us : 50,
	    .spin_max_us = 1000,
	    .heartbeat_ms = cl->heartbeat_ms,
	    .peer_timeout_ms = cl->peer_timeout_ms,
	    .connect_timeout_ms = cl->connect_timeout_ms,
	    .user_only = false, /* KVM's own accesses to guest RAM are served too */
	    .on_fatal = on_dsm_fatal,
	    .arg = n,
	};

	for (uint32_t h = 0; h < n->nr_hosts; h++) {
		span_host_addr(n->cfg, h, false, addr[h], sizeof(addr[h]));
		addrs[h] = addr[h];
	}
	dsm_policy_defaults(&p.policy);
	if (cl->dsm_policy && dsm_policy_parse(&p.policy, cl->dsm_policy))
		return -EINVAL;
	return dsm_runtime_start(&p, &n->dsm);
}

/* ---- the control channel's callbacks (channel thread) -------------------- */

static int ch_io(void *arg, uint32_t cpu, unsigned bus, uint64_t addr, void *data, uint32_t len,
		 bool is_write)
{
	struct span_node *n = arg;
	struct machine *m;

	if (!n->vm)
		return -EAGAIN;
	m = vm_machine(n->vm);
	return io_bus_access(bus == CL_BUS_MMIO ? m->mmio : m->pio, cpu, addr, data, len, is_write)
		   ? 0
		   : -EIO;
}

static void ch_irq(void *arg, const struct cl_irq *q)
{
	struct span_node *n = arg;
	struct irq_msg m = {
	    .dest = q->dest, .vector = q->vector, .delivery = q->delivery, .level = q->level};
	int ret;

	if (!n->vm)
		return;
	if (q->delivery != IRQ_DM_FIXED && q->delivery != IRQ_DM_LOWEST)
		pr_info("vCPU %u: %s from another node", q->dest, irq_dm_name(q->delivery));
	ret = irq_deliver(n->vm, &m);
	if (ret && ret != -ENOENT)
		pr_warn("an interrupt from another node for vCPU %u could not be injected: %s",
			q->dest, strerror(-ret));
}

static void ch_eoi(void *arg, uint8_t vector)
{
	struct span_node *n = arg;

	if (n->vm)
		ioapic_eoi(n->vm, vector);
}

static void ch_exit(void *arg, int status, const char *why)
{
	struct span_node *n = arg;

	if (status == VM_STATUS_ERROR)
		pr_err("stopping: %s", why);
	else
		pr_info("the guest ended (%s): status %d", why, status);
	if (n->vm)
		vm_end_by_peer(n->vm, status);
}

static void ch_vcpu_moved(void *arg, uint32_t from, uint32_t cpu, uint32_t node)
{
	struct span_node *n = arg;

	if (node != from) /* only the node that runs a vCPU announces it */
		return;
	__atomic_store_n(&n->vcpu_node[cpu], node, __ATOMIC_RELEASE);
	if (n->vm)
		irq_vcpu_online(n->vm, cpu);
}

static const struct cluster_ops ch_ops = {
    .io = ch_io,
    .irq = ch_irq,
    .eoi = ch_eoi,
    .exit = ch_exit,
    .vcpu_moved = ch_vcpu_moved,
};

static int start_channel(struct span_node *n)
{
	char addr[SSIVM_MAX_HOSTS][300];
	const char *addrs[SSIVM_MAX_HOSTS];
	const struct cluster_config *cl = &n->cfg->cluster;
	struct cluster_params p = {
	    .self = n->self,
	    .nr_nodes = n->nr_hosts,
	    .nr_vcpus = n->cfg->nr_vcpus,
	    .io_node = 0,
	    .addrs = addrs,
	    .fabric = cl->fabric,
	    .ram_bytes = n->map.ram_bytes,
	    .config_hash = config_hash(n->cfg),
	    .connect_timeout_ms = cl->connect_timeout_ms,
	    .heartbeat_ms = cl->heartbeat_ms,
	    .peer_timeout_ms = cl->peer_timeout_ms,
	    .vcpu_node = n->vcpu_node,
	    .ops = &ch_ops,
	    .arg = n,
	};

	for (uint32_t h = 0; h < n->nr_hosts; h++) {
		span_host_addr(n->cfg, h, true, addr[h], sizeof(addr[h]));
		addrs[h] = addr[h];
	}
	return cluster_start(&p, &n->cl);
}

/* ---- the VM's span (any thread) ------------------------------------------- */

static int sp_io(void *ctx, uint32_t cpu, bool mmio, uint64_t addr, void *data, uint32_t len,
		 bool is_write)
{
	struct span_node *n = ctx;

	return cluster_io(n->cl, cpu, mmio ? CL_BUS_MMIO : CL_BUS_PIO, addr, data, len, is_write);
}

static int sp_irq(void *ctx, uint32_t node, uint32_t dest, uint8_t vector, uint8_t delivery,
		  bool level)
{
	struct span_node *n = ctx;
	struct cl_irq q = {.dest = dest, .vector = vector, .delivery = delivery, .level = level};

	return cluster_send_irq(n->cl, node, &q);
}

static int sp_eoi(void *ctx, uint8_t vector)
{
	struct span_node *n = ctx;

	return cluster_send_eoi(n->cl, vector);
}

static void sp_vcpu_online(void *ctx, uint32_t cpu)
{
	struct span_node *n = ctx;
	struct cl_msg m = {.type = CL_VCPU_MOVED};

	m.u.moved.cpu = cpu;
	m.u.moved.node = n->self;
	for (uint32_t h = 0; h < n->nr_hosts; h++)
		if (h != n->self)
			cluster_send(n->cl, h, &m);
	pr_debug("vCPU %u is online", cpu);
}

static void sp_vcpu_thread(void *ctx, uint32_t cpu, int32_t tid)
{
	struct span_node *n = ctx;

	if (dsm_runtime_register_vcpu(n->dsm, cpu, tid))
		pr_warn("vCPU %u: too many vCPU threads for per-vCPU DSM metrics", cpu);
}

static void sp_exit(void *ctx, int status)
{
	struct span_node *n = ctx;
	char why[96];

	if (status == VM_STATUS_ERROR)
		snprintf(why, sizeof(why),
			 "ssivm on node %u stopped on an error (its log says why)", n->self);
	else
		snprintf(why, sizeof(why), "the guest ended on node %u with status %d", n->self,
			 status);
	cluster_exit(n->cl, status, why);
}

/* ---- the guest's time --------------------------------------------------- */

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The guest's TSC now: node 0's time since the epoch, at the common rate. */
static uint64_t guest_tsc_now(void *arg)
{
	struct span_node *n = arg;
	int64_t t0 = (int64_t)now_ns(CLOCK_REALTIME) - n->offset_ns - (int64_t)n->epoch_ns;

	return t0 <= 0 ? 0 : (uint64_t)((unsigned __int128)t0 * n->tsc_khz / 1000000u);
}

static int set_clocks(struct span_node *n)
{
	struct cl_clock k = {0};
	uint64_t rtt;
	int ret;

	cluster_clock_offset(n->cl, &n->offset_ns, &rtt);
	if (n->self == 0) {
		ret = vm_tsc_khz(n->vm);
		if (ret < 0) {
			pr_err("KVM_GET_TSC_KHZ: %s", strerror(-ret));
			return ret;
		}
		k.tsc_khz = (uint32_t)ret;
		k.epoch_ns = now_ns(CLOCK_REALTIME);
		if (!vm_get_kvmclock(n->vm, &k.kvmclock, &k.kvmclock_realtime))
			k.flags |= CL_CLOCK_KVMCLOCK;
		ret = cluster_send_clock(n->cl, &k);
	} else {
		ret = cluster_wait_clock(n->cl, &k, START_TIMEOUT_MS);
		if (!ret)
			ret = vm_set_tsc_khz(n->vm, k.tsc_khz);
		/* node 0's kvmclock at node 0's realtime R is ours at R + offset */
		if (!ret && (k.flags & CL_CLOCK_KVMCLOCK)) {
			ret = vm_set_kvmclock(
			    n->vm, k.kvmclock,
			    (uint64_t)((int64_t)k.kvmclock_realtime + n->offset_ns));
			if (ret)
				pr_err("KVM_SET_CLOCK: %s", strerror(-ret));
		}
	}
	if (ret)
		return ret;
	n->epoch_ns = k.epoch_ns;
	n->tsc_khz = k.tsc_khz;
	ret = vm_set_guest_tsc(n->vm, guest_tsc_now, n);
	if (!ret)
		pr_info("guest time: TSC %u kHz on every node; this node's clock is %+lld ns from "
			"node 0's (measured over a round trip of %llu ns)",
			n->tsc_khz, (long long)n->offset_ns, (unsigned long long)rtt);
	return ret;
}

/* ---- start-up and run ----------------------------------------------------- */

static void add_range(void *arg, bool mmio, uint64_t base, uint64_t len, const char *name)
{
	struct cl_range **r = arg;

	**r = (struct cl_range){
	    .bus = mmio ? CL_BUS_MMIO : CL_BUS_PIO, .len = (uint32_t)len, .base = base};
	(*r)++;
}

static void count_range(void *arg, bool mmio, uint64_t base, uint64_t len, const char *name)
{
	(*(unsigned *)arg)++;
}

/* Node 0 tells the others which ranges its devices claim; they forward those. */
static int share_devices(struct span_node *n)
{
	struct cl_range *r = NULL, *p;
	unsigned nr = 0;
	int ret;

	if (n->self == 0) {
		vm_for_each_range(n->vm, count_range, &nr);
		r = calloc(nr ? nr : 1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		p = r;
		vm_for_each_range(n->vm, add_range, &p);
		ret = cluster_send_busmap(n->cl, r, nr);
		free(r);
		return ret;
	}
	ret = cluster_wait_busmap(n->cl, &r, &nr, START_TIMEOUT_MS);
	for (unsigned i = 0; !ret && i < nr; i++)
		ret =
		    vm_forward_range(n->vm, r[i].bus == CL_BUS_MMIO, r[i].base, r[i].len, "node 0");
	if (!ret)
		pr_info("%u device range(s) of node 0 forwarded from here", nr);
	free(r);
	return ret;
}

static int create_vm(struct span_node *n, enum irq_mode mode)
{
	n->span = (struct vm_span){.self = n->self,
				   .io_node = 0,
				   .vcpu_node = n->vcpu_node,
				   .io = sp_io,
				   .irq = sp_irq,
				   .eoi = sp_eoi,
				   .vcpu_online = sp_vcpu_online,
				   .vcpu_thread = sp_vcpu_thread,
				   .exit = sp_exit,
				   .ctx = n};
	struct vm_params p = {.cfg = n->cfg,
			      .irq_mode = mode,
			      .hooks = irq_vcpu_hooks(mode),
			      .ram = dsm_runtime_base(n->dsm),
			      .span = &n->span};
	struct vm *vm;
	int ret = vm_create(&p, &vm);

	if (!ret)
		n->vm = vm;
	return ret;
}

int span_node_run(const struct ssivm_config *cfg, uint32_t self, enum irq_mode mode,
		  const struct boot_inputs *in)
{
	struct span_node *n = calloc(1, sizeof(*n));
	struct obs_http http = {0};
	int status = VM_STATUS_ERROR, ret;

	if (!n)
		return VM_STATUS_ERROR;
	n->cfg = cfg;
	n->self = self;
	n->nr_hosts = config_nr_hosts(cfg);
	log_set_node((int)self);
	for (uint32_t c = 0; c < cfg->nr_vcpus; c++)
		n->vcpu_node[c] = (uint32_t)config_host_of_cpu(cfg, c);
	if (memmap_build(cfg, &n->map))
		goto out;
	{
		char here[256] = "";
		size_t off = 0;

		for (uint32_t c = 0; c < cfg->nr_vcpus && off < sizeof(here) - 8; c++)
			if (n->vcpu_node[c] == self)
				off += (size_t)snprintf(here + off, sizeof(here) - off, "%s%u",
							off ? "," : "", c);
		pr_info("node %u of %u: %llu MiB of guest RAM on the DSM; vCPU(s) %s here, the "
			"others are proxies",
			self, n->nr_hosts, (unsigned long long)(n->map.ram_bytes >> 20),
			off ? here : "none");
	}
	ret = start_dsm(n);
	if (ret) {
		pr_err("node %u: the guest's memory (DSM) did not come up: %s", self,
		       strerror(-ret));
		goto out;
	}
	ret = start_channel(n);
	if (ret)
		goto out;
	ret = create_vm(n, mode);
	if (ret)
		goto out;
	if (self == 0 && vm_load_kernel(n->vm, in)) {
		status = 2;
		goto out;
	}
	if ((ret = share_devices(n)) || (ret = set_clocks(n)) ||
	    (ret = cluster_barrier(n->cl, PHASE_READY, START_TIMEOUT_MS)))
		goto out;
	pr_info("node %u: every node is ready; the guest runs", self);
	if (obs_http_addr) {
		struct obs_sources src = {
		    .node = self, .vm = n->vm, .cl = n->cl, .dsm = dsm_runtime_metrics(n->dsm)};

		if (obs_http_start(&http, obs_http_addr, &src, obs_format)) {
			status = VM_STATUS_ERROR;
			goto out;
		}
	}
	status = vm_run(n->vm);
	obs_http_stop(&http);
	if (__atomic_load_n(&n->dsm_failed, __ATOMIC_ACQUIRE))
		status = VM_STATUS_ERROR;
	{
		struct irq_stats is;
		struct cluster_stats cs;

		irq_get_stats(&is);
		cluster_get_stats(n->cl, &cs);
		pr_info("node %u: interrupts: %llu delivered here, %llu sent to other nodes, %llu "
			"IPIs caught by proxies; control channel: %llu accesses forwarded (mean "
			"round trip %.1f us), %llu served, interrupt messages %llu sent %llu "
			"received, %llu refused",
			self, (unsigned long long)is.delivered, (unsigned long long)is.forwarded,
			(unsigned long long)is.proxy_captured, (unsigned long long)cs.io_forwarded,
			cs.io_forwarded ? (double)cs.io_round_trip_ns / cs.io_forwarded / 1e3 : 0.0,
			(unsigned long long)cs.io_served, (unsigned long long)cs.sent[CL_IRQ],
			(unsigned long long)cs.recv[CL_IRQ], (unsigned long long)cs.rejected);
	}
	if (n->dsm) {
		char sum[2048];

		metrics_format_summary(dsm_runtime_metrics(n->dsm), sum, sizeof(sum));
		for (char *line = strtok(sum, "\n"); line; line = strtok(NULL, "\n"))
			pr_info("%s", line);
	}
out:
	/* the end reaches every node before this one leaves */
	if (n->cl && !cluster_ending(n->cl))
		cluster_exit(n->cl, status,
			     status == VM_STATUS_ERROR ? "ssivm on this node stopped on an error"
						       : "the guest ended");
	if (n->dsm) {
		dsm_runtime_quiesce(n->dsm);
		/* node 0 (home of the kernel's pages) leaves last */
		if (self == 0)
			dsm_runtime_wait_peers_gone(n->dsm, LEAVE_TIMEOUT_MS);
	}
	/* no callback of the channel runs after this: then the VM can go */
	cluster_stop(n->cl);
	vm_destroy(n->vm);
	dsm_runtime_stop(n->dsm);
	free(n);
	return status;
}
