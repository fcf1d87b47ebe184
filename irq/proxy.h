/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * irq/proxy.h — proxy vCPUs of a guest spanning hosts (irq/proxy.c,
 * docs/irq.md): every vCPU of another node exists here as a proxy that
 * captures the interrupts this node's vCPUs send it and forwards them
 * (vm_span.irq). Internal to irq/.
 */
#ifndef SSIVM_IRQ_PROXY_H
#define SSIVM_IRQ_PROXY_H

#include <stdint.h>

#include "vcpu/vm.h"

/* The proxies' private memory (stub code, IDT, stacks, the reset vector):
 * the top 256 KiB below 4 GiB, outside guest RAM and above the LAPIC. */
#define PROXY_GPA 0xfffc0000ull
#define PROXY_SIZE 0x40000u
/* The stub's report port (never reaches a bus: only proxies use it). */
#define PROXY_PORT 0x5f0

/* Map the stub, put every proxy in its first mode (vCPU 0 online, the
 * others offline). Main thread, from the irq vm_init hook. 0 or -errno. */
int proxy_vm_init(struct vm *vm);
/* The proxy's thread (vcpu_hooks.proxy_run). */
void proxy_run(struct vcpu *v, void *opaque);
/* Remote vCPU @cpu came online on its node: its proxy switches to capturing
 * (any thread). */
void proxy_vcpu_online(struct vm *vm, uint32_t cpu);

#endif
