// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/irq_bench.c — the interrupt-controller candidates measured with the
 * test guest, each beside the in-kernel baseline measured in the same run.
 *
 * For every mode (-m kernel,split,user) it boots guest/testguest on ssivm's
 * own VM code (vm_create with irq_vcpu_hooks(mode)) with 2 vCPUs and runs:
 *   ipi        IPI round trip BSP -> AP -> BSP, median TSC cycles (guest)
 *   timercost  TSC cycles a 10 kHz LAPIC timer interrupt costs a busy loop
 *   idle/busy  exits per second of a guest halted / computing with a 250 Hz
 *              LAPIC timer: exits of a run of -d ms minus those of a run of
 *              0 ms (boot, serial output), divided by the duration
 * and prints one table. Needs /dev/kvm: run it through scripts/with-kvm
 * (bench/irq_bench.sh). Figures from the KVM sandbox are only meaningful
 * as ratios to the baseline column.
 *
 *   irq_bench [-m kernel,split,user] [-d idle_ms] [-r ipi_rounds] [-n reps] [-g guest.elf] [-v]
 *   irq_bench -c "GUEST CMDLINE" [-m ...]   check mode: boot the guest with this command
 *             line once per mode, print its output, exit 0 when it passed in every mode
 *             (tests/guest/irq-modes-ssivm.sh)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/num.h"
#include "config/config.h"
#include "control/command.h"
#include "irq/irq.h"
#include "vcpu/vm.h"

/* The bench links ssivm's objects without control/main.c: its subcommand
 * table is not used here. */
void command_register(struct ssivm_command *cmd)
{
	(void)cmd;
}

struct run_result {
	int status;
	uint64_t exits, io_exits, mmio_exits;
	struct irq_stats st;
	double wall_ms;
	char out[16384];
};

static const char *guest = "build/guest/testguest.elf";
static bool verbose;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define WATCHDOG_S 120
#define STATUS_WATCHDOG 124

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct vm *vm;
};

/* Ends a guest that hangs (a lost interrupt leaves the idle test halted for
 * good) with STATUS_WATCHDOG after WATCHDOG_S seconds. */
static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WATCHDOG_S;
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT) {
			fprintf(stderr, "irq_bench: the guest did not end within %d s: stopped\n",
				WATCHDOG_S);
			vm_request_exit(w->vm, STATUS_WATCHDOG);
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int boot(enum irq_mode mode, const char *cmdline, struct run_result *r)
{
	char log[] = "/tmp/irq_bench.XXXXXX";
	int lfd = mkstemp(log);
	char *argv[] = {"irq_bench",     "--vcpus",      "2",           "--memory",
			"64M",           "--kernel",     (char *)guest, "--cmdline",
			(char *)cmdline, "--serial-log", log,           NULL};
	struct ssivm_config cfg;
	struct vm *vm = NULL;
	int ret = -EINVAL, saved = -1;

	memset(r, 0, sizeof(*r));
	if (lfd < 0)
		return -errno;
	close(lfd);
	config_init(&cfg);
	optind = 0;
	if (config_parse_args(&cfg, 11, argv, NULL) || config_validate(&cfg))
		goto out;
	struct vm_params p = {.cfg = &cfg, .irq_mode = mode, .hooks = irq_vcpu_hooks(mode)};

	ret = vm_create(&p, &vm);
	if (ret)
		goto out;
	ret = vm_load_kernel(vm);
	if (ret)
		goto out;
	if (!verbose) { /* the guest's console goes to the log file only */
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		close(null);
	}
	double t0 = now_ms();
	struct watchdog w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, vm};
	pthread_t wd;
	bool wd_started = pthread_create(&wd, NULL, watchdog_main, &w) == 0;

	r->status = vm_run(vm);
	r->wall_ms = now_ms() - t0;
	if (wd_started) {
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(wd, NULL);
	}
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	for (uint32_t i = 0; i < cfg.nr_vcpus; i++) {
		struct vcpu *v = vm_vcpu(vm, i);

		if (v) {
			r->exits += v->nr_exits;
			r->io_exits += v->nr_io_exits;
			r->mmio_exits += v->nr_mmio_exits;
		}
	}
	irq_get_stats(&r->st);
	FILE *f = fopen(log, "r");

	if (f) {
		size_t n = fread(r->out, 1, sizeof(r->out) - 1, f);

		r->out[n] = 0;
		fclose(f);
	}
	ret = 0;
out:
	vm_destroy(vm);
	config_free(&cfg);
	unlink(log);
	/* back-to-back VM teardown and creation hung the KVM sandbox's kernel
	 * a few times (docs/irq.md): leave it a moment between VMs */
	usleep(300000);
	return ret;
}

