/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config/config.h — the guest machine as configured.
 *
 * Parse (file with libconfig, then command-line flags on top) -> validate
 * (one clear message per broken rule) -> struct ssivm_config. The same struct
 * feeds the ACPI tables, the guest-physical memory layout and vCPU placement.
 * Owned by the caller; config_free() releases what the parser allocated.
 */
#ifndef SSIVM_CONFIG_CONFIG_H
#define SSIVM_CONFIG_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SSIVM_MAX_VCPUS 256
#define SSIVM_MAX_NODES 64
/* Multiboot modules, the --initrd one included (the loader's limit). */
#define SSIVM_MAX_MODULES 64
/* Hosts (ssivm processes) of one guest spanning hosts. */
#define SSIVM_MAX_HOSTS 64

/* ACPI SLIT: 10 = local; 11..254 remote; 255 = unreachable (refused here). */
#define SSIVM_DIST_LOCAL 10

struct numa_node_config {
	uint32_t id;        /* guest NUMA node id; after config_validate(), nodes[i].id == i */
	uint64_t mem_bytes; /* RAM of this node, multiple of 2 MiB, > 0 */
	uint32_t nr_cpus;
	uint32_t cpus[SSIVM_MAX_VCPUS]; /* vCPU indexes belonging to this node */
	uint32_t host; /* which host (ssivm process, cluster member) runs it; 0..63 */
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

/*
 * One multiboot module, from an entry of QEMU's `-initrd "FILE ARGS,..."`
 * syntax (docs/multiboot.md): @file is the entry up to its first space,
 * @string the whole entry, which the guest gets as the module's string.
 */
struct module_config {
	char *file;
	char *string;
};

/*
 * A guest spanning hosts (docs/configuration.md): the hosts are numbered by
 * the NUMA nodes' `host` key, 0..H-1; host 0 runs the devices and vCPU 0.
 */
struct cluster_config {
	uint32_t nr_addrs;            /* 0: none given (a local try-out assigns them) */
	char *addrs[SSIVM_MAX_HOSTS]; /* "name-or-ip[:port]" of host i */
	char *fabric;                 /* "tcp", "shm", "auto"; NULL: auto */
	uint32_t port;                /* base port (0: 7400); host i without a port
					   uses port + 2i (DSM) and port + 2i + 1 (control) */
	char *dsm_policy;             /* "key=value,..." on the DSM defaults, or NULL */
	uint32_t connect_timeout_ms;  /* 0: 30000 */
	uint32_t peer_timeout_ms;     /* 0: 1500 */
	uint32_t heartbeat_ms;        /* 0: 250 */
	uint32_t spin_us;             /* DSM busy-poll window (0: the default, 50) */
};

struct ssivm_config {
	uint32_t nr_vcpus;
	uint32_t nr_nodes;
	struct numa_node_config nodes[SSIVM_MAX_NODES];
	uint8_t distance[SSIVM_MAX_NODES][SSIVM_MAX_NODES]; /* SLIT, [from][to] */
	uint32_t nr_hmat;
	struct hmat_entry hmat[SSIVM_MAX_NODES * SSIVM_MAX_NODES];

	char *kernel; /* path; bzImage, ELF vmlinux (PVH note) or multiboot */
	char *initrd; /* path or NULL; for multiboot: the first module */
	/* multiboot modules after the initrd's (`modules`, --module) */
	uint32_t nr_modules;
	struct module_config modules[SSIVM_MAX_MODULES];
	struct cluster_config cluster;
	char *cmdline;    /* kernel command line or NULL */
	char *serial_log; /* file that also receives the serial console, or NULL */

