// SPDX-License-Identifier: GPL-2.0-only
/* config/config_validate.c — every rule a configuration must follow, one message each. */
#include "config/config_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/memmap.h"

#define NODE_MEM_ALIGN (2ULL << 20)
#define DIST_MIN_REMOTE 11
#define DIST_MAX_REMOTE 254
/* Host mappings of guest RAM live in a 47-bit user address space. */
#define HOST_MAP_LIMIT (1ULL << 46)

/* Guest-physical address bits of this host's CPU ("address sizes" in cpuinfo). */
static unsigned int host_phys_bits(void)
{
	char line[256];
	unsigned int bits = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "address sizes : %u bits physical", &bits) == 1)
			break;
	if (f)
		fclose(f);
	return bits >= 32 && bits <= 52 ? bits : 36;
}

static int check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		pr_err("%s '%s': %s", what, path,
		       errno == ENOENT ? "no such file" : strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s '%s': not a regular file", what, path);
		return 1;
	}
	if (access(path, R_OK)) {
		pr_err("%s '%s': not readable (%s)", what, path, strerror(errno));
		return 1;
	}
	return 0;
}

/* A set of vCPU indexes, printed as ranges: one message names all of them. */
struct cpuset {
	uint64_t bits[SSIVM_MAX_VCPUS / 64];
	uint32_t count;
};

static void cpuset_add(struct cpuset *s, uint32_t c)
{
	if (!(s->bits[c / 64] & (1ULL << (c % 64)))) {
		s->bits[c / 64] |= 1ULL << (c % 64);
		s->count++;
	}
}

static bool cpuset_has(const struct cpuset *s, uint32_t c)
{
	return c < SSIVM_MAX_VCPUS && (s->bits[c / 64] & (1ULL << (c % 64)));
}

/* "cpu 3" or "cpus 1, 3, 6-8" (@noun: "cpu", "vcpu"). */
static const char *cpuset_fmt(const struct cpuset *s, const char *noun, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "%s%s ", noun, s->count > 1 ? "s" : "");

	for (uint32_t c = 0; c < SSIVM_MAX_VCPUS && len < size - 16; c++) {
		uint32_t end = c;

		if (!cpuset_has(s, c))
			continue;
		while (cpuset_has(s, end + 1))
			end++;
		len += (size_t)snprintf(buf + len, size - len, end > c ? "%s%u-%u" : "%s%u",
					buf[len - 1] == ' ' ? "" : ", ", c, end);
		c = end;
	}
	return buf;
}

/* The vCPUs of one node: each exists, is listed once, is in no other node. */
static int check_node_cpus(const struct ssivm_config *cfg, const struct numa_node_config *node,
			   int *owner)
{
	struct cpuset missing = {0}, twice = {0}, taken[SSIVM_MAX_NODES];
	uint32_t id = node->id;
	char list[256];
	int bad = 0;

	memset(taken, 0, sizeof(taken));
	for (uint32_t i = 0; i < node->nr_cpus && i < SSIVM_MAX_VCPUS; i++) {
		uint32_t c = node->cpus[i];

		if (c >= cfg->nr_vcpus || c >= SSIVM_MAX_VCPUS)
			cpuset_add(&missing, c < SSIVM_MAX_VCPUS ? c : SSIVM_MAX_VCPUS - 1);
		else if (owner[c] == (int)id)
			cpuset_add(&twice, c);
		else if (owner[c] >= 0)
			cpuset_add(&taken[owner[c]], c);
		else
			owner[c] = (int)id;
	}
	if (missing.count) {
		pr_err("numa node %u: %s %s not exist (vcpus = %u)", id,
		       cpuset_fmt(&missing, "cpu", list, sizeof(list)),
		       missing.count > 1 ? "do" : "does", cfg->nr_vcpus);
		bad++;
	}
	if (twice.count) {
		pr_err("numa node %u: %s %s listed twice", id,
		       cpuset_fmt(&twice, "cpu", list, sizeof(list)),
		       twice.count > 1 ? "are" : "is");
		bad++;
	}
	for (int o = 0; o < SSIVM_MAX_NODES; o++) {
		if (!taken[o].count)
			continue;
		pr_err("numa node %u: %s %s already in node %d", id,
		       cpuset_fmt(&taken[o], "cpu", list, sizeof(list)),
		       taken[o].count > 1 ? "are" : "is", o);
		bad++;
	}
	return bad;
}

