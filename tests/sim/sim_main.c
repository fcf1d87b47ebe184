// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/sim_main.c — command line and run loop of the DSM simulator.
 *
 *   dsm-sim --seeds A-B [--nodes N] [--pages N] [--ops N] [--fifo|--reorder]
 *           [--junk PERMILLE] [--verbose]
 *
 * Exit 0 when every seed passed; 1 at the first failing seed (printed with
 * its configuration and the trace of its last steps); 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/num.h"
#include "tests/sim/sim.h"

static void tick_all(struct sim *s)
{
	for (unsigned i = 0; i < s->cfg.nodes; i++) {
		int r = dsm_proto_tick(s->node[i].p, s->now_ns);
		if (r)
			sim_fail(s, "node %u: tick returned %d", i, r);
	}
}

static bool all_done(struct sim *s)
{
	for (unsigned i = 0; i < s->nr_vcpus; i++)
		if (s->vcpu[i].ops_left)
			return false;
	return true;
}

/* One step: a vCPU access/fault, a delivery, a tick or bad input. Returns
 * false when nothing at all can happen any more. */
static bool step(struct sim *s, unsigned *idle_rounds)
{
	unsigned runnable[SIM_MAX_NODES * SIM_MAX_VCPUS], nr = 0;

	for (unsigned i = 0; i < s->nr_vcpus; i++)
		if (!s->vcpu[i].blocked && s->vcpu[i].ops_left)
			runnable[nr++] = i;
	s->steps++;
	s->now_ns += sim_below(s, 20000);
	if (s->cfg.junk && sim_below(s, 1000) < s->cfg.junk) {
		sim_net_inject(s);
		return true;
	}
	if (sim_below(s, 8) == 0) {
		unsigned i = sim_below(s, s->cfg.nodes);
		int r = dsm_proto_tick(s->node[i].p, s->now_ns);
		if (r)
			sim_fail(s, "node %u: tick returned %d", i, r);
		return true;
	}
	if (s->in_flight && (!nr || sim_below(s, 10) < 6)) {
		sim_net_deliver(s);
		*idle_rounds = 0;
		return true;
	}
	if (nr) {
		sim_vcpu_step(s, &s->vcpu[runnable[sim_below(s, nr)]]);
		*idle_rounds = 0;
		return true;
	}
	/* only blocked vCPUs and nothing in flight: time must unblock them
	 * (a pin's hold), or it is a deadlock */
	if (all_done(s))
		return false;
	s->now_ns += 1000000;
	tick_all(s);
	if (++*idle_rounds > 5000)
		sim_fail(s, "deadlock: vCPUs blocked, nothing in flight, 5 s of ticks");
	return true;
}

static int run_seed(struct sim *s, uint64_t seed, const struct sim_opts *opt)
{
	unsigned idle = 0;
	uint64_t limit;
	char desc[400];

	memset(s, 0, sizeof(*s));
	s->opt = *opt;
	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dull + 1;
	if (sim_setup(s)) {
		fprintf(stderr, "seed %llu: set-up failed\n", (unsigned long long)seed);
		return -1;
	}
	limit = 2000 + (uint64_t)s->nr_vcpus * s->cfg.ops * 400;
	while (!s->failed) {
		if (!step(s, &idle))
			break;
		sim_check_step(s);
		if (!s->failed && sim_quiescent(s))
			sim_check_directory(s);
		if (s->steps > limit)
			sim_fail(s, "no progress: %llu steps (livelock?)",
				 (unsigned long long)s->steps);
	}
	if (!s->failed) {
		tick_all(s);
		if (!sim_quiescent(s))
			sim_fail(s, "work left at the end (requests or transactions open)");
		else
			sim_check_directory(s);
		sim_check_final(s);
	}
	if (!s->failed)
		return 0;
	sim_describe(s, desc, sizeof(desc));
	printf("FAIL seed %llu at step %llu: %s\n  config: %s\n  last steps:\n",
	       (unsigned long long)seed, (unsigned long long)s->steps, s->failed, desc);
	for (unsigned i = 0; i < 64; i++) {
		const char *line = s->trace[(s->trace_pos + i) % 64];
		if (*line)
			printf("    %s\n", line);
	}
	printf("  replay: dsm-sim --seeds %llu --verbose --ops %u --junk %u%s",
	       (unsigned long long)seed, opt->ops, opt->junk,
	       opt->reorder == 1   ? " --reorder"
	       : opt->reorder == 0 ? " --fifo"
				   : "");
	if (opt->nodes)
		printf(" --nodes %u", opt->nodes);
	if (opt->pages)
		printf(" --pages %u", opt->pages);
	printf("\n");
	return -1;
}

/* Sums of the nodes' counters over all seeds: shows what was exercised. */
static struct dsm_counters total;

static void add_counters(const struct sim *s)
{
	for (unsigned i = 0; i < s->cfg.nodes; i++) {
		const uint64_t *c = (const uint64_t *)dsm_proto_counters(s->node[i].p);
		uint64_t *t = (uint64_t *)&total;
		for (size_t k = 0; k < sizeof(total) / sizeof(uint64_t); k++)
			t[k] += c[k];
	}
}

