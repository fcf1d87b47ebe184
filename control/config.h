/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control/config.h — the guest machine as configured.
 *
 * Parse (file with libconfig, then command-line flags on top) -> validate
 * (one clear message per broken rule) -> struct ssivm_config. The same struct
 * feeds the ACPI tables, the guest-physical memory layout and vCPU placement.
 * Owned by the caller; config_free() releases what the parser allocated.
 */
#ifndef SSIVM_CONTROL_CONFIG_H
#define SSIVM_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define SSIVM_MAX_VCPUS 256
#define SSIVM_MAX_NODES 64

/* ACPI SLIT: 10 = local; 11..254 remote; 255 = unreachable (refused here). */
#define SSIVM_DIST_LOCAL 10

struct numa_node_config {
	uint32_t id;        /* guest NUMA node id, 0..nr_nodes-1, dense */
	uint64_t mem_bytes; /* RAM of this node, multiple of 2 MiB, > 0 */
	uint32_t nr_cpus;
	uint32_t cpus[SSIVM_MAX_VCPUS]; /* vCPU indexes belonging to this node */
	uint32_t host;                  /* which ssivm process (cluster member) hosts it */
};

/* HMAT figures between an initiator node and a target node (optional). */
struct hmat_entry {
	uint32_t initiator;
	uint32_t target;
	uint32_t read_latency_ns;    /* 0 = not given */
	uint32_t write_latency_ns;   /* 0 = not given */
	uint32_t read_bandwidth_mbs; /* MB/s, 0 = not given */
	uint32_t write_bandwidth_mbs;
};

struct ssivm_config {
	uint32_t nr_vcpus;
	uint32_t nr_nodes;
	struct numa_node_config nodes[SSIVM_MAX_NODES];
	uint8_t distance[SSIVM_MAX_NODES][SSIVM_MAX_NODES]; /* SLIT, [from][to] */
	uint32_t nr_hmat;
	struct hmat_entry hmat[SSIVM_MAX_NODES * SSIVM_MAX_NODES];

	char *kernel;     /* path; bzImage, ELF vmlinux (PVH note) or multiboot */
	char *initrd;     /* path or NULL; for multiboot: the first module */
	char *cmdline;    /* kernel command line or NULL */
	char *serial_log; /* file that also receives the serial console, or NULL */
};

/* Fill *cfg with defaults: 1 vCPU, 1 node of 256 MiB, distances 10/20. */
void config_init(struct ssivm_config *cfg);
void config_free(struct ssivm_config *cfg);

/* Total guest RAM in bytes (sum over nodes). */
uint64_t config_total_mem(const struct ssivm_config *cfg);
/* Node that vCPU @cpu belongs to, or -1. */
int config_node_of_cpu(const struct ssivm_config *cfg, uint32_t cpu);

#endif
