/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config/config_priv.h — helpers shared by the configuration parser's files
 * (config.c, config_values.c, config_file.c, config_args.c). Not for other
 * parts: they use config/config.h.
 *
 * Value parsers take the text the user wrote and return 0, or -EINVAL with a
 * human-readable reason in @err (no prefix: the caller names the source,
 * e.g. "x.cfg:4: numa node 1: " or "--numa 'id=1,...': ").
 */
#ifndef SSIVM_CONFIG_CONFIG_PRIV_H
#define SSIVM_CONFIG_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

#define CONFIG_ERRLEN 256
#define CONFIG_DEFAULT_MEM (256ULL << 20)
#define CONFIG_DIST_REMOTE 20

/* "512M", "2G", "1GiB", "4096k", "1073741824" (bytes). Binary units. */
int cfg_parse_size(const char *s, uint64_t *out, char *err);
/* Unsigned decimal (or 0x hex) that fits in 32 bits. */
int cfg_parse_u32(const char *s, uint32_t *out, char *err);
/* "0-1:3", "0-1,3", "[0-1,3]": appends to @node's CPU list. */
int cfg_parse_cpus(const char *s, struct numa_node_config *node, char *err);
/* Add one CPU to @node (checks the index fits and the list has room). */
int cfg_node_add_cpu(struct numa_node_config *node, int64_t cpu, char *err);
/* "1@20:2@30", "[1@20,2@30]": sets cfg->distance[from][...] and its given bits. */
int cfg_parse_distances(const char *s, struct ssivm_config *cfg, uint32_t from, char *err);
/* One distance from node @from to @to (checked against 0..255 storage). */
int cfg_set_distance(struct ssivm_config *cfg, uint32_t from, int64_t to, int64_t dist, char *err);
/* "200", "200ns", "1.5us", "2us" -> nanoseconds. */
int cfg_parse_latency(const char *s, uint32_t *ns, char *err);
/* "10000" (MB/s), "10000M", "10G" (x1024), "1T" -> MB/s. */
int cfg_parse_bandwidth(const char *s, uint32_t *mbs, char *err);

/* Format @bytes as "1G", "512M", "3072K" or bytes, exactly. */
const char *cfg_fmt_size(uint64_t bytes, char buf[32]);

/*
 * Start (or restart) node @id: the first call drops the default node of
 * config_init(); a node that exists is cleared with its distance row.
 * Returns the node or NULL with @err set (id out of range).
 */
struct numa_node_config *cfg_node_define(struct ssivm_config *cfg, int64_t id, char *err);
/* The HMAT entry for (initiator, target): existing one cleared, or a new one. */
struct hmat_entry *cfg_hmat_define(struct ssivm_config *cfg, int64_t initiator, int64_t target,
				   char *err);

/*
 * Append the multiboot modules of @spec, QEMU's -initrd syntax: entries
 * separated by ',' (",," is a literal comma), each "FILE[ ARGS]". Refuses an
 * empty entry, one that starts with a space (no file name) and more than
 * SSIVM_MAX_MODULES modules. 0, -EINVAL (@err says why) or -ENOMEM.
 * config/config_modules.c.
 */
int cfg_add_modules(struct ssivm_config *cfg, const char *spec, char *err);
/* Drop every module of cfg->modules. */
void cfg_clear_modules(struct ssivm_config *cfg);

/* The cluster section (config/config_cluster.c): one key = value (as text,
 * from the file's `cluster` group or a flag). 0, -EINVAL (@err) or -ENOMEM. */
int cfg_cluster_set(struct ssivm_config *cfg, const char *key, const char *value, char *err);
/* Append "a,b,c" to the host addresses. */
int cfg_cluster_add_hosts(struct cluster_config *cl, const char *list, char *err);
void cfg_cluster_clear_hosts(struct cluster_config *cl);
void cfg_cluster_free(struct cluster_config *cl);
/* The cluster rules (pr_err per broken rule). 0 or -EINVAL. */
int config_validate_cluster(const struct ssivm_config *cfg);

