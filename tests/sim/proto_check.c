// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/proto_check.c — invariants of DSM protocol instances over their
 * public views (see proto_check.h).
 */
#include "tests/sim/proto_check.h"

#include <stdarg.h>
#include <stdio.h>

static bool bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

/* The same, for dsm_check_page. */
static int violated(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int violated(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return DSM_PAGE_VIOLATED;
}

static const char *const act_names[] = {
    [DSM_ACT_INSTALL_RO] = "install ro",
    [DSM_ACT_INSTALL_RW] = "install rw",
    [DSM_ACT_PROTECT] = "protect",
    [DSM_ACT_UNPROTECT] = "unprotect",
    [DSM_ACT_DROP] = "drop",
    [DSM_ACT_READ] = "read_page",
};

const char *dsm_map_act_name(enum dsm_map_act act)
{
	return (unsigned)act <= DSM_ACT_READ ? act_names[act] : "?";
}

bool dsm_map_apply(uint8_t *map, enum dsm_map_act act)
{
	switch (act) {
	case DSM_ACT_INSTALL_RO:
	case DSM_ACT_INSTALL_RW:
		if (*map == DSM_MAP_RW)
			return false;
		*map = act == DSM_ACT_INSTALL_RW ? DSM_MAP_RW : DSM_MAP_RO;
		return true;
	case DSM_ACT_PROTECT:
		if (*map != DSM_MAP_RW)
			return false;
		*map = DSM_MAP_RO;
		return true;
	case DSM_ACT_UNPROTECT:
		if (*map != DSM_MAP_RO)
			return false;
		*map = DSM_MAP_RW;
		return true;
	case DSM_ACT_DROP:
		if (*map == DSM_MAP_NONE)
			return false;
		*map = DSM_MAP_NONE;
		return true;
	case DSM_ACT_READ:
		return *map != DSM_MAP_NONE;
	}
	return false;
}

static const char *map_name(uint8_t map)
{
	return map == DSM_MAP_RW ? "rw" : map == DSM_MAP_RO ? "ro" : "not";
}

static const char *st_name(enum dsm_page_state st)
{
	return st == DSM_EXCLUSIVE ? "Exclusive" : st == DSM_SHARED ? "Shared" : "Invalid";
}

bool dsm_check_mapping(const struct dsm_proto *p, unsigned self, uint64_t page, uint8_t map,
		       bool first_touch, char *why, size_t len)
{
	enum dsm_page_state st = dsm_proto_page_state(p, page);

	if ((map == DSM_MAP_RW && st != DSM_EXCLUSIVE) || (map == DSM_MAP_RO && st != DSM_SHARED) ||
	    (map == DSM_MAP_NONE && st != DSM_INVALID && first_touch))
		return bad(why, len, "node %u: page %llu mapped %s but protocol state %s", self,
			   (unsigned long long)page, map_name(map), st_name(st));
	return true;
}

static uint64_t all_nodes(unsigned nodes)
{
	return nodes >= 64 ? ~0ull : (1ull << nodes) - 1;
}

/* A directory entry is well formed: untouched and empty, or an owner inside
 * a copyset of existing nodes. */
static bool dir_ok(unsigned owner, uint64_t copyset, unsigned nodes, unsigned where, bool moving,
		   uint64_t page, char *why, size_t len)
{
	if (copyset & ~all_nodes(nodes))
		return bad(why, len,
			   "page %llu: directory (%s %u) copyset %#llx names nodes that "
			   "do not exist",
			   (unsigned long long)page, moving ? "HOME_MOVE to" : "home", where,
			   (unsigned long long)copyset);
	if (owner == DSM_NO_NODE ? copyset != 0 : owner >= nodes || !(copyset & (1ull << owner)))
		return bad(why, len, "page %llu: directory owner %u not in copyset %#llx",
			   (unsigned long long)page, owner, (unsigned long long)copyset);
	return true;
}

bool dsm_check_node(const struct dsm_proto *p, unsigned self, unsigned nodes, uint64_t pages,
		    const uint64_t *open, char *why, size_t len)
{
	const struct dsm_counters *c = dsm_proto_counters(p);
	uint64_t ex = 0, sh = 0, homes = 0, rej = 0, me = 1ull << self;

	for (uint64_t pg = 0; pg < pages; pg++) {
		enum dsm_page_state st = dsm_proto_page_state(p, pg);
		unsigned owner;
		uint64_t cs;
		bool busy;

		ex += st == DSM_EXCLUSIVE;
		sh += st == DSM_SHARED;
		if (dsm_proto_dir(p, pg, &owner, &cs, &busy))
			continue;
		homes++;
		if (!dir_ok(owner, cs, nodes, self, false, pg, why, len))
			return false;
		if (open && (open[pg] & me))
			continue;
		if (st != DSM_INVALID && !(cs & me))
			return bad(
			    why, len,
			    "node %u: home of page %llu holds it %s, not in its copyset %#llx",
			    self, (unsigned long long)pg, st_name(st), (unsigned long long)cs);
		if (st == DSM_EXCLUSIVE && (owner != self || cs != me))
			return bad(why, len,
				   "node %u: home of page %llu holds it Exclusive, directory owner "
				   "%u copyset %#llx",
				   self, (unsigned long long)pg, owner, (unsigned long long)cs);
		if (st == DSM_INVALID && (cs & me) && !busy)
			return bad(
			    why, len,
			    "node %u: home of page %llu in its copyset %#llx, holds nothing, "
			    "no transaction",
			    self, (unsigned long long)pg, (unsigned long long)cs);
	}
	if (c->pages_exclusive != ex || c->pages_shared != sh || c->pages_home != homes)
		return bad(why, len,
			   "node %u: gauges exclusive/shared/home %llu/%llu/%llu, holds "
			   "%llu/%llu/%llu",
			   self, (unsigned long long)c->pages_exclusive,
			   (unsigned long long)c->pages_shared, (unsigned long long)c->pages_home,
			   (unsigned long long)ex, (unsigned long long)sh,
			   (unsigned long long)homes);
	if (c->faults_read + c->faults_write + c->faults_upgrade !=
	    c->faults_requested + c->faults_joined)
		return bad(
		    why, len, "node %u: fault kinds %llu+%llu+%llu, requested + joined %llu+%llu",
		    self, (unsigned long long)c->faults_read, (unsigned long long)c->faults_write,
		    (unsigned long long)c->faults_upgrade, (unsigned long long)c->faults_requested,
		    (unsigned long long)c->faults_joined);
	if (c->faults_requested + c->faults_joined !=
	    c->faults_served_home + c->faults_served_remote + c->faults_waiting)
		return bad(why, len,
			   "node %u: requested + joined %llu+%llu, served at home + served "
			   "remotely + waiting %llu+%llu+%llu",
			   self, (unsigned long long)c->faults_requested,
			   (unsigned long long)c->faults_joined,
			   (unsigned long long)c->faults_served_home,
			   (unsigned long long)c->faults_served_remote,
			   (unsigned long long)c->faults_waiting);
	for (unsigned r = 0; r < DSM_REJ_MAX; r++)
		rej += c->rejected[r];
	if (rej != c->rejected_total)
		return bad(why, len, "node %u: rejections by reason add up to %llu, total %llu",
			   self, (unsigned long long)rej, (unsigned long long)c->rejected_total);
	return true;
}

int dsm_check_page(struct dsm_proto *const *p, unsigned nodes, uint64_t page,
		   const struct dsm_page_flight *f, char *why, size_t len)
{
	uint64_t held = 0, excl = 0, cs = 0, late = f->open | f->done_from;
	unsigned homes = 0, home = DSM_NO_NODE, owner = DSM_NO_NODE;
	bool busy = false, settled;

	for (unsigned i = 0; i < nodes; i++) {
		enum dsm_page_state st = dsm_proto_page_state(p[i], page);
		unsigned o;
		uint64_t c;
		bool b;

		held |= (uint64_t)(st != DSM_INVALID) << i;
		excl |= (uint64_t)(st == DSM_EXCLUSIVE) << i;
		if (dsm_proto_dir(p[i], page, &o, &c, &b) == 0) {
			homes++;
			home = i;
			owner = o;
			cs = c;
			busy = b;
		}
	}
	if (excl && (excl & (excl - 1)))
		return violated(why, len, "page %llu: Exclusive on nodes %#llx at once",
				(unsigned long long)page, (unsigned long long)excl);
	if (excl && held != excl)
		return violated(why, len, "page %llu: Exclusive on node %d beside copies on %#llx",
				(unsigned long long)page, __builtin_ctzll(excl),
				(unsigned long long)(held & ~excl));
	if (homes + f->moves != 1)
		return violated(why, len, "page %llu: %u homes and %u HOME_MOVE in flight",
				(unsigned long long)page, homes, f->moves);
	if (f->moves) {
		owner = f->move_owner;
		cs = f->move_copyset;
	}
	if (!dir_ok(owner, cs, nodes, f->moves ? f->move_to : home, f->moves != 0, page, why, len))
		return DSM_PAGE_VIOLATED;
	settled = !f->msgs && !f->open && !busy;
	if (settled && held != cs)
		return violated(
		    why, len,
		    "page %llu settled: directory (home %u) copyset %#llx, nodes holding "
		    "%#llx",
		    (unsigned long long)page, home, (unsigned long long)cs,
		    (unsigned long long)held);
	if (held & ~cs & ~late)
		return violated(why, len,
				"page %llu: nodes %#llx hold it outside the copyset %#llx with no "
				"request open and no DONE in flight",
				(unsigned long long)page, (unsigned long long)(held & ~cs & ~late),
				(unsigned long long)cs);
	if (excl && !(excl & late) && (owner >= nodes || excl != 1ull << owner || cs != excl))
		return violated(
		    why, len, "page %llu: node %d Exclusive, directory owner %u copyset %#llx",
		    (unsigned long long)page, __builtin_ctzll(excl), owner, (unsigned long long)cs);
	if ((cs & ~held) && !busy)
		return violated(why, len,
				"page %llu: copyset %#llx names nodes %#llx that hold nothing, and "
				"no transaction runs at %s %u",
				(unsigned long long)page, (unsigned long long)cs,
				(unsigned long long)(cs & ~held),
				f->moves ? "the HOME_MOVE to" : "home",
				f->moves ? f->move_to : home);
	if (owner != DSM_NO_NODE && !held && !f->data_from)
		return violated(why, len,
				"page %llu: touched (owner %u) but no node holds it and no DATA in "
				"flight",
				(unsigned long long)page, owner);
	/* a transaction or request that nothing will ever advance: every open
	 * request has its REQ, a reply or an ack in flight or is at its home,
	 * and a home's running or queued transaction has its requester waiting
	 * or one of its messages in flight */
	if (busy && !f->msgs && !f->open)
		return violated(why, len,
				"page %llu: home %u has a transaction, but no message about the "
				"page is in flight and no node waits for it",
				(unsigned long long)page, home);
	if (f->open && !f->msgs && !busy)
		return violated(why, len,
				"page %llu: nodes %#llx wait for it, but no message about it is in "
				"flight and home %u has no transaction",
				(unsigned long long)page, (unsigned long long)f->open, home);
	return settled ? DSM_PAGE_SETTLED : DSM_PAGE_IN_TRANSITION;
}
