// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/dsm_fault.c — DSM fault service time beside its floors, one node of
 * the benchmark cluster (bench/dsm_fault.sh starts them all).
 *
 *   dsm-fault-bench --node I --nodes N --addrs IP:PORT,... [--tls tcp|shm]
 *                   [--pages K] [--spin-us U] [--spin-pending-us W] [--spin-max-us M]
 *                   [--floor-faults F] [--no-move] [--par-threads T]
 *                   [--rtt-iters R] [--policy ...]
 *
 * Every measured page has its home on node 1; node 0 faults on each page
 * once, from one thread, timing the access itself (fault, service, wake-up,
 * retry). Scenarios (K pages each, fresh pages per scenario):
 *   read          node 1 wrote the page; node 0 reads it (remote read fault)
 *   write-0       node 1 wrote it; node 0 writes it (no copy to invalidate
 *                 on a third node; the home drops its own)
 *   write-1       node 1 wrote it, node 2 read it; node 0 writes (1 invalidation)
 *   write-3       node 1 wrote it, nodes 2, 3, 4 read it; node 0 writes
 *                 (3 invalidations; needs 5 nodes)
 *   read-par      as read, but node 0 faults from --par-threads threads at
 *                 once, each on its own share of the pages: the throughput
 *                 (faults/s) with several faults in flight
 *   write-par     as write-0, from --par-threads threads at once
 * Floors, measured in the same run: the bare userfaultfd round trip (node 0,
 * a local handler thread resolving missing faults with UFFDIO_COPY, busy and
 * poll) and the transport's 4 KiB request/response round trip between nodes 0
 * and 1 (busy-polled, then blocking in epoll; separate transports on port+1000
 * and port+1001 before the DSM starts).
 */
#include "bench/dsm_floor.h"
#include "common/log.h"
#include "common/num.h"
#include "dsm/metrics.h"
#include "dsm/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG 4096u
#define MAXN 8u
#define CTRL_PAGES 32u /* barriers (one page each) and release (the last), homed on node 0 */
#define NR_SCEN 6
#define MAX_PAR 16u
#define P "dsm-fault-bench"
/* the floors' histograms follow the scenarios' */
enum { F_UFFD_BUSY = NR_SCEN, F_UFFD_POLL, F_UFFD_ONECPU, F_TP_BUSY, F_TP_BLOCK, F_END };
#define NR_FLOORS (F_END - NR_SCEN)
_Static_assert(3 * NR_SCEN + 1 < CTRL_PAGES, "a barrier page for each step, and the release page");

static struct {
	unsigned node, nodes, pages, spin_us, spin_pending_us, spin_max_us, floor_faults, rtt_iters;
	unsigned par_threads;
	int no_move;
	const char *tls;
	char *addrs[MAXN];
	struct dsm_policy policy;
} opt = {.pages = 1000,
	 .spin_us = 50,
	 .spin_pending_us = 1000,
	 .floor_faults = 10000,
	 .rtt_iters = 5000,
	 .par_threads = 4};

static char *mem;
static unsigned next_bar;

static const char *scen_name[NR_SCEN] = {"read",    "write-0",  "write-1",
					 "write-3", "read-par", "write-par"};
static const unsigned scen_readers[NR_SCEN] = {0, 0, 1, 3, 0, 0};
static const int scen_write[NR_SCEN] = {0, 1, 1, 1, 0, 1};
static const int scen_par[NR_SCEN] = {0, 0, 0, 0, 1, 1};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned home_of(void *arg, uint64_t page)
{
	return page < CTRL_PAGES ? 0 : 1;
}

static volatile uint64_t *word(unsigned page, unsigned i)
{
	return (volatile uint64_t *)(mem + (size_t)page * PG) + i;
}

static void barrier(void)
{
	volatile uint64_t *c;

	if (next_bar >= CTRL_PAGES - 1)
		die("more barriers than control pages (%u): raise CTRL_PAGES", CTRL_PAGES - 1);
	c = word(next_bar++, 0);
	struct timespec ts = {0, 1000000}; /* 1 ms: idle nodes must not disturb the measured path */

	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(c, __ATOMIC_ACQUIRE) < opt.nodes)
		nanosleep(&ts, NULL);
}

static unsigned scen_page(unsigned s, unsigned i)
{
	return CTRL_PAGES + s * opt.pages + i;
}

static double q_us(const struct hist *h, double q)
{
	return (double)hist_quantile(h, q) / 1e3;
}

static double med_us(const struct hist *h)
{
	return q_us(h, 0.5);
}