static void print_counters(void)
{
	const struct dsm_counters *c = &total;

	printf("  faults served at home %llu, remotely %llu\n",
	       (unsigned long long)c->faults_served_home,
	       (unsigned long long)c->faults_served_remote);
	printf("  faults read/write/upgrade %llu/%llu/%llu local %llu joined %llu; fetches %llu, "
	       "in-place upgrades %llu, zero grants %llu, invalidations %llu, downgrades %llu, "
	       "queued at home %llu, forwarded %llu\n",
	       (unsigned long long)c->faults_read, (unsigned long long)c->faults_write,
	       (unsigned long long)c->faults_upgrade, (unsigned long long)c->faults_local,
	       (unsigned long long)c->faults_joined, (unsigned long long)c->remote_fetches,
	       (unsigned long long)c->upgrades_in_place, (unsigned long long)c->zero_grants,
	       (unsigned long long)c->inv_recv, (unsigned long long)c->downgrades,
	       (unsigned long long)c->queued_home, (unsigned long long)c->forwarded);
	printf("  policies: first touch %llu, home zero fill %llu, exclusive reads %llu, "
	       "migrations %llu, pins %llu (table full %llu), pin delays %llu\n",
	       (unsigned long long)c->first_touch, (unsigned long long)c->home_zero_fill,
	       (unsigned long long)c->reads_exclusive, (unsigned long long)c->migrations_in,
	       (unsigned long long)c->pins, (unsigned long long)c->pin_full,
	       (unsigned long long)c->pin_delays);
	printf("  rejected:");
	for (unsigned r = 0; r < DSM_REJ_MAX; r++)
		if (c->rejected[r])
			printf(" %s %llu", dsm_reject_name(r), (unsigned long long)c->rejected[r]);
	printf("\n");
}

static void free_sim(struct sim *s)
{
	sim_net_free(s);
	for (unsigned i = 0; i < SIM_MAX_NODES; i++) {
		dsm_proto_destroy(s->node[i].p);
		free(s->node[i].mem);
	}
}

#define P "dsm-sim"

/* --seeds A or A-B, A <= B */
static void parse_seeds(const char *v, unsigned long long *a, unsigned long long *b)
{
	const char *dash = strchr(v, '-');
	char first[32];
	uint64_t x, y;

	if (!dash || dash == v) { /* "-5" is a negative number, not a range */
		*a = *b = num_flag_u64(P, "--seeds", v, 0, UINT64_MAX - 1);
		return;
	}
	if ((size_t)(dash - v) >= sizeof(first)) {
		fprintf(stderr, "dsm-sim: --seeds '%s': not a number or a range A-B\n", v);
		exit(2);
	}
	memcpy(first, v, (size_t)(dash - v));
	first[dash - v] = 0;
	x = num_flag_u64(P, "--seeds (first)", first, 0, UINT64_MAX - 1);
	y = num_flag_u64(P, "--seeds (last)", dash + 1, x, UINT64_MAX - 1);
	*a = x;
	*b = y;
}

static void usage(void)
{
	fprintf(stderr, "usage: dsm-sim --seeds A[-B] [--nodes 2..5] [--pages 1..256] [--ops N] "
			"[--fifo|--reorder] [--junk PERMILLE] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sim_opts opt = {.ops = 40, .junk = 20, .reorder = -1};
	unsigned long long a = 1, b = 100, nops = 0, nmsgs = 0, njunk = 0, nfaults = 0;
	unsigned long long nunauth[2] = {0}; /* migration off, on */
	unsigned long long nsteps = 0, nquiet = 0, nsettled = 0, ntransit = 0;
	struct timespec t0, t1;
	struct sim *s;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--seeds") && v) {
			parse_seeds(v, &a, &b);
			i++;
		} else if (!strcmp(argv[i], "--nodes") && v) {
			opt.nodes = num_flag_uint(P, "--nodes", v, 2, SIM_MAX_NODES);
			i++;
		} else if (!strcmp(argv[i], "--pages") && v) {
			opt.pages = num_flag_uint(P, "--pages", v, 1, SIM_MAX_PAGES);
			i++;
		} else if (!strcmp(argv[i], "--ops") && v) {
			opt.ops = num_flag_uint(P, "--ops", v, 0, 1000000);
			i++;
		} else if (!strcmp(argv[i], "--junk") && v) {
			opt.junk = num_flag_uint(P, "--junk", v, 0, 500);
			i++;
		} else if (!strcmp(argv[i], "--fifo")) {
			opt.reorder = 0;
		} else if (!strcmp(argv[i], "--reorder")) {
			opt.reorder = 1;
		} else if (!strcmp(argv[i], "--verbose")) {
			opt.verbose = true;
		} else {
			usage();
		}
	}
	if (!opt.verbose)
		log_set_level(LOG_WARN);
	s = malloc(sizeof(*s));
	if (!s)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long long seed = a; seed <= b; seed++) {
		int r = run_seed(s, seed, &opt);
		nops += s->stat_ops;
		nmsgs += s->stat_msgs;
		njunk += s->stat_junk + s->stat_dups + s->stat_forged + s->stat_unauth;
		nunauth[s->cfg.pol.migrate_after != 0] += s->stat_unauth;
		nfaults += s->stat_faults;
		nsteps += s->steps;
		nquiet += s->stat_quiet;
		nsettled += s->stat_settled;
		ntransit += s->stat_transit;
		add_counters(s);
		free_sim(s);
		if (r) {
			failed = 1;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("dsm-sim: seeds %llu-%llu %s: %llu operations, %llu faults, %llu messages, %llu "
	       "bad inputs rejected, %.1f s\n",
	       a, b, failed ? "FAILED" : "passed", nops, nfaults, nmsgs, njunk,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  unauthorised senders rejected: %llu with migration off, %llu with it on\n",
	       nunauth[0], nunauth[1]);
	printf("  coherence checks: %llu steps, %llu with the whole network quiet (%.1f %%); "
	       "per page and step: %llu directory compared exactly (settled), %llu in "
	       "transition (%.1f %% settled)\n",
	       nsteps, nquiet, nsteps ? 100.0 * (double)nquiet / (double)nsteps : 0.0, nsettled,
	       ntransit,
	       nsettled + ntransit ? 100.0 * (double)nsettled / (double)(nsettled + ntransit)
				   : 0.0);
	print_counters();
	free(s);
	return failed;
}
