// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_stats.c — `ssivm stats SOCKET` against sockets that serve
 * nothing, too much, too slowly, something else, or real DSM metrics (issue
 * 10). Runs the built ssivm binary ($(BUILD)/ssivm, next to this test's
 * directory) against servers in this process, and checks its exit status,
 * its message and how long it took.
 */
#include "dsm/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

enum serve_mode { SERVE_NOTHING, SERVE_FLOOD, SERVE_TRICKLE, SERVE_NOT_DSM, SERVE_NEVER_ACCEPT };

struct server {
	enum serve_mode mode;
	int listen_fd;
	pthread_t th;
};

struct run {
	int status; /* exit status, or 128 + signal */
	long ms;
	char out[4096], err[4096];
};

static char ssivm[PATH_MAX], sock[80];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	static const char pad[] = "# padding padding padding padding padding padding padding\n";
	int fd;

	if (s->mode == SERVE_NEVER_ACCEPT)
		return NULL;
	fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	switch (s->mode) {
	case SERVE_FLOOD: /* 4 MiB and more: until the reader gives up */
		for (size_t sent = 0; sent < (64u << 20);) {
			ssize_t w = send(fd, pad, sizeof(pad) - 1, MSG_NOSIGNAL);

			if (w <= 0)
				break;
			sent += (size_t)w;
		}
		break;
	case SERVE_TRICKLE: /* a byte every 100 ms: each read is quick, the whole never ends */
		for (int i = 0; i < 600; i++) {
			if (send(fd, "#", 1, MSG_NOSIGNAL) != 1)
				break;
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		}
		break;
	case SERVE_NOT_DSM:
		send(fd, "hello, this is not prometheus text\n", 35, MSG_NOSIGNAL);
		break;
	default:
		break;
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *s, enum serve_mode mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	s->mode = mode;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->listen_fd, SHUT_RDWR); /* wakes a thread still in accept() */
	pthread_join(s->th, NULL);
	close(s->listen_fd);
	unlink(sock);
}

static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
}

/* ssivm stats ARGS... (NULL-terminated), with RLIMIT_DATA data_limit when not 0. */
static void run_stats(struct run *r, rlim_t data_limit, ...)
{
	char *argv[8] = {ssivm, "stats"};
	char out_path[] = "/tmp/test_stats.out.XXXXXX", err_path[] = "/tmp/test_stats.err.XXXXXX";
	int out = mkstemp(out_path), err = mkstemp(err_path), argc = 2, status;
	va_list ap;
	long t0;
	pid_t pid;

	assert_true(out >= 0 && err >= 0);
	unlink(out_path);
	unlink(err_path);
	va_start(ap, data_limit);
	while (argc < 7 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	t0 = now_ms();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		if (data_limit) {
			struct rlimit rl = {data_limit, data_limit};

			setrlimit(RLIMIT_DATA, &rl);
		}
		execv(ssivm, argv);
		_exit(126);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->ms = now_ms() - t0;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_all(out, r->out, sizeof(r->out));
	read_all(err, r->err, sizeof(r->err));
}

static void expect(const struct run *r, int status, const char *in_err)
{
	if (r->status != status || !strstr(r->err, in_err))
		fail_msg("ssivm stats: exit %d (expected %d), stderr '%s' (expected it to hold "
			 "'%s')",
			 r->status, status, r->err, in_err);
}

static int setup(void **state)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = 0;
	/* $(BUILD)/tests/test_stats -> $(BUILD)/ssivm */
	snprintf(ssivm, sizeof(ssivm), "%s/../ssivm", dirname(self));
	if (access(ssivm, X_OK)) {
		fprintf(stderr, "test_stats: %s is not built (make)\n", ssivm);
		return -1;
	}
	snprintf(sock, sizeof(sock), "/tmp/test_stats.%d.sock", (int)getpid());
	return 0;
}

/* A socket that accepts and closes at once served nothing: a failure. */
static void test_empty_answer(void **state)
{
	struct server s;
	struct run r;

	server_start(&s, SERVE_NOTHING);
	run_stats(&r, 0, sock, NULL);
	server_stop(&s);
	expect(&r, 1, "closed the connection without sending anything");
	assert_string_equal(r.out, "");

	server_start(&s, SERVE_NOTHING);
	run_stats(&r, 0, sock, "--prometheus", NULL);
	server_stop(&s);
	expect(&r, 1, "closed the connection without sending anything");
}

/* Text that is not DSM metrics: a failure too, raw or not. */
static void test_not_dsm(void **state)
{
	struct server s;
	struct run r;

	server_start(&s, SERVE_NOT_DSM);
	run_stats(&r, 0, sock, NULL);
	server_stop(&s);
	expect(&r, 1, "did not serve DSM metrics");
	server_start(&s, SERVE_NOT_DSM);
	run_stats(&r, 0, sock, "--prometheus", NULL);
	server_stop(&s);
	expect(&r, 1, "did not serve DSM metrics");
	assert_string_equal(r.out, "");
}