static void print_hist(const char *what, const struct hist *h, double floor_us, double busy_us)
{
	double med = med_us(h), p99 = q_us(h, 0.99);

	printf("%-34s %8.1f %8.1f %8.1f %9.1f", what, med, p99, q_us(h, 0.999),
	       (double)h->max / 1e3);
	if (floor_us > 0)
		printf(" %7.2fx %7.2fx %7.2fx", med / floor_us, med / busy_us, p99 / med);
	printf("\n");
}

static void on_fatal(void *arg, int err, const char *why)
{
	fprintf(stderr, "dsm-fault-bench %u: DSM failed: %s\n", opt.node, why);
	_exit(3);
}

/* The port of IP:PORT, for nodes 0 and 1, whose transport floor uses PORT +
 * 1000 and PORT + 1001. */
static int floor_port(const char *addr, uint64_t *port)
{
	const char *colon = strrchr(addr, ':');

	return colon ? num_parse_u64(colon + 1, 1, 65535 - 1001, port) : -EINVAL;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"node", 1, 0, 'i'},        {"nodes", 1, 0, 'n'},
	    {"addrs", 1, 0, 'a'},       {"tls", 1, 0, 'T'},
	    {"pages", 1, 0, 'p'},       {"spin-us", 1, 0, 'u'},
	    {"policy", 1, 0, 'P'},      {"floor-faults", 1, 0, 'f'},
	    {"rtt-iters", 1, 0, 'r'},   {"spin-pending-us", 1, 0, 'w'},
	    {"spin-max-us", 1, 0, 'x'}, {"no-move", 0, 0, 'M'},
	    {"par-threads", 1, 0, 't'}, {0, 0, 0, 0},
	};
	char *list = NULL;
	int c;

	dsm_policy_defaults(&opt.policy);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt.node = num_flag_uint(P, "--node", optarg, 0, MAXN - 1);
			break;
		case 'n':
			opt.nodes = num_flag_uint(P, "--nodes", optarg, 2, MAXN);
			break;
		case 'a':
			list = optarg;
			break;
		case 'T':
			opt.tls = optarg;
			break;
		case 'p':
			opt.pages = num_flag_uint(P, "--pages", optarg, 1, 1u << 16);
			break;
		case 'u':
			opt.spin_us = num_flag_uint(P, "--spin-us", optarg, 0, 1000000);
			break;
		case 'f':
			opt.floor_faults = num_flag_uint(P, "--floor-faults", optarg, 1, 10000000);
			break;
		case 'r':
			opt.rtt_iters = num_flag_uint(P, "--rtt-iters", optarg, 1, 10000000);
			break;
		case 'w':
			opt.spin_pending_us =
			    num_flag_uint(P, "--spin-pending-us", optarg, 0, 1000000);
			break;
		case 'x':
			opt.spin_max_us = num_flag_uint(P, "--spin-max-us", optarg, 0, 1000000);
			break;
		case 'M':
			opt.no_move = 1;
			break;
		case 't':
			opt.par_threads = num_flag_uint(P, "--par-threads", optarg, 1, MAX_PAR);
			break;
		case 'P':
			if (dsm_policy_parse(&opt.policy, optarg))
				exit(2);
			break;
		default:
			exit(2);
		}
	}
	if (opt.nodes && opt.node >= opt.nodes)
		fprintf(stderr, "dsm-fault-bench: --node %u: not a node of --nodes %u (0..%u)\n",
			opt.node, opt.nodes, opt.nodes - 1);
	if (!opt.nodes || opt.node >= opt.nodes || !list) {
		fprintf(stderr,
			"usage: dsm-fault-bench --node I --nodes N (2..%u) --addrs "
			"IP:PORT,... [--tls T] [--pages K] [--spin-us U] [--par-threads 1..%u]\n",
			MAXN, MAX_PAR);
		exit(2);
	}
	for (unsigned n = 0; n < opt.nodes; n++) {
		opt.addrs[n] = strsep(&list, ",");
		if (!opt.addrs[n] || !*opt.addrs[n]) {
			fprintf(stderr, "dsm-fault-bench: --addrs needs %u addresses\n", opt.nodes);
			exit(2);
		}
		if (n < 2 && floor_port(opt.addrs[n], &(uint64_t){0})) {
			fprintf(stderr,
				"dsm-fault-bench: --addrs: node %u's address '%s': expected "
				"IP:PORT with a port of 1..%u (its transport floor uses PORT + "
				"1000 and PORT + 1001)\n",
				n, opt.addrs[n], 65535 - 1001);
			exit(2);
		}
	}
}

