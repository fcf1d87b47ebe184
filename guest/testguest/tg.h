/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guest/testguest/tg.h — the test guest's own little library (freestanding,
 * 64-bit long mode, identity-mapped): port I/O, the report convention, the
 * LAPIC, interrupts, the multiboot information.
 *
 * Report convention (one line each on COM1, 0x3f8):
 *   "ok NAME [details]"                      a test passed
 *   "not ok NAME FILE:LINE: MESSAGE"         GUEST_ASSERT failed (test ends)
 *   "# ..."                                  information (figures, values)
 *   "testguest: done P passed F failed"      the last line
 * then the guest writes its exit value to port 0xf4 (isa-debug-exit): the
 * `exit=N` value of the command line when every test passed (default 0),
 * 1 when one failed. The VMM then ends with status (v << 1) | 1.
 *
 * Only the BSP prints; APs report through shared memory.
 */
#ifndef TESTGUEST_TG_H
#define TESTGUEST_TG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1 0x3f8
#define EXIT_PORT 0xf4

#define TIMER_VECTOR 0x40
#define IPI_VECTOR 0x50       /* BSP -> AP */
#define IPI_REPLY_VECTOR 0x51 /* AP -> BSP */
#define SPURIOUS_VECTOR 0xff
#define MAX_CPUS 64

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
/* sti; hlt as one pair: an interrupt arriving in between still wakes us. */
static inline void safe_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}
static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void tg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tg_exit(uint32_t value) __attribute__((noreturn));
/* Parse an unsigned decimal or 0x hex number at *s, advance *s. */
uint64_t tg_strtou(const char **s);
void sort_u64(uint64_t *v, unsigned n);

/* Report (main.c). */
void tg_fail(const char *test, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tg_pass(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* In a test function `static void t(const char *name)`: on failure, report
 * with file and line and leave the test. */
#define GUEST_ASSERT(cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			tg_fail(name, __FILE__, __LINE__, "" __VA_ARGS__);                         \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* The command line, for tests that take options ("key=value"). */
extern const char *tg_cmdline;
/* Value of `key=` on the command line, or @def. */
uint64_t tg_opt(const char *key, uint64_t def);

/* Interrupts (irq.c). */
typedef void (*isr_fn)(uint32_t vector);
void idt_init(void); /* build the IDT; every CPU then calls idt_load() */
void idt_load(void);
void isr_set(uint32_t vector, isr_fn fn);

/* LAPIC (irq.c); registers by offset. */
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t v);
void apic_enable(void); /* this CPU: software enable, spurious vector */
uint32_t apic_id(void);
/* Send an IPI: ICR low bits (vector | delivery mode | level ...) to @dest. */
void apic_ipi(uint32_t dest, uint32_t icr_lo);

/* SMP (smp.c). */
extern uint32_t nr_cpus_found; /* from the MADT, or cpus= */
extern uint32_t cpu_apic_ids[MAX_CPUS];
extern uint8_t ap_stacks[MAX_CPUS][8192]; /* each AP's stack (smp.c) */
/* Called by every AP's idle loop before it halts (with interrupts off), so
 * that work posted there runs outside any interrupt handler (span.c). */
extern void (*volatile ap_idle_work)(void);

/* Multiboot (mb.c). */
struct mb_reserved {
	uint64_t start, end;
};
/* Ranges the memory test must not touch: the image, the information
 * structure and everything it points to, the trampoline page. */
unsigned mb_reserved_ranges(struct mb_reserved *out, unsigned max);
/* Walk the type-1 mmap entries: fn(start, end) for each. */
void mb_for_each_ram(void (*fn)(uint64_t start, uint64_t end, void *arg), void *arg);
void mb_init(uint32_t magic, uint32_t info);
bool mb_valid(void);

/* Tests. */
void test_multiboot(const char *name);
void test_mem(const char *name);
void test_timer(const char *name);
void test_timer_cost(const char *name);
void test_ipi(const char *name);
void test_idle(const char *name);
void test_busy(const char *name);
void test_unemulated(const char *name); /* ends the guest: fault.c */
void test_span(const char *name);
/* End the guest with @value from CPU @cpu (index into cpu_apic_ids; 0 or
 * an AP that is not running: this CPU). span.c */
void span_exit_via(uint32_t cpu, uint32_t value) __attribute__((noreturn));

#endif
