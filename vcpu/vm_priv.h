/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcpu/vm_priv.h — struct vm, shared by vcpu/vm.c, vcpu/vcpu.c and
 * vcpu/cpuid.c only. Everyone else uses the accessors of vcpu/vm.h.
 */
#ifndef SSIVM_VCPU_VM_PRIV_H
#define SSIVM_VCPU_VM_PRIV_H

#include <pthread.h>
#include <stdbool.h>

#include "devices/bus.h"
#include "platform/boot/boot.h"
#include "vcpu/vm.h"

struct vm {
	const struct ssivm_config *cfg;
	enum irq_mode irq_mode;
	struct vcpu_hooks hooks;
	int kvm_fd, fd;
	struct memmap map;
	struct guest_mem gm;
	void *ram;
	size_t ram_size;
	bool ram_owned;
	uint32_t nr_vcpus;     /* cfg->nr_vcpus */
	struct vcpu **vcpus;   /* [nr_vcpus], NULL where not local */
	struct vcpu **proxies; /* [nr_vcpus], the proxies of remote vCPUs (span) */
	const struct vm_span *span;
	uint32_t nr_slots;    /* memory slots in use */
	void *private_mem[4]; /* vm_add_private_memory() mappings */
	size_t private_size[4];
	struct vm_forward {
		struct vm *vm;
		bool mmio;
	} fwd_pio, fwd_mmio;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
	bool tsc_deadline_cap;    /* KVM can emulate the TSC-deadline timer (in-kernel LAPIC) */
	struct io_bus pio, mmio;
	struct machine machine; /* what the devices see */
	bool irq_up, devices_up;
	int (*irq_line_fn)(void *opaque, uint32_t irq, int level);
	void *irq_line_opaque;
	int (*msi_fn)(struct vm *vm, uint64_t addr, uint32_t data);
	/* exit: set once, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int exiting; /* atomic */
	int status;
	uint32_t nr_running; /* vCPU threads still in their loop */
	bool report_on_exit; /* vCPU threads print their state when they stop */
};

/* vcpu/vcpu.c */
int vcpu_create(struct vm *vm, uint32_t index, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);
/* Count an exit by kind (the vCPU's own thread; readers load it relaxed). */
void vcpu_count_exit(struct vcpu *v, uint32_t reason);
/* Registers, sregs for the boot vCPU. */
int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_state *st);
void *vcpu_thread(void *arg);
/* The thread of a proxy vCPU: runs hooks.proxy_run. */
void *proxy_thread(void *arg);
/* Interrupt a vCPU thread out of KVM_RUN (any thread). */
void vcpu_kick(struct vcpu *vcpu);

/* vcpu/cpuid.c */
int cpuid_get_supported(struct vm *vm);
/* The CPUID of vCPU @index after the policy of docs/cpuid.md (vcpu/cpuid.h). malloc'd. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct vm *vm, uint32_t index);

#endif
