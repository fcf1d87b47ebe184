// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/cmd_top.c — `ssivm top ENDPOINT...`: a live view of a running VM
 * from the metrics of each of its nodes (their --metrics-http endpoints, or
 * a DSM node's Unix socket), refreshed every interval: per node and per vCPU
 * exit and fault rates, fault service-time percentiles, stall share, remote
 * miss ratio, interrupts and I/O forwarded, hottest pages. Plain ANSI
 * escapes, no curses; on a terminal `q` quits (also Ctrl-C).
 */
#include "common/num.h"
#include "control/command.h"
#include "control/top_scrape.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TOP_MAX_NODES 64
#define TOP_USAGE "usage: ssivm top [--interval SECONDS] [--iterations N] [--nodes N] ENDPOINT...\n"

struct node_view {
	const char *ep;
	struct scrape prev, cur;
	double t_prev, t_cur;
	int have_prev, ok;
	char why[160];
};

static volatile sig_atomic_t stop_requested;
static struct termios saved_tio;
static int tio_saved;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static double rate(const struct node_view *n, const char *name, const char *want)
{
	double dt = n->t_cur - n->t_prev;

	if (!n->have_prev || dt <= 0)
		return 0;
	return (scrape_sum(&n->cur, name, want, NULL) - scrape_sum(&n->prev, name, want, NULL)) /
	       dt;
}

static double val(const struct node_view *n, const char *name, const char *want)
{
	return scrape_sum(&n->cur, name, want, NULL);
}

static void show_vcpus(const struct node_view *n, const char *nl)
{
	char seen[TOP_MAX_NODES * 4] = "", idx[16], want[48], w2[96];

	printf("  vCPU   exits/s     io/s   mmio/s    hlt/s  irqwin/s faults/s remote/s  "
	       "stall%%%s",
	       nl);
	for (size_t i = 0; i < n->cur.n; i++) {
		const struct sample *s = &n->cur.s[i];

		if (strcmp(s->name, "ssivm_vcpu_exits_total") &&
		    strcmp(s->name, "ssivm_dsm_vcpu_faults_total"))
			continue;
		if (scrape_label(s->labels, "vcpu", idx, sizeof(idx)))
			continue;
		snprintf(want, sizeof(want), ",%s,", idx);
		if (strstr(seen, want) || strlen(seen) + strlen(want) >= sizeof(seen))
			continue;
		strcat(seen, want);
		snprintf(want, sizeof(want), "vcpu=\"%s\"", idx);
#define K(kind) (snprintf(w2, sizeof(w2), "%s,kind=\"" kind "\"", want), w2)
		printf("  %-4s %9.0f %8.0f %8.0f %8.0f %9.0f", idx,
		       rate(n, "ssivm_vcpu_exits_total", want),
		       rate(n, "ssivm_vcpu_exits_total", K("io")),
		       rate(n, "ssivm_vcpu_exits_total", K("mmio")),
		       rate(n, "ssivm_vcpu_exits_total", K("hlt")),
		       rate(n, "ssivm_vcpu_exits_total", K("irq_window")));
#undef K
		snprintf(w2, sizeof(w2), "%s,where=\"remote\"", want);
		printf(" %8.0f %8.0f %7.1f%s", rate(n, "ssivm_dsm_vcpu_faults_total", want),
		       rate(n, "ssivm_dsm_vcpu_faults_total", w2),
		       100.0 * rate(n, "ssivm_dsm_vcpu_stall_seconds_total", want), nl);
	}
}

static void show_hot(const struct node_view *n, const char *nl)
{
	const struct sample *top[5] = {0};
	char page[32];

	for (size_t i = 0; i < n->cur.n; i++) {
		const struct sample *s = &n->cur.s[i];

		if (strcmp(s->name, "ssivm_dsm_hot_page_faults"))
			continue;
		for (int k = 0; k < 5; k++)
			if (!top[k] || s->v > top[k]->v) {
				memmove(&top[k + 1], &top[k], (size_t)(4 - k) * sizeof(top[0]));
				top[k] = s;
				break;
			}
	}
	printf("  hottest pages (remote faults):");
	if (!top[0])
		printf(" none");
	for (int k = 0; k < 5 && top[k]; k++)
		if (!scrape_label(top[k]->labels, "offset", page, sizeof(page)))
			printf(" %s:%.0f", page, top[k]->v);
	printf("%s", nl);
}

static void show_node(const struct node_view *n, int i, const char *nl)
{
	int dsm;
	double loc, rem;

	if (!n->ok) {
		printf("node %d  %s: %s%s", i, n->ep, n->why, nl);
		return;
	}
	scrape_sum(&n->cur, "ssivm_dsm_faults_local_total", NULL, &dsm);
	printf("node %d  %s   vCPUs %.0f   exits/s %.0f (io %.0f mmio %.0f hlt %.0f)%s", i, n->ep,
	       val(n, "ssivm_vcpus", NULL), rate(n, "ssivm_vcpu_exits_total", NULL),
	       rate(n, "ssivm_vcpu_exits_total", "kind=\"io\""),
	       rate(n, "ssivm_vcpu_exits_total", "kind=\"mmio\""),
	       rate(n, "ssivm_vcpu_exits_total", "kind=\"hlt\""), nl);
	printf("  interrupts/s delivered %.0f, to other nodes %.0f (IPIs caught by proxies %.0f),"
	       " messages sent %.0f received %.0f; I/O forwarded/s %.0f (round trip %.1f us),"
	       " served/s %.0f%s",
	       rate(n, "ssivm_irq_delivered_total", NULL),
	       rate(n, "ssivm_irq_forwarded_total", NULL),
	       rate(n, "ssivm_ipi_proxy_captured_total", NULL),
	       rate(n, "ssivm_cluster_messages_sent_total", "type=\"IRQ\""),
	       rate(n, "ssivm_cluster_messages_received_total", "type=\"IRQ\""),
	       rate(n, "ssivm_io_forwarded_total", NULL),
	       rate(n, "ssivm_io_forwarded_total", NULL) > 0
		   ? 1e6 * rate(n, "ssivm_io_forward_seconds_total", NULL) /
			 rate(n, "ssivm_io_forwarded_total", NULL)
		   : 0.0,
	       rate(n, "ssivm_io_served_total", NULL), nl);
	if (dsm) {
		loc = rate(n, "ssivm_dsm_faults_local_total", NULL);
		rem = rate(n, "ssivm_dsm_faults_remote_total", NULL);
		printf("  DSM faults/s %.0f (local %.0f, remote %.0f), remote miss ratio %.3f now, "
		       "%.3f since start%s",
		       loc + rem, loc, rem, loc + rem > 0 ? rem / (loc + rem) : 0.0,
		       val(n, "ssivm_dsm_remote_miss_ratio", NULL), nl);
		printf("  fault service us: p50 %.1f p90 %.1f p99 %.1f max %.1f; bytes/s sent %.0f "
		       "received %.0f%s",
		       1e6 * val(n, "ssivm_dsm_fault_service_seconds", "quantile=\"0.5\""),
		       1e6 * val(n, "ssivm_dsm_fault_service_seconds", "quantile=\"0.9\""),
		       1e6 * val(n, "ssivm_dsm_fault_service_seconds", "quantile=\"0.99\""),
		       1e6 * val(n, "ssivm_dsm_fault_service_seconds_max", NULL),
		       rate(n, "ssivm_dsm_bytes_sent_total", NULL),
		       rate(n, "ssivm_dsm_bytes_received_total", NULL), nl);
	} else {
		printf("  DSM: none on this node (a guest on one host)%s", nl);
	}
	show_vcpus(n, nl);
	if (dsm)
		show_hot(n, nl);
}

static void refresh(struct node_view *v, int nr)
{
	for (int i = 0; i < nr; i++) {
		struct scrape s;

		if (scrape_fetch(v[i].ep, 2000, &s, v[i].why, sizeof(v[i].why))) {
			v[i].ok = 0;
			continue;
		}
		scrape_free(&v[i].prev);
		v[i].prev = v[i].cur;
		v[i].t_prev = v[i].t_cur;
		v[i].have_prev = v[i].ok;
		v[i].cur = s;
		v[i].t_cur = now_s();
		v[i].ok = 1;
	}
}

/* Wait up to @ms for a key on a terminal; 1 when 'q' (or a signal) asks to quit. */
static int wait_key(int tty, int ms)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	double end = now_s() + ms / 1e3;

	while (!stop_requested) {
		double left = end - now_s();
		char c;

		if (left <= 0)
			return 0;
		if (!tty) {
			usleep((useconds_t)(left * 1e6));
			return stop_requested;
		}
		if (poll(&p, 1, (int)(left * 1e3) + 1) > 0) {
			if (read(STDIN_FILENO, &c, 1) != 1)
				return 0; /* stdin closed: keep refreshing */
			if (c == 'q' || c == 'Q')
				return 1;
		}
	}
	return 1;
}

