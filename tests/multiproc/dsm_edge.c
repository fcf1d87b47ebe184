// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/multiproc/dsm_edge.c — the DSM runtime's edge cases that a stress run
 * does not reach: pages that leave the mapping outside the protocol, and a
 * thread blocked on a fault when the DSM fails and stops.
 *
 *   dsm-edge CASE     CASE: lost-exclusive | lost-shared | failstop
 *
 * Two nodes of one cluster in this one process (two runtimes, two service
 * threads, shared memory transport on loopback), each with its own region.
 *   lost-exclusive  node 0 writes a page it homes (exclusive), the page is
 *                   MADV_DONTNEED'd behind the protocol's back, node 0 reads
 *                   it: the read must return (no endless "already mapped"
 *                   fault) and see zeros, and ssivm_dsm_pages_lost_total is 1.
 *   lost-shared     node 1 reads a page homed on node 0 (a read-only copy),
 *                   the copy is dropped behind the protocol's back, node 1
 *                   reads again: node 1's DSM must fail naming the page, and
 *                   the reader must never return (no zero or stale data),
 *                   not even after dsm_runtime_stop() closed the userfaultfd:
 *                   its retry must fault (SIGSEGV), which the test catches.
 *   failstop        node 0 leaves; a thread of node 1 then reads a page homed
 *                   on node 0: node 1's DSM fails; after dsm_runtime_fence()
 *                   the blocked reader must fault, never read a zero page.
 * Exit 0 when the case behaved, 1 when not, 2 on usage, 77 without
 * userfaultfd (root needed). Run it with UCX_ERROR_SIGNALS= (UCX reads it
 * when it loads): else UCX's own SIGSEGV handler, installed at start-up and
 * restored by a transport's cleanup, may replace the one that catches the
 * reader's expected fault.
 */
#include "dsm/metrics.h"
#include "dsm/runtime.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES 64u
#define PAGE 4096u
#define PAGE_N0 3u /* homed on node 0 (pages 0..31) */
#define PATTERN 0x5a

static int fails;
static char addr0[32], addr1[32];
static const char *addrs[2] = {addr0, addr1};

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
			fails++;                                                                   \
		} else {                                                                           \
			printf("ok:   " __VA_ARGS__);                                              \
			putchar('\n');                                                             \
		}                                                                                  \
	} while (0)

struct node_start {
	unsigned self;
	struct dsm_runtime *rt;
	int err;
};

static void *start_node(void *arg)
{
	struct node_start *n = arg;
	struct dsm_runtime_params p = {
	    .self = n->self,
	    .nr_nodes = 2,
	    .addrs = addrs,
	    .tls = "shm",
	    .size = PAGES * PAGE,
	    .spin_us = 20,
	    .fault_timeout_ms = 4000,
	    .peer_timeout_ms = 1500,
	    .connect_timeout_ms = 10000,
	};

	dsm_policy_defaults(&p.policy);
	n->err = dsm_runtime_start(&p, &n->rt);
	return NULL;
}

static void on_segv(int sig);

