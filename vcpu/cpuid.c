// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu/cpuid.c — the CPUID each vCPU sees: KVM_GET_SUPPORTED_CPUID, then the
 * policy of docs/cpuid.md (cpuid_apply_policy(), vcpu/cpuid_policy.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vcpu/cpuid.h"
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

struct kvm_cpuid2 *cpuid_for_vcpu(const struct vm *vm, uint32_t index)
{
	const struct kvm_cpuid2 *sup = vm->cpuid;
	struct cpuid_policy pol = {.apic_id = index,
				   .spanning = vm->span != NULL,
				   .irq_mode = vm->irq_mode,
				   .tsc_deadline_cap = vm->tsc_deadline_cap};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + sup->nent * sizeof(c->entries[0]));

	if (c)
		cpuid_apply_policy(sup, &pol, c);
	return c;
}
