/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irq/irq.h — the interrupt fabric of a VM: the one interface the VM uses,
 * whatever interrupt-controller model runs (enum irq_mode of vcpu/vm.h;
 * the choice and its figures: docs/irq.md).
 *
 *   IRQ_KERNEL  KVM's in-kernel LAPIC, IOAPIC, PIC, PIT (the baseline).
 *   IRQ_SPLIT   in-kernel LAPIC; IOAPIC here (irq/ioapic.c), device
 *               interrupts become MSIs injected with KVM_SIGNAL_MSI.
 *   IRQ_USER    LAPIC and IOAPIC here (irq/lapic.c): every APIC access is an
 *               MMIO exit, ICR writes are seen (and can be forwarded to
 *               another host), the LAPIC timer is a timerfd, interrupts are
 *               injected with KVM_INTERRUPT.
 *
 * Set-up (main thread, before vm_create): put irq_vcpu_hooks(mode) in
 * vm_params.hooks. Its vm_init hook registers the controllers' MMIO ranges
 * and line handler according to vm_irq_mode(vm), before the devices.
 *
 * Delivery: every interrupt message — an IPI a guest wrote to its ICR, an
 * IOAPIC pin turned into a message, one that arrives from another host —
 * goes through irq_deliver(), which injects it into the local vCPU owning
 * the destination APIC ID, or, in a guest spanning hosts, sends a message
 * for a vCPU of another node there (vm_span.irq). IPIs a vCPU writes to its
 * in-kernel LAPIC for a remote vCPU are caught by that vCPU's proxy here
 * (irq/proxy.c) and forwarded the same way.
 */
#ifndef SSIVM_IRQ_IRQ_H
#define SSIVM_IRQ_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vm.h"

/* Delivery modes (ICR bits 10:8, MSI data bits 10:8). */
enum irq_delivery {
	IRQ_DM_FIXED = 0,
	IRQ_DM_LOWEST = 1,
	IRQ_DM_SMI = 2,
	IRQ_DM_NMI = 4,
	IRQ_DM_INIT = 5,
	IRQ_DM_SIPI = 6,
	IRQ_DM_EXTINT = 7,
};

/* "INIT", "SIPI", "NMI", ... for logs. */
const char *irq_dm_name(unsigned delivery);

/* One interrupt message, as an ICR write or an MSI carries it. */
struct irq_msg {
	uint32_t dest;    /* APIC ID (physical) or logical destination bits */
	uint8_t vector;   /* fixed/lowest: vector; SIPI: start page */
	uint8_t delivery; /* enum irq_delivery */
	bool logical;     /* destination mode */
	bool level;       /* trigger mode: level (true) or edge */
	/* ICR destination shorthand: 0 none, 1 self, 2 all incl. self,
	 * 3 all excl. self (MSIs: 0). */
	uint8_t shorthand;
	uint32_t src; /* sending vCPU index for shorthands */
};

/* Counters of the fabric (atomic; any thread may read). */
struct irq_stats {
	uint64_t delivered;      /* messages given to irq_deliver() */
	uint64_t msi_ioctls;     /* KVM_SIGNAL_MSI calls */
	uint64_t injected;       /* KVM_INTERRUPT calls (IRQ_USER) */
	uint64_t ipis;           /* ICR writes seen (IRQ_USER) */
	uint64_t timer_fires;    /* LAPIC timer expiries (IRQ_USER) */
	uint64_t eois;           /* EOI writes (IRQ_USER) */
	uint64_t kicks;          /* vCPU threads interrupted to inject */
	uint64_t ioapic_irqs;    /* IOAPIC pin assertions turned into messages */
	uint64_t dropped;        /* messages for no local vCPU or a disabled LAPIC */
	uint64_t forwarded;      /* messages sent to another node's vCPU (spanning guest) */
	uint64_t proxy_captured; /* IPIs to remote vCPUs caught by their proxies */
	uint64_t bad_access;     /* malformed guest accesses (width, offset) */
};

/*
 * Hooks the VM calls for @mode (set-up, and for IRQ_SPLIT/IRQ_USER the
 * vCPU loop's). The pointer is to static storage; never NULL.
 */
const struct vcpu_hooks *irq_vcpu_hooks(enum irq_mode mode);

/*
 * Deliver @m to the local vCPU(s) it names. Any thread. 0, -ENOENT when no
 * local vCPU matches (counted in dropped), -errno from KVM.
 */
int irq_deliver(struct vm *vm, const struct irq_msg *m);

/* A vCPU of another node came online: its proxy here starts capturing. */
void irq_vcpu_online(struct vm *vm, uint32_t cpu);

/* Compose / decode the MSI form of a message (address 0xFEExxxxx, data). */
void irq_msg_to_msi(const struct irq_msg *m, uint32_t *addr_lo, uint32_t *data);
void irq_msg_from_msi(uint64_t addr, uint32_t data, struct irq_msg *m);

void irq_get_stats(struct irq_stats *out);
/* The shared counters (updated with __atomic builtins by irq/). */
extern struct irq_stats irq_stats;

#endif