static void catch_faults(void)
{
	struct sigaction sa = {.sa_handler = on_segv};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Both nodes join concurrently (the rendezvous needs both). */
static int start_cluster(struct dsm_runtime **rt0, struct dsm_runtime **rt1)
{
	struct node_start n[2] = {{.self = 0}, {.self = 1}};
	pthread_t t[2];
	unsigned port = 20000 + (unsigned)getpid() % 20000;

	snprintf(addr0, sizeof(addr0), "127.0.0.1:%u", port);
	snprintf(addr1, sizeof(addr1), "127.0.0.1:%u", port + 1);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, start_node, &n[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (n[0].err == -EPERM || n[1].err == -EPERM) {
		printf("userfaultfd is not allowed here (needs root)\n");
		exit(77);
	}
	if (n[0].err || n[1].err) {
		fprintf(stderr, "FAIL: the cluster did not start (%d, %d)\n", n[0].err, n[1].err);
		dsm_runtime_stop(n[0].rt);
		dsm_runtime_stop(n[1].rt);
		return -1;
	}
	*rt0 = n[0].rt;
	*rt1 = n[1].rt;
	catch_faults(); /* after UCX, which installs its own SIGSEGV handler */
	return 0;
}

/* ---- a reader that may fault: what it saw, or that it faulted ---- */

static __thread sigjmp_buf *volatile reader_jmp;

static void on_segv(int sig)
{
	if (reader_jmp)
		siglongjmp(*reader_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct reader {
	volatile uint8_t *p;
	volatile int state; /* 0 running, 1 returned a value, 2 faulted */
	uint8_t value;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		reader_jmp = NULL;
		__atomic_store_n(&r->state, 2, __ATOMIC_RELEASE);
		return NULL;
	}
	reader_jmp = &jb;
	r->value = *r->p;
	reader_jmp = NULL;
	__atomic_store_n(&r->state, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int wait_state(struct reader *r, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int s = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);

		if (s)
			return s;
		usleep(10000);
	}
	return __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
}

/* Start a reader of *p; it must block (0 after 300 ms); the DSM of @rt must
 * fail within @ms; then stop @rt: the reader must fault, never return. */
static void blocked_reader_must_fault(struct dsm_runtime *rt, volatile uint8_t *p, int ms,
				      const char *what)
{
	struct reader r = {.p = p};
	pthread_t t;
	int err;

	catch_faults();
	pthread_create(&t, NULL, reader_main, &r);
	err = dsm_runtime_wait(rt, ms);
	EXPECT(err != 0, "%s: the DSM of node 1 failed (%s)", what, strerror(-err));
	EXPECT(wait_state(&r, 300) == 0, "%s: the reader is still blocked after the failure", what);
	dsm_runtime_fence(rt);
	int s = wait_state(&r, 3000);

	EXPECT(s == 2, "%s: after dsm_runtime_fence() the blocked reader faulted (state %d%s)",
	       what, s,
	       s == 1 ? ", it READ A VALUE: a zero or stale page"
	       : s    ? ""
		      : ", still blocked");
	if (s)
		pthread_join(t, NULL);
	dsm_runtime_stop(rt);
	if (!s) {
		s = wait_state(&r, 3000);
		EXPECT(s == 2, "%s: after dsm_runtime_stop() the reader faulted (state %d%s)", what,
		       s, s == 1 ? ", it READ A VALUE: a zero or stale page" : "");
		if (s)
			pthread_join(t, NULL);
		else
			pthread_detach(t);
	}
}

static int case_lost_exclusive(void)
{
	struct dsm_runtime *rt0, *rt1;
	uint8_t *m0;
	struct reader r;
	pthread_t t;

	if (start_cluster(&rt0, &rt1))
		return 1;
	m0 = dsm_runtime_base(rt0);
	memset(m0 + PAGE_N0 * PAGE, PATTERN, PAGE);
	EXPECT(m0[PAGE_N0 * PAGE + 17] == PATTERN, "node 0 wrote page %u", PAGE_N0);
	/* behind the protocol's back (a balloon, a discard) */
	EXPECT(madvise(m0 + PAGE_N0 * PAGE, PAGE, MADV_DONTNEED) == 0, "MADV_DONTNEED of page %u",
	       PAGE_N0);
	r = (struct reader){.p = m0 + PAGE_N0 * PAGE + 17};
	pthread_create(&t, NULL, reader_main, &r);
	int s = wait_state(&r, 3000);

	EXPECT(s == 1, "the read of the discarded page returned (state %d)", s);
	if (s)
		pthread_join(t, NULL);
	else
		pthread_detach(t);
	EXPECT(s == 1 && r.value == 0, "it reads zero, as a discarded page (got 0x%x)", r.value);
	m0[PAGE_N0 * PAGE] = 1; /* still writable, still this node's */
	EXPECT(metrics_get(dsm_runtime_metrics(rt0), DSM_C_PAGES_LOST) == 1,
	       "ssivm_dsm_pages_lost_total is 1 (got %llu)",
	       (unsigned long long)metrics_get(dsm_runtime_metrics(rt0), DSM_C_PAGES_LOST));
	EXPECT(dsm_runtime_error(rt0) == 0, "node 0's DSM is healthy");
	if (s == 1) {
		dsm_runtime_quiesce(rt0);
		dsm_runtime_quiesce(rt1);
		dsm_runtime_stop(rt1);
		dsm_runtime_stop(rt0);
	}
	return fails ? 1 : 0;
}

static int case_lost_shared(void)
{
	struct dsm_runtime *rt0, *rt1;
	volatile uint8_t *m0, *m1;

	if (start_cluster(&rt0, &rt1))
		return 1;
	m0 = dsm_runtime_base(rt0);
	m1 = dsm_runtime_base(rt1);
	m0[PAGE_N0 * PAGE + 5] = PATTERN;
	EXPECT(m1[PAGE_N0 * PAGE + 5] == PATTERN, "node 1 read node 0's write (a read-only copy)");
	EXPECT(madvise((void *)(m1 + PAGE_N0 * PAGE), PAGE, MADV_DONTNEED) == 0,
	       "MADV_DONTNEED of node 1's copy of page %u", PAGE_N0);
	blocked_reader_must_fault(rt1, m1 + PAGE_N0 * PAGE + 5, 3000, "lost-shared");
	dsm_runtime_quiesce(rt0);
	dsm_runtime_stop(rt0);
	return fails ? 1 : 0;
}

static int case_failstop(void)
{
	struct dsm_runtime *rt0, *rt1;
	volatile uint8_t *m0, *m1;

	if (start_cluster(&rt0, &rt1))
		return 1;
	m0 = dsm_runtime_base(rt0);
	m1 = dsm_runtime_base(rt1);
	m0[PAGE_N0 * PAGE] = PATTERN; /* node 0 has the only copy */
	dsm_runtime_stop(rt0);        /* node 0 leaves: its pages are gone */
	blocked_reader_must_fault(rt1, m1 + PAGE_N0 * PAGE, 6000, "failstop");
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dsm-edge lost-exclusive|lost-shared|failstop\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "lost-exclusive"))
		return case_lost_exclusive();
	if (!strcmp(argv[1], "lost-shared"))
		return case_lost_shared();
	if (!strcmp(argv[1], "failstop"))
		return case_failstop();
	fprintf(stderr, "dsm-edge: unknown case '%s'\n", argv[1]);
	return 2;
}
