// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/smp.c — the IPI test: find the CPUs in the ACPI MADT (or
 * take APIC IDs 0..cpus-1 from the command line when there is no MADT),
 * start each AP with INIT/SIPI/SIPI through the trampoline at 0x8000, then
 * ping-pong fixed IPIs between the BSP and every AP, measuring the round
 * trip in TSC cycles. Options: cpus=N (expected CPUs; the test fails when
 * fewer start), ipirounds=N (default 20).
 */
#include "tg.h"

#define TRAMP_BASE 0x8000
#define TIMEOUT_CYCLES 20000000000ULL
#define MAX_ROUNDS 256

extern const uint8_t tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[];

uint32_t nr_cpus_found;
void (*volatile ap_idle_work)(void);
uint32_t cpu_apic_ids[MAX_CPUS];

static volatile uint32_t ap_alive[MAX_CPUS]; /* APIC ID reported by each AP */
static volatile uint32_t nr_alive;
static volatile uint32_t pongs;
static volatile uint32_t bsp_id;
static uint64_t pong_tsc;
uint8_t ap_stacks[MAX_CPUS][8192] __attribute__((aligned(4096)));

static bool checksum_ok(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += p[i];
	return s == 0;
}

static const uint8_t *find_rsdp(void)
{
	uint64_t ebda = (uint64_t)(*(const volatile uint16_t *)0x40e) << 4;
	struct {
		uint64_t start, end;
	} areas[2] = {{ebda, ebda + 1024}, {0xe0000, 0x100000}};

	for (int a = 0; a < 2; a++) {
		if (areas[a].start < 0x80000 || areas[a].start >= 0x100000)
			continue;
		for (uint64_t p = areas[a].start; p < areas[a].end; p += 16) {
			const uint8_t *r = (const uint8_t *)(uintptr_t)p;

			if (!memcmp(r, "RSD PTR ", 8) && checksum_ok(r, 20))
				return r;
		}
	}
	return NULL;
}

/* Fill cpu_apic_ids from the MADT's enabled processor LAPIC entries. */
static int parse_madt(void)
{
	const uint8_t *rsdp = find_rsdp();

	if (!rsdp)
		return -1;
	uint64_t sdt;
	unsigned esz;

	if (rsdp[15] >= 2 && *(const uint64_t *)(rsdp + 24)) {
		sdt = *(const uint64_t *)(rsdp + 24); /* XSDT */
		esz = 8;
	} else {
		sdt = *(const uint32_t *)(rsdp + 16); /* RSDT */
		esz = 4;
	}
	const uint8_t *t = (const uint8_t *)(uintptr_t)sdt;
	uint32_t len = *(const uint32_t *)(t + 4);

	for (uint32_t off = 36; off + esz <= len; off += esz) {
		uint64_t a = esz == 8 ? *(const uint64_t *)(t + off) : *(const uint32_t *)(t + off);
		const uint8_t *m = (const uint8_t *)(uintptr_t)a;

		if (memcmp(m, "APIC", 4))
			continue;
		uint32_t mlen = *(const uint32_t *)(m + 4);

		nr_cpus_found = 0;
		for (uint32_t p = 44; p + 2 <= mlen && m[p + 1] >= 2; p += m[p + 1]) {
			if (m[p] == 0 && (m[p + 4] & 1) && nr_cpus_found < MAX_CPUS)
				cpu_apic_ids[nr_cpus_found++] = m[p + 3];
			else if (m[p] == 9 && (m[p + 8] & 1) && nr_cpus_found < MAX_CPUS)
				cpu_apic_ids[nr_cpus_found++] = *(const uint32_t *)(m + p + 4);
		}
		return 0;
	}
	return -1;
}

static void ap_ping_isr(uint32_t v)
{
	apic_ipi(bsp_id, IPI_REPLY_VECTOR); /* fixed, physical destination */
}

static void bsp_pong_isr(uint32_t v)
{
	pong_tsc = rdtsc();
	pongs = pongs + 1;
}

void ap_main(void);
void ap_main(void)
{
	idt_load();
	apic_enable();
	uint32_t id = apic_id();

	for (uint32_t i = 0; i < nr_cpus_found; i++)
		if (cpu_apic_ids[i] == id)
			ap_alive[i] = id + 1;
	__atomic_fetch_add(&nr_alive, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		/* work posted by a test runs here, not in an interrupt handler */
		if (ap_idle_work)
			ap_idle_work();
		safe_halt();
	}
}

