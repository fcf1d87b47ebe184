// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_metrics_hist.c — the DSM's log-linear histogram against known distributions. */
#include "dsm/metrics.h"
#include "dsm/metrics_hist.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct hist *new_hist(void)
{
	struct hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	hist_init(h);
	return h;
}

/* Every value maps to a bucket whose bounds contain it; buckets tile the range. */
static void test_bucket_bounds(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 200000; v++) {
		unsigned b = hist_bucket_of(v);

		assert_true(b < HIST_NBUCKETS);
		assert_true(hist_bucket_low(b) <= v && v <= hist_bucket_high(b));
	}
	for (unsigned b = 1; b < HIST_NBUCKETS; b++)
		assert_int_equal(hist_bucket_low(b), hist_bucket_high(b - 1) + 1);
	assert_int_equal(hist_bucket_of(UINT64_MAX), HIST_NBUCKETS - 1);
	assert_true(hist_bucket_high(HIST_NBUCKETS - 1) == UINT64_MAX);
	/* relative width of a bucket is at most 1/HIST_SUB */
	for (unsigned b = 2 * HIST_SUB; b < HIST_NBUCKETS; b++) {
		double lo = (double)hist_bucket_low(b),
		       w = (double)(hist_bucket_high(b) - hist_bucket_low(b) + 1);

		assert_true(w / lo <= 1.0 / HIST_SUB + 1e-12);
	}
}

static void test_empty(void **state)
{
	struct hist *h = new_hist();

	(void)state;
	assert_int_equal(hist_quantile(h, 0.5), 0);
	assert_int_equal(h->count, 0);
	assert_true(hist_mean(h) == 0.0);
	free(h);
}

/* Small exact values: quantiles are exact. */
static void test_exact_small(void **state)
{
	struct hist *h = new_hist();

	(void)state;
	for (uint64_t v = 1; v <= 10; v++)
		hist_record(h, v);
	assert_int_equal(hist_quantile(h, 0.5), 5);
	assert_int_equal(hist_quantile(h, 0.9), 9);
	assert_int_equal(hist_quantile(h, 0.99), 10);
	assert_int_equal(hist_quantile(h, 1.0), 10);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 10);
	assert_true(fabs(hist_mean(h) - 5.5) < 1e-9);
	free(h);
}

static void check_close(uint64_t got, double want)
{
	double err = fabs((double)got - want) / want;

	if (err > 1.0 / HIST_SUB + 1e-9)
		fail_msg("quantile %llu, expected %.1f (error %.4f)", (unsigned long long)got, want,
			 err);
}

/* Uniform 1..1,000,000: quantile q is q * 1e6 to within the bucket width. */
static void test_uniform(void **state)
{
	struct hist *h = new_hist();

	(void)state;
	for (uint64_t v = 1; v <= 1000000; v++)
		hist_record(h, v);
	check_close(hist_quantile(h, 0.5), 500000);
	check_close(hist_quantile(h, 0.9), 900000);
	check_close(hist_quantile(h, 0.99), 990000);
	check_close(hist_quantile(h, 0.999), 999000);
	assert_int_equal(hist_quantile(h, 1.0), 1000000);
	assert_int_equal(h->count, 1000000);
	free(h);
}

/* Exponential with mean 20 us (deterministic inverse-CDF sampling): quantile
 * q is -mean * ln(1 - q). */
static void test_exponential(void **state)
{
	struct hist *h = new_hist();
	const double mean = 20000.0;
	const int n = 200000;

	(void)state;
	for (int i = 0; i < n; i++) {
		double u = (i + 0.5) / n;

		hist_record(h, (uint64_t)llround(-mean * log(1.0 - u)));
	}
	check_close(hist_quantile(h, 0.5), -mean * log(0.5));
	check_close(hist_quantile(h, 0.9), -mean * log(0.1));
	check_close(hist_quantile(h, 0.99), -mean * log(0.01));
	check_close(hist_quantile(h, 0.999), -mean * log(0.001));
	assert_true(fabs(hist_mean(h) - mean) / mean < 0.01);
	free(h);
}

