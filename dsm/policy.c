// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsm/policy.c — the ping-pong guard's bounce accounting and pin table (the
 * parameters are in dsm/policy_opts.c). See dsm/policy.h.
 */
#include "dsm/policy.h"

#include "common/log.h"
#include "dsm/proto_internal.h"

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