/* One measuring thread: pages [first, first + n) of scenario s, into h. */
struct toucher {
	pthread_t th;
	unsigned s, first, n;
	struct hist h;
};

static void *touch_pages(void *arg)
{
	struct toucher *tc = arg;

	for (unsigned i = tc->first; i < tc->first + tc->n; i++) {
		volatile uint64_t *w = word(scen_page(tc->s, i), 1);
		uint64_t t0 = now_ns();

		if (scen_write[tc->s])
			*w = i;
		else
			(void)*w;
		hist_record(&tc->h, now_ns() - t0);
	}
	return NULL;
}

/* Node 0: fault on every page of scenario s; returns faults per second. */
static double measure(unsigned s, struct hist *h)
{
	unsigned nt = scen_par[s] ? opt.par_threads : 1;
	struct toucher *tc = calloc(nt, sizeof(*tc));
	uint64_t t_all;

	if (!tc)
		die("no memory for %u measuring threads", nt);
	for (unsigned t = 0; t < nt; t++) {
		tc[t].s = s;
		tc[t].first = t * opt.pages / nt;
		tc[t].n = (t + 1) * opt.pages / nt - tc[t].first;
		hist_init(&tc[t].h);
	}
	t_all = now_ns();
	if (nt == 1) {
		touch_pages(&tc[0]);
	} else {
		for (unsigned t = 0; t < nt; t++)
			if (pthread_create(&tc[t].th, NULL, touch_pages, &tc[t]))
				die("cannot start measuring thread %u", t);
		for (unsigned t = 0; t < nt; t++)
			pthread_join(tc[t].th, NULL);
	}
	t_all = now_ns() - t_all;
	for (unsigned t = 0; t < nt; t++)
		hist_merge(h, &tc[t].h);
	free(tc);
	return opt.pages / ((double)t_all / 1e9);
}

/* node 0 and 1: the transport floor on a transport of their own (port + 1000 + k) */
static int transport_floor(int k, struct hist *h)
{
	char a[2][96];
	const char *addrs[2] = {a[0], a[1]};

	for (int i = 0; i < 2; i++) {
		const char *colon = strrchr(opt.addrs[i], ':');
		uint64_t port;

		if (floor_port(opt.addrs[i], &port))
			return -EINVAL; /* refused by parse() already */
		snprintf(a[i], sizeof(a[i]), "%.*s:%u", (int)(colon - opt.addrs[i]), opt.addrs[i],
			 (unsigned)port + 1000u + (unsigned)k);
	}
	return bench_transport_floor(opt.node, addrs, opt.tls, opt.rtt_iters, k == 1, h);
}