/* Node checks; *dense is cleared when ids are not 0..N-1 (then nothing may index by id). */
static int check_nodes(const struct ssivm_config *cfg, bool *dense)
{
	struct cpuset orphans = {0};
	int owner[SSIVM_MAX_VCPUS];
	char a[256];
	int bad = 0;

	if (cfg->nr_nodes < 1 || cfg->nr_nodes > SSIVM_MAX_NODES) {
		pr_err("%u NUMA nodes: 1..%d are supported", cfg->nr_nodes, SSIVM_MAX_NODES);
		return 1;
	}
	*dense = true;
	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		if (cfg->nodes[n].id != n) {
			pr_err("numa node ids must be dense from 0: node %u is missing (next given "
			       "is %u)",
			       n, cfg->nodes[n].id);
			*dense = false;
			bad++;
			break;
		}
	}
	for (int c = 0; c < SSIVM_MAX_VCPUS; c++)
		owner[c] = -1;
	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		const struct numa_node_config *node = &cfg->nodes[n];

		if (!node->mem_bytes) {
			pr_err("numa node %u: memory must be > 0", node->id);
			bad++;
		} else if (node->mem_bytes % NODE_MEM_ALIGN) {
			pr_err("numa node %u: memory %s is not a multiple of 2M", node->id,
			       cfg_fmt_size(node->mem_bytes, a));
			bad++;
		}
		bad += check_node_cpus(cfg, node, owner);
	}
	for (uint32_t c = 0; c < cfg->nr_vcpus && c < SSIVM_MAX_VCPUS; c++)
		if (owner[c] < 0)
			cpuset_add(&orphans, c);
	if (orphans.count && cfg->nr_vcpus <= SSIVM_MAX_VCPUS) {
		pr_err("%s %s in no NUMA node", cpuset_fmt(&orphans, "vcpu", a, sizeof(a)),
		       orphans.count > 1 ? "are" : "is");
		bad++;
	}
	return bad;
}

static int check_distances(const struct ssivm_config *cfg)
{
	uint32_t nn = cfg->nr_nodes;
	int bad = 0;

	for (uint32_t i = 0; i < nn; i++) {
		for (uint32_t j = nn; j < SSIVM_MAX_NODES; j++) {
			if (cfg->distance_given[i] & (1ULL << j)) {
				pr_err("numa node %u: distance to node %u, which does not exist", i,
				       j);
				bad++;
			}
		}
		if (cfg->distance[i][i] != SSIVM_DIST_LOCAL) {
			pr_err("distance %u->%u is %u: a node's distance to itself must be %d", i,
			       i, cfg->distance[i][i], SSIVM_DIST_LOCAL);
			bad++;
		}
		for (uint32_t j = 0; j < nn; j++) {
			uint8_t d = cfg->distance[i][j];

			if (i == j)
				continue;
			if (d < DIST_MIN_REMOTE || d > DIST_MAX_REMOTE) {
				if (j < i && cfg->distance[j][i] == d)
					continue; /* said for j->i already */
				pr_err("distance %u->%u = %u is out of range %d..%d", i, j, d,
				       DIST_MIN_REMOTE, DIST_MAX_REMOTE);
				bad++;
			} else if (j > i && cfg->distance[j][i] != d &&
				   cfg->distance[j][i] >= DIST_MIN_REMOTE &&
				   cfg->distance[j][i] <= DIST_MAX_REMOTE) {
				pr_err("distance %u->%u is %u but %u->%u is %u: distances must be "
				       "symmetric",
				       i, j, d, j, i, cfg->distance[j][i]);
				bad++;
			}
		}
	}
	return bad;
}

static bool node_has_cpus(const struct ssivm_config *cfg, uint32_t n)
{
	return n < cfg->nr_nodes && cfg->nodes[n].nr_cpus > 0;
}

