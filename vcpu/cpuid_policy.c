// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu/cpuid_policy.c — the CPUID each vCPU sees (see vcpu/cpuid.h and
 * docs/cpuid.md): hypervisor bit, one vCPU per package with APIC ID = vCPU
 * index, PMU hidden, TSC-deadline timer, and what the interrupt controller
 * mode can and cannot give (x2APIC, PV features of the in-kernel LAPIC).
 */
#include "vcpu/cpuid.h"

static bool is_amd(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			return c->entries[i].ebx == 0x68747541; /* "Auth" */
	return false;
}

/* Leaf 0xB / 0x1F: 1 thread per core, 1 core per package, x2APIC ID = vCPU index. */
static void topology_leaf(struct kvm_cpuid_entry2 *e, uint32_t apic_id)
{
	e->eax = 0; /* no x2APIC ID bits below the next level: one of each */
	e->ebx = e->index <= 1 ? 1 : 0;
	if (e->index == 0)
		e->ecx = 1u << 8; /* SMT */
	else if (e->index == 1)
		e->ecx = (2u << 8) | 1; /* core */
	else
		e->ecx = e->index; /* invalid level: the end of the list */
	e->edx = apic_id;
}

void cpuid_apply_policy(const struct kvm_cpuid2 *sup, const struct cpuid_policy *p,
			struct kvm_cpuid2 *out)
{
	bool amd = is_amd(sup), in_kernel_lapic = p->irq_mode != IRQ_USER;
	uint32_t n = 0;

	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		switch (e.function) {
		case CPUID_LEAF_FEATURES:
			e.ebx = (e.ebx & 0x0000ffff) | ((p->apic_id & 0xff) << 24) | (1u << 16);
			e.edx &= ~CPUID_1_EDX_HTT;
			e.ecx |= CPUID_1_ECX_HYPERVISOR;
			e.ecx &= ~CPUID_1_ECX_TSC_DEADLINE;
			if (p->tsc_deadline_cap && in_kernel_lapic)
				e.ecx |= CPUID_1_ECX_TSC_DEADLINE;
			if (!in_kernel_lapic) /* the userspace LAPIC is xAPIC only */
				e.ecx &= ~CPUID_1_ECX_X2APIC;
			break;
		case CPUID_LEAF_CACHE:
			e.eax &= ~CPUID_4_EAX_SHARING;
			break;
		case CPUID_LEAF_PMU:
			e.eax = e.ebx = e.ecx = e.edx = 0;
			break;
		case CPUID_LEAF_TOPOLOGY:
		case CPUID_LEAF_TOPOLOGY_V2:
			topology_leaf(&e, p->apic_id);
			break;
		case CPUID_LEAF_KVM_FEATURES:
			if (!in_kernel_lapic)
				e.eax &= ~CPUID_KVM_NEEDS_IN_KERNEL_LAPIC;
			if (p->spanning)
				e.eax &= ~CPUID_KVM_NOT_ACROSS_HOSTS;
			break;
		case CPUID_LEAF_EXT_FEATURES:
			if (amd)
				e.ecx &=
				    ~(CPUID_80000001_ECX_TOPOEXT | CPUID_80000001_ECX_CMP_LEGACY);
			break;
		case CPUID_LEAF_EXT_SIZES:
			if (amd)
				e.ecx &= ~CPUID_80000008_ECX_CORES;
			break;
		case CPUID_LEAF_AMD_TOPOLOGY:
			continue; /* TOPOEXT is cleared: leaf 0x8000001E is not given */
		default:
			break;
		}
		out->entries[n++] = e;
	}
	out->nent = n;
}