int main(int argc, char **argv)
{
	struct dsm_runtime_params p = {0};
	struct dsm_runtime *rt;
	struct hist *h = calloc(NR_SCEN + NR_FLOORS, sizeof(*h));
	double rate[NR_SCEN] = {0};
	int err;

	parse(argc, argv);
	log_set_node((int)opt.node);
	for (int i = 0; i < NR_SCEN + NR_FLOORS; i++)
		hist_init(&h[i]);
	/* floors first, before anything else runs */
	if (opt.node == 0) {
		err = bench_uffd_floor(opt.floor_faults, true, false, false, &h[F_UFFD_BUSY]);
		if (!err)
			err = bench_uffd_floor(opt.floor_faults, false, false, false,
					       &h[F_UFFD_POLL]);
		if (!err)
			err = bench_uffd_floor(opt.floor_faults, false, false, true,
					       &h[F_UFFD_ONECPU]);
		if (err == -EPERM) {
			printf("userfaultfd not allowed here (needs root)\n");
			return 77;
		}
		if (err) {
			pr_err("uffd floor: %s", strerror(-err));
			return 1;
		}
	}
	if (opt.node < 2) {
		err = transport_floor(0, &h[F_TP_BUSY]);
		if (!err)
			err = transport_floor(1, &h[F_TP_BLOCK]);
		if (err) {
			pr_err("transport floor: %s", strerror(-err));
			return 1;
		}
	}
	p.self = opt.node;
	p.nr_nodes = opt.nodes;
	p.addrs = (const char *const *)opt.addrs;
	p.tls = opt.tls;
	p.size = (size_t)(CTRL_PAGES + NR_SCEN * opt.pages) * PG;
	p.home_of = home_of;
	p.policy = opt.policy;
	p.spin_us = opt.spin_us;
	p.spin_pending_us = opt.spin_pending_us;
	p.spin_max_us = opt.spin_max_us;
	p.no_move = opt.no_move;
	p.user_only = true;
	p.on_fatal = on_fatal;
	p.peer_timeout_ms = 10000;
	p.connect_timeout_ms = 180000; /* nodes 2.. wait while 0 and 1 measure the floors */
	err = dsm_runtime_start(&p, &rt);
	if (err)
		return 3;
	mem = dsm_runtime_base(rt);
	if (opt.node == 0)
		*word(CTRL_PAGES - 1, 0) = 0; /* touch the release word first */
	barrier();
	for (unsigned s = 0; s < NR_SCEN; s++) {
		if (scen_readers[s] + 2 > opt.nodes)
			continue;
		if (opt.node == 1)
			for (unsigned i = 0; i < opt.pages; i++)
				*word(scen_page(s, i), 0) = i + 1;
		barrier();
		if (opt.node >= 2 && opt.node < 2 + scen_readers[s])
			for (unsigned i = 0; i < opt.pages; i++)
				if (*word(scen_page(s, i), 0) != i + 1)
					die("scenario %s: page %u has the wrong contents",
					    scen_name[s], i);
		barrier();
		if (opt.node == 0)
			rate[s] = measure(s, &h[s]);
		barrier();
	}
	/* leave in order: node 0 releases, waits for the others, leaves last */
	volatile uint64_t *rel = word(CTRL_PAGES - 1, 0);

	if (opt.node == 0) {
		char buf[1024];
		double uffd = fmin(fmin(med_us(&h[F_UFFD_BUSY]), med_us(&h[F_UFFD_POLL])),
				   med_us(&h[F_UFFD_ONECPU]));
		double tp = fmin(med_us(&h[F_TP_BUSY]), med_us(&h[F_TP_BLOCK]));
		double busy = med_us(&h[F_UFFD_BUSY]) + med_us(&h[F_TP_BUSY]);

		__atomic_store_n(rel, 1, __ATOMIC_RELEASE);
		printf(
		    "dsm fault bench: tls %s, %u nodes, %u faults per scenario, spin window %u us, "
		    "policy first_touch=%d\n",
		    opt.tls ? opt.tls : "auto", opt.nodes, opt.pages, opt.spin_us,
		    opt.policy.first_touch);
		printf("%-34s %8s %8s %8s %9s  %7s %7s %7s\n", "fault service time (us)", "median",
		       "p99", "p99.9", "max", "/floor", "/busy", "p99/med");
		print_hist("floor: uffd round trip (busy)", &h[F_UFFD_BUSY], 0, 0);
		print_hist("floor: uffd round trip (poll)", &h[F_UFFD_POLL], 0, 0);
		print_hist("floor: uffd round trip (one CPU)", &h[F_UFFD_ONECPU], 0, 0);
		print_hist("floor: transport 4 KiB req/resp", &h[F_TP_BUSY], 0, 0);
		print_hist("floor: transport, blocking (epoll)", &h[F_TP_BLOCK], 0, 0);
		printf("%-34s %8.1f  (lowest uffd + lowest transport median; ratios below are "
		       "to this)\n",
		       "floor: sum", uffd + tp);
		printf("%-34s %8.1f  (uffd busy + transport busy: the polling set-up the DSM runs "
		       "in; /busy is to this)\n",
		       "floor: busy sum", busy);
		for (unsigned s = 0; s < NR_SCEN; s++) {
			char what[64];

			if (!h[s].count) {
				printf("%-34s (needs %u nodes)\n", scen_name[s],
				       scen_readers[s] + 2);
				continue;
			}
			if (scen_par[s])
				snprintf(what, sizeof(what), "dsm %s x%u (%.0f faults/s)",
					 scen_name[s], opt.par_threads, rate[s]);
			else
				snprintf(what, sizeof(what), "dsm %s (%.0f faults/s)", scen_name[s],
					 rate[s]);
			print_hist(what, &h[s], uffd + tp, busy);
		}
		dsm_runtime_quiesce(rt);
		dsm_runtime_wait_peers_gone(rt, 20000);
		metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
		fputs(buf, stdout);
	} else {
		struct timespec ts = {
		    0, 1000000}; /* 1 ms: idle nodes must not disturb the measured path */

		char buf[1024];

		while (!__atomic_load_n(rel, __ATOMIC_ACQUIRE))
			nanosleep(&ts, NULL);
		dsm_runtime_quiesce(rt);
		metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
		fputs(buf, stderr);
	}
	dsm_runtime_stop(rt);
	free(h);
	return 0;
}
