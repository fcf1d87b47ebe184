// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_metrics_socket.c — the metrics endpoint replaces only a
 * stale socket (dsm/metrics.h, issue 10): a regular file, a directory, a
 * symbolic link and a socket another process listens on stay as they were,
 * and stopping removes only the socket file it created.
 */
#include "dsm/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[48], path[80];
static struct dsm_metrics *m;

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_metrics_socket.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/node.sock", dir);
	m = malloc(sizeof(*m));
	if (!m)
		return -1;
	metrics_init(m, 4);
	metrics_add(m, DSM_C_INVAL_SENT, 17);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int unix_socket(const char *p, int do_listen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* The Prometheus text served at p ("" when nothing answers). */
static void scrape(const char *p, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	buf[0] = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
			n += (size_t)r;
	buf[n] = 0;
	close(fd);
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_file_holds(const char *p, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_string_equal(buf, text);
}

/* Each kind of file that is not a socket is refused and left untouched. */
static void test_not_a_socket(void **state)
{
	struct metrics_server srv;
	const char *what;
	char target[80];
	struct stat st;

	write_file(path, "not metrics\n");
	assert_int_equal(metrics_socket_check(path, &what), -EEXIST);
	assert_string_equal(what, "a regular file");
	assert_int_equal(metrics_server_start(&srv, path, m), -EEXIST);
	assert_file_holds(path, "not metrics\n");
	unlink(path);

	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(metrics_server_start(&srv, path, m), -EEXIST);
	assert_int_equal(metrics_socket_check(path, &what), -EEXIST);
	assert_string_equal(what, "a directory");
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	rmdir(path);

	/* a symbolic link, even to a stale socket, is not followed or removed */
	snprintf(target, sizeof(target), "%s/target", dir);
	write_file(target, "the target\n");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(metrics_server_start(&srv, path, m), -EEXIST);
	assert_int_equal(metrics_socket_check(path, &what), -EEXIST);
	assert_string_equal(what, "a symbolic link");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_file_holds(target, "the target\n");
	unlink(path);
	unlink(target);

	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(metrics_server_start(&srv, path, m), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(path);

	assert_int_equal(metrics_server_start(&srv, "", m), -EINVAL);
}

/* A socket another process listens on (here: another endpoint, and a plain
 * listener) is live: refused, and it keeps serving. */
static void test_live_socket(void **state)
{
	struct metrics_server a, b;
	const char *what;
	char buf[16384];
	int fd;

	assert_int_equal(metrics_server_start(&a, path, m), 0);
	assert_int_equal(metrics_socket_check(path, &what), -EADDRINUSE);
	assert_string_equal(what, "a socket another process listens on");
	assert_int_equal(metrics_server_start(&b, path, m), -EADDRINUSE);
	scrape(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ssivm_dsm_invalidations_sent_total{node=\"4\"} 17\n"));
	metrics_server_stop(&a);
	assert_int_equal(access(path, F_OK), -1);

	fd = unix_socket(path, 1);
	assert_int_equal(metrics_server_start(&b, path, m), -EADDRINUSE);
	assert_int_equal(access(path, F_OK), 0);
	close(fd);
	unlink(path);
}

/* A stale socket (bound, its process gone or it never listened) is replaced. */
static void test_stale_socket(void **state)
{
	struct metrics_server srv;
	const char *what;
	char buf[16384];
	int fd;

	fd = unix_socket(path, 1);
	close(fd); /* the socket file stays: the process that listened "died" */
	assert_int_equal(metrics_socket_check(path, &what), 0);
	assert_string_equal(what, "a stale socket (nobody listens on it)");
	assert_int_equal(metrics_server_start(&srv, path, m), 0);
	scrape(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ssivm_dsm_invalidations_sent_total{node=\"4\"} 17\n"));
	metrics_server_stop(&srv);
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(metrics_socket_check(path, &what), 0);
	assert_string_equal(what, "free");
}

/* Stopping removes the socket it created, never what replaced it. */
static void test_stop_keeps_a_replacement(void **state)
{
	struct metrics_server srv;

	assert_int_equal(metrics_server_start(&srv, path, m), 0);
	assert_int_equal(unlink(path), 0);
	write_file(path, "someone else's\n");
	metrics_server_stop(&srv);
	assert_file_holds(path, "someone else's\n");
	unlink(path);

	/* nor another socket put in its place */
	assert_int_equal(metrics_server_start(&srv, path, m), 0);
	assert_int_equal(unlink(path), 0);
	int fd = unix_socket(path, 0);
	metrics_server_stop(&srv);
	assert_int_equal(access(path, F_OK), 0);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_not_a_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_keeps_a_replacement, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
