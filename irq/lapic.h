/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irq/lapic.h — the userspace local APIC (IRQ_USER), internal to irq/.
 *
 * xAPIC in MMIO at 0xFEE00000 (x2APIC MSRs are not emulated: the guest must
 * not be told x2APIC exists). One struct ulapic per local vCPU, hung on
 * vcpu->irq_priv by the CORE-level device init. Its state is guarded by its
 * mutex; the vCPU's own thread injects, other threads (other vCPUs' ICR
 * writes, irq_deliver callers) set IRR bits and kick; the LAPIC timer runs on
 * the vCPU's own thread.
 */
#ifndef SSIVM_IRQ_LAPIC_H
#define SSIVM_IRQ_LAPIC_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "irq/irq.h"

#define LAPIC_BASE 0xFEE00000ULL
#define LAPIC_SIZE 0x1000

enum ulapic_run_state {
	ULAPIC_RUNNING,   /* executing (or waiting for an interrupt in HLT) */
	ULAPIC_WAIT_SIPI, /* AP after reset or INIT: does not run until SIPI */
	ULAPIC_SIPI,      /* SIPI received: set real-mode CS:IP, then run */
};

struct ulapic {
	struct vcpu *vcpu;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled when something became pending */
	uint32_t regs[LAPIC_SIZE / 4];
	uint32_t irr[8], isr[8], tmr[8];
	enum ulapic_run_state state;
	uint8_t sipi_vector;
	bool nmi_pending;
	bool halted; /* the vCPU thread sleeps in the HLT wait */
	/* The timer belongs to the vCPU's own thread: a POSIX timer that
	 * signals that thread (SIGEV_THREAD_ID), so that its expiry pulls the
	 * vCPU out of KVM_RUN on its own CPU; pre_run and the HLT wait fire
	 * it. Times are CLOCK_MONOTONIC ns; deadline 0 = not armed. */
	timer_t timer;
	bool timer_created;
	uint64_t deadline, period;
};

/* Set up / tear down the LAPICs of every local vCPU and their MMIO range.
 * Main thread, from the CORE device init. */
int ulapic_init_all(struct vm *vm);
void ulapic_exit_all(struct vm *vm);

/* Accept @m on @l (the message's destination matched). Any thread. */
void ulapic_accept(struct ulapic *l, const struct irq_msg *m);
/* Does @l match destination @dest (logical or physical)? */
bool ulapic_match(struct ulapic *l, uint32_t dest, bool logical);

/* The vcpu_hooks of IRQ_USER. */
int ulapic_pre_run(struct vcpu *vcpu, void *opaque);
int ulapic_exit(struct vcpu *vcpu, struct kvm_run *run, void *opaque);

/* The IOAPIC's EOI notification (level-triggered vectors), irq/ioapic.c. */
void ioapic_eoi(struct vm *vm, uint8_t vector);

#endif
