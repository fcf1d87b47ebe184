// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/cmd_stats.c — `ssivm stats SOCKET [--prometheus]`: read the DSM
 * metrics a running node serves on its Unix socket (dsm/metrics.h) and print
 * them, raw (Prometheus text) or as a short readable summary.
 */
#include "control/command.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char *read_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t cap = 16384, len = 0;
	char *buf;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ssivm stats: socket path too long: %s\n", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ssivm stats: cannot connect to %s: %s (is the node running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0) {
			fprintf(stderr, "ssivm stats: %s did not answer within 5 s\n", path);
			free(buf);
			buf = NULL;
			break;
		}
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "ssivm stats: reading %s: %s\n", path, strerror(errno));
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0) {
			buf[len] = 0;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	return buf;
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

static int node_of(const char *text)
{
	const char *p = strstr(text, "node=\"");

	return p ? atoi(p + 6) : -1;
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
	printf("  local / remote  %.0f / %.0f (remote counts joins of a request in flight)   "
	       "failed %.0f   remote miss ratio %.3f\n",
	       V("ssivm_dsm_faults_local_total"), V("ssivm_dsm_faults_remote_total"),
	       V("ssivm_dsm_faults_failed_total"), V("ssivm_dsm_remote_miss_ratio"));
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

static int cmd_stats(int argc, char **argv)
{
	const char *path = NULL;
	int raw = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prometheus")) {
			raw = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(
			    "usage: ssivm stats SOCKET [--prometheus]\n\n"
			    "Print the DSM metrics a running DSM node process serves on its Unix\n"
			    "socket: a summary, or the raw Prometheus text with --prometheus.\n"
			    "Today the processes that serve one are the DSM's own node programs\n"
			    "(build/bin/dsm-node --metrics SOCKET, as "
			    "tests/multiproc/dsm-stress.sh\n"
			    "starts them); `ssivm run` does not use the DSM yet and serves "
			    "none.\n");
			return 0;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "ssivm stats: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: ssivm stats SOCKET [--prometheus]\n");
		return 2;
	}
	text = read_socket(path);
	if (!text)
		return 1;
	if (raw)
		fputs(text, stdout);
	else if (node_of(text) < 0)
		fprintf(stderr, "ssivm stats: %s did not serve DSM metrics\n", path);
	else
		summary(text);
	free(text);
	return 0;
}

SSIVM_COMMAND("stats", cmd_stats, "print the DSM metrics of a running node (from its socket)")
