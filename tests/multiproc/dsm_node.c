// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/multiproc/dsm_node.c — one node of a DSM stress cluster.
 *
 *   dsm-node --node I --nodes N --addrs IP:PORT,IP:PORT,... [--tls tcp|shm|auto]
 *            [--threads T] [--seconds S] [--pages P] [--spin-us U]
 *            [--policy key=value,...] [--metrics SOCKET] [--seed X]
 *            [--peer-timeout-ms MS]   (default 5000)
 *            [--barrier-timeout-ms MS]   (default 60000) longest wait at each
 *                              final barrier (node 0's verdict: twice that)
 *            [--evil-node E]   node E runs dsm-evil: it homes no page, takes
 *                              no part in the checks, sends garbage
 *            [--inject lost-write|stale-read|stall]   test-only: this node
 *                              misbehaves on purpose (dsm_node.h), announced
 *                              loudly; the run must fail
 *
 * Joins the cluster, maps the shared region through the DSM runtime and runs
 * T worker threads doing random reads, writes, atomic increments and whole
 * page writes/reads on shared pages, with ordinary memory accesses that fault
 * through userfaultfd. The checking scheme (tests/multiproc/dsm_check.h)
 * detects lost writes, stale reads, torn pages and lost increments, during
 * the run and on the final image after a barrier. Exits 0 only when every
 * check passed on this node and node 0 found the final image right; 1 when a
 * check failed; 3 when the DSM failed (a peer died or stopped answering, a
 * fault timed out); 4 when a final barrier or node 0's verdict did not come
 * in time (a node alive but stuck); 2 on bad usage; 77 when userfaultfd is
 * not available.
 */
#include "tests/multiproc/dsm_node.h"
#include "common/num.h"
#include "dsm/metrics.h"
#include "dsm/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct node_opt opt = {.threads = 2,
		       .seconds = 3,
		       .pages = 1024,
		       .spin_us = 50,
		       .peer_timeout_ms = 5000,
		       .barrier_timeout_ms = 60000,
		       .evil = -1};
char *mem;
uint64_t errors, logged_run;

static struct dsm_runtime *rt;
static volatile int stop_workers;

/* Homes in contiguous blocks over the honest nodes only. */
static unsigned home_of(void *arg, uint64_t page)
{
	unsigned k = (unsigned)(page * nr_honest() / opt.pages);

	return opt.evil >= 0 && k >= (unsigned)opt.evil ? k + 1 : k;
}

static uint64_t rnd(struct worker *k)
{
	k->rng ^= k->rng << 13;
	k->rng ^= k->rng >> 7;
	k->rng ^= k->rng << 17;
	return k->rng;
}

static const char *const inject_names[] = {[INJECT_LOST_WRITE] = "lost-write",
					   [INJECT_STALE_READ] = "stale-read",
					   [INJECT_STALL] = "stall"};

static uint64_t ops_done(const struct worker *k)
{
	return k->ops[0] + k->ops[1] + k->ops[2] + k->ops[3] + k->ops[4];
}

/* The injected worker misbehaves from its INJECT_AFTER-th operation on. */
static bool injecting(const struct worker *k, enum inject_kind kind)
{
	return k->inject == kind && ops_done(k) >= INJECT_AFTER;
}

/* Where writer k's entry of data page p goes: the region, or (lost write
 * injected) a private copy that never reaches the DSM. */
static uint64_t *write_target(struct worker *k, unsigned p, uint64_t seq)
{
	if (!injecting(k, INJECT_LOST_WRITE))
		return &page_u64(data_page(p))[k->w];
	if (k->lost_page < 0) {
		k->lost_page = (int)p;
		k->lost_from = seq;
		k->inject_at_op = ops_done(k);
		pr_warn("*** FAULT INJECTION (--inject lost-write): writer %u loses its writes to "
			"data page %u (page 0x%x) from seq %llu on, at its operation %llu; the "
			"checks must catch it ***",
			k->w, p, data_page(p), (unsigned long long)seq,
			(unsigned long long)k->inject_at_op);
	}
	return (int)p == k->lost_page ? &k->lost_copy : &page_u64(data_page(p))[k->w];
}

/* Writer w's entry of data page p as reader k sees it: the region, or (stale
 * read injected) the copy of every data page k took when the injection began. */
