// SPDX-License-Identifier: GPL-2.0-only
/* config/config_args.c — the configuration flags shared by `run` and `acpi-dump`. */
#include "config/config_priv.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

enum {
	OPT_CONFIG = CONFIG_OPT_BASE,
	OPT_VCPUS,
	OPT_MEMORY,
	OPT_NUMA,
	OPT_HMAT,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_MODULE,
	OPT_CMDLINE,
	OPT_SERIAL_LOG,
	OPT_HOSTS,
	OPT_FABRIC,
	OPT_DSM_POLICY,
};

static const struct option config_opts[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"numa", required_argument, NULL, OPT_NUMA},
    {"hmat", required_argument, NULL, OPT_HMAT},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"module", required_argument, NULL, OPT_MODULE},
    {"cmdline", required_argument, NULL, OPT_CMDLINE},
    {"serial-log", required_argument, NULL, OPT_SERIAL_LOG},
    {"hosts", required_argument, NULL, OPT_HOSTS},
    {"fabric", required_argument, NULL, OPT_FABRIC},
    {"dsm-policy", required_argument, NULL, OPT_DSM_POLICY},
};
#define NR_CONFIG_OPTS (sizeof(config_opts) / sizeof(config_opts[0]))
#define MAX_EXTRA_OPTS 32

void config_usage(FILE *out)
{
	fprintf(
	    out,
	    "Guest configuration (a file, then flags on top; docs/configuration.md):\n"
	    "  --config FILE        read FILE (libconfig syntax, see examples/) first\n"
	    "  --vcpus N            number of vCPUs (default: highest CPU in --numa + 1, or 1)\n"
	    "  --memory SIZE        guest RAM as one NUMA node (default 256M); with --numa it\n"
	    "                       must equal the nodes' sum. SIZE: 512M, 2G, bytes\n"
	    "  --numa SPEC          a guest NUMA node, repeatable; replaces the file's node of\n"
	    "                       the same id. SPEC: id=N,cpus=0-1:3,memory=1G,\n"
	    "                       distances=1@20:2@30  (missing distances: 10 to itself,\n"
	    "                       the other direction's value, else 20). host=H: the host\n"
	    "                       (ssivm process) that runs the node, 0..63; 0 runs vCPU 0\n"
	    "                       and the devices (a guest across hosts: docs/cluster.md)\n"
	    "  --hmat SPEC          HMAT figures for an initiator/target pair, repeatable.\n"
	    "                       SPEC: initiator=0,target=1,read-latency=200ns,\n"
	    "                       write-latency=250ns,read-bandwidth=10G,write-bandwidth=8G\n"
	    "                       (latency=/bandwidth= set read and write; bandwidth in\n"
	    "                       MB/s; binary suffixes M, G = 1024M, T)\n"
	    "  --kernel FILE        kernel: bzImage, ELF vmlinux with PVH note, multiboot\n"
	    "  --initrd FILE        initrd (multiboot: first module)\n"
	    "  --module SPEC        multiboot modules, repeatable, QEMU's -initrd syntax:\n"
	    "                       \"FILE ARGS,FILE ARGS\" (\",,\" = a literal comma)\n"
	    "  --cmdline STRING     kernel command line\n"
	    "  --serial-log FILE    also write the serial console to FILE\n"
	    "A guest across hosts (the cluster section of the file):\n"
	    "  --hosts ADDR,...     the hosts' addresses, host 0 first (name or IP[:port]);\n"
	    "                       without them `ssivm run` starts a local cluster here\n"
	    "  --fabric F           tcp, shm (all nodes on this machine) or auto (default:\n"
	    "                       UCX picks, RDMA verbs where they exist)\n"
	    "  --dsm-policy SPEC    DSM policies on the defaults, \"key=value,...\"\n"
	    "                       (first_touch, replication, migrate_after, pingpong_*...)\n");
}

/* Split "a=1,b=[2,3],c=4" at top-level commas, in place. NULL when done. */
static char *next_kv(char **cursor)
{
	char *s = *cursor, *p;
	int depth = 0;

	if (!s || !*s)
		return NULL;
	for (p = s; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ',' && depth <= 0)
			break;
	}
	*cursor = *p ? p + 1 : NULL;
	*p = 0;
	return s;
}

static int split_kv(char *kv, char **val)
{
	char *eq = strchr(kv, '=');

	if (!eq)
		return -EINVAL;
	*eq = 0;
	*val = eq + 1;
	return 0;
}

/* Underscores and dashes are the same in keys: read_latency = read-latency. */
static bool key_is(const char *key, const char *want)
{
	for (; *key && *want; key++, want++)
		if (*key != *want && !((*key == '_' || *key == '-') && (*want == '-')))
			return false;
	return !*key && !*want;
}

