// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/main.c — the test guest's main: read the multiboot command
 * line, run the tests it names, report, end through the exit port.
 *
 * Command line (tokens separated by spaces; the first may be the kernel path):
 *   tests=a,b,c   which tests, in this order (default: multiboot,ipi,timer,mem)
 *   exit=N        exit value when every test passed (default 0)
 *   cpus=N        CPUs to expect when there is no MADT (default 1)
 *   modules=N     the multiboot test checks the module count
 *   exitcpu=K     CPU K (started by the ipi test) writes the exit port
 *   stayonfail=1  after a failure, halt instead of exiting (debugging: the
 *                 VMM reports every vCPU's state when stopped)
 * Other keys are read by the tests themselves (see each test).
 */
#include "tg.h"

const char *tg_cmdline = "";
static unsigned nr_pass, nr_fail;

struct test {
	const char *name;
	void (*fn)(const char *name);
};

static const struct test tests[] = {
    {"multiboot", test_multiboot},
    {"mem", test_mem},
    {"timer", test_timer},
    {"timercost", test_timer_cost},
    {"ipi", test_ipi},
    {"idle", test_idle},
    {"busy", test_busy},
    {"unemulated", test_unemulated},
    {"span", test_span},
};

void tg_fail(const char *test, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_printf("not ok %s %s:%d: %s\n", test, file, line, msg);
	nr_fail++;
}

void tg_pass(const char *test, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_printf("ok %s%s%s\n", test, msg[0] ? " " : "", msg);
	nr_pass++;
}

/* Start of the value of " key=" (or of "key=" at the start), or NULL. */
static const char *opt_find(const char *key)
{
	size_t n = strlen(key);

	for (const char *p = tg_cmdline; *p; p++) {
		if ((p == tg_cmdline || p[-1] == ' ') && !memcmp(p, key, n) && p[n] == '=')
			return p + n + 1;
	}
	return NULL;
}

uint64_t tg_opt(const char *key, uint64_t def)
{
	const char *v = opt_find(key);

	if (!v || *v < '0' || *v > '9')
		return def;
	return tg_strtou(&v);
}

static const struct test *find_test(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strlen(tests[i].name) == n && !memcmp(tests[i].name, s, n))
			return &tests[i];
	return NULL;
}

static void run_list(const char *list)
{
	while (*list && *list != ' ') {
		const char *e = list;

		while (*e && *e != ',' && *e != ' ')
			e++;
		const struct test *t = find_test(list, (size_t)(e - list));

		if (t) {
			t->fn(t->name);
		} else {
			char nm[32];
			size_t n =
			    (size_t)(e - list) < sizeof(nm) ? (size_t)(e - list) : sizeof(nm) - 1;

			memcpy(nm, list, n);
			nm[n] = 0;
			tg_fail(nm, __FILE__, __LINE__, "no such test");
		}
		list = *e == ',' ? e + 1 : e;
	}
}

void tg_main(uint32_t magic, uint32_t info);
void tg_main(uint32_t magic, uint32_t info)
{
	uint64_t t0 = rdtsc();

	mb_init(magic, info);
	if (mb_valid() && (*(const uint32_t *)(uintptr_t)info & (1u << 2)))
		tg_cmdline = (const char *)(uintptr_t)((const uint32_t *)(uintptr_t)info)[4];
	tg_printf("testguest: magic 0x%x cmdline \"%s\"\n", magic, tg_cmdline);
	/* The legacy PIC (the BIOS points it at vectors 8-15) stays masked:
	 * everything here comes through the LAPIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	idt_init();
	idt_load();
	apic_enable();

	const char *list = opt_find("tests");

	run_list(list ? list : "multiboot,ipi,timer,mem");
	tg_printf("# total %lu TSC cycles since entry\n", rdtsc() - t0);
	tg_printf("testguest: done %u passed %u failed\n", nr_pass, nr_fail);
	/* stayonfail=1: keep the machine as it is for the VMM's report (SIGTERM) */
	if (nr_fail && tg_opt("stayonfail", 0))
		for (;;)
			safe_halt();
	/* exitcpu=K: the exit port is written by CPU K (on another node) */
	span_exit_via((uint32_t)tg_opt("exitcpu", 0), nr_fail ? 1 : (uint32_t)tg_opt("exit", 0));
}