	/*
	 * Filled by the parser. Bit j of distance_given[i]: the distance i->j
	 * came from the user (file or flag); the others were derived (mirror of
	 * j->i when that was given, else 10 local / 20 remote). For messages.
	 */
	uint64_t distance_given[SSIVM_MAX_NODES];
	char *config_file;  /* the --config file that was read, or NULL */
	uint32_t given;     /* CONFIG_GIVEN_*: what the user set (parser bookkeeping) */
	uint64_t mem_total; /* `memory` / --memory when given, else 0 */
};
#define CONFIG_GIVEN_VCPUS 0x1
#define CONFIG_GIVEN_NUMA 0x2
#define CONFIG_GIVEN_MEMORY 0x4

/*
 * Fill *cfg with defaults: 1 vCPU, 1 node of 256 MiB, distances 10/20.
 * libconfig has a config_init() of its own: ours links as ssivm_config_init
 * (a file that includes <libconfig.h> must #undef config_init first).
 */
#define config_init ssivm_config_init
void config_init(struct ssivm_config *cfg);
/* Free the strings the parser allocated; *cfg is left as config_init() made it. */
void config_free(struct ssivm_config *cfg);

/*
 * What a subcommand adds to the shared configuration options (may be NULL).
 * @opts: extra getopt_long options, terminated by a zero entry; their .val
 *   must be a printable character or a value below CONFIG_OPT_BASE (the
 *   configuration options use CONFIG_OPT_BASE and above).
 * @shortopts: extra short options for getopt_long ("ho:"), or NULL.
 * @handle: called for each extra option in command-line order, after the
 *   --config file was read; returns 0, or non-zero to stop parsing (the value
 *   is returned by config_parse_args: a negative errno for an error, a
 *   positive number e.g. after --help was printed).
 * @first_arg: set to the index in argv of the first non-option argument.
 * @allow_args: non-option arguments are allowed (else they are an error).
 */
#define CONFIG_OPT_BASE 0x1000
struct config_extra_opts {
	const struct option *opts;
	const char *shortopts;
	int (*handle)(int opt, const char *arg, void *opaque);
	void *opaque;
	bool allow_args;
	int first_arg;
};

/*
 * Parse the shared configuration options of `ssivm run`, `ssivm acpi-dump`:
 *   --config FILE  (read first, wherever it appears; libconfig syntax)
 *   --vcpus N  --memory SIZE  --numa SPEC (repeatable)  --hmat SPEC (repeatable)
 *   --kernel FILE  --initrd FILE  --module SPEC (repeatable)  --cmdline STR
 *   --serial-log FILE
 * Flags override the file (the first --module drops the file's modules): --numa id=N replaces the file's node N, --hmat
 * with the same initiator/target replaces the file's entry, scalars win.
 * Then fills derived values: missing distances (mirror of the other
 * direction if given, else 10/20), vCPU count (highest listed CPU + 1 when
 * vcpus is not set), CPUs of nodes when no node lists any (contiguous
 * blocks), the single node of --memory when no NUMA node is given.
 * @argv[0] is the subcommand name (getopt convention). Main thread, start-up.
 * Prints one message per problem (pr_err). Returns 0, -EINVAL on a bad
 * option/file/value, or whatever a non-zero @extra->handle returned.
 * Semantic checks are config_validate()'s: call it afterwards.
 */
int config_parse_args(struct ssivm_config *cfg, int argc, char **argv,
		      struct config_extra_opts *extra);
/* Read one libconfig file into @cfg (no derived values filled). 0 / -EINVAL. */
int config_parse_file(struct ssivm_config *cfg, const char *path);
/* Fill the derived values described above; done by config_parse_args(). */
int config_finish(struct ssivm_config *cfg);
/* The help text of the shared options, for a subcommand's --help. */
void config_usage(FILE *out);

/*
 * Check every rule (docs/configuration.md lists them), printing one pr_err
 * line per broken rule, naming the node/vCPU/distance/file. Returns 0 or
 * -EINVAL. config_validate() = config_validate_for(cfg, CONFIG_NEED_KERNEL).
 */
/* a kernel must be given, and kernel/initrd/serial-log paths are checked (ssivm run);
 * without it (acpi-dump) the paths are neither needed nor checked */
#define CONFIG_NEED_KERNEL 0x1
int config_validate_for(const struct ssivm_config *cfg, unsigned int flags);
int config_validate(const struct ssivm_config *cfg);

/* Hosts the guest spans: highest `host` of a NUMA node + 1 (1: one host). */
uint32_t config_nr_hosts(const struct ssivm_config *cfg);
/* Host that runs vCPU @cpu, or -1. */
int config_host_of_cpu(const struct ssivm_config *cfg, uint32_t cpu);
/* The cluster's base port (cluster.port or 7400). */
uint32_t config_cluster_port(const struct ssivm_config *cfg);
/* A hash of what every node of a spanning guest must agree on (the guest's
 * shape, placement, distances, HMAT, fabric, DSM policy; not file names). */
uint64_t config_hash(const struct ssivm_config *cfg);

/* Total guest RAM in bytes (sum over nodes). */
uint64_t config_total_mem(const struct ssivm_config *cfg);
/* Node that vCPU @cpu belongs to, or -1. */
int config_node_of_cpu(const struct ssivm_config *cfg, uint32_t cpu);

#endif
