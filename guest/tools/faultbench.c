// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/tools/faultbench.c — runs inside the guest (static binary in the
 * initramfs, /bin/faultbench): how long does a guest thread wait when it
 * touches a page that another node holds? Each touch is one load or store
 * timed with the TSC (calibrated against CLOCK_MONOTONIC); on ssivm a page
 * that another host holds is a DSM fault of the vCPU, so the figure is the
 * remote fault as the guest sees it (the exit, the DSM's service, the
 * re-entry).
 *
 *   faultbench [--json] [--pages N] [--rounds N] SCENARIO...
 *
 * SCENARIO (several may be given; each prints one result):
 *   first:CPU:NODE       a thread on CPU writes one word of each of --pages
 *                        fresh pages bound to guest NUMA node NODE (mbind):
 *                        the guest's own page fault, the zeroing of the page,
 *                        and on ssivm the DSM fault of a page homed on NODE.
 *                        The same on the CPU's own node is the floor.
 *   raw:W,R              read after remote write: the thread on CPU W writes
 *                        a page, then the thread on CPU R reads it (timed).
 *   war:W,R[,R2...]      write after remote read: the readers R... read a
 *                        page (so 1, 2, ... sharers hold it), then W writes it
 *                        (timed: an upgrade that invalidates the sharers).
 *   waw:W,R              write after remote write: W writes, then R writes
 *                        (timed: the page moves with ownership).
 * Pages of raw/war/waw are bound to the node of the first CPU named.
 *
 * Output, one line per scenario (and with --json one JSON object a line):
 *   SSIVM-FAULTBENCH scenario=raw cpus=0,1 cpu_nodes=0,1 mem_node=0
 *     sharers=0 count=N median_us=M p90_us= p99_us= p999_us= max_us=
 *     touches_per_s= tsc_khz=
 * cpu_nodes is where each thread really ran (getcpu() after pinning) and
 * mem_node where its pages really are (move_pages(2) query), so the figure
 * says which placement it measured. A thread that could not be pinned, or
 * pages not on the node asked for, make the scenario fail:
 *   SSIVM-FAULTBENCH FAILED scenario=... why=...
 * Exit status 0 when every scenario ran, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
#define MAX_THREADS 8
#define MPOL_BIND 2
#define MPOL_MF_STRICT 1

static int json;
static unsigned long opt_pages = 2048, opt_rounds = 1000;
static double tsc_per_us;