static uint64_t read_entry(struct worker *k, unsigned p, unsigned w)
{
	if (injecting(k, INJECT_STALE_READ) && !k->stale) {
		k->stale = malloc(sizeof(uint64_t) * DATA_PAGES * MAX_WRITERS);
		if (!k->stale)
			die("no memory for the stale-read injection");
		for (unsigned q = 0; q < DATA_PAGES; q++)
			for (unsigned v = 0; v < nr_writers(); v++)
				k->stale[q * MAX_WRITERS + v] =
				    __atomic_load_n(&page_u64(data_page(q))[v], __ATOMIC_ACQUIRE);
		k->inject_at_op = ops_done(k);
		pr_warn("*** FAULT INJECTION (--inject stale-read): reader %u reads every data "
			"page from a copy taken now, at its operation %llu; the checks must catch "
			"it ***",
			k->w, (unsigned long long)k->inject_at_op);
	}
	if (k->stale)
		return k->stale[p * MAX_WRITERS + w];
	return __atomic_load_n(&page_u64(data_page(p))[w], __ATOMIC_ACQUIRE);
}

static void check_entry(unsigned p, unsigned w, uint64_t e, uint64_t at_least, const char *what)
{
	uint64_t seq = e >> 24;

	/* 0 is the entry before the writer's first write (seq 0) */
	if (e && e != entry_pack(w, p, seq))
		CHECK_FAIL("%s: data page %u (page 0x%x) writer %u holds 0x%llx: bad tag", what, p,
			   data_page(p), w, (unsigned long long)e);
	else if (seq < at_least)
		CHECK_FAIL("%s: data page %u (page 0x%x) writer %u: seq %llu, expected >= %llu "
			   "(stale read)",
			   what, p, data_page(p), w, (unsigned long long)seq,
			   (unsigned long long)at_least);
}

static void op_write(struct worker *k)
{
	unsigned p = (unsigned)(rnd(k) % DATA_PAGES);
	uint64_t s = ++k->seq[p];

	__atomic_store_n(write_target(k, p, s), entry_pack(k->w, p, s), __ATOMIC_RELEASE);
	__atomic_store_n(&page_u64(PG_PROGRESS)[k->w], ((uint64_t)p << 40) | s, __ATOMIC_RELEASE);
}

static void op_read(struct worker *k)
{
	unsigned p = (unsigned)(rnd(k) % DATA_PAGES);

	/* causality: what a writer published as done must be visible */
	for (unsigned w = 0; w < nr_writers(); w++) {
		uint64_t pr = __atomic_load_n(&page_u64(PG_PROGRESS)[w], __ATOMIC_ACQUIRE);

		if (!pr)
			continue;
		unsigned pp = (unsigned)(pr >> 40);
		uint64_t s = pr & ((1ull << 40) - 1);

		if (pp >= DATA_PAGES) {
			CHECK_FAIL("progress entry of writer %u is garbage: 0x%llx", w,
				   (unsigned long long)pr);
			continue;
		}
		check_entry(pp, w, read_entry(k, pp, w), w == k->w ? k->seq[pp] : s,
			    "after progress");
	}
	/* monotonic: an entry never goes back as seen by this reader */
	for (unsigned w = 0; w < nr_writers(); w++) {
		uint64_t e = read_entry(k, p, w);

		check_entry(p, w, e, w == k->w ? k->seq[p] : k->seen[p][w], "monotonic");
		if ((e >> 24) > k->seen[p][w])
			k->seen[p][w] = e >> 24;
	}
}

static void op_inc(struct worker *k)
{
	unsigned c = (unsigned)(rnd(k) % COUNTERS);

	__atomic_fetch_add(counter(c), 1, __ATOMIC_SEQ_CST);
	k->incs[c]++;
}

