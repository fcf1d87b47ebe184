// SPDX-License-Identifier: GPL-2.0-only
/* obs/format.c — a node's metrics as Prometheus text (see obs/http.h,
 * docs/metrics.md). */
#include "obs/http.h"

#include "cluster/channel.h"
#include "cluster/msg.h"
#include "common/outbuf.h"
#include "config/config.h"
#include "dsm/metrics.h"
#include "irq/irq.h"
#include "vcpu/vm.h"

#include <stdio.h>
#include <string.h>

static void family(struct outbuf *o, const char *name, const char *type, const char *help)
{
	outbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void put_vcpus(struct outbuf *o, uint32_t node, struct vm *vm)
{
	uint32_t n = vm_config(vm)->nr_vcpus, local = 0;

	for (uint32_t i = 0; i < n; i++)
		local += vm_vcpu(vm, i) != NULL;
	family(o, "ssivm_vcpus", "gauge", "vCPUs this node runs");
	outbuf_printf(o, "ssivm_vcpus{node=\"%u\"} %u\n", node, local);
	family(o, "ssivm_vcpu_exits_total", "counter",
	       "exits of each vCPU from KVM_RUN to this process, by kind");
	for (uint32_t i = 0; i < n; i++) {
		struct vcpu *v = vm_vcpu(vm, i);

		if (!v)
			continue;
		for (int k = 0; k < VCPU_EXIT_NR; k++)
			outbuf_printf(
			    o, "ssivm_vcpu_exits_total{node=\"%u\",vcpu=\"%u\",kind=\"%s\"} %llu\n",
			    node, i, vcpu_exit_kind_name(k), (unsigned long long)ld(&v->exits[k]));
	}
}

static void put_irq(struct outbuf *o, uint32_t node)
{
	static const struct {
		size_t off;
		const char *name, *help;
	} f[] = {
	    {offsetof(struct irq_stats, delivered), "ssivm_irq_delivered_total",
	     "interrupt messages delivered to this node's vCPUs"},
	    {offsetof(struct irq_stats, forwarded), "ssivm_irq_forwarded_total",
	     "interrupt messages sent to a vCPU of another node"},
	    {offsetof(struct irq_stats, proxy_captured), "ssivm_ipi_proxy_captured_total",
	     "IPIs to vCPUs of other nodes caught by their proxies here"},
	    {offsetof(struct irq_stats, msi_ioctls), "ssivm_irq_msi_ioctls_total",
	     "KVM_SIGNAL_MSI calls"},
	    {offsetof(struct irq_stats, ioapic_irqs), "ssivm_irq_ioapic_total",
	     "IOAPIC pin assertions turned into interrupt messages"},
	    {offsetof(struct irq_stats, dropped), "ssivm_irq_dropped_total",
	     "interrupt messages for no local vCPU or a disabled LAPIC"},
	};
	struct irq_stats is;

	irq_get_stats(&is);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		family(o, f[i].name, "counter", f[i].help);
		outbuf_printf(
		    o, "%s{node=\"%u\"} %llu\n", f[i].name, node,
		    (unsigned long long)*(const uint64_t *)((const char *)&is + f[i].off));
	}
}

static void put_cluster(struct outbuf *o, uint32_t node, const struct cluster *cl)
{
	struct cluster_stats cs;

	cluster_get_stats(cl, &cs);
	family(o, "ssivm_io_forwarded_total", "counter",
	       "port and MMIO accesses of this node's vCPUs forwarded to the I/O node, by bus");
	outbuf_printf(o, "ssivm_io_forwarded_total{node=\"%u\",bus=\"pio\"} %llu\n", node,
		      (unsigned long long)(cs.io_forwarded - cs.io_forwarded_mmio));
	outbuf_printf(o, "ssivm_io_forwarded_total{node=\"%u\",bus=\"mmio\"} %llu\n", node,
		      (unsigned long long)cs.io_forwarded_mmio);
	family(o, "ssivm_io_forward_seconds_total", "counter",
	       "round-trip time of the forwarded accesses, summed");
	outbuf_printf(o, "ssivm_io_forward_seconds_total{node=\"%u\"} %.9f\n", node,
		      (double)cs.io_round_trip_ns * 1e-9);
	family(o, "ssivm_io_served_total", "counter",
	       "accesses this node (the I/O node) served for the vCPUs of others");
	outbuf_printf(o, "ssivm_io_served_total{node=\"%u\",bus=\"pio\"} %llu\n", node,
		      (unsigned long long)(cs.io_served - cs.io_served_mmio));
	outbuf_printf(o, "ssivm_io_served_total{node=\"%u\",bus=\"mmio\"} %llu\n", node,
		      (unsigned long long)cs.io_served_mmio);
	family(o, "ssivm_cluster_messages_sent_total", "counter",
	       "control-channel messages sent to other nodes, by type");
	for (unsigned t = 1; t < CL_TYPE_MAX; t++)
		outbuf_printf(o,
			      "ssivm_cluster_messages_sent_total{node=\"%u\",type=\"%s\"} %llu\n",
			      node, cl_type_name(t), (unsigned long long)cs.sent[t]);
	family(o, "ssivm_cluster_messages_received_total", "counter",
	       "control-channel messages received from other nodes, by type");
	for (unsigned t = 1; t < CL_TYPE_MAX; t++)
		outbuf_printf(
		    o, "ssivm_cluster_messages_received_total{node=\"%u\",type=\"%s\"} %llu\n",
		    node, cl_type_name(t), (unsigned long long)cs.recv[t]);
	family(o, "ssivm_cluster_rejected_total", "counter",
	       "control-channel messages refused as malformed or out of range");
	outbuf_printf(o, "ssivm_cluster_rejected_total{node=\"%u\"} %llu\n", node,
		      (unsigned long long)cs.rejected);
}

size_t obs_format(const struct obs_sources *src, char *buf, size_t len)
{
	struct outbuf o = {buf, len, 0};

	if (len)
		buf[0] = 0;
	if (src->vm)
		put_vcpus(&o, src->node, src->vm);
	put_irq(&o, src->node);
	if (src->cl)
		put_cluster(&o, src->node, src->cl);
	if (src->dsm) {
		size_t rest = o.pos < len ? len - o.pos : 0;

		o.pos += metrics_format_prometheus(src->dsm, rest ? buf + o.pos : NULL, rest);
	}
	return o.pos;
}
