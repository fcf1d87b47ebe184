// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_obs_http.c — the Prometheus endpoint over HTTP
 * (obs/http.h): GET /metrics answers 200 with the text, anything else 404, a
 * malformed or oversized request 400, a silent client is dropped after its
 * time limit and does not stop the next scrape; the address parser refuses
 * what is not HOST:PORT and numbers the nodes' ports.
 */
#include "dsm/metrics.h"
#include "obs/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static struct dsm_metrics *m;
static struct obs_http h;
static uint16_t port;

static size_t dsm_only(const struct obs_sources *src, char *buf, size_t len)
{
	return metrics_format_prometheus(src->dsm, buf, len);
}

static int setup(void **state)
{
	struct obs_sources src = {.node = 3};

	m = malloc(sizeof(*m));
	if (!m)
		return -1;
	metrics_init(m, 3);
	metrics_add(m, DSM_C_FAULT_REMOTE, 5);
	metrics_register_vcpu(m, 7, 1234);
	metrics_vcpu_fault(m, metrics_vcpu_slot(m, 1234), true, 2000);
	metrics_hot_page(m, 0x10);
	src.dsm = m;
	if (obs_http_start(&h, "127.0.0.1:0", &src, dsm_only))
		return -1;
	port = (uint16_t)atoi(strrchr(h.addr, ':') + 1);
	return 0;
}

static int teardown(void **state)
{
	obs_http_stop(&h);
	free(m);
	return 0;
}

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send req (len bytes), read the whole answer into a static buffer. */
static const char *exchange(const char *req, size_t len)
{
	static char buf[1 << 20];
	size_t n = 0;
	ssize_t r;
	int fd = dial();

	if (len)
		assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	return buf;
}

static const char *get(const char *req)
{
	return exchange(req, strlen(req));
}

static void test_metrics(void **state)
{
	const char *a = get("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	const char *body = strstr(a, "\r\n\r\n");

	assert_true(!strncmp(a, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(a, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(body);
	assert_non_null(strstr(body, "\nssivm_dsm_faults_remote_total{node=\"3\"} 5\n"));
	assert_non_null(strstr(
	    body, "ssivm_dsm_vcpu_faults_total{node=\"3\",vcpu=\"7\",where=\"remote\"} 1\n"));
	assert_non_null(strstr(
	    body, "ssivm_dsm_vcpu_stall_seconds_total{node=\"3\",vcpu=\"7\"} 0.000002000\n"));
	assert_non_null(
	    strstr(body, "ssivm_dsm_hot_page_faults{node=\"3\",offset=\"0x10000\"} 1\n"));
	/* a query string and HTTP/1.0 are fine */
	assert_true(!strncmp(get("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), "HTTP/1.1 200", 12));
}

static void test_not_found(void **state)
{
	assert_true(!strncmp(get("GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 404", 12));
	assert_true(!strncmp(get("GET /metricsx HTTP/1.1\r\n\r\n"), "HTTP/1.1 404", 12));
	assert_true(!strncmp(get("POST /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 404", 12));
	assert_true(!strncmp(get("HEAD /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 404", 12));
}

static void test_bad_requests(void **state)
{
	static char big[10000];

	assert_true(!strncmp(get("hello\r\n\r\n"), "HTTP/1.1 400", 12));
	assert_true(!strncmp(get("GET /metrics\r\n\r\n"), "HTTP/1.1 400", 12));
	assert_true(!strncmp(get("GET /metrics HTTP/2.0\r\n\r\n"), "HTTP/1.1 400", 12));
	assert_true(!strncmp(get("GET metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 400", 12));
	assert_true(!strncmp(get("GET /metrics HTTP/1.1 x\r\n\r\n"), "HTTP/1.1 400", 12));
	assert_true(!strncmp(exchange("GET /m\x01 HTTP/1.1\r\n\r\n", 21), "HTTP/1.1 400", 12));
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	assert_true(!strncmp(exchange(big, sizeof(big)), "HTTP/1.1 400", 12));
}

static void test_silent_client(void **state)
{
	struct timespec t0, t1;
	int fd = dial(); /* says nothing */
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the next scrape waits for the silent one's limit (2 s), not forever */
	assert_true(!strncmp(get("GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 200", 12));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	assert_true(s < 5.0);
	close(fd);
}

static void test_parse_addr(void **state)
{
	uint32_t ip;
	uint16_t p;

	assert_int_equal(obs_parse_addr("127.0.0.1:9100", 0, &ip, &p), 0);
	assert_int_equal(p, 9100);
	assert_int_equal(ip, htonl(INADDR_LOOPBACK));
	assert_int_equal(obs_parse_addr("localhost:9100", 2, &ip, &p), 0);
	assert_int_equal(p, 9102);
	assert_int_equal(obs_parse_addr("0.0.0.0:0", 5, &ip, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(obs_parse_addr("9100", 0, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr(":9100", 0, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr("host.example:9100", 0, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr("127.0.0.1:65536", 0, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr("127.0.0.1:65535", 1, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr("127.0.0.1:91x", 0, &ip, &p), -EINVAL);
	assert_int_equal(obs_parse_addr("127.0.0.1:", 0, &ip, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics),      cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_bad_requests), cmocka_unit_test(test_silent_client),
	    cmocka_unit_test(test_parse_addr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