static int parse_numa(struct ssivm_config *cfg, const char *spec, uint64_t *seen)
{
	char copy[2048], *cur = copy, *kv, *val;
	char err[CONFIG_ERRLEN] = "";
	struct numa_node_config *node = NULL;
	uint32_t id = UINT32_MAX;

	if (strlen(spec) >= sizeof(copy)) {
		pr_err("--numa '%.40s...': too long", spec);
		return -EINVAL;
	}
	/* the id first: the other keys apply to that node */
	strcpy(copy, spec);
	while ((kv = next_kv(&cur)))
		if (!split_kv(kv, &val) && (key_is(kv, "id") || key_is(kv, "guest-numa-id")) &&
		    cfg_parse_u32(val, &id, err))
			goto bad;
	if (id == UINT32_MAX) {
		snprintf(err, sizeof(err), "no id= (write e.g. id=0,cpus=0-1,memory=1G)");
		goto bad;
	}
	if (id < SSIVM_MAX_NODES && (*seen & (1ULL << id))) {
		snprintf(err, sizeof(err), "numa node %u is given twice", id);
		goto bad;
	}
	node = cfg_node_define(cfg, id, err);
	if (!node)
		goto bad;
	*seen |= 1ULL << id;
	strcpy(copy, spec);
	cur = copy;
	while ((kv = next_kv(&cur))) {
		int ret = 0;

		if (split_kv(kv, &val)) {
			snprintf(err, sizeof(err), "'%s' is not KEY=VALUE", kv);
			goto bad;
		}
		if (key_is(kv, "id") || key_is(kv, "guest-numa-id"))
			continue;
		if (key_is(kv, "cpus"))
			ret = cfg_parse_cpus(val, node, err);
		else if (key_is(kv, "memory") || key_is(kv, "size") || key_is(kv, "mem"))
			ret = cfg_parse_size(val, &node->mem_bytes, err);
		else if (key_is(kv, "distances"))
			ret = cfg_parse_distances(val, cfg, id, err);
		else if (key_is(kv, "host"))
			ret = cfg_parse_u32(val, &node->host, err);
		else
			ret =
			    (snprintf(err, sizeof(err),
				      "unknown key '%s' (known: id, cpus, memory, distances, host)",
				      kv),
			     -EINVAL);
		if (ret)
			goto bad;
	}
	return 0;
bad:
	pr_err("--numa '%s': %s", spec, err);
	return -EINVAL;
}

static int parse_hmat(struct ssivm_config *cfg, const char *spec, uint64_t *seen)
{
	char copy[1024], *cur = copy, *kv, *val;
	char err[CONFIG_ERRLEN] = "";
	uint32_t ini = UINT32_MAX, tgt = UINT32_MAX, v;
	struct hmat_entry *e;

	if (strlen(spec) >= sizeof(copy)) {
		pr_err("--hmat '%.40s...': too long", spec);
		return -EINVAL;
	}
	strcpy(copy, spec);
	while ((kv = next_kv(&cur))) {
		if (split_kv(kv, &val))
			continue;
		if ((key_is(kv, "initiator") && cfg_parse_u32(val, &ini, err)) ||
		    (key_is(kv, "target") && cfg_parse_u32(val, &tgt, err)))
			goto bad;
	}
	if (ini == UINT32_MAX || tgt == UINT32_MAX) {
		snprintf(err, sizeof(err), "initiator= and target= are required");
		goto bad;
	}
	e = cfg_hmat_define(cfg, ini, tgt, err);
	if (!e)
		goto bad;
	if (seen[ini] & (1ULL << tgt)) {
		snprintf(err, sizeof(err), "hmat %u->%u is given twice", ini, tgt);
		goto bad;
	}
	seen[ini] |= 1ULL << tgt;
	strcpy(copy, spec);
	cur = copy;
	while ((kv = next_kv(&cur))) {
		bool lat, rd, wr;

		if (split_kv(kv, &val)) {
			snprintf(err, sizeof(err), "'%s' is not KEY=VALUE", kv);
			goto bad;
		}
		if (key_is(kv, "initiator") || key_is(kv, "target"))
			continue;
		lat = strstr(kv, "latency");
		rd = key_is(kv, "read-latency") || key_is(kv, "read-bandwidth");
		wr = key_is(kv, "write-latency") || key_is(kv, "write-bandwidth");
		if (key_is(kv, "latency") || key_is(kv, "bandwidth"))
			rd = wr = true;
		if (!rd && !wr) {
			snprintf(
			    err, sizeof(err),
			    "unknown key '%s' (known: initiator, target, [read-|write-]latency, "
			    "[read-|write-]bandwidth)",
			    kv);
			goto bad;
		}
		if (lat ? cfg_parse_latency(val, &v, err) : cfg_parse_bandwidth(val, &v, err))
			goto bad;
		if (lat) {
			e->read_latency_ns = rd ? v : e->read_latency_ns;
			e->write_latency_ns = wr ? v : e->write_latency_ns;
		} else {
			e->read_bandwidth_mbs = rd ? v : e->read_bandwidth_mbs;
			e->write_bandwidth_mbs = wr ? v : e->write_bandwidth_mbs;
		}
	}
	return 0;
bad:
	pr_err("--hmat '%s': %s", spec, err);
	return -EINVAL;
}

