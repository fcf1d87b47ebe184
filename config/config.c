// SPDX-License-Identifier: GPL-2.0-only
/* config/config.c — the configuration struct: defaults, merging, derived values. */
#include "config/config_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void distances_default(struct ssivm_config *cfg)
{
	for (int i = 0; i < SSIVM_MAX_NODES; i++)
		for (int j = 0; j < SSIVM_MAX_NODES; j++)
			cfg->distance[i][j] = i == j ? SSIVM_DIST_LOCAL : CONFIG_DIST_REMOTE;
}

void config_init(struct ssivm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = 1;
	cfg->nr_nodes = 1;
	cfg->nodes[0].mem_bytes = CONFIG_DEFAULT_MEM;
	cfg->nodes[0].nr_cpus = 1;
	distances_default(cfg);
}

void config_free(struct ssivm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	cfg_clear_modules(cfg);
	free(cfg->cmdline);
	free(cfg->serial_log);
	free(cfg->config_file);
	cfg_cluster_free(&cfg->cluster);
	config_init(cfg);
}

uint64_t config_total_mem(const struct ssivm_config *cfg)
{
	uint64_t sum = 0;

	for (uint32_t n = 0; n < cfg->nr_nodes; n++)
		sum += cfg->nodes[n].mem_bytes;
	return sum;
}

int config_node_of_cpu(const struct ssivm_config *cfg, uint32_t cpu)
{
	for (uint32_t n = 0; n < cfg->nr_nodes; n++)
		for (uint32_t i = 0; i < cfg->nodes[n].nr_cpus; i++)
			if (cfg->nodes[n].cpus[i] == cpu)
				return (int)cfg->nodes[n].id;
	return -1;
}

struct numa_node_config *cfg_node_define(struct ssivm_config *cfg, int64_t id, char *err)
{
	uint32_t i;

	if (id < 0 || id >= SSIVM_MAX_NODES) {
		snprintf(err, CONFIG_ERRLEN, "numa node id %" PRId64 " is out of range 0..%d", id,
			 SSIVM_MAX_NODES - 1);
		return NULL;
	}
	if (!(cfg->given & CONFIG_GIVEN_NUMA)) {
		cfg->given |= CONFIG_GIVEN_NUMA;
		cfg->nr_nodes = 0;
		memset(cfg->nodes, 0, sizeof(cfg->nodes));
	}
	cfg->distance_given[id] = 0;
	/* nodes[] stays sorted by id; ids need not be dense yet (validated later) */
	for (i = 0; i < cfg->nr_nodes && cfg->nodes[i].id < id; i++)
		;
	if (i == cfg->nr_nodes || cfg->nodes[i].id != id) {
		memmove(&cfg->nodes[i + 1], &cfg->nodes[i],
			(cfg->nr_nodes - i) * sizeof(cfg->nodes[0]));
		cfg->nr_nodes++;
	}
	memset(&cfg->nodes[i], 0, sizeof(cfg->nodes[i]));
	cfg->nodes[i].id = (uint32_t)id;
	return &cfg->nodes[i];
}

struct hmat_entry *cfg_hmat_define(struct ssivm_config *cfg, int64_t initiator, int64_t target,
				   char *err)
{
	struct hmat_entry *e;
	uint32_t i;

	if (initiator < 0 || initiator >= SSIVM_MAX_NODES || target < 0 ||
	    target >= SSIVM_MAX_NODES) {
		snprintf(err, CONFIG_ERRLEN,
			 "initiator %" PRId64 " / target %" PRId64 ": node ids are 0..%d",
			 initiator, target, SSIVM_MAX_NODES - 1);
		return NULL;
	}
	for (i = 0; i < cfg->nr_hmat; i++)
		if (cfg->hmat[i].initiator == initiator && cfg->hmat[i].target == target)
			break;
	if (i == cfg->nr_hmat)
		cfg->nr_hmat++; /* cannot overflow: one slot per (initiator, target) */
	e = &cfg->hmat[i];
	memset(e, 0, sizeof(*e));
	e->initiator = (uint32_t)initiator;
	e->target = (uint32_t)target;
	return e;
}

/* Give each node a contiguous block of vCPUs (the first nodes get the rest). */
static void spread_cpus(struct ssivm_config *cfg)
{
	uint32_t per = cfg->nr_vcpus / cfg->nr_nodes, rem = cfg->nr_vcpus % cfg->nr_nodes;
	uint32_t cpu = 0;

	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		struct numa_node_config *node = &cfg->nodes[n];

		node->nr_cpus = per + (n < rem);
		for (uint32_t i = 0; i < node->nr_cpus; i++)
			node->cpus[i] = cpu++;
	}
}

int config_finish(struct ssivm_config *cfg)
{
	char a[32], b[32];
	uint32_t max_cpu = 0, listed = 0;

	if (!(cfg->given & CONFIG_GIVEN_NUMA)) {
		/* one node holding all of RAM and every vCPU */
		cfg->nr_nodes = 1;
		memset(&cfg->nodes[0], 0, sizeof(cfg->nodes[0]));
		cfg->nodes[0].mem_bytes =
		    cfg->given & CONFIG_GIVEN_MEMORY ? cfg->mem_total : CONFIG_DEFAULT_MEM;
		if (cfg->nr_vcpus <= SSIVM_MAX_VCPUS)
			spread_cpus(cfg);
	} else {
		if ((cfg->given & CONFIG_GIVEN_MEMORY) && cfg->mem_total != config_total_mem(cfg)) {
			pr_err("memory = %s, but the NUMA nodes add up to %s: give memory per node "
			       "only, or make them agree",
			       cfg_fmt_size(cfg->mem_total, a),
			       cfg_fmt_size(config_total_mem(cfg), b));
			return -EINVAL;
		}
		for (uint32_t n = 0; n < cfg->nr_nodes; n++)
			for (uint32_t i = 0; i < cfg->nodes[n].nr_cpus; i++, listed++)
				if (cfg->nodes[n].cpus[i] > max_cpu)
					max_cpu = cfg->nodes[n].cpus[i];
		if (!(cfg->given & CONFIG_GIVEN_VCPUS))
			cfg->nr_vcpus = listed ? max_cpu + 1 : 1;
		if (!listed && cfg->nr_vcpus <= SSIVM_MAX_VCPUS)
			spread_cpus(cfg);
	}

	/* distances not given: the other direction's if given, else 10 / 20 */
	for (int i = 0; i < SSIVM_MAX_NODES; i++) {
		for (int j = 0; j < SSIVM_MAX_NODES; j++) {
			if (cfg->distance_given[i] & (1ULL << j))
				continue;
			if (cfg->distance_given[j] & (1ULL << i))
				cfg->distance[i][j] = cfg->distance[j][i];
			else
				cfg->distance[i][j] =
				    i == j ? SSIVM_DIST_LOCAL : CONFIG_DIST_REMOTE;
		}
	}
	return 0;
}
