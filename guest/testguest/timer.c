// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/timer.c — LAPIC timer tests, counted against the TSC:
 *   timer      periodic mode at count C (`timerms`, default 1 ms) and 2C: the
 *              mean period in TSC cycles about doubles, ticks are regular;
 *              one-shot mode at C and 10C fires once, never early, the 10C
 *              one about 10 times later, and the current count runs down.
 *   timercost  TSC cycles a timer interrupt costs a busy loop (loop with the
 *              timer at `timerhz`, default 10000, against the loop without).
 *   idle/busy  `idlems` (default 1000) ms by 250 Hz ticks, halted (idle) or
 *              computing (busy): the host counts the exits meanwhile.
 * The LAPIC timer runs at the APIC bus clock (1 GHz in KVM and QEMU) / 16.
 */
#include "tg.h"

#define MAX_TICKS 64
#define TIMEOUT_CYCLES 20000000000ULL /* 20e9 TSC cycles: seconds at any TSC rate */
#define COUNT_1MS 62500u              /* 1 ms at 1 GHz / 16 */

static volatile uint32_t ticks;
static uint64_t tick_tsc[MAX_TICKS];

static void timer_isr(uint32_t v)
{
	uint32_t n = ticks;

	if (n < MAX_TICKS)
		tick_tsc[n] = rdtsc();
	ticks = n + 1;
}

static void timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, 1u << 16); /* masked */
	apic_write(APIC_TIMER_INIT, 0);
}

static void timer_start(uint32_t count, bool periodic)
{
	isr_set(TIMER_VECTOR, timer_isr);
	ticks = 0;
	apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | (periodic ? 1u << 17 : 0));
	apic_write(APIC_TIMER_INIT, count);
}

/* Spin (interrupts on) until @n ticks; false on timeout. */
static bool wait_ticks(uint32_t n)
{
	uint64_t t0 = rdtsc();

	irq_enable();
	while (READ_ONCE(ticks) < n) {
		if (rdtsc() - t0 > TIMEOUT_CYCLES)
			return false;
		cpu_relax();
	}
	return true;
}

/* Typical TSC delta between the first @n + 1 ticks at @count, 0 on timeout. */
static uint64_t periodic_period(uint32_t count, unsigned n, unsigned *regular)
{
	uint64_t d[MAX_TICKS];

	timer_start(count, true);
	bool ok = wait_ticks(n + 1);

	timer_stop();
	if (!ok)
		return 0;
	for (unsigned i = 0; i < n; i++)
		d[i] = tick_tsc[i + 1] - tick_tsc[i];
	/* the mean over the whole window: on a busy host a late tick either
	 * coalesces with the next (KVM) or is caught up back to back (QEMU's
	 * TCG); a median or quartile is skewed by one or the other, the mean
	 * only by the ticks actually lost */
	uint64_t med = (tick_tsc[n] - tick_tsc[0]) / n;

	*regular = 0;
	for (unsigned i = 0; i < n; i++)
		if (d[i] * 2 >= med && d[i] <= med * 2)
			(*regular)++;
	return med;
}

static uint64_t tsc_khz(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	if (a >= 0x40000010) {
		__asm__ volatile("cpuid"
				 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
				 : "a"(0x40000010), "c"(0));
		return a;
	}
	return 0;
}

