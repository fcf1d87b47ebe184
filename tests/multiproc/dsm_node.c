// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/multiproc/dsm_node.c — one node of a DSM stress cluster.
 *
 *   dsm-node --node I --nodes N --addrs IP:PORT,IP:PORT,... [--tls tcp|shm|auto]
 *            [--threads T] [--seconds S] [--pages P] [--spin-us U]
 *            [--policy key=value,...] [--metrics SOCKET] [--seed X]
 *            [--peer-timeout-ms MS]   (default 5000)
 *            [--evil-node E]   node E runs dsm-evil: it homes no page, takes
 *                              no part in the checks, sends garbage
 *
 * Joins the cluster, maps the shared region through the DSM runtime and runs
 * T worker threads doing random reads, writes, atomic increments and whole
 * page writes/reads on shared pages, with ordinary memory accesses that fault
 * through userfaultfd. The checking scheme (tests/multiproc/dsm_check.h)
 * detects lost writes, stale reads, torn pages and lost increments, during
 * the run and on the final image after a barrier. Exits 0 only when every
 * check passed on this node and node 0 found the final image right; 1 when a
 * check failed; 3 when the DSM failed (a peer died, a fault timed out); 2 on
 * bad usage; 77 when userfaultfd is not available.
 */
#include "common/log.h"
#include "dsm/metrics.h"
#include "dsm/policy.h"
#include "dsm/runtime.h"
#include "tests/multiproc/dsm_check.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	unsigned node, nodes, threads, seconds, pages, spin_us, peer_timeout_ms;
	int evil; /* the misbehaving member (dsm-evil), -1: none */
	const char *tls, *metrics;
	char *addrs[MAX_NODES];
	uint64_t seed;
	struct dsm_policy policy;
} opt = {
    .threads = 2, .seconds = 3, .pages = 1024, .spin_us = 50, .peer_timeout_ms = 5000, .evil = -1};

static struct dsm_runtime *rt;
static char *mem;
static volatile int stop_workers;
static uint64_t errors; /* atomic */

#define CHECK_FAIL(...)                                                                            \
	do {                                                                                       \
		if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 20)                         \
			pr_err("CHECK FAILED: " __VA_ARGS__);                                      \
	} while (0)

/* nodes that run dsm-node (all but the misbehaving one) */
static unsigned nr_honest(void)
{
	return opt.nodes - (opt.evil >= 0);
}

/* Homes in contiguous blocks over the honest nodes only. */
static unsigned home_of(void *arg, uint64_t page)
{
	unsigned k = (unsigned)(page * nr_honest() / opt.pages);

	return opt.evil >= 0 && k >= (unsigned)opt.evil ? k + 1 : k;
}

static unsigned nr_writers(void)
{
	return opt.nodes * opt.threads;
}

static unsigned data_page(unsigned i)
{
	unsigned usable = opt.pages - NR_FIXED - MAX_NODES;

	return NR_FIXED + (unsigned)((uint64_t)i * usable / DATA_PAGES);
}

static unsigned bulk_page(unsigned w)
{
	return data_page(2 * w) + 1;
}

static unsigned report_page(unsigned n)
{
	return opt.pages - MAX_NODES + n;
}

static uint64_t *page_u64(unsigned page)
{
	return (uint64_t *)(mem + (size_t)page * PG);
}

static uint64_t *counter(unsigned c)
{
	return page_u64(PG_COUNTERS + c / 4) + (c % 4) * 128;
}

struct worker {
	pthread_t th;
	unsigned t, w;
	uint64_t rng;
	uint64_t seq[DATA_PAGES], bulk_seq, incs[COUNTERS];
	uint64_t seen[DATA_PAGES][MAX_WRITERS], seen_bulk[MAX_WRITERS];
	uint64_t ops[5];
};

static uint64_t rnd(struct worker *k)
{
	k->rng ^= k->rng << 13;
	k->rng ^= k->rng >> 7;
	k->rng ^= k->rng << 17;
	return k->rng;
}

