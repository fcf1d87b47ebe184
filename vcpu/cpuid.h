/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcpu/cpuid.h — the CPUID policy of docs/cpuid.md as a pure function:
 * KVM_GET_SUPPORTED_CPUID's table (what this host's KVM can give) and the
 * vCPU's place in the machine in, the table for KVM_SET_CPUID2 out. No KVM,
 * no state, any thread; vcpu/cpuid.c calls it for each vCPU, and
 * tests/unit/test_cpuid.c checks every rule on tables of its own.
 */
#ifndef SSIVM_VCPU_CPUID_H
#define SSIVM_VCPU_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vm.h"

/* Leaves and bits the policy touches (Intel SDM vol. 2, AMD APM vol. 3). */
#define CPUID_LEAF_FEATURES 0x1
#define CPUID_LEAF_CACHE 0x4 /* Intel deterministic cache parameters */
#define CPUID_LEAF_PMU 0xa
#define CPUID_LEAF_TOPOLOGY 0xb
#define CPUID_LEAF_TOPOLOGY_V2 0x1f
#define CPUID_LEAF_KVM_FEATURES 0x40000001
#define CPUID_LEAF_EXT_FEATURES 0x80000001
#define CPUID_LEAF_EXT_SIZES 0x80000008
#define CPUID_LEAF_AMD_TOPOLOGY 0x8000001e

#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_80000001_ECX_CMP_LEGACY (1u << 1)
#define CPUID_80000001_ECX_TOPOEXT (1u << 22)
/* 0x80000008 ECX: NC (cores - 1) in [7:0], ApicIdCoreIdSize in [15:12] */
#define CPUID_80000008_ECX_CORES 0xf0ffu
/* 0x4 EAX: cores per package - 1 in [31:26], threads sharing the cache - 1 in [25:14] */
#define CPUID_4_EAX_SHARING 0xffffc000u

/*
 * KVM paravirtual features (leaf 0x40000001 EAX) that work only with KVM's
 * in-kernel LAPIC, hidden with IRQ_USER: async page faults (KVM refuses the
 * enable MSR without it; "page ready" is an interrupt through it), PV EOI,
 * PV unhalt (the spinlock kick is delivered by the in-kernel LAPIC: a
 * vCPU halted with interrupts off would never wake), PV IPIs (sent through
 * KVM's in-kernel APIC map: lost without it), PV sched yield (looks the
 * target up in that map).
 */
#define CPUID_KVM_NEEDS_IN_KERNEL_LAPIC                                                            \
	((1u << 4) | (1u << 6) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 13) | (1u << 14))

/*
 * KVM paravirtual features hidden from a guest spanning hosts (docs/cpuid.md):
 * steal time (5) and PV TLB flush (9, which needs it: KVM on the vCPU's node
 * writes the preempted flag with a no-fault copy that fails while the page
 * is elsewhere), PV unhalt (7: the spinlock kick is delivered in the sender
 * node's KVM to the proxy, where it is absorbed without an exit, so the
 * halted waiter would never wake), PV sched yield (13: it yields to the
 * proxy), async page faults (4, 10, 14: a guest page that is on another host
 * is a remote fault the DSM serves; the guest must not be told to schedule
 * around it through KVM's "page not present" path, which this design does
 * not cover).
 */
#define CPUID_KVM_NOT_ACROSS_HOSTS                                                                 \
	((1u << 4) | (1u << 5) | (1u << 7) | (1u << 9) | (1u << 10) | (1u << 13) | (1u << 14))

struct cpuid_policy {
	uint32_t apic_id; /* = the vCPU index (MADT, SRAT) */
	enum irq_mode irq_mode;
	bool tsc_deadline_cap; /* KVM_CHECK_EXTENSION(KVM_CAP_TSC_DEADLINE_TIMER) > 0 */
	bool spanning;         /* the guest spans hosts (vm_params.span) */
};

/*
 * Write the CPUID of one vCPU into @out, which has room for @sup->nent
 * entries (the policy drops entries, never adds one); sets @out->nent.
 * @sup is KVM_GET_SUPPORTED_CPUID's table (entries in any order). The
 * vendor (AMD or not) comes from leaf 0 of @sup.
 */
void cpuid_apply_policy(const struct kvm_cpuid2 *sup, const struct cpuid_policy *p,
			struct kvm_cpuid2 *out);

#endif