static int check_hmat(const struct ssivm_config *cfg)
{
	int bad = 0;

	if (cfg->nr_hmat > SSIVM_MAX_NODES * SSIVM_MAX_NODES) {
		pr_err("%u hmat entries: at most one per initiator/target pair", cfg->nr_hmat);
		return 1;
	}
	for (uint32_t k = 0; k < cfg->nr_hmat; k++) {
		const struct hmat_entry *e = &cfg->hmat[k];

		if (e->initiator >= cfg->nr_nodes || e->target >= cfg->nr_nodes) {
			pr_err("hmat %u->%u: node %u does not exist (%u NUMA nodes)", e->initiator,
			       e->target, e->initiator >= cfg->nr_nodes ? e->initiator : e->target,
			       cfg->nr_nodes);
			bad++;
			continue;
		}
		if (!node_has_cpus(cfg, e->initiator)) {
			pr_err("hmat %u->%u: initiator node %u has no cpus", e->initiator,
			       e->target, e->initiator);
			bad++;
		}
		if (!e->read_latency_ns && !e->write_latency_ns && !e->read_bandwidth_mbs &&
		    !e->write_bandwidth_mbs) {
			pr_err("hmat %u->%u: no latency or bandwidth given", e->initiator,
			       e->target);
			bad++;
		}
		for (uint32_t m = 0; m < k; m++) {
			if (cfg->hmat[m].initiator == e->initiator &&
			    cfg->hmat[m].target == e->target) {
				pr_err("hmat %u->%u is given twice", e->initiator, e->target);
				bad++;
			}
		}
	}
	return bad;
}

static int check_memory_limits(const struct ssivm_config *cfg)
{
	unsigned int bits = host_phys_bits();
	uint64_t total = config_total_mem(cfg), limit = 1ULL << bits;
	struct memmap map;
	char a[32], b[32];

	if (total > HOST_MAP_LIMIT) {
		pr_err("total memory %s is more than one host process can map (%s)",
		       cfg_fmt_size(total, a), cfg_fmt_size(HOST_MAP_LIMIT, b));
		return 1;
	}
	if (memmap_build(cfg, &map)) {
		pr_err("the memory layout of %u nodes does not fit %d ranges", cfg->nr_nodes,
		       MEMMAP_MAX_RANGES);
		return 1;
	}
	if (map.top > limit) {
		pr_err("total memory %s puts guest RAM up to 0x%" PRIx64 ", above the %u-bit "
		       "physical address space of this host's CPU",
		       cfg_fmt_size(total, a), map.top, bits);
		return 1;
	}
	return 0;
}

/* The files `run` reads or writes (acpi-dump reads none of them). */
static int check_paths(const struct ssivm_config *cfg)
{
	int bad = 0;

	if (cfg->kernel)
		bad += check_file("kernel", cfg->kernel);
	else {
		pr_err("no kernel given (--kernel FILE or kernel = \"FILE\";)");
		bad++;
	}
	if (cfg->initrd)
		bad += check_file("initrd", cfg->initrd);
	for (uint32_t i = 0; i < cfg->nr_modules; i++) {
		char what[32];

		snprintf(what, sizeof(what), "module %u", i + !!cfg->initrd);
		bad += check_file(what, cfg->modules[i].file);
	}
	if (cfg->nr_modules + !!cfg->initrd > SSIVM_MAX_MODULES) {
		pr_err("%u modules (the initrd and %u more): at most %d", cfg->nr_modules + 1,
		       cfg->nr_modules, SSIVM_MAX_MODULES);
		bad++;
	}
	if (cfg->serial_log) {
		char dir[4096];
		struct stat st;

		snprintf(dir, sizeof(dir), "%s", cfg->serial_log);
		if (stat(dirname(dir), &st) || !S_ISDIR(st.st_mode)) {
			pr_err("serial-log '%s': directory '%s' does not exist", cfg->serial_log,
			       dir);
			bad++;
		}
	}
	return bad;
}

int config_validate_for(const struct ssivm_config *cfg, unsigned int flags)
{
	int bad = 0, node_bad;
	bool dense = false;

	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > SSIVM_MAX_VCPUS) {
		pr_err("vcpus = %u: 1..%d are supported", cfg->nr_vcpus, SSIVM_MAX_VCPUS);
		bad++;
	}
	node_bad = check_nodes(cfg, &dense);
	bad += node_bad;
	if (dense) {
		bad += check_distances(cfg);
		bad += check_hmat(cfg);
		if (!node_bad) {
			bad += check_memory_limits(cfg);
			bad += config_validate_cluster(cfg) ? 1 : 0;
		}
	}
	if (flags & CONFIG_NEED_KERNEL)
		bad += check_paths(cfg);
	return bad ? -EINVAL : 0;
}

int config_validate(const struct ssivm_config *cfg)
{
	return config_validate_for(cfg, CONFIG_NEED_KERNEL);
}
