// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/span.c — what a guest spanning hosts must get right,
 * checked from inside (run after `ipi`, which starts the APs:
 * tests=ipi,span). Every CPU takes part; on ssivm the CPUs run on different
 * nodes, so every step crosses hosts:
 *
 *   coherence  every CPU writes its entry of shared pages and a progress
 *              word, reads everyone's (an entry behind a progress word it
 *              read before is a stale read), writes whole pages under a
 *              seqlock (a page seen torn is one), and adds to shared counters
 *              with locked instructions (a lost increment shows in the sum);
 *              after a barrier the final image must hold every writer's last
 *              value. spanrounds=N rounds per CPU (default 400).
 *   IPIs       fixed (every CPU to the next), NMI (BSP to each AP),
 *              broadcast to all but self, each counted at its receiver
 *              (INIT/SIPI: the `ipi` test started the APs).
 *   timer      each AP takes LAPIC timer interrupts on its own node, and then
 *              again while the BSP keeps writing into the page of the AP's
 *              stack the interrupt frames are pushed on (each delivery finds
 *              that page on another node: a remote fault during the
 *              interrupt's delivery). bounceticks=N (default 40).
 *   I/O        each AP writes to the console and reads a UART register (both
 *              on the I/O node: forwarded accesses).
 *   exit       exitcpu=K: CPU K (an AP, on another node) writes the exit port
 *              at the end (span_exit_via), and its value is the guest's.
 */
#include "tg.h"

#define WORK_VECTOR 0x60
#define PING_VECTOR 0x70
#define BCAST_VECTOR 0x71
#define APTIMER_VECTOR 0x72
#define DATA_PAGES 8
#define WORDS 512
#define WAIT_CYCLES 40000000000ULL

static volatile uint64_t data[DATA_PAGES][WORDS] __attribute__((aligned(4096)));
static volatile uint64_t progress[WORDS] __attribute__((aligned(4096)));
static volatile uint64_t seqpage[MAX_CPUS][WORDS] __attribute__((aligned(4096)));
static volatile uint64_t counters[WORDS] __attribute__((aligned(4096)));
static volatile uint32_t errors[MAX_CPUS], done_count, pings[MAX_CPUS], nmis[MAX_CPUS],
    bcasts[MAX_CPUS], ticks[MAX_CPUS], io_ok[MAX_CPUS];
static void (*volatile work_fn)(uint32_t cpu);
static volatile uint32_t exit_value;
static uint64_t rounds;
/* what each CPU last saw per (writer, page); a page per CPU */
static uint64_t seen_by[MAX_CPUS][MAX_CPUS][DATA_PAGES] __attribute__((aligned(4096)));

static uint32_t my_index(void)
{
	uint32_t id = apic_id();

	for (uint32_t i = 0; i < nr_cpus_found; i++)
		if (cpu_apic_ids[i] == id)
			return i;
	return 0;
}

static void fail(uint32_t cpu, const char *what, uint64_t a, uint64_t b)
{
	if (__atomic_fetch_add(&errors[cpu], 1, __ATOMIC_RELAXED) < 5)
		tg_printf("not ok span cpu %u: %s (0x%lx, 0x%lx)\n", cpu, what, a, b);
}

/* ---- coherence ---------------------------------------------------------- */

static void coherence(uint32_t me)
{
	uint64_t(*seen)[DATA_PAGES] = seen_by[me];
	uint32_t n = nr_cpus_found;

	for (uint64_t k = 1; k <= rounds; k++) {
		unsigned p = k % DATA_PAGES;

		data[p][me] = k; /* the entry, then the progress word (TSO: in order) */
		progress[me] = k;
		__atomic_fetch_add(&counters[k % 16], 1, __ATOMIC_SEQ_CST);
		/* a whole page under a seqlock: begin, body, end */
		if (k % 8 == 0) {
			seqpage[me][0] = k;
			for (unsigned w = 1; w < WORDS - 1; w++)
				seqpage[me][w] = k * 1000 + w;
			seqpage[me][WORDS - 1] = k;
		}
		uint32_t j = (uint32_t)((me + k) % n);
		uint64_t r = progress[j];

		if (r) {
			uint64_t e = data[r % DATA_PAGES][j];

			if (e < r)
				fail(me, "stale read: entry behind the progress word", e, r);
			if (e < seen[j][r % DATA_PAGES])
				fail(me, "an entry went back", e, seen[j][r % DATA_PAGES]);
			seen[j][r % DATA_PAGES] = e;
		}
		uint64_t end = seqpage[j][WORDS - 1], mid = seqpage[j][WORDS / 2],
			 begin = seqpage[j][0];

		if (begin == end && begin && mid != begin * 1000 + WORDS / 2)
			fail(me, "a torn page", begin, mid);
	}
}

static void final_check(uint32_t me)
{
	uint64_t sum = 0;

	for (uint32_t j = 0; j < nr_cpus_found; j++) {
		for (uint64_t k = rounds; k > rounds - DATA_PAGES && k; k--)
			if (data[k % DATA_PAGES][j] != k)
				fail(me, "lost write: final entry", data[k % DATA_PAGES][j], k);
		if (progress[j] != rounds)
			fail(me, "lost write: final progress word", progress[j], rounds);
	}
	for (unsigned c = 0; c < 16; c++)
		sum += counters[c];
	if (sum != rounds * nr_cpus_found)
		fail(me, "lost increment: counter sum", sum, rounds * nr_cpus_found);
}

/* ---- work on every CPU ------------------------------------------------- */

static volatile uint32_t work_seq, work_done_seq[MAX_CPUS];

/* An AP's idle loop: run the posted work once (interrupts on: it may wait
 * for them); the WORK_VECTOR IPI only wakes the AP up. */
static void idle_work(void)
{
	uint32_t me = my_index(), seq = work_seq;
	void (*fn)(uint32_t) = work_fn;

	if (seq == work_done_seq[me] || !fn)
		return;
	work_done_seq[me] = seq;
	irq_enable();
	fn(me);
	irq_disable();
	__atomic_fetch_add(&done_count, 1, __ATOMIC_SEQ_CST);
}

static void work_isr(uint32_t v)
{
}

/* Post fn for the APs (they run it from their idle loop). */
static void post_work(void (*fn)(uint32_t cpu))
{
	work_fn = fn;
	__atomic_fetch_add(&work_seq, 1, __ATOMIC_SEQ_CST);
}

/* Run fn on every CPU (the APs through WORK_VECTOR). False on a time-out. */
static bool on_all(void (*fn)(uint32_t cpu), bool bsp_too)
{
	uint32_t want = nr_cpus_found - (bsp_too ? 0 : 1);
	uint64_t t0;

	done_count = 0;
	post_work(fn);
	for (uint32_t i = 1; i < nr_cpus_found; i++)
		apic_ipi(cpu_apic_ids[i], WORK_VECTOR);
	if (bsp_too) {
		fn(0);
		__atomic_fetch_add(&done_count, 1, __ATOMIC_SEQ_CST);
	}
	t0 = rdtsc();
	while (READ_ONCE(done_count) < want)
		if (rdtsc() - t0 > WAIT_CYCLES)
			return false;
	return true;
}

/* ---- interrupts ---------------------------------------------------------- */

static void ping_isr(uint32_t v)
{
	__atomic_fetch_add(&pings[my_index()], 1, __ATOMIC_RELAXED);
}

static void bcast_isr(uint32_t v)
{
	__atomic_fetch_add(&bcasts[my_index()], 1, __ATOMIC_RELAXED);
}

static void nmi_handler(uint32_t v)
{
	__atomic_fetch_add(&nmis[my_index()], 1, __ATOMIC_RELAXED);
}

static void aptimer_isr(uint32_t v)
{
	__atomic_fetch_add(&ticks[my_index()], 1, __ATOMIC_RELAXED);
}

static bool wait_count(volatile uint32_t *c, uint32_t want)
{
	uint64_t t0 = rdtsc();

	while (READ_ONCE(*c) < want)
		if (rdtsc() - t0 > WAIT_CYCLES)
			return false;
	return true;
}

/* Each CPU pings the next one (fixed, physical destination). */
static void ping_next(uint32_t me)
{
	apic_ipi(cpu_apic_ids[(me + 1) % nr_cpus_found], PING_VECTOR);
}

/*
 * Periodic LAPIC timer on this CPU until @want ticks, halted between them.
 * Periodic, not one-shot: in the KVM sandbox a one-shot re-armed from the
 * idle loop is lost now and then, on one host and with KVM's own irqchip as
 * well (docs/irq.md, "Known problems"); a periodic timer keeps firing.
 */
static void periodic_ticks(uint32_t me, uint32_t want, uint32_t count)
{
	uint64_t t0 = rdtsc();
	uint32_t start = ticks[me];

	apic_write(APIC_TIMER_DIV, 0xb);                         /* divide by 1 */
	apic_write(APIC_LVT_TIMER, APTIMER_VECTOR | (1u << 17)); /* periodic */
	apic_write(APIC_TIMER_INIT, count);
	while (READ_ONCE(ticks[me]) - start < want && rdtsc() - t0 < WAIT_CYCLES)
		safe_halt();
	apic_write(APIC_LVT_TIMER, 1u << 16); /* masked */
}

/* Three LAPIC timer interrupts on this CPU. */
static void ap_timer(uint32_t me)
{
	periodic_ticks(me, 3, 1000000);
}

/* bounceticks=N (default 40) timer interrupts, while the BSP writes into the
 * stack page they are delivered onto. */
static void ap_timer_bounced(uint32_t me)
{
	periodic_ticks(me, (uint32_t)tg_opt("bounceticks", 40), 2000000);
}

/* Console output and a UART register read, both served on the I/O node. */
static void ap_io(uint32_t me)
{
	uint8_t lsr;

	tg_printf("# span cpu %u (APIC %u) writes to the console\n", me, cpu_apic_ids[me]);
	__asm__ volatile("inb %w1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3fd));
	if (lsr & 0x20) /* transmitter holding register empty: the real UART */
		io_ok[me] = 1;
}

static void exit_work(uint32_t me)
{
	tg_printf("# span: cpu %u (APIC %u) ends the guest through the exit port\n", me,
		  cpu_apic_ids[me]);
	tg_exit(exit_value);
}

void span_exit_via(uint32_t cpu, uint32_t value)
{
	if (cpu == 0 || cpu >= nr_cpus_found)
		tg_exit(value);
	exit_value = value;
	post_work(exit_work);
	apic_ipi(cpu_apic_ids[cpu], WORK_VECTOR);
	for (;;)
		safe_halt();
}

void test_span(const char *name)
{
	uint32_t n = nr_cpus_found, bad = 0;
	uint64_t t0;

	GUEST_ASSERT(n >= 2, "the span test needs the APs started (tests=ipi,span)");
	rounds = tg_opt("spanrounds", 400);
	isr_set(WORK_VECTOR, work_isr);
	ap_idle_work = idle_work;
	isr_set(PING_VECTOR, ping_isr);
	isr_set(BCAST_VECTOR, bcast_isr);
	isr_set(APTIMER_VECTOR, aptimer_isr);
	isr_set(2, nmi_handler);
	irq_enable();

	t0 = rdtsc();
	GUEST_ASSERT(on_all(coherence, true), "not every CPU finished the coherence rounds");
	GUEST_ASSERT(on_all(final_check, true), "not every CPU checked the final image");
	for (uint32_t i = 0; i < n; i++)
		bad += errors[i];
	GUEST_ASSERT(!bad, "%u coherence errors (see the lines above)", bad);
	tg_printf("# span coherence: %u CPUs x %lu rounds in %lu TSC cycles\n", n, rounds,
		  rdtsc() - t0);

	GUEST_ASSERT(on_all(ping_next, true), "the ping round did not finish");
	for (uint32_t i = 0; i < n; i++)
		GUEST_ASSERT(wait_count(&pings[i], 1), "cpu %u got no fixed IPI from cpu %u", i,
			     (i + n - 1) % n);
	for (uint32_t i = 1; i < n; i++) {
		apic_ipi(cpu_apic_ids[i], 0x400); /* NMI */
		GUEST_ASSERT(wait_count(&nmis[i], 1), "cpu %u (APIC %u) got no NMI", i,
			     cpu_apic_ids[i]);
	}
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR_LO, BCAST_VECTOR | (3u << 18)); /* all excluding self */
	for (uint32_t i = 1; i < n; i++)
		GUEST_ASSERT(wait_count(&bcasts[i], 1), "cpu %u got no broadcast IPI", i);
	GUEST_ASSERT(bcasts[0] == 0, "the sender got its own all-but-self broadcast");

	GUEST_ASSERT(on_all(ap_timer, false),
		     "the AP timer round did not finish (work %u, cpu 1 did %u, done %u, ticks %u)",
		     work_seq, work_done_seq[1], done_count, ticks[1]);
	for (uint32_t i = 1; i < n; i++)
		GUEST_ASSERT(ticks[i] >= 3, "cpu %u took %u of 3 timer interrupts", i, ticks[i]);
	for (uint32_t i = 1; i < n; i++) {
		uint32_t before = ticks[i];
		/* the bottom of the stack page the AP's frames are in */
		volatile uint64_t *w = (volatile uint64_t *)(ap_stacks[i] + 4096);
		uint64_t writes = 0;

		done_count = 0;
		post_work(ap_timer_bounced);
		apic_ipi(cpu_apic_ids[i], WORK_VECTOR);
		t0 = rdtsc();
		while (!READ_ONCE(done_count) && rdtsc() - t0 < WAIT_CYCLES) {
			w[writes % 8] = writes; /* the AP's stack page comes here */
			writes++;
			cpu_relax();
		}
		GUEST_ASSERT(READ_ONCE(done_count),
			     "cpu %u: the bounced timer round did not finish", i);
		tg_printf("# span cpu %u: %u timer interrupts delivered onto a stack page the BSP "
			  "wrote %lu times meanwhile\n",
			  i, ticks[i] - before, writes);
	}
	GUEST_ASSERT(on_all(ap_io, false), "the AP I/O round did not finish");
	for (uint32_t i = 1; i < n; i++)
		GUEST_ASSERT(io_ok[i], "cpu %u read a wrong UART line status", i);
	tg_pass(name, "%u CPUs: coherence, fixed/NMI/broadcast IPIs, AP timers and I/O", n);
}
