// SPDX-License-Identifier: GPL-2.0-only
/* config/config_file.c — the configuration file (libconfig syntax). */
#include "config/config_priv.h"

#undef config_init /* ours is ssivm_config_init; this file needs libconfig's */
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

struct file_ctx {
	const char *path;
	struct ssivm_config *cfg;
	int errors;
};

__attribute__((format(printf, 3, 4))) static void
file_err(struct file_ctx *fc, const config_setting_t *s, const char *fmt, ...)
{
	char msg[CONFIG_ERRLEN * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s:%u: %s", fc->path, s ? config_setting_source_line(s) : 0, msg);
	fc->errors++;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	}
	return "?";
}

static bool is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* An integer >= 0 setting, or an error naming @what. */
static int get_uint(struct file_ctx *fc, const config_setting_t *s, const char *what, int64_t max,
		    int64_t *out)
{
	if (!is_int(s)) {
		file_err(fc, s, "%s must be a number, not %s", what, type_name(s));
		return -EINVAL;
	}
	*out = config_setting_get_int64(s);
	if (*out < 0 || *out > max) {
		file_err(fc, s, "%s = %" PRId64 " is out of range 0..%" PRId64, what, *out, max);
		return -EINVAL;
	}
	return 0;
}

static const char *get_string(struct file_ctx *fc, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		file_err(fc, s, "%s must be a string, not %s", what, type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

/* A size: "2G" or a number of bytes. */
static int get_size(struct file_ctx *fc, const config_setting_t *s, const char *what, uint64_t *out)
{
	char err[CONFIG_ERRLEN];
	int64_t v;

	if (is_int(s)) {
		if (get_uint(fc, s, what, INT64_MAX, &v))
			return -EINVAL;
		*out = (uint64_t)v;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		file_err(fc, s, "%s must be a size like \"2G\", not %s", what, type_name(s));
		return -EINVAL;
	}
	if (cfg_parse_size(config_setting_get_string(s), out, err)) {
		file_err(fc, s, "%s: %s", what, err);
		return -EINVAL;
	}
	return 0;
}

/* cpus = "0-1:3" | [0, 1, 3] | ("0-1", 3) */
static void node_cpus(struct file_ctx *fc, const config_setting_t *s, struct numa_node_config *node)
{
	char err[CONFIG_ERRLEN];
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING) {
		if (cfg_parse_cpus(config_setting_get_string(s), node, err))
			file_err(fc, s, "numa node %u: %s", node->id, err);
		return;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		file_err(fc, s, "numa node %u: cpus must be \"0-1:3\" or [0, 1, 3], not %s",
			 node->id, type_name(s));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int ret;

		if (is_int(e))
			ret = cfg_node_add_cpu(node, config_setting_get_int64(e), err);
		else if (config_setting_type(e) == CONFIG_TYPE_STRING)
			ret = cfg_parse_cpus(config_setting_get_string(e), node, err);
		else
			ret = (snprintf(err, sizeof(err), "cpus: %s in the list", type_name(e)),
			       -EINVAL);
		if (ret)
			file_err(fc, e, "numa node %u: %s", node->id, err);
	}
}

/* distances = "1@20:2@30" | ["1@20", "2@30"] */
static void node_distances(struct file_ctx *fc, const config_setting_t *s, uint32_t id)
{
	char err[CONFIG_ERRLEN];
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING) {
		if (cfg_parse_distances(config_setting_get_string(s), fc->cfg, id, err))
			file_err(fc, s, "numa node %u: %s", id, err);
		return;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		file_err(fc, s, "numa node %u: distances must be \"1@20:2@30\", not %s", id,
			 type_name(s));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			file_err(fc, e, "numa node %u: distances: \"NODE@DISTANCE\" expected", id);
		else if (cfg_parse_distances(config_setting_get_string(e), fc->cfg, id, err))
			file_err(fc, e, "numa node %u: %s", id, err);
	}
}

static void parse_node(struct file_ctx *fc, const config_setting_t *g, uint64_t *seen)
{
	config_setting_t *s = config_setting_get_member(g, "id");
	struct numa_node_config *node;
	char err[CONFIG_ERRLEN];
	int64_t id, v;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		file_err(fc, g, "numa: each node must be a group { id = ...; }, not %s",
			 type_name(g));
		return;
	}
	if (!s) {
		file_err(fc, g, "numa node without an id");
		return;
	}
	if (get_uint(fc, s, "numa node id", SSIVM_MAX_NODES - 1, &id))
		return;
	if (*seen & (1ULL << id)) {
		file_err(fc, s, "numa node %" PRId64 " is defined twice", id);
		return;
	}
	*seen |= 1ULL << id;
	node = cfg_node_define(fc->cfg, id, err);
	if (!node) {
		file_err(fc, s, "%s", err);
		return;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		const char *name;

		s = config_setting_get_elem(g, (unsigned int)i);
		name = config_setting_name(s);
		if (!strcmp(name, "id"))
			continue;
		if (!strcmp(name, "cpus"))
			node_cpus(fc, s, node);
		else if (!strcmp(name, "memory"))
			get_size(fc, s, "memory", &node->mem_bytes);
		else if (!strcmp(name, "distances"))
			node_distances(fc, s, (uint32_t)id);
		else if (!strcmp(name, "host")) {
			if (!get_uint(fc, s, "host", UINT32_MAX, &v))
				node->host = (uint32_t)v;
		} else
			file_err(fc, s,
				 "numa node %" PRId64 ": unknown key '%s' (known: id, cpus, "
				 "memory, distances, host)",
				 id, name);
	}
}