/* An answer without end is cut at the size cap. */
static void test_size_cap(void **state)
{
	struct server s;
	struct run r;

	server_start(&s, SERVE_FLOOD);
	run_stats(&r, 0, sock, NULL);
	server_stop(&s);
	expect(&r, 1, "sent more than 4 MiB: not the metrics of a DSM node; refused");
}

/* The timeout bounds the whole exchange, not each read: a server that sends
 * a byte every 100 ms is given up after --timeout 1, not after a minute. */
static void test_timeout_whole_exchange(void **state)
{
	struct server s;
	struct run r;

	server_start(&s, SERVE_TRICKLE);
	run_stats(&r, 0, sock, "--timeout", "1", NULL);
	server_stop(&s);
	expect(&r, 1, "did not send its whole answer within 1 s");
	if (r.ms < 900 || r.ms > 4000)
		fail_msg("--timeout 1 took %ld ms", r.ms);

	server_start(&s, SERVE_NEVER_ACCEPT); /* connected in the backlog, never served */
	run_stats(&r, 0, sock, "--timeout", "1", NULL);
	server_stop(&s);
	expect(&r, 1, "did not send its whole answer within 1 s (0 bytes so far");
	if (r.ms < 900 || r.ms > 4000)
		fail_msg("--timeout 1 took %ld ms", r.ms);
}

static void test_usage(void **state)
{
	struct run r;

	run_stats(&r, 0, sock, "--timeout", "0", NULL);
	expect(&r, 2, "ssivm stats: --timeout '0': out of range (expected 1..3600)");
	run_stats(&r, 0, sock, "--timeout", "-1", NULL);
	expect(&r, 2, "ssivm stats: --timeout '-1': not a number");
	run_stats(&r, 0, sock, "--timeout", NULL);
	expect(&r, 2, "missing value: '--timeout'");
	run_stats(&r, 0, NULL);
	expect(&r, 2, "usage: ssivm stats SOCKET");
	run_stats(&r, 0, "/nonexistent/test_stats.sock", NULL);
	expect(&r, 1, "cannot connect to /nonexistent/test_stats.sock");
}

/* Real metrics: the summary and the raw text, exit 0. */
static void test_real_metrics(void **state)
{
	struct dsm_metrics *m = malloc(sizeof(*m));
	struct metrics_server srv;
	struct run r;

	assert_non_null(m);
	metrics_init(m, 6);
	metrics_add(m, DSM_C_INVAL_SENT, 42);
	unlink(sock);
	assert_int_equal(metrics_server_start(&srv, sock, m), 0);
	run_stats(&r, 0, sock, NULL);
	expect(&r, 0, "");
	assert_non_null(strstr(r.out, "node 6\n"));
	assert_non_null(strstr(r.out, "invalidations sent 42 "));
	run_stats(&r, 0, sock, "--prometheus", "--timeout", "3", NULL);
	expect(&r, 0, "");
	assert_non_null(strstr(r.out, "ssivm_dsm_invalidations_sent_total{node=\"6\"} 42\n"));
	metrics_server_stop(&srv);
	free(m);
}

#if defined(__SANITIZE_ADDRESS__)
#define WITH_ALLOC_TEST 0 /* ASan reserves its shadow memory and aborts when malloc fails */
#else
#define WITH_ALLOC_TEST 1
/* Allocation failure is said, not silent: with a data limit that lets ssivm
 * start but not allocate its read buffer (found by raising the limit 1 MiB at
 * a time), it must say "out of memory" and exit 1. */
static void test_alloc_failure(void **state)
{
	struct server s;
	struct run r;
	int seen_oom = 0;

	for (rlim_t mib = 1; mib <= 1024 && !seen_oom; mib++) {
		server_start(&s, SERVE_NOTHING);
		run_stats(&r, mib << 20, sock, NULL);
		server_stop(&s);
		if (strstr(r.err, "ssivm stats: out of memory: cannot allocate")) {
			assert_int_equal(r.status, 1);
			seen_oom = 1;
		} else if (strstr(r.err, "closed the connection without sending anything")) {
			fail_msg("with a data limit of %u MiB ssivm stats got its buffer without "
				 "ever failing to allocate it below that",
				 (unsigned)mib);
		}
		/* else: the limit is too low for the program to start at all */
	}
	if (!seen_oom)
		fail_msg("no data limit up to 1 GiB made ssivm stats report an allocation "
			 "failure");
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_answer),
		cmocka_unit_test(test_not_dsm),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_timeout_whole_exchange),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_real_metrics),
#if WITH_ALLOC_TEST
		cmocka_unit_test(test_alloc_failure),
#endif
	};

	if (!WITH_ALLOC_TEST)
		printf("test_stats: test_alloc_failure is not in this build (AddressSanitizer "
		       "aborts on a failed allocation instead of returning NULL)\n");
	return cmocka_run_group_tests(tests, setup, NULL);
}