static void check_entry(unsigned p, unsigned w, uint64_t e, uint64_t at_least, const char *what)
{
	uint64_t seq = e >> 24;

	if (!e && !at_least)
		return;
	if (e != entry_pack(w, p, seq))
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

	__atomic_store_n(&page_u64(data_page(p))[k->w], entry_pack(k->w, p, s), __ATOMIC_RELEASE);
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
		check_entry(pp, w, __atomic_load_n(&page_u64(data_page(pp))[w], __ATOMIC_ACQUIRE),
			    w == k->w ? k->seq[pp] : s, "after progress");
	}
	/* monotonic: an entry never goes back as seen by this reader */
	for (unsigned w = 0; w < nr_writers(); w++) {
		uint64_t e = __atomic_load_n(&page_u64(data_page(p))[w], __ATOMIC_ACQUIRE);

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
static uint64_t bulk_read(unsigned w, const char *what)
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

/* ---- phases after the run ---------------------------------------------- */

static int barrier(unsigned page, unsigned target)
{
	uint64_t *c = page_u64(page);
	struct timespec ts = {0, 200000};

	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; __atomic_load_n(c, __ATOMIC_ACQUIRE) < target; i++) {
		if (i > 300000) { /* 60 s */
			pr_err("barrier on page %u: only %llu of %u nodes arrived in 60 s", page,
			       (unsigned long long)__atomic_load_n(c, __ATOMIC_ACQUIRE), target);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void publish_report(struct worker *ws)
{
	struct report *r = (struct report *)page_u64(report_page(opt.node));
	uint64_t ops = 0;

	for (unsigned c = 0; c < COUNTERS; c++) {
		uint64_t sum = 0;

		for (unsigned t = 0; t < opt.threads; t++)
			sum += ws[t].incs[c];
		r->incs[c] = sum;
	}
	for (unsigned t = 0; t < opt.threads; t++) {
		memcpy(r->final_seq[t], ws[t].seq, sizeof(ws[t].seq));
		r->final_bulk[t] = ws[t].bulk_seq;
		for (unsigned i = 0; i < 5; i++)
			ops += ws[t].ops[i];
	}
	r->ops = ops;
	r->node = opt.node;
	__atomic_store_n(&r->magic, REPORT_MAGIC, __ATOMIC_RELEASE);
}

/* The final image must be exactly what every node's report implies. */
static void check_final_image(void)
{
	uint64_t incs[COUNTERS] = {0};

	for (unsigned n = 0; n < opt.nodes; n++) {
		const struct report *r = (const struct report *)page_u64(report_page(n));

		if ((int)n == opt.evil)
			continue;
		if (r->magic != REPORT_MAGIC || r->node != n) {
			CHECK_FAIL("report of node %u missing or corrupt (magic 0x%llx)", n,
				   (unsigned long long)r->magic);
			continue;
		}
		for (unsigned c = 0; c < COUNTERS; c++)
			incs[c] += r->incs[c];
		for (unsigned t = 0; t < opt.threads; t++) {
			unsigned w = n * opt.threads + t;

			for (unsigned p = 0; p < DATA_PAGES; p++) {
				uint64_t e = page_u64(data_page(p))[w], want = r->final_seq[t][p];

				if (e != (want ? entry_pack(w, p, want) : 0))
					CHECK_FAIL(
					    "final image: data page %u writer %u holds seq %llu, "
					    "its last write was seq %llu (lost write)",
					    p, w, (unsigned long long)(e >> 24),
					    (unsigned long long)want);
			}
			if (bulk_read(w, "final image") != r->final_bulk[t])
				CHECK_FAIL("final image: bulk page of writer %u is not at its last "
					   "seq %llu",
					   w, (unsigned long long)r->final_bulk[t]);
		}
	}
	for (unsigned c = 0; c < COUNTERS; c++)
		if (*counter(c) != incs[c])
			CHECK_FAIL("counter %u is %llu, the nodes incremented it %llu times "
				   "(lost increment)",
				   c, (unsigned long long)*counter(c), (unsigned long long)incs[c]);
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
		"       [--policy key=value,...] [--metrics SOCKET] [--seed X]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"node", 1, 0, 'i'},      {"nodes", 1, 0, 'n'},   {"addrs", 1, 0, 'a'},
	    {"tls", 1, 0, 'T'},       {"threads", 1, 0, 't'}, {"seconds", 1, 0, 's'},
	    {"pages", 1, 0, 'p'},     {"spin-us", 1, 0, 'u'}, {"policy", 1, 0, 'P'},
	    {"metrics", 1, 0, 'm'},   {"seed", 1, 0, 'S'},    {"peer-timeout-ms", 1, 0, 'o'},
	    {"evil-node", 1, 0, 'e'}, {0, 0, 0, 0},
	};
	char *list = NULL;
	int c;

	dsm_policy_defaults(&opt.policy);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt.node = (unsigned)atoi(optarg);
			break;
		case 'n':
			opt.nodes = (unsigned)atoi(optarg);
			break;
		case 'a':
			list = optarg;
			break;
		case 'T':
			opt.tls = optarg;
			break;
		case 't':
			opt.threads = (unsigned)atoi(optarg);
			break;
		case 's':
			opt.seconds = (unsigned)atoi(optarg);
			break;
		case 'p':
			opt.pages = (unsigned)atoi(optarg);
			break;
		case 'u':
			opt.spin_us = (unsigned)atoi(optarg);
			break;
		case 'P':
			if (dsm_policy_parse(&opt.policy, optarg))
				usage();
			break;
		case 'm':
			opt.metrics = optarg;
			break;
		case 'S':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			opt.peer_timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'e':
			opt.evil = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!opt.nodes || opt.nodes > MAX_NODES || opt.node >= opt.nodes || !list || !opt.threads ||
	    opt.threads > MAX_THREADS || opt.pages < 256) {
		fprintf(stderr,
			"dsm-node: need 1 <= nodes <= %u, node < nodes, --addrs, "
			"1 <= threads <= %u, pages >= 256\n",
			MAX_NODES, MAX_THREADS);
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
	int err;

	parse(argc, argv);
	log_set_node((int)opt.node);
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
	if (barrier(PG_BAR0, nr_honest()))
		return 3;
	check_final_image();
	/* leave in order: everyone checked; node 0 releases and leaves last */
	uint64_t verdict;

	__atomic_fetch_add(page_u64(PG_BAR1), 1, __ATOMIC_SEQ_CST);
	if (opt.node == 0) {
		struct timespec ts = {0, 200000};

		while (__atomic_load_n(page_u64(PG_BAR1), __ATOMIC_ACQUIRE) < nr_honest())
			nanosleep(&ts, NULL);
		verdict = errors ? 2 : 1;
		for (unsigned n = 1; n < opt.nodes; n++)
			if ((int)n != opt.evil)
				__atomic_store_n(page_u64(PG_RELEASE(n)), verdict,
						 __ATOMIC_RELEASE);
	} else {
		struct timespec ts = {0, 200000};

		/* only nodes 0 and this one ever touch this page */
		while (
		    !(verdict = __atomic_load_n(page_u64(PG_RELEASE(opt.node)), __ATOMIC_ACQUIRE)))
			nanosleep(&ts, NULL);
	}
	dsm_runtime_quiesce(rt);
	if (opt.node == 0 && dsm_runtime_wait_peers_gone(rt, 20000))
		pr_warn("not every node left within 20 s");
	metrics_format_summary(dsm_runtime_metrics(rt), buf, sizeof(buf));
	fputs(buf, stderr);
	dsm_runtime_stop(rt);
	free(ws);
	if (errors || verdict != 1) {
		pr_err("FAIL: %llu check failure(s) here; node 0's verdict on the final image: %s",
		       (unsigned long long)errors, verdict == 1 ? "right" : "wrong");
		return 1;
	}
	pr_info("PASS: every check passed (final image right on every node)");
	return 0;
}
