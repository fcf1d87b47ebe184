/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cluster/node.h — one node (host) of a guest that spans hosts: joins the
 * DSM (guest RAM) and the control channel of the cluster, creates this
 * node's KVM VM over that RAM with its own vCPUs and proxies of the others,
 * and runs it until the guest (or a failure) ends it on every node.
 * docs/cluster.md.
 *
 * Start-up, on every node:
 *   1. DSM: guest RAM as the DSM region, each page homed on the host of the
 *      NUMA node whose range holds it (rendezvous on port 2h).
 *   2. Control channel (port 2h + 1): same configuration everywhere, clock
 *      offset to node 0.
 *   3. The VM: local vCPUs, proxies, devices on node 0 only.
 *   4. Node 0 loads the kernel (through the DSM like any write), then tells
 *      the others its device ranges and the guest's time base; every node
 *      sets its vCPUs' TSC and kvmclock from it.
 *   5. Barrier; run. The end: the first node's status reaches every node.
 * A node that fails or does not show up stops every node with a message
 * naming it.
 */
#ifndef SSIVM_CLUSTER_NODE_H
#define SSIVM_CLUSTER_NODE_H

#include <stdint.h>

#include "config/config.h"
#include "vcpu/vm.h"

/* The rendezvous address of host @h, for the DSM (@control false) or the
 * control channel: its cluster.hosts entry with port + 2h (+1) when it gives
 * no port, else that port (+1). @buf gets "addr:port". */
int span_host_addr(const struct ssivm_config *cfg, uint32_t h, bool control, char *buf,
		   size_t size);

/*
 * Run node @self of the spanning guest @cfg (validated; cluster.hosts given).
 * Returns the guest's exit status (VM_STATUS_*, the exit port's status), or
 * VM_STATUS_ERROR when this node or another failed (the message names it),
 * or 2 for a bad kernel image on node 0.
 */
int span_node_run(const struct ssivm_config *cfg, uint32_t self, enum irq_mode mode);

#endif
