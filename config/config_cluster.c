// SPDX-License-Identifier: GPL-2.0-only
/*
 * config/config_cluster.c — the cluster part of the configuration: which
 * hosts run the guest's NUMA nodes (the nodes' `host` key), where they are
 * (`cluster.hosts`), the fabric, the base port, the DSM policy and the
 * liveness knobs; their rules; and the hash every node compares at start-up.
 * docs/configuration.md ("A guest across hosts").
 */
#include "config/config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dsm/policy.h"

#define DEFAULT_PORT 7400

static const char *const keys = "hosts, fabric, port, dsm, connect_timeout_ms, "
				"peer_timeout_ms, heartbeat_ms, spin_us";

static int parse_ms(const char *key, const char *v, uint32_t *out, uint32_t max, char *err)
{
	uint32_t x;

	if (cfg_parse_u32(v, &x, err))
		return -EINVAL;
	if (x > max) {
		snprintf(err, CONFIG_ERRLEN, "%s = %u is more than %u", key, x, max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

/* "10.0.0.1", "node1:7500", "[fe80::1]:7400": non-empty, no spaces/commas. */
static int add_host(struct cluster_config *cl, const char *a, size_t n, char *err)
{
	if (!n || n > 255) {
		snprintf(err, CONFIG_ERRLEN, "hosts: an empty or overlong address");
		return -EINVAL;
	}
	if (cl->nr_addrs == SSIVM_MAX_HOSTS) {
		snprintf(err, CONFIG_ERRLEN, "hosts: more than %u hosts", SSIVM_MAX_HOSTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] == ' ' || a[i] == '\t') {
			snprintf(err, CONFIG_ERRLEN, "hosts: '%.*s' contains a space", (int)n, a);
			return -EINVAL;
		}
	cl->addrs[cl->nr_addrs] = strndup(a, n);
	if (!cl->addrs[cl->nr_addrs])
		return -ENOMEM;
	cl->nr_addrs++;
	return 0;
}

void cfg_cluster_clear_hosts(struct cluster_config *cl)
{
	for (uint32_t i = 0; i < cl->nr_addrs; i++)
		free(cl->addrs[i]);
	cl->nr_addrs = 0;
}

int cfg_cluster_add_hosts(struct cluster_config *cl, const char *list, char *err)
{
	const char *p = list;

	if (!*list) {
		snprintf(err, CONFIG_ERRLEN, "hosts: empty list");
		return -EINVAL;
	}
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int ret = add_host(cl, p, n, err);

		if (ret)
			return ret;
		p += n + (e ? 1 : 0);
		if (e && !*p) {
			snprintf(err, CONFIG_ERRLEN, "hosts: a trailing comma");
			return -EINVAL;
		}
	}
	return 0;
}

int cfg_cluster_set(struct ssivm_config *cfg, const char *key, const char *v, char *err)
{
	struct cluster_config *cl = &cfg->cluster;

	if (!strcmp(key, "hosts")) {
		cfg_cluster_clear_hosts(cl);
		return cfg_cluster_add_hosts(cl, v, err);
	}
	if (!strcmp(key, "fabric")) {
		if (strcmp(v, "tcp") && strcmp(v, "shm") && strcmp(v, "auto")) {
			snprintf(err, CONFIG_ERRLEN, "fabric '%s': expected tcp, shm or auto", v);
			return -EINVAL;
		}
		return cfg_set_str(&cl->fabric, v);
	}
	if (!strcmp(key, "port")) {
		uint32_t port;

		if (cfg_parse_u32(v, &port, err))
			return -EINVAL;
		if (port < 1 || port > 65535 - 2 * SSIVM_MAX_HOSTS) {
			snprintf(err, CONFIG_ERRLEN, "port = %u: expected 1..%u", port,
				 65535 - 2 * SSIVM_MAX_HOSTS);
			return -EINVAL;
		}
		cl->port = port;
		return 0;
	}
	if (!strcmp(key, "dsm")) {
		struct dsm_policy pol;

		dsm_policy_defaults(&pol);
		if (dsm_policy_parse(&pol, v) || dsm_policy_validate(&pol)) {
			snprintf(err, CONFIG_ERRLEN,
				 "dsm '%s': not a valid DSM policy (the line "
				 "above says why; docs/dsm-protocol.md)",
				 v);
			return -EINVAL;
		}
		return cfg_set_str(&cl->dsm_policy, v);
	}
	if (!strcmp(key, "connect_timeout_ms"))
		return parse_ms(key, v, &cl->connect_timeout_ms, 3600000, err);
	if (!strcmp(key, "peer_timeout_ms"))
		return parse_ms(key, v, &cl->peer_timeout_ms, 600000, err);
	if (!strcmp(key, "heartbeat_ms"))
		return parse_ms(key, v, &cl->heartbeat_ms, 60000, err);
	if (!strcmp(key, "spin_us"))
		return parse_ms(key, v, &cl->spin_us, 1000000, err);
	snprintf(err, CONFIG_ERRLEN, "unknown key '%s' (known: %s)", key, keys);
	return -EINVAL;
}

void cfg_cluster_free(struct cluster_config *cl)
{
	cfg_cluster_clear_hosts(cl);
	free(cl->fabric);
	free(cl->dsm_policy);
	memset(cl, 0, sizeof(*cl));
}

uint32_t config_nr_hosts(const struct ssivm_config *cfg)
{
	uint32_t n = 1;

	for (uint32_t i = 0; i < cfg->nr_nodes; i++)
		if (cfg->nodes[i].host + 1 > n)
			n = cfg->nodes[i].host + 1;
	return n;
}

int config_host_of_cpu(const struct ssivm_config *cfg, uint32_t cpu)
{
	int node = config_node_of_cpu(cfg, cpu);

	return node < 0 ? -1 : (int)cfg->nodes[node].host;
}

uint32_t config_cluster_port(const struct ssivm_config *cfg)
{
	return cfg->cluster.port ? cfg->cluster.port : DEFAULT_PORT;
}

int config_validate_cluster(const struct ssivm_config *cfg)
{
	const struct cluster_config *cl = &cfg->cluster;
	uint32_t hosts = config_nr_hosts(cfg);
	uint64_t used = 0;
	int bad = 0;

	for (uint32_t i = 0; i < cfg->nr_nodes; i++) {
		if (cfg->nodes[i].host >= SSIVM_MAX_HOSTS) {
			pr_err(
			    "numa node %u: host = %u, but a cluster has at most %u hosts (0..%u)",
			    cfg->nodes[i].id, cfg->nodes[i].host, SSIVM_MAX_HOSTS,
			    SSIVM_MAX_HOSTS - 1);
			return -EINVAL;
		}
		used |= 1ull << cfg->nodes[i].host;
	}
	for (uint32_t h = 0; h < hosts; h++)
		if (!(used & (1ull << h))) {
			pr_err("host %u runs no NUMA node (the nodes name hosts up to %u): give it "
			       "a node with host = %u, or number the hosts 0..%u without gaps",
			       h, hosts - 1, h, hosts - 1);
			bad++;
		}
	if (hosts > 1 && cfg->nr_vcpus && config_host_of_cpu(cfg, 0) != 0) {
		pr_err("vcpu 0 (the boot vCPU) is in numa node %d on host %d: it must run on "
		       "host 0, which runs the devices and loads the kernel",
		       config_node_of_cpu(cfg, 0), config_host_of_cpu(cfg, 0));
		bad++;
	}
	if (cl->nr_addrs && cl->nr_addrs != hosts) {
		pr_err("cluster.hosts lists %u address%s, but the NUMA nodes run on %u host%s "
		       "(0..%u): give one address per host",
		       cl->nr_addrs, cl->nr_addrs == 1 ? "" : "es", hosts, hosts == 1 ? "" : "s",
		       hosts - 1);
		bad++;
	}
	for (uint32_t i = 0; i < cl->nr_addrs; i++)
		for (uint32_t j = 0; j < i; j++)
			/* without a port, host h uses port + 2h: only an equal
			 * explicit port collides */
			if (!strcmp(cl->addrs[i], cl->addrs[j]) && strrchr(cl->addrs[i], ':') &&
			    strrchr(cl->addrs[i], ':') > strrchr(cl->addrs[i], ']')) {
				pr_err("cluster.hosts: hosts %u and %u both have address %s: give "
				       "them different ports",
				       j, i, cl->addrs[i]);
				bad++;
			}
	if (cl->peer_timeout_ms && cl->heartbeat_ms && cl->peer_timeout_ms < 3 * cl->heartbeat_ms) {
		pr_err(
		    "cluster: peer_timeout_ms = %u must be at least 3 heartbeats (heartbeat_ms = "
		    "%u)",
		    cl->peer_timeout_ms, cl->heartbeat_ms);
		bad++;
	}
	return bad ? -EINVAL : 0;
}

/* FNV-1a, 64 bits. */
static void mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

uint64_t config_hash(const struct ssivm_config *cfg)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const struct cluster_config *cl = &cfg->cluster;

	/* what the guest sees and how the nodes share it; not the file names
	 * (the kernel is only read on host 0) */
	mix(&h, &cfg->nr_vcpus, sizeof(cfg->nr_vcpus));
	mix(&h, &cfg->nr_nodes, sizeof(cfg->nr_nodes));
	for (uint32_t i = 0; i < cfg->nr_nodes; i++) {
		const struct numa_node_config *n = &cfg->nodes[i];

		mix(&h, &n->id, sizeof(n->id));
		mix(&h, &n->mem_bytes, sizeof(n->mem_bytes));
		mix(&h, &n->host, sizeof(n->host));
		mix(&h, &n->nr_cpus, sizeof(n->nr_cpus));
		mix(&h, n->cpus, n->nr_cpus * sizeof(n->cpus[0]));
		mix(&h, cfg->distance[i], cfg->nr_nodes);
	}
	mix(&h, &cfg->nr_hmat, sizeof(cfg->nr_hmat));
	mix(&h, cfg->hmat, cfg->nr_hmat * sizeof(cfg->hmat[0]));
	mix(&h, cl->fabric ? cl->fabric : "", cl->fabric ? strlen(cl->fabric) : 0);
	mix(&h, cl->dsm_policy ? cl->dsm_policy : "", cl->dsm_policy ? strlen(cl->dsm_policy) : 0);
	return h;
}