void test_timer(const char *name)
{
	/* base period in ms (timerms=, default 1): a userspace LAPIC on a slow
	 * nested host cannot deliver 1 kHz without coalescing ticks */
	uint64_t ms = tg_opt("timerms", 1);

	GUEST_ASSERT(ms >= 1 && ms <= 50, "timerms=%lu: want 1..50", ms);
	const uint32_t base = (uint32_t)(COUNT_1MS * ms);

	/* Timing on a loaded shared host stalls for milliseconds now and
	 * then: each measurement is tried up to 3 times and passes when one
	 * attempt is within bounds; a broken timer fails all three. */
	unsigned reg1 = 0, reg2 = 0;
	uint64_t p1 = 0, p2 = 0, ratio100 = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		p1 = periodic_period(base, 20, &reg1);
		GUEST_ASSERT(p1 > 0,
			     "periodic timer at count %u: fewer than 21 ticks in %llu TSC cycles",
			     base, TIMEOUT_CYCLES);
		p2 = periodic_period(2 * base, 10, &reg2);
		GUEST_ASSERT(p2 > 0, "periodic timer at count %u: fewer than 11 ticks", 2 * base);
		ratio100 = p2 * 100 / p1;
		tg_printf(
		    "# timer periodic period %lu TSC cycles at count %u, %lu at %u (x%lu.%02lu), "
		    "regular %u/20 %u/10, tsc_khz %lu\n",
		    p1, base, p2, 2 * base, ratio100 / 100, ratio100 % 100, reg1, reg2, tsc_khz());
		if (ratio100 >= 130 && ratio100 <= 400 && reg1 >= 7 && reg2 >= 4)
			break;
	}
	GUEST_ASSERT(ratio100 >= 130 && ratio100 <= 400,
		     "doubling the count changed the period x%lu/100, not about x2", ratio100);
	GUEST_ASSERT(reg1 >= 7 && reg2 >= 4, "irregular ticks: %u/20, %u/10 within x2 of the mean",
		     reg1, reg2);

	/* one-shot at 1 ms and at 10 ms of APIC time: each fires once, the
	 * count runs down to 0, and the shortest 10 ms delay is several times
	 * the shortest 1 ms one (a timer cannot fire early; the shortest delay
	 * carries the least delivery latency of a busy nested host) */
	uint64_t best[2] = {~0ULL, ~0ULL};

	for (int i = 0; i < 18; i++) {
		if (i >= 6 && i % 6 == 0 && best[1] >= 5 * best[0] && best[1] <= 12 * best[0])
			break; /* three pairs measured and within bounds */
		uint32_t count = (i & 1) ? 10 * base : base;
		uint64_t t0 = rdtsc();

		timer_start(count, false);
		uint32_t c1 = apic_read(APIC_TIMER_CUR);
		bool ok = wait_ticks(1);
		uint32_t c_end = apic_read(APIC_TIMER_CUR);

		GUEST_ASSERT(ok, "one-shot %d (count %u) did not fire", i, count);
		uint64_t d = tick_tsc[0] - t0;

		GUEST_ASSERT(c1 <= count && c_end == 0,
			     "one-shot current count %u after start, %u after firing", c1, c_end);
		/* no second tick within as long again */
		uint64_t t1 = rdtsc();

		while (rdtsc() - t1 < d)
			cpu_relax();
		GUEST_ASSERT(READ_ONCE(ticks) == 1, "one-shot fired %u times", ticks);
		timer_stop();
		if (d < best[i & 1])
			best[i & 1] = d;
	}
	tg_printf("# timer one-shot shortest delay %lu TSC cycles at 1 ms, %lu at 10 ms\n", best[0],
		  best[1]);
	GUEST_ASSERT(best[1] >= 5 * best[0] && best[1] <= 12 * best[0],
		     "one-shot 10 ms took %lu TSC cycles, 1 ms %lu: not about x10", best[1],
		     best[0]);
	tg_pass(name, "period %lu TSC cycles per %lu ms of APIC time", p1, ms);
}

static uint64_t work(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		barrier();
	}
	return x;
}

void test_timer_cost(const char *name)
{
	uint64_t hz = tg_opt("timerhz", 10000);
	uint64_t iters = tg_opt("costiters", 20000000);

	GUEST_ASSERT(hz >= 10 && hz <= 100000, "timerhz=%lu: want 10..100000", hz);
	uint32_t count = (uint32_t)(1000000000ULL / 16 / hz);
	uint64_t best0 = ~0ULL, best1 = ~0ULL, nt = 0;

	irq_enable();
	for (int r = 0; r < 3; r++) {
		uint64_t t0 = rdtsc();

		work(iters);
		uint64_t t = rdtsc() - t0;

		best0 = t < best0 ? t : best0;
		timer_start(count, true);
		t0 = rdtsc();
		work(iters);
		t = rdtsc() - t0;
		uint32_t k = ticks;

		timer_stop();
		if (t < best1) {
			best1 = t;
			nt = k;
		}
	}
	GUEST_ASSERT(nt > 0, "no timer tick during %lu TSC cycles at %lu Hz", best1, hz);
	uint64_t cost = best1 > best0 ? (best1 - best0) / nt : 0;

	tg_printf("# timercost %lu TSC cycles per interrupt (%lu ticks at %lu Hz; loop %lu vs "
		  "%lu cycles)\n",
		  cost, nt, hz, best1, best0);
	tg_pass(name, "%lu TSC cycles per timer interrupt", cost);
}

static void run_for(const char *name, bool busy)
{
	uint64_t ms = tg_opt("idlems", 1000);
	uint32_t n = (uint32_t)(ms / 4); /* 250 Hz */
	uint64_t t0 = rdtsc(), x = 0;

	timer_start(COUNT_1MS * 4, true);
	irq_enable();
	while (READ_ONCE(ticks) < n) {
		if (!busy) {
			safe_halt(); /* only the timer wakes us: no timeout possible */
			continue;
		}
		x += work(10000);
		if (rdtsc() - t0 > TIMEOUT_CYCLES)
			break;
	}
	timer_stop();
	GUEST_ASSERT(READ_ONCE(ticks) >= n, "%u of %u ticks within %llu TSC cycles", ticks, n,
		     TIMEOUT_CYCLES);
	tg_printf("# %s %u ticks at 250 Hz in %lu TSC cycles%s\n", name, n, rdtsc() - t0,
		  x == 1 ? " " : "");
	tg_pass(name, "%lu ms", ms);
}

void test_idle(const char *name)
{
	run_for(name, false);
}

void test_busy(const char *name)
{
	run_for(name, true);
}
