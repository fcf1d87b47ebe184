// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/policy_opts.c — policy parameters: defaults, parsing, validation,
 * formatting (see dsm/policy.h). Pure: the configuration checks them too.
 */
#include "dsm/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

void dsm_policy_defaults(struct dsm_policy *pol)
{
	*pol = (struct dsm_policy){
	    .first_touch = true,
	    .replication = true,
	    .migrate_after = 0,
	    .pingpong_threshold = 0,
	    .pingpong_window_ms = 100,
	    .pin_ms = 100,
	    .pin_hold_us = 1000,
	    .max_pinned = 64,
	};
}

int dsm_policy_validate(const struct dsm_policy *pol)
{
	if (pol->migrate_after > 255) {
		pr_err("dsm policy: migrate_after=%u: must be 0..255", pol->migrate_after);
		return -EINVAL;
	}
	if (pol->pingpong_threshold > 250) {
		pr_err("dsm policy: pingpong_threshold=%u: must be 0..250",
		       pol->pingpong_threshold);
		return -EINVAL;
	}
	if (pol->pingpong_threshold &&
	    (pol->pingpong_window_ms == 0 || pol->pingpong_window_ms > 60000)) {
		pr_err("dsm policy: pingpong_window_ms=%u: must be 1..60000",
		       pol->pingpong_window_ms);
		return -EINVAL;
	}
	if (pol->pingpong_threshold && (pol->pin_ms == 0 || pol->pin_ms > 3600000)) {
		pr_err("dsm policy: pin_ms=%u: must be 1..3600000", pol->pin_ms);
		return -EINVAL;
	}
	if (pol->pin_hold_us > 1000000) {
		pr_err("dsm policy: pin_hold_us=%u: must be 0..1000000", pol->pin_hold_us);
		return -EINVAL;
	}
	if (pol->pingpong_threshold && (pol->max_pinned == 0 || pol->max_pinned > 65536)) {
		pr_err("dsm policy: max_pinned=%u: must be 1..65536", pol->max_pinned);
		return -EINVAL;
	}
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_u32(const char *v, uint32_t *out)
{
	char *end;
	unsigned long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

int dsm_policy_set(struct dsm_policy *pol, const char *key, const char *value)
{
	int r = -EINVAL;

	if (!strcmp(key, "first_touch"))
		r = parse_bool(value, &pol->first_touch);
	else if (!strcmp(key, "replication"))
		r = parse_bool(value, &pol->replication);
	else if (!strcmp(key, "migrate_after"))
		r = parse_u32(value, &pol->migrate_after);
	else if (!strcmp(key, "pingpong_threshold"))
		r = parse_u32(value, &pol->pingpong_threshold);
	else if (!strcmp(key, "pingpong_window_ms"))
		r = parse_u32(value, &pol->pingpong_window_ms);
	else if (!strcmp(key, "pin_ms"))
		r = parse_u32(value, &pol->pin_ms);
	else if (!strcmp(key, "pin_hold_us"))
		r = parse_u32(value, &pol->pin_hold_us);
	else if (!strcmp(key, "max_pinned"))
		r = parse_u32(value, &pol->max_pinned);
	else {
		pr_err("dsm policy: unknown key '%s'", key);
		return -EINVAL;
	}
	if (r)
		pr_err("dsm policy: %s='%s': bad value", key, value);
	return r;
}

int dsm_policy_parse(struct dsm_policy *pol, const char *text)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(text) >= sizeof(buf)) {
		pr_err("dsm policy: text too long (%zu bytes)", strlen(text));
		return -EINVAL;
	}
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int r;

		if (!eq) {
			pr_err("dsm policy: '%s': expected key=value", tok);
			return -EINVAL;
		}
		*eq = 0;
		r = dsm_policy_set(pol, tok, eq + 1);
		if (r)
			return r;
	}
	return dsm_policy_validate(pol);
}

int dsm_policy_format(const struct dsm_policy *pol, char *buf, unsigned size)
{
	return snprintf(buf, size,
			"first_touch=%d,replication=%d,migrate_after=%u,pingpong_threshold=%u,"
			"pingpong_window_ms=%u,pin_ms=%u,pin_hold_us=%u,max_pinned=%u",
			pol->first_touch, pol->replication, pol->migrate_after,
			pol->pingpong_threshold, pol->pingpong_window_ms, pol->pin_ms,
			pol->pin_hold_us, pol->max_pinned);
}

/* ---- ping-pong guard ---- */