static void op_bulk_write(struct worker *k)
{
	uint64_t *b = page_u64(bulk_page(k->w)), s = ++k->bulk_seq;

	__atomic_store_n(&b[0], s, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (unsigned i = 0; i < BULK_WORDS; i++)
		__atomic_store_n(&b[2 + i], bulk_word(k->w, s, i), __ATOMIC_RELAXED);
	__atomic_store_n(&b[1], s, __ATOMIC_RELEASE);
}

/* Returns the seq the page showed consistently, or UINT64_MAX if it was in flux. */
uint64_t bulk_read(unsigned w, const char *what)
{
	uint64_t *b = page_u64(bulk_page(w)), copy[BULK_WORDS];
	uint64_t end = __atomic_load_n(&b[1], __ATOMIC_ACQUIRE), begin;

	for (unsigned i = 0; i < BULK_WORDS; i++)
		copy[i] = __atomic_load_n(&b[2 + i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	begin = __atomic_load_n(&b[0], __ATOMIC_RELAXED);
	if (begin != end)
		return UINT64_MAX;
	for (unsigned i = 0; i < BULK_WORDS && end; i++)
		if (copy[i] != bulk_word(w, end, i)) {
			CHECK_FAIL("%s: bulk page of writer %u (page 0x%x) seq %llu: word %u is "
				   "0x%llx, expected 0x%llx (torn or stale page)",
				   what, w, bulk_page(w), (unsigned long long)end, i,
				   (unsigned long long)copy[i],
				   (unsigned long long)bulk_word(w, end, i));
			break;
		}
	return end;
}

static void op_bulk_read(struct worker *k)
{
	unsigned w = (unsigned)(rnd(k) % nr_writers());
	uint64_t s = bulk_read(w, "bulk read");

	if (s == UINT64_MAX)
		return;
	if (s < k->seen_bulk[w] || (w == k->w && s != k->bulk_seq))
		CHECK_FAIL("bulk page of writer %u went back to seq %llu after %llu (stale read)",
			   w, (unsigned long long)s,
			   (unsigned long long)(w == k->w ? k->bulk_seq : k->seen_bulk[w]));
	else
		k->seen_bulk[w] = s;
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;

	while (!__atomic_load_n(&stop_workers, __ATOMIC_RELAXED)) {
		unsigned r = (unsigned)(rnd(k) % 100);

		if (r < 35) {
			op_write(k);
			k->ops[0]++;
		} else if (r < 70) {
			op_read(k);
			k->ops[1]++;
		} else if (r < 85) {
			op_inc(k);
			k->ops[2]++;
		} else if (r < 92) {
			op_bulk_write(k);
			k->ops[3]++;
		} else {
			op_bulk_read(k);
			k->ops[4]++;
		}
	}
	return NULL;
}

/* After the run: what was injected, and whether the checks saw it. */
static void report_injection(const struct worker *ws)
{
	const struct worker *k = &ws[0];

	if (opt.inject == INJECT_LOST_WRITE && k->lost_page < 0)
		pr_warn("fault injection: writer %u did fewer than %u operations, nothing was "
			"lost",
			k->w, INJECT_AFTER);
	else if (opt.inject == INJECT_LOST_WRITE)
		pr_warn("fault injection: writer %u lost its writes to data page %u, seq %llu to "
			"%llu; %llu check failure(s) here",
			k->w, k->lost_page, (unsigned long long)k->lost_from,
			(unsigned long long)k->seq[k->lost_page], (unsigned long long)errors);
	else if (opt.inject == INJECT_STALE_READ && !k->stale)
		pr_warn("fault injection: reader %u did fewer than %u operations, read nothing "
			"stale",
			k->w, INJECT_AFTER);
	else if (opt.inject == INJECT_STALE_READ)
		pr_warn("fault injection: reader %u read stale data pages from its operation %llu "
			"on; %llu check failure(s) here",
			k->w, (unsigned long long)k->inject_at_op, (unsigned long long)errors);
}

static void on_fatal(void *arg, int err, const char *why)
{
	char buf[1024];

	metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
	fprintf(stderr, "dsm-node %u: DSM failed: %s\n%s", opt.node, why, buf);
	fprintf(stderr, "dsm-node %u: exit 3 (DSM failure)\n", opt.node);
	_exit(3);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dsm-node --node I --nodes N --addrs IP:PORT,... [--tls tcp|shm|auto]\n"
		"       [--threads T] [--seconds S] [--pages P] [--spin-us U]\n"
		"       [--policy key=value,...] [--metrics SOCKET] [--seed X]\n"
		"       [--peer-timeout-ms MS] [--barrier-timeout-ms MS] [--evil-node E]\n"
		"       [--inject lost-write|stale-read|stall]   (a test of the checks: the run "
		"must fail)\n");
	exit(2);
}

/* Bounds of the numeric flags (each refused outside them, exit 2). */
#define P "dsm-node"
#define MAX_SECONDS 86400u
#define MIN_PAGES 256u
#define MAX_PAGES (1u << 18) /* 1 GiB of region */
#define MAX_MS 3600000u

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"node", 1, 0, 'i'},      {"nodes", 1, 0, 'n'},
	    {"addrs", 1, 0, 'a'},     {"tls", 1, 0, 'T'},
	    {"threads", 1, 0, 't'},   {"seconds", 1, 0, 's'},
	    {"pages", 1, 0, 'p'},     {"spin-us", 1, 0, 'u'},
	    {"policy", 1, 0, 'P'},    {"metrics", 1, 0, 'm'},
	    {"seed", 1, 0, 'S'},      {"peer-timeout-ms", 1, 0, 'o'},
	    {"evil-node", 1, 0, 'e'}, {"barrier-timeout-ms", 1, 0, 'b'},
	    {"inject", 1, 0, 'I'},    {0, 0, 0, 0},
	};
	char *list = NULL;
	int c;

	dsm_policy_defaults(&opt.policy);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt.node = num_flag_uint(P, "--node", optarg, 0, MAX_NODES - 1);
			break;
		case 'n':
			opt.nodes = num_flag_uint(P, "--nodes", optarg, 1, MAX_NODES);
			break;
		case 'a':
			list = optarg;
			break;
		case 'T':
			opt.tls = optarg;
			break;
		case 't':
			opt.threads = num_flag_uint(P, "--threads", optarg, 1, MAX_THREADS);
			break;
		case 's':
			opt.seconds = num_flag_uint(P, "--seconds", optarg, 0, MAX_SECONDS);
			break;
		case 'p':
			opt.pages = num_flag_uint(P, "--pages", optarg, MIN_PAGES, MAX_PAGES);
			break;
		case 'u':
			opt.spin_us = num_flag_uint(P, "--spin-us", optarg, 0, 1000000);
			break;
		case 'P':
			if (dsm_policy_parse(&opt.policy, optarg))
				usage();
			break;
		case 'm':
			opt.metrics = optarg;
			break;
		case 'S':
			opt.seed = num_flag_u64(P, "--seed", optarg, 0, UINT64_MAX);
			break;
		case 'o':
			opt.peer_timeout_ms =
			    num_flag_uint(P, "--peer-timeout-ms", optarg, 0, MAX_MS);
			break;
		case 'e':
			opt.evil = (int)num_flag_uint(P, "--evil-node", optarg, 0, MAX_NODES - 1);
			break;
		case 'b':
			opt.barrier_timeout_ms =
			    num_flag_uint(P, "--barrier-timeout-ms", optarg, 100, MAX_MS);
			break;
		case 'I':
			opt.inject = INJECT_NONE;
			for (unsigned k = INJECT_LOST_WRITE; k <= INJECT_STALL; k++)
				if (!strcmp(optarg, inject_names[k]))
					opt.inject = (enum inject_kind)k;
			if (!opt.inject) {
				fprintf(
				    stderr,
				    "dsm-node: --inject '%s': expected lost-write, stale-read or "
				    "stall\n",
				    optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (!opt.nodes || !list) {
		fprintf(stderr, "dsm-node: --nodes N (1..%u) and --addrs are required\n",
			MAX_NODES);
		usage();
	}
	if (opt.node >= opt.nodes) {
		fprintf(stderr, "dsm-node: --node %u: not a node of --nodes %u (0..%u)\n", opt.node,
			opt.nodes, opt.nodes - 1);
		usage();
	}
	if (opt.metrics) {
		const char *what;
		int err = metrics_socket_check(opt.metrics, &what);

		if (err) {
			fprintf(stderr,
				"dsm-node: --metrics %s: %s (%s); only a stale socket is "
				"replaced\n",
				opt.metrics, what, strerror(-err));
			exit(2);
		}
	}
	if (opt.evil >= (int)opt.nodes) {
		fprintf(stderr, "dsm-node: --evil-node %d: not a node of %u\n", opt.evil,
			opt.nodes);
		usage();
	}
	for (unsigned n = 0; n < opt.nodes; n++) {
		opt.addrs[n] = strsep(&list, ",");
		if (!opt.addrs[n] || !*opt.addrs[n]) {
			fprintf(stderr, "dsm-node: --addrs needs %u addresses\n", opt.nodes);
			usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct dsm_runtime_params p = {0};
	struct worker *ws;
	char buf[2048];
	uint64_t ops[5] = {0};
	int err, verdict;

	parse(argc, argv);
	log_set_node((int)opt.node);
	if (opt.inject)
		pr_warn("*** FAULT INJECTION ON PURPOSE (--inject %s, a test of the checks): "
			"this node misbehaves and the run must FAIL ***",
			inject_names[opt.inject]);
	p.self = opt.node;
	p.nr_nodes = opt.nodes;
	p.addrs = (const char *const *)opt.addrs;
	p.tls = opt.tls;
	p.size = (size_t)opt.pages * PG;
	p.policy = opt.policy;
	p.spin_us = opt.spin_us;
	p.spin_pending_us = 1000;
	p.user_only = true;
	if (opt.evil >= 0)
		p.home_of = home_of;
	p.metrics_path = opt.metrics;
	p.on_fatal = on_fatal;
	/* a loaded shared machine can stall a process for a second or more; a
	 * killed peer is still seen at once (its connections break) */
	p.peer_timeout_ms = opt.peer_timeout_ms;
	err = dsm_runtime_start(&p, &rt);
	if (err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP) {
		printf("dsm-node: userfaultfd with write-protect is not available here (%s)\n",
		       strerror(-err));
		return 77;
	}
	if (err)
		return 3;
	mem = dsm_runtime_base(rt);
	ws = calloc(opt.threads, sizeof(*ws));
	if (!ws)
		return 3;
	for (unsigned t = 0; t < opt.threads; t++) {
		ws[t].t = t;
		ws[t].w = opt.node * opt.threads + t;
		ws[t].rng = mix64(opt.seed * 1000003ull + ws[t].w + 1) | 1;
		ws[t].lost_page = -1;
		if (t == 0 && opt.inject != INJECT_STALL)
			ws[t].inject = opt.inject;
		if (pthread_create(&ws[t].th, NULL, worker_main, &ws[t]))
			die("cannot start worker %u", t);
	}
	err = dsm_runtime_wait(rt, (int)opt.seconds * 1000);
	if (err) {
		/* on_fatal reports and exits from the service thread; the wait
		 * may return first (the error is set before on_fatal runs), and
		 * returning here could end the process before that line is out */
		struct timespec ts = {0, 100000000};

		for (unsigned i = 0; i < 100; i++)
			nanosleep(&ts, NULL);
		fprintf(stderr, "dsm-node %u: DSM failed (error %d), on_fatal did not exit\n",
			opt.node, err);
		return 3;
	}
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	for (unsigned t = 0; t < opt.threads; t++) {
		pthread_join(ws[t].th, NULL);
		for (unsigned i = 0; i < 5; i++)
			ops[i] += ws[t].ops[i];
	}
	pr_info("run over: %llu writes, %llu read checks, %llu increments, %llu page writes, "
		"%llu page reads; %llu check failures",
		(unsigned long long)ops[0], (unsigned long long)ops[1], (unsigned long long)ops[2],
		(unsigned long long)ops[3], (unsigned long long)ops[4], (unsigned long long)errors);
	publish_report(ws);
	verdict = final_phases();
	if (verdict < 0) {
		/* end as on a DSM failure, transport open: the peers must see this
		 * node break (a clean leave is not fatal to them, and one still
		 * waiting at a barrier would wait for its whole timeout) */
		metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
		fprintf(stderr, "%sdsm-node %u: exit 4 (the final phases did not complete)\n", buf,
			opt.node);
		_exit(4);
	}
	dsm_runtime_quiesce(rt);
	if (opt.node == 0 && dsm_runtime_wait_peers_gone(rt, 20000))
		pr_warn("not every node left within 20 s");
	metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
	fputs(buf, stderr);
	dsm_runtime_stop(rt);
	if (opt.inject)
		report_injection(ws);
	for (unsigned t = 0; t < opt.threads; t++)
		free(ws[t].stale);
	free(ws);
	if (errors || verdict != 1) {
		pr_err("FAIL: %llu check failure(s) here; node 0's verdict on the final image: %s",
		       (unsigned long long)errors, verdict == 1 ? "right" : "wrong");
		return 1;
	}
	pr_info("PASS: every check passed (final image right on every node)");
	return 0;
}