static void delay_cycles(uint64_t n)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < n)
		cpu_relax();
}

static bool start_ap(uint32_t idx)
{
	uint32_t id = cpu_apic_ids[idx];
	uint32_t before = nr_alive;

	*(volatile uint64_t *)(uintptr_t)(TRAMP_BASE + (tramp_stack - tramp_start)) =
	    (uint64_t)(uintptr_t)(ap_stacks[idx] + sizeof(ap_stacks[idx]));
	apic_ipi(id, 0x4500); /* INIT, level assert */
	delay_cycles(1000000);
	apic_ipi(id, 0x4600 | (TRAMP_BASE >> 12)); /* SIPI */
	delay_cycles(200000);
	if (nr_alive == before)
		apic_ipi(id, 0x4600 | (TRAMP_BASE >> 12)); /* second SIPI, as the MP spec says */
	uint64_t t0 = rdtsc();

	while (READ_ONCE(nr_alive) == before) {
		if (rdtsc() - t0 > TIMEOUT_CYCLES)
			return false;
		cpu_relax();
	}
	return ap_alive[idx] == id + 1;
}

void test_ipi(const char *name)
{
	static uint64_t rt[MAX_ROUNDS];
	bool from_madt = parse_madt() == 0;
	uint64_t want = tg_opt("cpus", from_madt ? nr_cpus_found : 1);

	bsp_id = apic_id();
	if (!from_madt) {
		nr_cpus_found = want < MAX_CPUS ? (uint32_t)want : MAX_CPUS;
		for (uint32_t i = 0; i < nr_cpus_found; i++)
			cpu_apic_ids[i] = i;
	}
	tg_printf("# ipi %u CPUs (%s), BSP APIC ID %u\n", nr_cpus_found,
		  from_madt ? "MADT" : "cpus= / no MADT", bsp_id);
	GUEST_ASSERT(nr_cpus_found >= want, "MADT lists %u CPUs, cpus=%lu", nr_cpus_found, want);
	GUEST_ASSERT(nr_cpus_found >= 2, "only %u CPU: an IPI test needs 2 (give the VM 2 vCPUs)",
		     nr_cpus_found);
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	memcpy((void *)TRAMP_BASE, tramp_start, (size_t)(tramp_end - tramp_start));
	*(volatile uint32_t *)(uintptr_t)(TRAMP_BASE + (tramp_cr3 - tramp_start)) = (uint32_t)cr3;
	isr_set(IPI_VECTOR, ap_ping_isr);
	isr_set(IPI_REPLY_VECTOR, bsp_pong_isr);
	irq_enable();

	uint64_t t_boot = rdtsc();
	uint32_t started = 0;

	for (uint32_t i = 0; i < nr_cpus_found; i++) {
		if (cpu_apic_ids[i] == bsp_id || ap_alive[i])
			continue;
		GUEST_ASSERT(start_ap(i), "AP with APIC ID %u did not start after INIT/SIPI",
			     cpu_apic_ids[i]);
		started++;
	}
	t_boot = rdtsc() - t_boot;
	tg_printf("# ipi started %u APs in %lu TSC cycles\n", started, t_boot);

	uint64_t rounds = tg_opt("ipirounds", 20);

	GUEST_ASSERT(rounds >= 1 && rounds <= MAX_ROUNDS, "ipirounds=%lu: want 1..%u", rounds,
		     MAX_ROUNDS);
	unsigned n = 0;

	for (uint32_t i = 0; i < nr_cpus_found; i++) {
		uint32_t id = cpu_apic_ids[i];

		if (id == bsp_id)
			continue;
		for (uint64_t r = 0; r < rounds + 2; r++) {
			uint32_t before = pongs;
			uint64_t t0 = rdtsc();

			apic_ipi(id, IPI_VECTOR);
			while (READ_ONCE(pongs) == before) {
				GUEST_ASSERT(rdtsc() - t0 < TIMEOUT_CYCLES,
					     "no answer from APIC ID %u to IPI round %lu", id, r);
				cpu_relax();
			}
			if (r >= 2 && n < MAX_ROUNDS) /* two warm-up rounds */
				rt[n++] = pong_tsc - t0;
		}
	}
	sort_u64(rt, n);
	tg_printf("# ipi round trip median %lu TSC cycles (min %lu max %lu, %u rounds)\n",
		  rt[n / 2], rt[0], rt[n - 1], n);
	tg_pass(name, "%u CPUs, round trip %lu TSC cycles", nr_cpus_found, rt[n / 2]);
}
