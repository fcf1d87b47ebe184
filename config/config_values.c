// SPDX-License-Identifier: GPL-2.0-only
/* config/config_values.c — parsing of the values users write: sizes, lists, units. */
#include "config/config_priv.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR(...) (snprintf(err, CONFIG_ERRLEN, __VA_ARGS__), -EINVAL)

static int parse_i64(const char *s, const char **end, int64_t *out)
{
	char *e;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	/* decimal, or hex with 0x; never octal ("010" is ten) */
	v = strtoll(s, &e, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno)
		return -ERANGE;
	*out = v;
	*end = e;
	return 0;
}

int cfg_parse_u32(const char *s, uint32_t *out, char *err)
{
	const char *end;
	int64_t v;

	if (parse_i64(s, &end, &v) || *end)
		return ERR("'%s' is not a number", s);
	if (v > UINT32_MAX)
		return ERR("%s is too large", s);
	*out = (uint32_t)v;
	return 0;
}

int cfg_parse_size(const char *s, uint64_t *out, char *err)
{
	static const char units[] = "kmgtp";
	const char *end, *u;
	uint64_t v, mult = 1;
	int64_t n;

	if (parse_i64(s, &end, &n))
		return ERR("'%s' is not a size (write e.g. 512M, 2G)", s);
	v = (uint64_t)n;
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u || !*u)
			return ERR("'%s' is not a size (write e.g. 512M, 2G)", s);
		mult = 1ULL << (10 * (u - units + 1));
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return ERR("'%s' is not a size (write e.g. 512M, 2G)", s);
	if (v > UINT64_MAX / mult)
		return ERR("size '%s' is too large", s);
	*out = v * mult;
	return 0;
}

const char *cfg_fmt_size(uint64_t bytes, char buf[32])
{
	static const char units[] = "KMGTP";
	int i;

	for (i = 4; i >= 0; i--) {
		uint64_t m = 1ULL << (10 * (i + 1));

		if (bytes && bytes % m == 0) {
			snprintf(buf, 32, "%" PRIu64 "%c", bytes / m, units[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%" PRIu64, bytes);
	return buf;
}

/* Copy @s without surrounding [] into @buf; NULL if too long or unbalanced. */
static char *strip_brackets(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);

	if (len >= size)
		return NULL;
	if (len && s[0] == '[') {
		if (s[len - 1] != ']')
			return NULL;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = 0;
	} else {
		memcpy(buf, s, len + 1);
	}
	return buf;
}

int cfg_node_add_cpu(struct numa_node_config *node, int64_t cpu, char *err)
{
	if (cpu < 0 || cpu >= SSIVM_MAX_VCPUS)
		return ERR("cpu %" PRId64 " is out of range 0..%d", cpu, SSIVM_MAX_VCPUS - 1);
	if (node->nr_cpus >= SSIVM_MAX_VCPUS)
		return ERR("more than %d cpus listed", SSIVM_MAX_VCPUS);
	node->cpus[node->nr_cpus++] = (uint32_t)cpu;
	return 0;
}

int cfg_parse_cpus(const char *s, struct numa_node_config *node, char *err)
{
	char buf[1024], *save = NULL, *tok;
	int ret;

	if (!strip_brackets(s, buf, sizeof(buf)))
		return ERR("cpus '%s': not a list like 0-1:3", s);
	for (tok = strtok_r(buf, ",:", &save); tok; tok = strtok_r(NULL, ",:", &save)) {
		const char *end;
		int64_t lo, hi;

		if (parse_i64(tok, &end, &lo))
			return ERR("cpus '%s': '%s' is not a cpu or range", s, tok);
		hi = lo;
		if (*end == '-' && parse_i64(end + 1, &end, &hi))
			return ERR("cpus '%s': '%s' is not a cpu or range", s, tok);
		if (*end)
			return ERR("cpus '%s': '%s' is not a cpu or range", s, tok);
		if (hi < lo)
			return ERR("cpus '%s': range %s goes backwards", s, tok);
		if (hi >= SSIVM_MAX_VCPUS)
			return ERR("cpus '%s': cpu %" PRId64 " is out of range 0..%d", s, hi,
				   SSIVM_MAX_VCPUS - 1);
		for (int64_t c = lo; c <= hi; c++) {
			ret = cfg_node_add_cpu(node, c, err);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int cfg_set_distance(struct ssivm_config *cfg, uint32_t from, int64_t to, int64_t dist, char *err)
{
	if (to < 0 || to >= SSIVM_MAX_NODES)
		return ERR("distance to node %" PRId64 ": node ids are 0..%d", to,
			   SSIVM_MAX_NODES - 1);
	if (dist < 0 || dist > 255)
		return ERR("distance %u->%" PRId64 " = %" PRId64 " is out of range 11..254", from,
			   to, dist);
	cfg->distance[from][to] = (uint8_t)dist;
	cfg->distance_given[from] |= 1ULL << to;
	return 0;
}

int cfg_parse_distances(const char *s, struct ssivm_config *cfg, uint32_t from, char *err)
{
	char buf[1024], *save = NULL, *tok;
	int ret;

	if (!strip_brackets(s, buf, sizeof(buf)))
		return ERR("distances '%s': not a list like 1@20:2@30", s);
	for (tok = strtok_r(buf, ",:", &save); tok; tok = strtok_r(NULL, ",:", &save)) {
		const char *end;
		int64_t to, dist;

		if (parse_i64(tok, &end, &to) || *end != '@' || parse_i64(end + 1, &end, &dist) ||
		    *end)
			return ERR("distances '%s': '%s' is not NODE@DISTANCE", s, tok);
		ret = cfg_set_distance(cfg, from, to, dist, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* A positive decimal number followed by a unit from @units (mult per unit). */
static int parse_unit(const char *s, const char *const *units, const double *mult, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	v = strtod(s, &end);
	for (int i = 0; units[i]; i++) {
		if (!strcasecmp(end, units[i])) {
			*out = v * mult[i];
			return isfinite(*out) ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

int cfg_parse_latency(const char *s, uint32_t *ns, char *err)
{
	static const char *const units[] = {"", "ns", "us", "ms", NULL};
	static const double mult[] = {1, 1, 1e3, 1e6};
	double v;

	if (parse_unit(s, units, mult, &v))
		return ERR("latency '%s': write e.g. 200ns, 1.5us", s);
	if (v < 0.5 || v > UINT32_MAX)
		return ERR("latency '%s' is out of range 1ns..%" PRIu32 "ns", s, UINT32_MAX);
	*ns = (uint32_t)llround(v);
	return 0;
}

int cfg_parse_bandwidth(const char *s, uint32_t *mbs, char *err)
{
	static const char *const units[] = {"",      "M", "MB/s", "MiB/s", "G", "GB/s",
					    "GiB/s", "T", "TB/s", "TiB/s", NULL};
	static const double mult[] = {1, 1, 1, 1, 1024, 1024, 1024, 1048576, 1048576, 1048576};
	double v;

	if (parse_unit(s, units, mult, &v))
		return ERR("bandwidth '%s': write e.g. 10G, 800M (MB/s, G = 1024M)", s);
	if (v < 0.5 || v > UINT32_MAX)
		return ERR("bandwidth '%s' is out of range 1M..%" PRIu32 "M", s, UINT32_MAX);
	*mbs = (uint32_t)llround(v);
	return 0;
}

int cfg_set_str(char **dst, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}
