// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu/cpuid.c — the CPUID each vCPU sees: KVM_GET_SUPPORTED_CPUID filtered
 * by the policy of docs/cpuid.md (hypervisor bit, KVM paravirtual leaves,
 * TSC-deadline timer, one vCPU per package with APIC ID = vCPU index, PMU
 * hidden).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vcpu/vm_priv.h"

#define CPUID_MAX_ENTRIES 512

int cpuid_get_supported(struct vm *vm)
{
	for (int n = 128; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (!ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c)) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG) {
			pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return -errno;
		}
	}
	pr_err("KVM_GET_SUPPORTED_CPUID: more than %d entries", CPUID_MAX_ENTRIES);
	return -E2BIG;
}

static bool is_amd(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			return c->entries[i].ebx == 0x68747541; /* "Auth" */
	return false;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct vm *vm, uint32_t index)
{
	const struct kvm_cpuid2 *sup = vm->cpuid;
	bool amd = is_amd(sup);
	struct kvm_cpuid2 *c;
	uint32_t out = 0;

	c = calloc(1, sizeof(*c) + sup->nent * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		switch (e.function) {
		case 0x1:
			/* APIC ID = vCPU index; one logical CPU per package */
			e.ebx = (e.ebx & 0x0000ffff) | (index << 24) | (1u << 16);
			e.edx &= ~(1u << 28); /* HTT */
			e.ecx |= 1u << 31;    /* hypervisor present */
			if (vm->tsc_deadline)
				e.ecx |= 1u << 24; /* TSC-deadline LAPIC timer */
			break;
		case 0x4:
			/* Intel cache topology: nothing shared between vCPUs */
			e.eax &= 0x03ffffff & ~(0xfffu << 14);
			break;
		case 0xa:
			/* PMU hidden: counters are not kept coherent across hosts */
			e.eax = e.ebx = e.ecx = e.edx = 0;
			break;
		case 0xb:
		case 0x1f:
			/* x2APIC topology: 1 thread per core, 1 core per package */
			e.eax = 0;
			e.ebx = e.index <= 1 ? 1 : 0;
			e.ecx = e.index == 0 ? (1u << 8) : e.index == 1 ? (2u << 8) | 1 : e.index;
			e.edx = index;
			break;
		case 0x80000001:
			if (amd) {
				e.ecx &= ~(1u << 22); /* TOPOEXT: leaf 0x8000001e not given */
				e.ecx &= ~(1u << 1);  /* CmpLegacy */
			}
			break;
		case 0x80000008:
			if (amd)
				e.ecx &= ~0xf0ffu; /* NC = 0, ApicIdCoreIdSize = 0 */
			break;
		case 0x8000001e:
			continue; /* see TOPOEXT above */
		default:
			break;
		}
		c->entries[out++] = e;
	}
	c->nent = out;
	return c;
}