/* Bimodal: 99 % at 10 us, 1 % at 5 ms — p99 stays in the fast mode, p99.9 sees the tail. */
static void test_bimodal_tail(void **state)
{
	struct hist *h = new_hist(), *s = new_hist(), *m = new_hist();

	(void)state;
	for (int i = 0; i < 9900; i++)
		hist_record(h, 10000);
	for (int i = 0; i < 100; i++)
		hist_record(h, 5000000);
	check_close(hist_quantile(h, 0.5), 10000);
	check_close(hist_quantile(h, 0.99), 10000);
	check_close(hist_quantile(h, 0.999), 5000000);
	assert_int_equal(h->max, 5000000);
	hist_snapshot(h, s);
	assert_int_equal(s->count, 10000);
	hist_merge(m, s);
	hist_merge(m, s);
	assert_int_equal(m->count, 20000);
	check_close(hist_quantile(m, 0.999), 5000000);
	free(h);
	free(s);
	free(m);
}

/* Large values near the top of the range do not overflow. */
static void test_huge(void **state)
{
	struct hist *h = new_hist();

	(void)state;
	hist_record(h, UINT64_MAX);
	hist_record(h, 1ull << 62);
	assert_int_equal(hist_quantile(h, 1.0), UINT64_MAX);
	check_close(hist_quantile(h, 0.5), (double)(1ull << 62));
	free(h);
}

/* The Prometheus text carries the names and the summary quantiles. */
static void test_prometheus_text(void **state)
{
	struct dsm_metrics *m = malloc(sizeof(*m));
	char buf[8192];
	size_t n;

	(void)state;
	metrics_init(m, 3);
	metrics_add(m, DSM_C_FAULT_READ, 7);
	metrics_inc(m, DSM_C_FAULT_REMOTE);
	metrics_add(m, DSM_C_FAULT_LOCAL, 6);
	for (int i = 0; i < 1000; i++)
		hist_record(&m->service_ns, 20000);
	n = metrics_format_prometheus(m, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_non_null(strstr(buf, "ssivm_dsm_faults_total{node=\"3\",kind=\"read\"} 7\n"));
	assert_non_null(strstr(buf, "ssivm_dsm_remote_miss_ratio{node=\"3\"} 0.142857\n"));
	assert_non_null(
	    strstr(buf, "ssivm_dsm_fault_service_seconds{node=\"3\",quantile=\"0.5\"} 0.000020"));
	assert_non_null(strstr(buf, "ssivm_dsm_fault_service_seconds_count{node=\"3\"} 1000\n"));
	/* truncation reports the needed size */
	assert_int_equal(metrics_format_prometheus(m, buf, 10), n);
	assert_int_equal(strlen(buf), 9);
	free(m);
}

/* The endpoint serves the same text over its Unix socket, and cleans up. */
static void test_endpoint(void **state)
{
	struct dsm_metrics *m = malloc(sizeof(*m));
	struct metrics_server srv;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[64], buf[16384];
	size_t len = 0;
	ssize_t r;
	int fd;

	(void)state;
	metrics_init(m, 5);
	metrics_add(m, DSM_C_INVAL_SENT, 42);
	snprintf(path, sizeof(path), "/tmp/test_metrics.%d.sock", (int)getpid());
	assert_int_equal(metrics_server_start(&srv, path, m), 0);
	for (int round = 0; round < 2; round++) {
		len = 0;
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)r;
		close(fd);
		buf[len] = 0;
		assert_non_null(
		    strstr(buf, round ? "ssivm_dsm_invalidations_sent_total{node=\"5\"} 43\n"
				      : "ssivm_dsm_invalidations_sent_total{node=\"5\"} 42\n"));
		metrics_add(m, DSM_C_INVAL_SENT, 1); /* live: the next scrape sees 43 */
	}
	assert_non_null(strstr(buf, "ssivm_dsm_action_seconds_count{node=\"5\",op=\"copy\"} 0\n"));
	metrics_server_stop(&srv);
	assert_int_equal(access(path, F_OK), -1);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket_bounds), cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_exact_small),   cmocka_unit_test(test_uniform),
	    cmocka_unit_test(test_exponential),   cmocka_unit_test(test_bimodal_tail),
	    cmocka_unit_test(test_huge),          cmocka_unit_test(test_prometheus_text),
	    cmocka_unit_test(test_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