/* Which field(s) a hmat key sets: latency keys take ns, bandwidth keys MB/s. */
static const struct {
	const char *name;
	bool bandwidth;
	bool read, write;
} hmat_keys[] = {
    {"read_latency", false, true, false},   {"write_latency", false, false, true},
    {"latency", false, true, true},         {"read_bandwidth", true, true, false},
    {"write_bandwidth", true, false, true}, {"bandwidth", true, true, true},
};

static void hmat_value(struct file_ctx *fc, const config_setting_t *s, struct hmat_entry *e)
{
	const char *name = config_setting_name(s);
	char err[CONFIG_ERRLEN];
	uint32_t v;

	for (size_t k = 0; k < sizeof(hmat_keys) / sizeof(hmat_keys[0]); k++) {
		size_t len = strlen(hmat_keys[k].name);
		const char *unit = hmat_keys[k].bandwidth ? "_mbs" : "_ns";
		int ret;

		if (strncmp(name, hmat_keys[k].name, len) ||
		    (name[len] && strcmp(name + len, unit)))
			continue;
		if (is_int(s)) {
			int64_t n = config_setting_get_int64(s);

			ret = n < 1 || n > UINT32_MAX
				  ? (snprintf(err, sizeof(err),
					      "%s = %" PRId64 " is out of range 1..%" PRIu32, name,
					      n, UINT32_MAX),
				     -EINVAL)
				  : 0;
			v = (uint32_t)n;
		} else if (config_setting_type(s) == CONFIG_TYPE_STRING && !name[len]) {
			ret = hmat_keys[k].bandwidth
				  ? cfg_parse_bandwidth(config_setting_get_string(s), &v, err)
				  : cfg_parse_latency(config_setting_get_string(s), &v, err);
		} else {
			ret = (snprintf(err, sizeof(err), "%s must be a number%s, not %s", name,
					name[len] ? "" : " or a string with a unit", type_name(s)),
			       -EINVAL);
		}
		if (ret) {
			file_err(fc, s, "hmat %u->%u: %s", e->initiator, e->target, err);
			return;
		}
		if (hmat_keys[k].bandwidth) {
			if (hmat_keys[k].read)
				e->read_bandwidth_mbs = v;
			if (hmat_keys[k].write)
				e->write_bandwidth_mbs = v;
		} else {
			if (hmat_keys[k].read)
				e->read_latency_ns = v;
			if (hmat_keys[k].write)
				e->write_latency_ns = v;
		}
		return;
	}
	file_err(fc, s,
		 "hmat %u->%u: unknown key '%s' (known: initiator, target, [read_|write_]latency"
		 "[_ns], [read_|write_]bandwidth[_mbs])",
		 e->initiator, e->target, name);
}

static void parse_hmat(struct file_ctx *fc, const config_setting_t *g)
{
	config_setting_t *si, *st;
	struct hmat_entry *e;
	char err[CONFIG_ERRLEN];
	int64_t ini, tgt;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		file_err(fc, g, "hmat: each entry must be a group { initiator = ...; }, not %s",
			 type_name(g));
		return;
	}
	si = config_setting_get_member(g, "initiator");
	st = config_setting_get_member(g, "target");
	if (!si || !st) {
		file_err(fc, g, "hmat entry without %s", si ? "a target" : "an initiator");
		return;
	}
	if (get_uint(fc, si, "initiator", SSIVM_MAX_NODES - 1, &ini) ||
	    get_uint(fc, st, "target", SSIVM_MAX_NODES - 1, &tgt))
		return;
	for (uint32_t i = 0; i < fc->cfg->nr_hmat; i++)
		if (fc->cfg->hmat[i].initiator == ini && fc->cfg->hmat[i].target == tgt)
			file_err(fc, g, "hmat %" PRId64 "->%" PRId64 " is given twice", ini, tgt);
	e = cfg_hmat_define(fc->cfg, ini, tgt, err);
	for (int i = 0; e && i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned int)i);

		if (s != si && s != st)
			hmat_value(fc, s, e);
	}
}

static void parse_list(struct file_ctx *fc, const config_setting_t *s, bool numa)
{
	uint64_t seen = 0;
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_GROUP) {
		file_err(fc, s, "%s must be a list ( { ... }, ... ), not %s",
			 numa ? "numa" : "hmat", type_name(s));
		return;
	}
	if (t == CONFIG_TYPE_GROUP) { /* a single entry written without ( ) */
		numa ? parse_node(fc, s, &seen) : parse_hmat(fc, s);
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		numa ? parse_node(fc, e, &seen) : parse_hmat(fc, e);
	}
}