/* Replace *dst with a copy of @s. 0 or -ENOMEM. */
int cfg_set_str(char **dst, const char *s);

/*
 * HMAT keys: a general key (latency, bandwidth) sets the read and the write
 * figure, a specific one (read_latency, write_bandwidth_mbs, ...) its own;
 * the specific one wins wherever it stands in the entry. A figure given
 * twice (two specific keys for it, e.g. read_latency and read_latency_ns, or
 * two general ones) is refused. One struct hmat_given per entry being read.
 */
struct hmat_given {
	const char *specific[4]; /* key that set read/write latency, read/write bandwidth */
	const char *general[2];  /* key that set both latencies / both bandwidths */
};
/* Apply key @key (as written, for messages) = @v. 0 or -EINVAL (@err says why). */
int cfg_hmat_set(struct hmat_entry *e, struct hmat_given *g, const char *key, bool bandwidth,
		 bool read, bool write, uint32_t v, char *err);

/*
 * What this host lets a guest have (config_validate()'s memory rules):
 * @phys_bits guest-physical address bits KVM gives a guest here (CPUID
 * 0x80000008, and /proc/cpuinfo's when lower), @map_bytes the RAM one
 * process maps (64 TiB), @as_limit RLIMIT_AS or 0 for none.
 */
struct config_host_limits {
	unsigned int phys_bits;
	uint64_t map_bytes;
	uint64_t as_limit;
};
void cfg_host_limits(struct config_host_limits *l);
/* The memory rules against @l: sum without overflow, host mapping, address
 * bits, KVM slot size. Prints one message; returns the number of broken rules. */
int cfg_check_memory(const struct ssivm_config *cfg, const struct config_host_limits *l);

/*
 * The text libconfig parses (config/config_source.c): the --config file with
 * every `@include "FILE"` (at the start of a line; FILE relative to the
 * including file's directory) replaced by FILE's text, integers that need 64
 * bits marked with libconfig's L suffix. Each file must be a regular file;
 * all together at most CONFIG_MAX_BYTES; at most CONFIG_MAX_GROUP_KEYS
 * settings per group; @include at most CONFIG_MAX_INCLUDE_DEPTH deep and
 * SSIVM_MAX_CONFIG_FILES files in all; an integer beyond 64 bits is refused.
 */
#define CONFIG_MAX_BYTES (1 << 20)
#define CONFIG_MAX_GROUP_KEYS 256
#define CONFIG_MAX_INCLUDE_DEPTH 8
#define CONFIG_MAX_FILES SSIVM_MAX_CONFIG_FILES

struct cfg_span {
	uint32_t out_line; /* first line of the text in this span */
	uint32_t file;     /* index in files[] */
	uint32_t line;     /* its line in that file */
};

struct cfg_source {
	char *text; /* NUL-terminated */
	size_t len, cap;
	struct cfg_span *spans; /* sorted by out_line */
	uint32_t nr_spans, cap_spans;
	char *files[CONFIG_MAX_FILES]; /* files[0] = the --config file, then in order read */
	uint32_t nr_files;
	/* the files being read (the @include chain), to refuse a file including itself */
	dev_t open_dev[CONFIG_MAX_FILES];
	ino_t open_ino[CONFIG_MAX_FILES];
	uint32_t nr_open;
	uint32_t out_line; /* line of the text being written */
	size_t bytes;      /* read so far, all files */
	int errors;
};

/* Read @path into @src (cfg_source_free() it in every case). 0, -EINVAL (printed), -ENOMEM. */
int cfg_source_read(struct cfg_source *src, const char *path);
/* The file and line that line @out_line of src->text came from. */
void cfg_source_where(const struct cfg_source *src, unsigned int out_line, const char **file,
		      unsigned int *line);
void cfg_source_free(struct cfg_source *src);

#endif
