// SPDX-License-Identifier: GPL-2.0-only
/* vcpu/vcpu_exits.c — exits counted by kind, for the metrics (vcpu/vm.h). */
#include "vcpu/vm.h"
#include "vcpu/vm_priv.h"

#include <linux/kvm.h>

const char *vcpu_exit_kind_name(enum vcpu_exit_kind k)
{
	static const char *const names[VCPU_EXIT_NR] = {
	    [VCPU_EXIT_IO] = "io",
	    [VCPU_EXIT_MMIO] = "mmio",
	    [VCPU_EXIT_HLT] = "hlt",
	    [VCPU_EXIT_IRQ_WINDOW] = "irq_window",
	    [VCPU_EXIT_INTR] = "intr",
	    [VCPU_EXIT_SHUTDOWN] = "shutdown",
	    [VCPU_EXIT_SYSTEM_EVENT] = "system_event",
	    [VCPU_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	    [VCPU_EXIT_OTHER] = "other",
	};

	return (unsigned)k < VCPU_EXIT_NR ? names[k] : "?";
}

void vcpu_count_exit(struct vcpu *v, uint32_t reason)
{
	enum vcpu_exit_kind k;

	switch (reason) {
	case KVM_EXIT_IO:
		k = VCPU_EXIT_IO;
		break;
	case KVM_EXIT_MMIO:
		k = VCPU_EXIT_MMIO;
		break;
	case KVM_EXIT_HLT:
		k = VCPU_EXIT_HLT;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		k = VCPU_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_INTR:
		k = VCPU_EXIT_INTR;
		break;
	case KVM_EXIT_SHUTDOWN:
		k = VCPU_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		k = VCPU_EXIT_SYSTEM_EVENT;
		break;
	case KVM_EXIT_IOAPIC_EOI:
		k = VCPU_EXIT_IOAPIC_EOI;
		break;
	default:
		k = VCPU_EXIT_OTHER;
	}
	__atomic_store_n(&v->exits[k], __atomic_load_n(&v->exits[k], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}