static inline uint64_t tsc_begin(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t tsc_end(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static double mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* TSC ticks per microsecond over 200 ms of the guest's monotonic clock. */
static double calibrate_tsc(void)
{
	double t0 = mono_us(), t1;
	uint64_t c0 = tsc_begin(), c1;

	do
		t1 = mono_us();
	while (t1 - t0 < 200000.0);
	c1 = tsc_end();
	return (double)(c1 - c0) / (t1 - t0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* The node this thread runs on now (getcpu), or -1. */
static int current_node(void)
{
	unsigned cpu, node;

	return syscall(SYS_getcpu, &cpu, &node, NULL) ? -1 : (int)node;
}

/* The guest NUMA node that holds CPU @cpu (sysfs), or -1. */
static int node_of_cpu(int cpu)
{
	char path[96];

	for (int n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpu%d", n, cpu);
		if (!access(path, F_OK))
			return n;
	}
	return -1;
}

/* @pages fresh private pages bound to @node (no huge pages), or NULL. */
static char *map_on_node(unsigned long pages, int node)
{
	unsigned long mask[2] = {0, 0};
	char *p =
	    mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	mask[node / 64] |= 1ul << (node % 64);
	if (syscall(SYS_mbind, p, pages * PAGE, MPOL_BIND, mask, 128ul, MPOL_MF_STRICT)) {
		munmap(p, pages * PAGE);
		return NULL;
	}
	return p;
}

/* The node of the page at @p (move_pages query), or a negative errno. */
static int node_of_page(void *p)
{
	void *pp[1] = {p};
	int status[1] = {-1};

	if (syscall(SYS_move_pages, 0, 1ul, pp, NULL, status, 0))
		return -errno;
	return status[0];
}

struct result {
	const char *scenario;
	char cpus[64], cpu_nodes[64];
	int mem_node, sharers;
	uint64_t *t; /* TSC ticks per touch */
	unsigned long n;
	double wall_us; /* time over which the touches were made */
};

static double us(uint64_t ticks)
{
	return ticks / tsc_per_us;
}

static void print_result(struct result *r)
{
	double q[5];
	static const double at[4] = {0.5, 0.9, 0.99, 0.999};
	double rate;

	qsort(r->t, r->n, sizeof(*r->t), cmp_u64);
	for (int i = 0; i < 4; i++)
		q[i] = us(r->t[(unsigned long)(at[i] * (r->n - 1) + 0.5)]);
	q[4] = us(r->t[r->n - 1]);
	rate = r->wall_us > 0 ? r->n / (r->wall_us / 1e6) : 0;
	printf("SSIVM-FAULTBENCH scenario=%s cpus=%s cpu_nodes=%s mem_node=%d sharers=%d count=%lu "
	       "median_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f touches_per_s=%.0f "
	       "tsc_khz=%.0f\n",
	       r->scenario, r->cpus, r->cpu_nodes, r->mem_node, r->sharers, r->n, q[0], q[1], q[2],
	       q[3], q[4], rate, tsc_per_us * 1000);
	if (json)
		printf("{\"scenario\":\"%s\",\"cpus\":[%s],\"cpu_nodes\":[%s],\"mem_node\":%d,"
		       "\"sharers\":%d,\"count\":%lu,\"median_us\":%.3f,\"p90_us\":%.3f,"
		       "\"p99_us\":%.3f,\"p999_us\":%.3f,\"max_us\":%.3f,\"touches_per_s\":%.1f,"
		       "\"tsc_khz\":%.0f}\n",
		       r->scenario, r->cpus, r->cpu_nodes, r->mem_node, r->sharers, r->n, q[0],
		       q[1], q[2], q[3], q[4], rate, tsc_per_us * 1000);
	fflush(stdout);
}

static int fail(const char *scenario, const char *why)
{
	printf("SSIVM-FAULTBENCH FAILED scenario=%s why=%s\n", scenario, why);
	fflush(stdout);
	return -1;
}

/* first:CPU:NODE */
static int run_first(int cpu, int node)
{
	struct result r = {.scenario = "first", .mem_node = node};
	char *p;
	int here, got;
	double t0;

	if (pin_to(cpu))
		return fail("first", "cannot pin to the CPU (offline or absent)");
	here = current_node();
	p = map_on_node(opt_pages, node);
	if (!p)
		return fail("first",
			    "mbind to the node failed (no such node, or it has no memory)");
	r.t = calloc(opt_pages, sizeof(*r.t));
	if (!r.t)
		return fail("first", "out of memory");
	t0 = mono_us();
	for (unsigned long i = 0; i < opt_pages; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(p + i * PAGE);
		uint64_t a = tsc_begin();

		*w = i + 1;
		r.t[i] = tsc_end() - a;
	}
	r.wall_us = mono_us() - t0;
	r.n = opt_pages;
	got = node_of_page(p + (opt_pages / 2) * PAGE);
	snprintf(r.cpus, sizeof(r.cpus), "%d", cpu);
	snprintf(r.cpu_nodes, sizeof(r.cpu_nodes), "%d", here);
	if (got != node) {
		munmap(p, opt_pages * PAGE);
		free(r.t);
		return fail("first", "the pages are not on the node asked for");
	}
	print_result(&r);
	munmap(p, opt_pages * PAGE);
	free(r.t);
	return 0;
}

/*
 * raw/war/waw: thread 0 is W, threads 1.. the others. A round is phases
 * that the threads take in turn, each waiting for its phase number in
 * `phase` (its own page, apart from the data).
 */
enum kind { RAW, WAR, WAW };

struct pp {
	enum kind kind;
	int nthreads;
	int cpu[MAX_THREADS], node[MAX_THREADS];
	char *data;
	_Atomic unsigned long *phase;
	uint64_t *t;
	atomic_int ready, bad;
};

struct pp_arg {
	struct pp *pp;
	int idx;
};

static void wait_phase(struct pp *pp, unsigned long want)
{
	while (atomic_load_explicit(pp->phase, memory_order_acquire) != want)
		__builtin_ia32_pause();
}

static void next_phase(struct pp *pp)
{
	atomic_fetch_add_explicit(pp->phase, 1, memory_order_release);
}

static void *pp_thread(void *arg)
{
	struct pp_arg *a = arg;
	struct pp *pp = a->pp;
	int me = a->idx, readers = pp->nthreads - 1;
	/* phases a round takes: W's access, then each other's in turn */
	unsigned long per_round = (unsigned long)pp->nthreads;

	if (pin_to(pp->cpu[me]))
		atomic_store(&pp->bad, 1);
	pp->node[me] = current_node();
	atomic_fetch_add(&pp->ready, 1);
	while (atomic_load(&pp->ready) < pp->nthreads)
		__builtin_ia32_pause();
	for (unsigned long r = 0; r < opt_rounds; r++) {
		volatile uint64_t *w = (volatile uint64_t *)(pp->data + (r % opt_pages) * PAGE);
		unsigned long base = r * per_round;

		if (pp->kind == WAR) {
			/* readers first (untimed), W's write last (timed) */
			if (me > 0) {
				wait_phase(pp, base + (unsigned long)me - 1);
				(void)*w;
				next_phase(pp);
			} else {
				uint64_t t;

				wait_phase(pp, base + (unsigned long)readers);
				t = tsc_begin();
				*w = r;
				pp->t[r] = tsc_end() - t;
				next_phase(pp);
			}
			continue;
		}
		/* RAW, WAW: W first (untimed), then the other (timed) */
		if (me == 0) {
			wait_phase(pp, base);
			*w = r;
			next_phase(pp);
		} else {
			uint64_t t;

			wait_phase(pp, base + 1);
			t = tsc_begin();
			if (pp->kind == RAW) {
				if (*w != r)
					atomic_store(&pp->bad, 2);
			} else {
				*w = r + 1;
			}
			pp->t[r] = tsc_end() - t;
			next_phase(pp);
		}
	}
	return NULL;
}

static int run_pp(const char *name, enum kind kind, const int *cpus, int n)
{
	struct pp pp = {.kind = kind, .nthreads = n};
	struct pp_arg args[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct result r = {.scenario = name, .sharers = kind == WAR ? n - 1 : 0};
	int mem_node = node_of_cpu(cpus[0]), got;
	size_t off = 0;
	double t0;

	if (mem_node < 0)
		return fail(name, "the first CPU is on no NUMA node (offline or absent)");
	pp.data = map_on_node(opt_pages, mem_node);
	pp.phase = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pp.t = calloc(opt_rounds, sizeof(*pp.t));
	if (!pp.data || pp.phase == MAP_FAILED || !pp.t)
		return fail(name, "cannot map the pages (mbind or out of memory)");
	*pp.phase = 0;
	memcpy(pp.cpu, cpus, sizeof(*cpus) * (size_t)n);
	/* every page touched once here, so no timed access is a first touch */
	for (unsigned long i = 0; i < opt_pages; i++)
		pp.data[i * PAGE] = 0;
	t0 = mono_us();
	for (int i = 0; i < n; i++) {
		args[i] = (struct pp_arg){.pp = &pp, .idx = i};
		if (pthread_create(&th[i], NULL, pp_thread, &args[i]))
			return fail(name, "cannot create a thread");
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	r.wall_us = mono_us() - t0;
	got = node_of_page(pp.data);
	for (int i = 0; i < n; i++) {
		off += (size_t)snprintf(r.cpus + off, sizeof(r.cpus) - off, "%s%d", i ? "," : "",
					cpus[i]);
		if (off >= sizeof(r.cpus))
			break;
	}
	off = 0;
	for (int i = 0; i < n; i++) {
		off += (size_t)snprintf(r.cpu_nodes + off, sizeof(r.cpu_nodes) - off, "%s%d",
					i ? "," : "", pp.node[i]);
		if (off >= sizeof(r.cpu_nodes))
			break;
	}
	r.mem_node = got;
	r.t = pp.t;
	r.n = opt_rounds;
	if (pp.bad == 1)
		return fail(name, "cannot pin a thread to its CPU (offline or absent)");
	if (pp.bad == 2)
		return fail(name, "a read did not see the value the other thread wrote");
	print_result(&r);
	munmap(pp.data, opt_pages * PAGE);
	munmap((void *)pp.phase, PAGE);
	free(pp.t);
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -ERANGE;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: faultbench [--json] [--pages N] [--rounds N] "
			"first:CPU:NODE | raw:W,R | war:W,R[,R...] | waw:W,R ...\n");
	return 2;
}

/* "A,B,C" into cpus; the count, or -1. */
static int parse_cpus(const char *s, int *cpus)
{
	char buf[128], *save, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;

		if (n == MAX_THREADS || parse_uint(tok, 0, 4095, &v))
			return -1;
		cpus[n++] = (int)v;
	}
	return n;
}

int main(int argc, char **argv)
{
	int i = 1, failed = 0, ran = 0;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		unsigned long *dst = NULL;

		if (!strcmp(argv[i], "--json")) {
			json = 1;
			continue;
		}
		if (!strcmp(argv[i], "--pages"))
			dst = &opt_pages;
		else if (!strcmp(argv[i], "--rounds"))
			dst = &opt_rounds;
		if (!dst || i + 1 == argc || parse_uint(argv[i + 1], 1, 1ul << 22, dst))
			return usage();
		i++;
	}
	if (i == argc)
		return usage();
	tsc_per_us = calibrate_tsc();
	for (; i < argc; i++) {
		int cpus[MAX_THREADS], n;
		char *arg = argv[i], *colon = strchr(arg, ':');

		if (!colon)
			return usage();
		*colon = 0;
		if (!strcmp(arg, "first")) {
			char *c2 = strchr(colon + 1, ':');
			unsigned long cpu, node;

			if (!c2)
				return usage();
			*c2 = 0;
			if (parse_uint(colon + 1, 0, 4095, &cpu) ||
			    parse_uint(c2 + 1, 0, 63, &node))
				return usage();
			failed |= run_first((int)cpu, (int)node) != 0;
		} else {
			enum kind k;

			if (!strcmp(arg, "raw"))
				k = RAW;
			else if (!strcmp(arg, "war"))
				k = WAR;
			else if (!strcmp(arg, "waw"))
				k = WAW;
			else
				return usage();
			n = parse_cpus(colon + 1, cpus);
			if (n < 2 || (k != WAR && n != 2))
				return usage();
			failed |= run_pp(arg, k, cpus, n) != 0;
		}
		ran++;
	}
	return failed ? 1 : 0;
}