/* The number after @key in the guest's output, or -1. */
static double figure(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	return p ? strtod(p + strlen(key), NULL) : -1;
}

#define NFIG 6
#define MAX_REPS 9

struct mode_figures {
	enum irq_mode mode;
	const char *name;
	double ipi, timercost, idle_eps, busy_eps, idle_kicks, busy_mmio_ps; /* medians */
	double rep[MAX_REPS][NFIG];                                          /* same order */
	int nok, nfail; /* repetitions that passed / failed */
	bool ok;
};

static bool run_guest(enum irq_mode mode, const char *name, const char *cmdline,
		      struct run_result *r)
{
	int ret = boot(mode, cmdline, r);

	if (ret) {
		fprintf(stderr, "irq_bench: %s: %s: VM set-up failed: %s\n", name, cmdline,
			strerror(-ret));
		return false;
	}
	if (!strstr(r->out, "passed 0 failed") || strstr(r->out, "not ok") || r->status != 1) {
		fprintf(stderr, "irq_bench: %s: \"%s\" did not pass (status %d):\n%s\n", name,
			cmdline, r->status, r->out);
		return false;
	}
	return true;
}

static void measure(struct mode_figures *f, int idle_ms, int rounds)
{
	static struct run_result base, r;
	char cmd[256];

	f->ok = false;
	snprintf(cmd, sizeof(cmd), "tests=ipi cpus=2 ipirounds=%d", rounds);
	if (!run_guest(f->mode, f->name, cmd, &r))
		return;
	f->ipi = figure(r.out, "# ipi round trip median ");
	if (!run_guest(f->mode, f->name, "tests=timercost timerhz=1000 costiters=40000000", &r))
		return;
	f->timercost = figure(r.out, "# timercost ");
	if (!run_guest(f->mode, f->name, "tests=idle idlems=0", &base))
		return;
	snprintf(cmd, sizeof(cmd), "tests=idle idlems=%d", idle_ms);
	if (!run_guest(f->mode, f->name, cmd, &r))
		return;
	f->idle_eps = (double)(r.exits - base.exits) * 1000.0 / idle_ms;
	f->idle_kicks = (double)(r.st.kicks - base.st.kicks) * 1000.0 / idle_ms;
	snprintf(cmd, sizeof(cmd), "tests=busy idlems=%d", idle_ms);
	if (!run_guest(f->mode, f->name, "tests=busy idlems=0", &base) ||
	    !run_guest(f->mode, f->name, cmd, &r))
		return;
	f->busy_eps = (double)(r.exits - base.exits) * 1000.0 / idle_ms;
	f->busy_mmio_ps = (double)(r.mmio_exits - base.mmio_exits) * 1000.0 / idle_ms;
	f->ok = true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over the repetitions of each figure. */
static void medians(struct mode_figures *f, int reps)
{
	double *out = &f->ipi;

	for (int k = 0; k < NFIG; k++) {
		double v[MAX_REPS];

		for (int r = 0; r < reps; r++)
			v[r] = f->rep[r][k];
		qsort(v, (size_t)reps, sizeof(v[0]), cmp_double);
		out[k] = v[reps / 2];
	}
}

static void row(const char *what, struct mode_figures *f, int n, size_t off, const char *unit)
{
	double base = *(double *)((char *)&f[0] + off);

	printf("%-34s", what);
	for (int i = 0; i < n; i++) {
		double v = *(double *)((char *)&f[i] + off);

		if (!f[i].ok)
			printf(" %18s", "failed");
		else if (i == 0 || base <= 0)
			printf(" %18.0f", v);
		else
			printf(" %10.0f (x%4.2f)", v, v / base);
	}
	printf("  %s\n", unit);
}

int main(int argc, char **argv)
{
	struct mode_figures f[3] = {0};
	int n = 0, idle_ms = 1000, rounds = 50, c;
	char *modes = strdup("kernel,split,user"), *modes_arg;

	int reps = 3;
	const char *check = NULL;

	while ((c = getopt(argc, argv, "m:d:r:g:n:c:v")) != -1) {
		switch (c) {
		case 'm':
			free(modes);
			modes = strdup(optarg);
			break;
		case 'd':
			idle_ms = (int)num_flag_uint("irq_bench", "-d", optarg, 100, 600000);
			break;
		case 'r':
			rounds = (int)num_flag_uint("irq_bench", "-r", optarg, 1, 256);
			break;
		case 'g':
			guest = optarg;
			break;
		case 'n':
			reps = (int)num_flag_uint("irq_bench", "-n", optarg, 1, MAX_REPS);
			break;
		case 'c':
			check = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: irq_bench [-m kernel,split,user] [-d idle_ms] "
					"[-r ipi_rounds] [-g guest.elf] [-v]\n");
			return 2;
		}
	}
	setenv("SSIVM_SERIAL_INPUT", "0", 1);
	modes_arg = strdup(modes);
	for (char *t = strtok(modes, ","); t && n < 3; t = strtok(NULL, ",")) {
		f[n].name = t;
		if (!strcmp(t, "kernel"))
			f[n].mode = IRQ_KERNEL;
		else if (!strcmp(t, "split"))
			f[n].mode = IRQ_SPLIT;
		else if (!strcmp(t, "user"))
			f[n].mode = IRQ_USER;
		else {
			fprintf(stderr, "irq_bench: unknown mode %s\n", t);
			return 2;
		}
		n++;
	}
	if (check) {
		int failed = 0;

		for (int i = 0; i < n; i++) {
			static struct run_result r;
			bool ok = run_guest(f[i].mode, f[i].name, check, &r);

			if (ok)
				printf("%s", r.out);
			printf("%s irqchip %s: \"%s\" (status %d, %.0f ms, %llu exits, %llu MMIO, "
			       "%llu injected, %llu IPIs seen, %llu timer fires, %llu kicks, %llu "
			       "EOIs)\n",
			       ok ? "PASS" : "FAIL", f[i].name, check, r.status, r.wall_ms,
			       (unsigned long long)r.exits, (unsigned long long)r.mmio_exits,
			       (unsigned long long)r.st.injected, (unsigned long long)r.st.ipis,
			       (unsigned long long)r.st.timer_fires, (unsigned long long)r.st.kicks,
			       (unsigned long long)r.st.eois);
			failed += !ok;
		}
		free(modes);
		free(modes_arg);
		return failed ? 1 : 0;
	}
	/* repetitions interleave the modes, so that a noisy moment of a shared
	 * machine hits every mode alike; each figure is the median */
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < n; i++) {
			measure(&f[i], idle_ms, rounds);
			fprintf(stderr,
				"irq_bench: rep %d %s: %s ipi %.0f timer %.0f idle %.0f/s busy "
				"%.0f/s\n",
				r + 1, f[i].name, f[i].ok ? "ok" : "FAILED", f[i].ipi,
				f[i].timercost, f[i].idle_eps, f[i].busy_eps);
			if (!f[i].ok) {
				f[i].nfail++;
				continue;
			}
			memcpy(f[i].rep[f[i].nok++], &f[i].ipi, sizeof(f[i].rep[0]));
		}
	}
	for (int i = 0; i < n; i++) {
		f[i].ok = f[i].nok > 0;
		if (f[i].ok)
			medians(&f[i], f[i].nok);
	}
	printf("irq_bench -m %s -d %d -r %d -n %d (guest %s, 2 vCPUs); medians of %d "
	       "interleaved runs;\nthe first column is the baseline, others show (x ratio to it)\n",
	       modes_arg, idle_ms, rounds, reps, guest, reps);
	printf("%-34s", "figure");
	for (int i = 0; i < n; i++)
		printf(" %18s", f[i].name);
	printf("\n");
	row("IPI round trip (median)", f, n, offsetof(struct mode_figures, ipi), "TSC cycles");
	row("timer interrupt cost", f, n, offsetof(struct mode_figures, timercost), "TSC cycles");
	row("exits/s, idle guest, 250 Hz timer", f, n, offsetof(struct mode_figures, idle_eps),
	    "exits/s");
	row("exits/s, busy guest, 250 Hz timer", f, n, offsetof(struct mode_figures, busy_eps),
	    "exits/s");
	row("MMIO exits/s, busy guest", f, n, offsetof(struct mode_figures, busy_mmio_ps),
	    "exits/s");
	row("vCPU kicks/s, idle guest", f, n, offsetof(struct mode_figures, idle_kicks), "kicks/s");
	int bad = 0;

	for (int i = 0; i < n; i++) {
		if (f[i].nfail)
			printf("%s: %d of %d repetitions failed (guest output above, on stderr)\n",
			       f[i].name, f[i].nfail, reps);
		bad += !f[i].ok;
	}
	if (bad)
		return 1;
	free(modes);
	free(modes_arg);
	return 0;
}