struct flag_seen {
	bool modules; /* a --module was given: the file's modules are dropped */
	uint64_t numa;
	uint64_t hmat[SSIVM_MAX_NODES];
};

static int apply_flag(struct ssivm_config *cfg, int opt, const char *arg, struct flag_seen *seen)
{
	char err[CONFIG_ERRLEN];
	int ret = 0;

	switch (opt) {
	case OPT_CONFIG:
		return 0; /* read before the flags */
	case OPT_VCPUS:
		ret = cfg_parse_u32(arg, &cfg->nr_vcpus, err);
		if (ret)
			pr_err("--vcpus: %s", err);
		cfg->given |= CONFIG_GIVEN_VCPUS;
		return ret;
	case OPT_MEMORY:
		ret = cfg_parse_size(arg, &cfg->mem_total, err);
		if (ret)
			pr_err("--memory: %s", err);
		cfg->given |= CONFIG_GIVEN_MEMORY;
		return ret;
	case OPT_NUMA:
		return parse_numa(cfg, arg, &seen->numa);
	case OPT_HMAT:
		return parse_hmat(cfg, arg, seen->hmat);
	case OPT_KERNEL:
		return cfg_set_str(&cfg->kernel, arg);
	case OPT_INITRD:
		return cfg_set_str(&cfg->initrd, arg);
	case OPT_MODULE:
		if (!seen->modules)
			cfg_clear_modules(cfg);
		seen->modules = true;
		ret = cfg_add_modules(cfg, arg, err);
		if (ret == -EINVAL) /* a long list is quoted by its start */
			pr_err("--module '%.80s%s': %s", arg, strlen(arg) > 80 ? "..." : "", err);
		return ret;
	case OPT_CMDLINE:
		return cfg_set_str(&cfg->cmdline, arg);
	case OPT_SERIAL_LOG:
		return cfg_set_str(&cfg->serial_log, arg);
	case OPT_HOSTS:
	case OPT_FABRIC:
	case OPT_DSM_POLICY:
		ret = cfg_cluster_set(cfg,
				      opt == OPT_HOSTS    ? "hosts"
				      : opt == OPT_FABRIC ? "fabric"
							  : "dsm",
				      arg, err);
		if (ret == -EINVAL)
			pr_err("--%s: %s",
			       opt == OPT_HOSTS    ? "hosts"
			       : opt == OPT_FABRIC ? "fabric"
						   : "dsm-policy",
			       err);
		return ret;
	}
	return -EINVAL;
}

int config_parse_args(struct ssivm_config *cfg, int argc, char **argv,
		      struct config_extra_opts *extra)
{
	struct option opts[NR_CONFIG_OPTS + MAX_EXTRA_OPTS + 1];
	const char *shortopts = extra && extra->shortopts ? extra->shortopts : "";
	char short_quiet[64];
	const char *config_file = NULL;
	struct flag_seen seen = {0};
	size_t n = NR_CONFIG_OPTS;
	int opt, ret = 0, errors = 0;

	memcpy(opts, config_opts, sizeof(config_opts));
	for (size_t i = 0; extra && extra->opts && extra->opts[i].name; i++) {
		if (n >= NR_CONFIG_OPTS + MAX_EXTRA_OPTS)
			return -E2BIG;
		opts[n++] = extra->opts[i];
	}
	memset(&opts[n], 0, sizeof(opts[n]));
	snprintf(short_quiet, sizeof(short_quiet), ":%s", shortopts);

	/* pass 1: only --config, silently */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_quiet, opts, NULL)) != -1) {
		if (opt != OPT_CONFIG)
			continue;
		if (config_file) {
			pr_err("--config given twice ('%s', '%s')", config_file, optarg);
			return -EINVAL;
		}
		config_file = optarg;
	}
	if (config_file && config_parse_file(cfg, config_file))
		return -EINVAL;

	/* pass 2: everything else, in order, on top of the file */
	optind = 0;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return -EINVAL; /* getopt printed why */
		if (opt >= CONFIG_OPT_BASE && opt <= OPT_DSM_POLICY) {
			if (apply_flag(cfg, opt, optarg, &seen))
				errors++;
			continue;
		}
		ret = extra && extra->handle ? extra->handle(opt, optarg, extra->opaque) : -EINVAL;
		if (ret)
			return ret;
	}
	if (extra)
		extra->first_arg = optind;
	if (optind < argc && !(extra && extra->allow_args)) {
		pr_err("%s: unexpected argument '%s' (the configuration file goes with --config)",
		       argv[0], argv[optind]);
		return -EINVAL;
	}
	if (errors)
		return -EINVAL;
	return config_finish(cfg);
}
