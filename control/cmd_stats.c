// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/cmd_stats.c — `ssivm stats SOCKET [--prometheus]`: read the DSM
 * metrics a running node serves on its Unix socket (dsm/metrics.h) and print
 * them, raw (Prometheus text) or as a short readable summary.
 */
#include "common/num.h"
#include "control/command.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The most a node's metrics may take: they are a few tens of KiB. */
#define STATS_MAX_BYTES (4u << 20)
#define STATS_DEFAULT_TIMEOUT_S 5u

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to path by the deadline (a listener with a full backlog answers
 * EAGAIN: retried until then). Returns the socket or -1 (message printed). */
static int connect_by(const char *path, int64_t deadline, unsigned timeout_s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ssivm stats: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "ssivm stats: cannot create a socket: %s\n", strerror(errno));
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && now_ms() < deadline) {
			nanosleep(&(struct timespec){0, 10000000}, NULL);
			continue;
		}
		if (errno == EAGAIN)
			fprintf(stderr,
				"ssivm stats: %s did not accept the connection within %u s (its "
				"backlog is full)\n",
				path, timeout_s);
		else
			fprintf(stderr,
				"ssivm stats: cannot connect to %s: %s (is the node running?)\n",
				path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The whole text the socket at path serves (connect, read to EOF), within
 * timeout_s seconds for the whole exchange and at most STATS_MAX_BYTES.
 * Returns it NUL-terminated (the caller frees it) or NULL with a message.
 */
static char *read_socket(const char *path, unsigned timeout_s)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	size_t len = 0;
	char *buf = NULL;
	int fd;

	fd = connect_by(path, deadline, timeout_s);
	if (fd < 0)
		return NULL;
	/* one buffer for the most it may send, and one byte more to see that it
	 * sent too much (pages are committed only as they are written) */
	buf = malloc(STATS_MAX_BYTES + 2);
	if (!buf) {
		fprintf(stderr, "ssivm stats: out of memory: cannot allocate %u KiB to read %s\n",
			(STATS_MAX_BYTES + 2) >> 10, path);
		close(fd);
		return NULL;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t r;
		int pr;

		pr = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			fprintf(stderr, "ssivm stats: waiting for %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (pr == 0) {
			fprintf(stderr,
				"ssivm stats: %s did not send its whole answer within %u s (%zu "
				"bytes so far; --timeout sets the limit)\n",
				path, timeout_s, len);
			goto fail;
		}
		r = read(fd, buf + len, STATS_MAX_BYTES + 1 - len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			fprintf(stderr, "ssivm stats: reading %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > STATS_MAX_BYTES) {
			fprintf(stderr,
				"ssivm stats: %s sent more than %u MiB: not the metrics of a DSM "
				"node; refused\n",
				path, STATS_MAX_BYTES >> 20);
			goto fail;
		}
	}
	close(fd);
	if (!len) {
		fprintf(stderr,
			"ssivm stats: %s closed the connection without sending anything (not a "
			"DSM metrics socket?)\n",
			path);
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* Value of the first sample whose name+labels start with `key`; -1 when absent. */
static double value_of(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l == '#' || strncmp(l, key, kl))
			continue;
		const char *sp = strchr(l, ' ');
		const char *nl = strchr(l, '\n');

		if (sp && (!nl || sp < nl))
			return strtod(sp + 1, NULL);
	}
	return -1;
}

/* The node of the first sample (its node="N" label), or -1. */
static int node_of(const char *text)
{
	const char *p = strstr(text, "ssivm_dsm_"), *q, *end;
	char num[16];
	uint64_t v;

	p = p ? strstr(p, "{node=\"") : NULL;
	if (!p)
		return -1;
	p += 7;
	end = strchr(p, '"');
	q = strchr(p, '\n');
	if (!end || (q && q < end) || end - p >= (long)sizeof(num))
		return -1;
	memcpy(num, p, (size_t)(end - p));
	num[end - p] = 0;
	return num_parse_u64(num, 0, 65535, &v) ? -1 : (int)v;
}

static void summary(const char *t)
{
	char k[160];
	int node = node_of(t);
	double q[4];
	static const char *qn[] = {"0.5", "0.9", "0.99", "0.999"};

#define V(name) (snprintf(k, sizeof(k), "%s{node=\"%d\"", name, node), value_of(t, k))
#define VL(name, lab) (snprintf(k, sizeof(k), "%s{node=\"%d\",%s", name, node, lab), value_of(t, k))
	double rd = VL("ssivm_dsm_faults_total", "kind=\"read\""),
	       wr = VL("ssivm_dsm_faults_total", "kind=\"write\""),
	       wp = VL("ssivm_dsm_faults_total", "kind=\"write_protect\"");

	printf("node %d\n", node);
	printf("  faults          %.0f (read %.0f, write %.0f, write-protect %.0f)\n", rd + wr + wp,
	       rd, wr, wp);
	printf("  local / remote  %.0f (%.0f by the home for itself) / %.0f   "
	       "failed %.0f   remote miss ratio %.3f\n",
	       V("ssivm_dsm_faults_local_total"), V("ssivm_dsm_faults_home_total"),
	       V("ssivm_dsm_faults_remote_total"), V("ssivm_dsm_faults_failed_total"),
	       V("ssivm_dsm_remote_miss_ratio"));
	printf("  fetches         %.0f   invalidations sent %.0f received %.0f\n",
	       V("ssivm_dsm_remote_fetches_total"), V("ssivm_dsm_invalidations_sent_total"),
	       V("ssivm_dsm_invalidations_received_total"));
	printf("  messages        sent %.0f received %.0f   bytes sent %.0f received %.0f\n",
	       V("ssivm_dsm_messages_sent_total"), V("ssivm_dsm_messages_received_total"),
	       V("ssivm_dsm_bytes_sent_total"), V("ssivm_dsm_bytes_received_total"));
	printf("  pages owned     %.0f   bad messages %.0f\n", V("ssivm_dsm_pages_owned"),
	       V("ssivm_dsm_bad_messages_total"));
	for (int i = 0; i < 4; i++) {
		char lab[40];

		snprintf(lab, sizeof(lab), "quantile=\"%s\"", qn[i]);
		q[i] = VL("ssivm_dsm_fault_service_seconds", lab) * 1e6;
	}
	printf("  service time us n=%.0f median %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
	       V("ssivm_dsm_fault_service_seconds_count"), q[0], q[1], q[2], q[3],
	       V("ssivm_dsm_fault_service_seconds_max") * 1e6);
	printf("  service loop    spins %.0f sleeps %.0f\n", V("ssivm_dsm_loop_spins_total"),
	       V("ssivm_dsm_loop_sleeps_total"));
#undef V
#undef VL
}

#define STATS_USAGE "usage: ssivm stats SOCKET [--prometheus] [--timeout SECONDS]\n"

static int cmd_stats(int argc, char **argv)
{
	unsigned timeout_s = STATS_DEFAULT_TIMEOUT_S;
	const char *path = NULL;
	int raw = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prometheus")) {
			raw = 1;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = num_flag_uint("ssivm stats", "--timeout", argv[++i], 1, 3600);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(
			    STATS_USAGE
			    "\n"
			    "Print the DSM metrics a running DSM node process serves on its Unix\n"
			    "socket: a summary, or the raw Prometheus text with --prometheus.\n"
			    "The whole exchange must end within --timeout seconds (default %u),\n"
			    "the answer must be at most %u MiB, and must be DSM metrics; "
			    "otherwise\n"
			    "it says why and exits 1.\n"
			    "Today the processes that serve one are the DSM's own node programs\n"
			    "(build/bin/dsm-node --metrics SOCKET, as "
			    "tests/multiproc/dsm-stress.sh\n"
			    "starts them). The nodes of `ssivm run` serve theirs over HTTP\n"
			    "(--metrics-http; read them with curl or `ssivm top`).\n",
			    STATS_DEFAULT_TIMEOUT_S, STATS_MAX_BYTES >> 20);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"ssivm stats: unknown option or missing value: '%s'\n" STATS_USAGE,
				argv[i]);
			return 2;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "ssivm stats: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!path) {
		fputs(STATS_USAGE, stderr);
		return 2;
	}
	text = read_socket(path, timeout_s);
	if (!text)
		return 1;
	if (node_of(text) < 0) {
		fprintf(stderr,
			"ssivm stats: %s did not serve DSM metrics (no ssivm_dsm_* sample with a "
			"node label in its %zu bytes)\n",
			path, strlen(text));
		free(text);
		return 1;
	}
	if (raw)
		fputs(text, stdout);
	else
		summary(text);
	free(text);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ssivm stats: writing the output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

SSIVM_COMMAND("stats", cmd_stats, "print the DSM metrics of a running node (from its socket)")
