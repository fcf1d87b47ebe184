// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/policy.c — policy parameters (defaults, parsing, validation) and the
 * ping-pong guard's bounce accounting and pin table. See dsm/policy.h.
 */
#include "dsm/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dsm/proto_internal.h"

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

struct dsm_pin *pol_pin_of(struct dsm_proto *p, uint64_t page)
{
	if (!(p->pages[page].st & PF_PINNED))
		return NULL;
	for (unsigned i = 0; i < p->pol.max_pinned; i++)
		if (p->pins[i].used && p->pins[i].page == page)
			return &p->pins[i];
	return NULL;
}

void pol_unpin(struct dsm_proto *p, struct dsm_pin *pin)
{
	p->pages[pin->page].st &= (uint8_t)~PF_PINNED;
	pin->used = false;
	p->c.pages_pinned--;
}

bool pol_bounce(struct dsm_proto *p, uint64_t page)
{
	struct dsm_page *pg = &p->pages[page];
	struct dsm_dir *d = dir_of(p, page);
	uint16_t now_ms = (uint16_t)(p->now_ns / 1000000);

	if (!d)
		return false;
	if ((uint16_t)(now_ms - d->bounce_ms) > p->pol.pingpong_window_ms) {
		d->bounce_ms = now_ms;
		d->bounces = 0;
	}
	if (d->bounces < 255)
		d->bounces++;
	if (d->bounces <= p->pol.pingpong_threshold || (pg->st & PF_PINNED))
		return false;
	d->bounces = 0;
	for (unsigned i = 0; i < p->pol.max_pinned; i++) {
		struct dsm_pin *pin = &p->pins[i];

		if (pin->used)
			continue;
		*pin = (struct dsm_pin){.page = page,
					.until_ns = p->now_ns + (uint64_t)p->pol.pin_ms * 1000000,
					.hold_ns = 0,
					.used = true};
		pg->st |= PF_PINNED;
		p->c.pins++;
		p->c.pages_pinned++;
		pr_debug("dsm: node %u: page 0x%llx pinned for %u ms (ping-pong)", p->self,
			 (unsigned long long)page, p->pol.pin_ms);
		return true;
	}
	p->c.pin_full++;
	return false;
}
