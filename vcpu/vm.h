/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcpu/vm.h — one KVM virtual machine and its vCPUs on this host.
 *
 * Life cycle (all on the main thread unless said otherwise):
 *
 *   vm_create(&params, &vm)   open /dev/kvm, check API version and caps,
 *                             KVM_CREATE_VM, TSS/identity map, irqchip per
 *                             mode, guest RAM as ONE host mapping (or the
 *                             caller's), one memory slot per memmap range,
 *                             the vCPUs of this host, the interrupt
 *                             controllers (hooks->vm_init), the devices
 *                             (every DEVICE_INIT of devices/bus.h, in
 *                             level order, given the machine of
 *                             devices/machine.h)
 *   vm_load_kernel(vm, in)    ACPI tables, then place the boot inputs that
 *                             boot_inputs_read() (platform/boot/image.h)
 *                             read and checked before vm_create(): kernel,
 *                             initrd, modules, command line, e820; set the
 *                             boot vCPU's registers
 *   vm_run(vm)                one thread per local vCPU; returns the exit
 *                             status (see VM_STATUS_*) once the guest powered
 *                             off, reset, wrote the exit port, or something
 *                             the VMM cannot handle happened (reported on
 *                             stderr: vCPU, RIP, instruction bytes, reason)
 *   vm_destroy(vm)            joins nothing (vm_run already did), closes
 *                             every fd, unmaps RAM unless the caller owns it
 *
 * Threads: each vCPU thread runs the KVM_RUN loop of its vCPU and calls the
 * device handlers (devices/bus.h) and the hooks below on itself. Any thread
 * may call vm_request_exit().
 */
#ifndef SSIVM_VCPU_VM_H
#define SSIVM_VCPU_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "devices/bus.h"
#include "devices/machine.h"
#include "platform/boot/image.h"
#include "platform/memmap.h"

struct vm;
struct vcpu;

/* How interrupts are delivered. */
enum irq_mode {
	/* KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2: in-kernel LAPIC, IOAPIC, PIC,
	 * PIT. Default; boots Linux. */
	IRQ_KERNEL = 0,
	/* KVM_CAP_SPLIT_IRQCHIP: in-kernel LAPIC only; IOAPIC/PIC/PIT are
	 * someone's userspace devices (irq/). */
	IRQ_SPLIT,
	/* no in-kernel irqchip at all: LAPIC accesses at 0xFEE00000 exit as
	 * MMIO, interrupts are injected with KVM_INTERRUPT by a hook. */
	IRQ_USER,
};

/* Exit statuses vm_run() returns: VM_STATUS_* of devices/machine.h, or the
 * exit port's (v << 1) | 1. */
/* SIGINT/SIGTERM during vm_run(): 128 + the signal, after every vCPU printed
 * its state (vcpu_report). */

/*
 * A guest that spans hosts (docs/cluster.md): what this node's VM needs of
 * the others. Filled by the caller (control/, on the cluster's channel);
 * NULL in vm_params for a guest on one host. Every function may be called
 * from any thread and must not call back into the vm.
 */
struct vm_span {
	uint32_t self;             /* this node */
	uint32_t io_node;          /* the node whose devices the guest sees (0) */
	const uint32_t *vcpu_node; /* [nr_vcpus]: the node each vCPU runs on */
	/* A guest access to a range the I/O node's devices claim, from vCPU
	 * @cpu of this node: forward it and wait (vCPU thread). 0 or -errno. */
	int (*io)(void *ctx, uint32_t cpu, bool mmio, uint64_t addr, void *data, uint32_t len,
		  bool is_write);
	/* An interrupt message for vCPU @dest, which runs on @node (!= self). */
	int (*irq)(void *ctx, uint32_t node, uint32_t dest, uint8_t vector, uint8_t delivery,
		   bool level);
	/* A vCPU of this node EOI'd level-triggered @vector: tell the I/O node. */
	int (*eoi)(void *ctx, uint8_t vector);
	/* vCPU @cpu of this node came online (got its SIPI): tell the others,
	 * whose proxies start capturing its interrupts. */
	void (*vcpu_online)(void *ctx, uint32_t cpu);
	/* This node ends the VM (its first exit request): tell the others. */
	void (*exit)(void *ctx, int status);
	/* The thread of local vCPU @cpu started (on that thread; optional). */
	void (*vcpu_thread)(void *ctx, uint32_t cpu, int32_t tid);
	void *ctx;
};

/*
 * Hooks of the interrupt controllers (irq/irq_vcpu_hooks()). All are
 * optional; the vcpu ones are called on the vCPU's own thread.
 */
struct vcpu_hooks {
	/* After the vCPUs exist, before the devices: set up the controllers
	 * (their MMIO ranges with mmio_register(), the line handler with
	 * vm_set_irq_line_handler()). Main thread. 0 or -errno (vm_create
	 * fails). vm_exit undoes it in vm_destroy(), when vm_init succeeded. */
	int (*vm_init)(struct vm *vm, void *opaque);
	void (*vm_exit)(struct vm *vm, void *opaque);
	/* A guest spanning hosts: the thread of the proxy of remote vCPU
	 * @vcpu (docs/irq.md) runs this until the VM ends. */
	void (*proxy_run)(struct vcpu *vcpu, void *opaque);
	/* After the vCPU fd exists, before the first KVM_RUN (registers
	 * set). Return 0 or -errno (vm_create fails). */
	int (*vcpu_init)(struct vcpu *vcpu, void *opaque);
	/* Before every KVM_RUN: inject a pending interrupt with KVM_INTERRUPT
	 * when run->ready_for_interrupt_injection, else set
	 * run->request_interrupt_window. Return 0 or -errno (fatal). */
	int (*pre_run)(struct vcpu *vcpu, void *opaque);
	/* An exit the core does not handle itself (KVM_EXIT_IRQ_WINDOW_OPEN,
	 * KVM_EXIT_HLT with no in-kernel LAPIC, KVM_EXIT_IOAPIC_EOI, ...).
	 * Return 0 handled (run again), -ENOENT not mine (core reports it as
	 * unhandled; a HLT nobody handles ends the VM with VM_STATUS_ERROR:
	 * nothing could wake the vCPU), other -errno fatal. The core handles
	 * IO, MMIO, INTR, SYSTEM_EVENT and reports SHUTDOWN, FAIL_ENTRY and
	 * INTERNAL_ERROR itself. */
	int (*exit)(struct vcpu *vcpu, struct kvm_run *run, void *opaque);
	void *opaque;
};

struct vm_params {
	const struct ssivm_config *cfg; /* must outlive the vm */
	enum irq_mode irq_mode;
	/* Guest RAM: NULL = vm_create maps memmap.ram_bytes anonymous
	 * (MAP_NORESERVE) and unmaps it in vm_destroy. Non-NULL = an existing
	 * mapping of at least memmap.ram_bytes owned by the caller (the DSM),
	 * page aligned; it is used as is and never unmapped here. */
	void *ram;
	/* Which vCPUs run on this host: NULL = all of cfg->nr_vcpus; else
	 * local[i] for i < cfg->nr_vcpus. vCPU 0 (the boot vCPU) gets the
	 * registers vm_load_kernel() sets, the others start in
	 * KVM_MP_STATE_UNINITIALIZED and wait for INIT/SIPI (IRQ_KERNEL,
	 * IRQ_SPLIT: KVM handles INIT/SIPI). With IRQ_USER, KVM refuses that
	 * state: the APs are runnable at the reset vector and the pre_run
	 * hook must hold them until the guest's SIPI. */
	const bool *local;
	const struct vcpu_hooks *hooks; /* NULL = none */
	/* A guest spanning hosts (NULL: one host). Then the local vCPUs are
	 * those span->vcpu_node gives this node (@local is ignored), every
	 * other vCPU is created as a proxy (never runs guest code; the
	 * interrupt controllers' proxy_run hook drives it), IRQ_SPLIT is
	 * required, and only the I/O node runs the devices: the others get
	 * the ranges they claim through vm_forward_range(). */
	const struct vm_span *span;
};

/* Exits as the metrics count them (vcpu_exit_kind_name() names them). */
enum vcpu_exit_kind {
	VCPU_EXIT_IO,
	VCPU_EXIT_MMIO,
	VCPU_EXIT_HLT,
	VCPU_EXIT_IRQ_WINDOW,
	VCPU_EXIT_INTR, /* a signal kicked the vCPU out */
	VCPU_EXIT_SHUTDOWN,
	VCPU_EXIT_SYSTEM_EVENT,
	VCPU_EXIT_IOAPIC_EOI,
	VCPU_EXIT_OTHER,
	VCPU_EXIT_NR,
};
const char *vcpu_exit_kind_name(enum vcpu_exit_kind k);

/*
 * A vCPU of this host. Fields are read-only for everyone but vcpu/.
 * irq_priv belongs to the interrupt controller (set it in vcpu_init).
 */
struct vcpu {
	struct vm *vm;
	uint32_t index;      /* vCPU index = APIC ID = ACPI processor UID */
	int fd;              /* KVM vCPU fd */
	struct kvm_run *run; /* mmap of the vCPU fd */
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	bool proxy; /* a proxy of a vCPU of another node (vm_params.span) */
	void *irq_priv;
	uint64_t nr_exits; /* counted by the run loop (this thread only) */
	uint64_t nr_io_exits;
	uint64_t nr_mmio_exits;
	int32_t tid; /* the vCPU thread's, once it runs (relaxed atomic) */
	/* exits by kind (enum vcpu_exit_kind), relaxed atomic stores by the
	 * vCPU thread, any thread reads */
	uint64_t exits[VCPU_EXIT_NR];
};

/*
 * Create the VM described by @p. Opens /dev/kvm (a clear error naming the
 * device and what to do when it is absent), checks KVM_GET_API_VERSION == 12
 * and the capabilities the irq mode needs. 0 or -errno (message printed).
 */
int vm_create(const struct vm_params *p, struct vm **out);

/*
 * Build the ACPI tables at 0xE0000, place @in (boot_inputs_read() of the
 * same configuration; nothing is read or re-checked here) into guest RAM
 * with boot_inputs_load(), set the boot vCPU's registers, sregs, CPUID and
 * MSRs (when vCPU 0 is local). 0 or -errno (message printed).
 */
int vm_load_kernel(struct vm *vm, const struct boot_inputs *in);

/*
 * Start one thread per local vCPU and wait until the VM ends. Returns the
 * exit status (VM_STATUS_* or the exit port's status). Call once.
 */
int vm_run(struct vm *vm);

/* Free everything; NULL is fine. */
void vm_destroy(struct vm *vm);

/*
 * End the VM with @status: every vCPU thread leaves KVM_RUN and vm_run()
 * returns @status. The first request wins; later ones are ignored. Any
 * thread, including a device handler on a vCPU thread.
 */
void vm_request_exit(struct vm *vm, int status);
/* True once an exit was requested (vCPU loops poll it). */
bool vm_exiting(const struct vm *vm);

/* The machine the devices of this vm are plugged into (devices/machine.h). */
struct machine *vm_machine(struct vm *vm);

/*
 * Claim ranges on the vm's buses for the core components (interrupt
 * controllers); devices use machine_pio_register()/machine_mmio_register().
 * Start-up only. 0 or -errno (-EBUSY: overlap, also with RAM for MMIO).
 */
int __must_check pio_register(struct vm *vm, uint16_t port, uint16_t len, io_handler_fn fn,
			      void *opaque, const char *name);
int __must_check mmio_register(struct vm *vm, uint64_t gpa, uint64_t len, io_handler_fn fn,
			       void *opaque, const char *name);

/* Accessors (valid for the vm's lifetime). */
struct guest_mem *vm_guest_mem(struct vm *vm);
const struct memmap *vm_memmap(const struct vm *vm);
const struct ssivm_config *vm_config(const struct vm *vm);
enum irq_mode vm_irq_mode(const struct vm *vm);
int vm_fd(const struct vm *vm);
/* The vCPU with index @i if it is local, else NULL. */
struct vcpu *vm_vcpu(struct vm *vm, uint32_t i);
/* The proxy of remote vCPU @i (spanning guest), else NULL. */
struct vcpu *vm_proxy(struct vm *vm, uint32_t i);
/* The span of a guest spanning hosts, or NULL. */
const struct vm_span *vm_span(const struct vm *vm);

/*
 * Spanning guest, not the I/O node: guest accesses to [base, base + len) of
 * the port-I/O (mmio false) or MMIO bus are forwarded to the I/O node
 * (span->io). Start-up only. 0 or -errno.
 */
int vm_forward_range(struct vm *vm, bool mmio, uint64_t base, uint64_t len, const char *name);
/* Call @fn for every range claimed on this vm's buses (for the I/O node to
 * tell the others). */
void vm_for_each_range(struct vm *vm,
		       void (*fn)(void *arg, bool mmio, uint64_t base, uint64_t len,
				  const char *name),
		       void *arg);

/*
 * Memory of this node only, outside guest RAM: @size bytes (page multiple)
 * at guest-physical @gpa, as an extra memory slot (the proxies' stub). The
 * host mapping is returned in *host and freed with the vm. 0 or -errno.
 */
int vm_add_private_memory(struct vm *vm, uint64_t gpa, size_t size, void **host);

/*
 * The guest's clocks on this node (vcpu/clock.c; a spanning guest keeps
 * them equal on every node, docs/cluster.md). Main thread, before vm_run.
 * vm_tsc_khz: the local vCPUs' TSC frequency (kHz) or -errno.
 * vm_set_tsc_khz: make it @khz (fails, saying so, where KVM cannot scale).
 * vm_set_guest_tsc: set each local vCPU's (and proxy's) TSC to tsc_now(arg),
 * called right before each write. vm_get_kvmclock / vm_set_kvmclock: kvmclock and the
 * host's CLOCK_REALTIME at that value (KVM_CLOCK_REALTIME; -EOPNOTSUPP
 * before Linux 5.16).
 */
int vm_tsc_khz(struct vm *vm);
int vm_set_tsc_khz(struct vm *vm, uint32_t khz);
int vm_set_guest_tsc(struct vm *vm, uint64_t (*tsc_now)(void *arg), void *arg);
int vm_get_kvmclock(struct vm *vm, uint64_t *clock, uint64_t *realtime);
int vm_set_kvmclock(struct vm *vm, uint64_t clock, uint64_t realtime);

/* The VM ends because another node said so: like vm_request_exit() but the
 * others are not told again (span->exit is not called). Any thread. */
void vm_end_by_peer(struct vm *vm, int status);

/*
 * Raise (level 1) or lower (0) interrupt line @irq (GSI) of the in-kernel
 * irqchip (KVM_IRQ_LINE). With IRQ_USER, calls the irq_line hook installed
 * by vm_set_irq_line_handler(). Any thread. 0 or -errno.
 */
int vm_irq_line(struct vm *vm, uint32_t irq, int level);
/* For IRQ_USER / IRQ_SPLIT: who receives vm_irq_line() calls. Call from
 * a DEVICE_INIT function or before vm_run. */
void vm_set_irq_line_handler(struct vm *vm, int (*fn)(void *opaque, uint32_t irq, int level),
			     void *opaque);
/* Who delivers a device's MSI (address, data): the interrupt layer
 * (irq/irq.c, through irq_deliver(), so it reaches a vCPU of any node).
 * Set in the vm_init hook. Without one, machine MSIs fail with -ENODEV. */
void vm_set_msi_handler(struct vm *vm, int (*fn)(struct vm *vm, uint64_t addr, uint32_t data));

/* Print a report of @vcpu (RIP, instruction bytes, registers, sregs) at
 * error level, prefixed by @why. vCPU thread of @vcpu. */
void vcpu_report(struct vcpu *vcpu, const char *why);

#endif
