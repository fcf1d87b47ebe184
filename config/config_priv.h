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

#include <stddef.h>
#include <stdint.h>

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

#endif