static int cmd_top(int argc, char **argv)
{
	struct node_view v[TOP_MAX_NODES] = {0};
	unsigned interval_ms = 1000, iterations = 0, nodes = 0;
	int nr = 0, tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	const char *nl = tty ? "\033[K\r\n" : "\n";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			interval_ms =
			    1000 * num_flag_uint("ssivm top", "--interval", argv[++i], 1, 3600);
		} else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
			iterations =
			    num_flag_uint("ssivm top", "--iterations", argv[++i], 1, 1000000);
		} else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) {
			nodes = num_flag_uint("ssivm top", "--nodes", argv[++i], 1, TOP_MAX_NODES);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf(
			    TOP_USAGE
			    "\nA live view of a running VM: one ENDPOINT per node, HOST:PORT of "
			    "its\n"
			    "`ssivm run --metrics-http` or the path of a DSM node's metrics "
			    "socket.\n"
			    "--nodes N with one HOST:PORT: nodes 0..N-1 at PORT..PORT+N-1 (as\n"
			    "--metrics-http numbers them). Refreshes every --interval seconds\n"
			    "(default 1); --iterations N stops after N refreshes. On a terminal,\n"
			    "q quits. docs/metrics.md says what each figure is.\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr,
				"ssivm top: unknown option or missing value: '%s'\n" TOP_USAGE,
				argv[i]);
			return 2;
		} else if (nr < TOP_MAX_NODES) {
			v[nr++].ep = argv[i];
		}
	}
	if (!nr) {
		fputs(TOP_USAGE, stderr);
		return 2;
	}
	static char eps[TOP_MAX_NODES][80];
	if (nodes) {
		const char *first = v[0].ep, *colon = strrchr(first, ':');
		long base = colon ? strtol(colon + 1, NULL, 10) : 0;

		if (nr != 1 || !colon || base <= 0 || base + nodes - 1 > 65535 ||
		    (size_t)(colon - first) > 60) {
			fprintf(stderr, "ssivm top: --nodes N needs exactly one HOST:PORT\n");
			return 2;
		}
		for (unsigned k = 0; k < nodes; k++) {
			snprintf(eps[k], sizeof(eps[k]), "%.*s:%ld", (int)(colon - first), first,
				 base + (long)k);
			v[k].ep = eps[k];
		}
		nr = (int)nodes;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tty && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios t = saved_tio;

		t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tio_saved = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		atexit(restore_tty);
	}
	for (unsigned it = 0; !stop_requested; it++) {
		time_t now = time(NULL);
		char clock[16];

		refresh(v, nr);
		strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
		printf("%sssivm top: %d node(s), every %.1f s%s   %s%s%s", tty ? "\033[H" : "", nr,
		       interval_ms / 1e3, tty ? ", q quits" : "", clock, nl, nl);
		for (int i = 0; i < nr; i++) {
			show_node(&v[i], i, nl);
			printf("%s", nl);
		}
		if (tty)
			printf("\033[J");
		else
			printf("--\n");
		fflush(stdout);
		if (iterations && it + 1 >= iterations)
			break;
		if (wait_key(tty, (int)interval_ms))
			break;
	}
	restore_tty();
	tio_saved = 0;
	for (int i = 0; i < nr; i++) {
		scrape_free(&v[i].prev);
		scrape_free(&v[i].cur);
	}
	return 0;
}

SSIVM_COMMAND("top", cmd_top, "a live view of a running VM's nodes (their metrics endpoints)")
