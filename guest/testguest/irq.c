// SPDX-License-Identifier: GPL-2.0-only
/* guest/testguest/irq.c — IDT, interrupt dispatch and the local APIC (xAPIC MMIO). */
#include "tg.h"

struct idt_entry {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t zero;
} __attribute__((packed));

struct isr_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

extern const uint8_t isr_stubs[];
static struct idt_entry idt[256] __attribute__((aligned(16)));
static isr_fn handlers[256];
static volatile uint32_t *apic_base;

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);

		idt[v] = (struct idt_entry){
		    .off0 = (uint16_t)a,
		    .sel = 0x08,
		    .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		    .off1 = (uint16_t)(a >> 16),
		    .off2 = (uint32_t)(a >> 32),
		};
	}
	apic_base = (volatile uint32_t *)(uintptr_t)(rdmsr(0x1b) & ~0xfffULL);
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	__asm__ volatile("lidt %0" : : "m"(d));
}

void isr_set(uint32_t vector, isr_fn fn)
{
	handlers[vector & 0xff] = fn;
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void tg_isr(struct isr_frame *f);
void tg_isr(struct isr_frame *f)
{
	uint32_t v = (uint32_t)f->vector;

	if (v == 2 && handlers[2]) { /* an NMI the test expects: no EOI */
		handlers[2](v);
		return;
	}
	if (v < 32) {
		/* A CPU exception is a bug of the guest (or of the VMM under
		 * test): say where, and end with failure. */
		tg_printf("not ok exception %u (error 0x%lx) at rip 0x%lx cr2 0x%lx on APIC %u\n",
			  v, f->error, f->rip, read_cr2(), apic_id());
		tg_exit(1);
	}
	if (handlers[v])
		handlers[v](v);
	if (v != SPURIOUS_VECTOR)
		apic_write(APIC_EOI, 0);
}

uint32_t apic_read(uint32_t reg)
{
	return apic_base[reg / 4];
}

void apic_write(uint32_t reg, uint32_t v)
{
	apic_base[reg / 4] = v;
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_enable(void)
{
	apic_write(APIC_SVR, 0x100 | SPURIOUS_VECTOR);
}

void apic_ipi(uint32_t dest, uint32_t icr_lo)
{
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, icr_lo);
}