static void parse_str(struct file_ctx *fc, const config_setting_t *s, char **dst)
{
	const char *v = get_string(fc, s, config_setting_name(s));

	if (v && cfg_set_str(dst, v))
		file_err(fc, s, "out of memory");
}

/* modules = "FILE ARGS,FILE ARGS" | ["FILE ARGS", ...]: each string as --module */
static void parse_modules(struct file_ctx *fc, const config_setting_t *s)
{
	char err[CONFIG_ERRLEN];
	int t = config_setting_type(s), n = 1;

	if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else if (t != CONFIG_TYPE_STRING) {
		file_err(fc, s, "modules must be \"FILE ARGS,...\" or [\"FILE ARGS\", ...], not %s",
			 type_name(s));
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e =
		    t == CONFIG_TYPE_STRING ? s : config_setting_get_elem(s, (unsigned int)i);
		int ret;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			file_err(fc, e, "modules: \"FILE ARGS\" expected, not %s", type_name(e));
			continue;
		}
		ret = cfg_add_modules(fc->cfg, config_setting_get_string(e), err);
		if (ret)
			file_err(fc, e, "modules: %s", ret == -EINVAL ? err : "out of memory");
	}
}

/* cluster = { hosts = ["10.0.0.1", "10.0.0.2"]; fabric = "tcp"; port = 7400; ... } */
static void parse_cluster(struct file_ctx *fc, const config_setting_t *g)
{
	char err[CONFIG_ERRLEN], num[32];

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		file_err(fc, g, "cluster must be a group { ... }, not %s", type_name(g));
		return;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned int)i);
		const char *key = config_setting_name(s), *v = NULL;
		int ret;

		if (!strcmp(key, "hosts") && (config_setting_type(s) == CONFIG_TYPE_LIST ||
					      config_setting_type(s) == CONFIG_TYPE_ARRAY)) {
			cfg_cluster_clear_hosts(&fc->cfg->cluster);
			for (int j = 0; j < config_setting_length(s); j++) {
				config_setting_t *e = config_setting_get_elem(s, (unsigned int)j);
				const char *a = get_string(fc, e, "cluster.hosts entry");

				if (a && strchr(a, ','))
					file_err(fc, e, "cluster.hosts entry '%s' contains a comma",
						 a);
				else if (a && cfg_cluster_add_hosts(&fc->cfg->cluster, a, err))
					file_err(fc, e, "cluster.%s", err);
			}
			continue;
		}
		if (is_int(s)) {
			int64_t x = config_setting_get_int64(s);

			snprintf(num, sizeof(num), "%lld", (long long)x);
			v = x < 0 ? "-1" : num;
		} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
			v = config_setting_get_string(s);
		} else {
			file_err(fc, s, "cluster.%s must be a number or a string, not %s", key,
				 type_name(s));
			continue;
		}
		ret = cfg_cluster_set(fc->cfg, key, v, err);
		if (ret)
			file_err(fc, s, "cluster: %s", ret == -EINVAL ? err : "out of memory");
	}
}

static void parse_root(struct file_ctx *fc, const config_setting_t *root)
{
	struct ssivm_config *cfg = fc->cfg;
	int64_t v;

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned int)i);
		const char *name = config_setting_name(s);

		if (!strcmp(name, "vcpus")) {
			if (!get_uint(fc, s, "vcpus", UINT32_MAX, &v)) {
				cfg->nr_vcpus = (uint32_t)v;
				cfg->given |= CONFIG_GIVEN_VCPUS;
			}
		} else if (!strcmp(name, "memory")) {
			if (!get_size(fc, s, "memory", &cfg->mem_total))
				cfg->given |= CONFIG_GIVEN_MEMORY;
		} else if (!strcmp(name, "kernel")) {
			parse_str(fc, s, &cfg->kernel);
		} else if (!strcmp(name, "initrd")) {
			parse_str(fc, s, &cfg->initrd);
		} else if (!strcmp(name, "modules")) {
			parse_modules(fc, s);
		} else if (!strcmp(name, "cmdline")) {
			parse_str(fc, s, &cfg->cmdline);
		} else if (!strcmp(name, "serial_log")) {
			parse_str(fc, s, &cfg->serial_log);
		} else if (!strcmp(name, "numa")) {
			parse_list(fc, s, true);
		} else if (!strcmp(name, "hmat")) {
			parse_list(fc, s, false);
		} else if (!strcmp(name, "cluster")) {
			parse_cluster(fc, s);
		} else {
			file_err(fc, s,
				 "unknown key '%s' (known: vcpus, memory, kernel, initrd, modules, "
				 "cmdline, serial_log, numa, hmat, cluster)",
				 name);
		}
	}
}

int config_parse_file(struct ssivm_config *cfg, const char *path)
{
	struct file_ctx fc = {.path = path, .cfg = cfg};
	config_t lc;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		pr_err("config file '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	config_init(&lc);
	if (!config_read(&lc, f)) {
		pr_err("%s:%d: %s", path, config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	parse_root(&fc, config_root_setting(&lc));
	config_destroy(&lc);
	if (!fc.errors && cfg_set_str(&cfg->config_file, path))
		return -ENOMEM;
	return fc.errors ? -EINVAL : 0;
}
