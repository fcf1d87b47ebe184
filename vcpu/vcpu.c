// SPDX-License-Identifier: GPL-2.0-only
/* vcpu/vcpu.c — one vCPU: creation, boot registers, the KVM_RUN loop, reports. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vcpu/vm_priv.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400

static int set_msrs(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = {.hdr.nmsrs = 2,
	       .e = {{.index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING},
		     {.index = MSR_IA32_TSC, .data = 0}}};
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);

	if (r != 2) {
		pr_err("vCPU %u: KVM_SET_MSRS set %d of 2 MSRs", v->index, r);
		return r < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Virtual-wire set-up of the in-kernel LAPIC: LINT0 ExtINT, LINT1 NMI. */
static int set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state s;
	uint32_t *lvt0 = (uint32_t *)&s.regs[APIC_LVT0], *lvt1 = (uint32_t *)&s.regs[APIC_LVT1];

	if (ioctl(v->fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	*lvt0 = (*lvt0 & ~0x700u & ~(1u << 16)) | APIC_MODE_EXTINT;
	*lvt1 = (*lvt1 & ~0x700u & ~(1u << 16)) | APIC_MODE_NMI;
	if (ioctl(v->fd, KVM_SET_LAPIC, &s) < 0)
		return -errno;
	return 0;
}

int vcpu_create(struct vm *vm, uint32_t index, struct vcpu **out)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	struct kvm_cpuid2 *cpuid = NULL;
	int ret, sz;

	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		ret = -errno;
		pr_err("vCPU %u: KVM_CREATE_VCPU: %s", index, strerror(errno));
		free(v);
		return ret;
	}
	sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		ret = -EINVAL;
		goto fail;
	}
	v->run_size = sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		ret = -errno;
		goto fail;
	}
	cpuid = cpuid_for_vcpu(vm, index);
	if (!cpuid) {
		ret = -ENOMEM;
		goto fail;
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0) {
		ret = -errno;
		pr_err("vCPU %u: KVM_SET_CPUID2: %s", index, strerror(errno));
		goto fail;
	}
	ret = set_msrs(v);
	if (ret)
		goto fail;
	if (vm->irq_mode != IRQ_USER) {
		ret = set_lapic(v);
		if (ret) {
			pr_err("vCPU %u: LAPIC set-up: %s", index, strerror(-ret));
			goto fail;
		}
	}
	if (index != 0 && vm->irq_mode != IRQ_USER) {
		/* APs wait for INIT/SIPI from the guest, which KVM handles */
		struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_UNINITIALIZED};

		if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
			ret = -errno;
			pr_err("vCPU %u: KVM_SET_MP_STATE: %s", index, strerror(errno));
			goto fail;
		}
	}
	if (vm->hooks.vcpu_init) {
		ret = vm->hooks.vcpu_init(v, vm->hooks.opaque);
		if (ret)
			goto fail;
	}
	free(cpuid);
	*out = v;
	return 0;
fail:
	if (ret && ret != -ENOMEM)
		pr_err("vCPU %u: set-up failed: %s", index, strerror(-ret));
	free(cpuid);
	vcpu_destroy(v);
	return ret;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l, bool db)
{
	*s = (struct kvm_segment){.base = 0,
				  .limit = 0xffffffff,
				  .selector = sel,
				  .type = type,
				  .present = 1,
				  .dpl = 0,
				  .db = db,
				  .s = 1,
				  .l = l,
				  .g = 1};
}

int vcpu_set_boot_state(struct vcpu *v, const struct boot_state *st)
{
	struct kvm_sregs sr;
	struct kvm_regs r = {0};
	bool lm = st->mode == BOOT_CPU_LONG64;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	seg(&sr.cs, 0x10, 0xb, lm, !lm);
	seg(&sr.ds, 0x18, 0x3, false, true);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = st->gdt_gpa;
	sr.gdt.limit = st->gdt_gpa ? 4 * 8 - 1 : 0;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	if (lm) {
		sr.cr0 = 0x80050033; /* PG WP NE ET MP PE */
		sr.cr3 = st->cr3;
		sr.cr4 = 0x20;   /* PAE */
		sr.efer = 0x500; /* LME LMA */
	} else {
		sr.cr0 = 0x11; /* ET PE */
		sr.cr3 = 0;
		sr.cr4 = 0;
		sr.efer = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0) {
		pr_err("vCPU %u: KVM_SET_SREGS: %s", v->index, strerror(errno));
		return -errno;
	}
	r.rflags = 0x2;
	r.rip = st->rip;
	r.rsp = st->rsp;
	r.rax = st->rax;
	r.rbx = st->rbx;
	r.rsi = st->rsi;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
		pr_err("vCPU %u: KVM_SET_REGS: %s", v->index, strerror(errno));
		return -errno;
	}
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (v->thread_started && !pthread_equal(v->thread, pthread_self()))
		pthread_kill(v->thread, SIGUSR1);
}

static uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t r;

	memcpy(&r, l->regs + off, 4);
	return r;
}

/* The vectors set in the 256-bit register at @base (IRR, ISR): " 30 ef", or " -". */
static const char *lapic_vectors(const struct kvm_lapic_state *l, unsigned base, char *buf,
				 size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned vec = 0; vec < 256; vec++)
		if ((lapic_reg(l, base + (vec / 32) * 0x10) >> (vec % 32)) & 1 && n < size - 6)
			n += (size_t)snprintf(buf + n, size - n, " %02x", vec);
	return n ? buf : " -";
}

/* The in-kernel LAPIC's interrupt state: what is requested, in service, the
 * priority, the timer. */
static void report_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;
	char irr[80], isr[80];

	if (v->vm->irq_mode == IRQ_USER || ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return;
	pr_err("vCPU %u: LAPIC id %x svr %x tpr %x ppr %x irr:%s isr:%s timer lvt %x init %x "
	       "current %x",
	       v->index, lapic_reg(&l, 0x20), lapic_reg(&l, 0xf0), lapic_reg(&l, 0x80),
	       lapic_reg(&l, 0xa0), lapic_vectors(&l, 0x200, irr, sizeof(irr)),
	       lapic_vectors(&l, 0x100, isr, sizeof(isr)), lapic_reg(&l, 0x320),
	       lapic_reg(&l, 0x380), lapic_reg(&l, 0x390));
}

void vcpu_report(struct vcpu *v, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	char bytes[16 * 3 + 1] = "unreadable";

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		pr_err("vCPU %u: %s (registers unreadable: %s)", v->index, why, strerror(errno));
		return;
	}
	/* instruction bytes at cs:rip, through the guest's page tables */
	struct kvm_translation tr = {.linear_address = s.cs.base + r.rip};
	uint64_t gpa = tr.linear_address;

	if (s.cr0 & 0x80000000u) {
		if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			gpa = UINT64_MAX;
		else
			gpa = tr.physical_address;
	}
	if (gpa != UINT64_MAX) {
		size_t n = 4096 - (gpa & 0xfff) < 16 ? 4096 - (gpa & 0xfff) : 16;
		const uint8_t *p = guest_mem_ptr(&v->vm->gm, gpa, n);

		if (p)
			for (size_t i = 0; i < n; i++)
				snprintf(bytes + 3 * i, 4, "%02x ", p[i]);
	}
	pr_err("vCPU %u: %s", v->index, why);
	pr_err("vCPU %u: rip %016llx (gpa %llx) code: %s", v->index, (unsigned long long)r.rip,
	       (unsigned long long)gpa, bytes);
	pr_err("vCPU %u: rax %016llx rbx %016llx rcx %016llx rdx %016llx", v->index, r.rax, r.rbx,
	       r.rcx, r.rdx);
	pr_err("vCPU %u: rsi %016llx rdi %016llx rbp %016llx rsp %016llx", v->index, r.rsi, r.rdi,
	       r.rbp, r.rsp);
	pr_err("vCPU %u: r8  %016llx r9  %016llx r10 %016llx r11 %016llx", v->index, r.r8, r.r9,
	       r.r10, r.r11);
	pr_err("vCPU %u: r12 %016llx r13 %016llx r14 %016llx r15 %016llx rflags %llx", v->index,
	       r.r12, r.r13, r.r14, r.r15, r.rflags);
	pr_err("vCPU %u: cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx cs %x (base %llx, l %u "
	       "db %u) ss %x",
	       v->index, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.cs.base, s.cs.l,
	       s.cs.db, s.ss.selector);
	report_lapic(v);
}

static const char *exit_name(uint32_t reason)
{
	static const char *const names[] = {
	    [KVM_EXIT_UNKNOWN] = "UNKNOWN",
	    [KVM_EXIT_EXCEPTION] = "EXCEPTION",
	    [KVM_EXIT_IO] = "IO",
	    [KVM_EXIT_HYPERCALL] = "HYPERCALL",
	    [KVM_EXIT_DEBUG] = "DEBUG",
	    [KVM_EXIT_HLT] = "HLT",
	    [KVM_EXIT_MMIO] = "MMIO",
	    [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	    [KVM_EXIT_SHUTDOWN] = "SHUTDOWN (triple fault)",
	    [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	    [KVM_EXIT_INTR] = "INTR",
	    [KVM_EXIT_NMI] = "NMI",
	    [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	    [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	    [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	    [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	    [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown exit";
}

/*
 * The vCPU is in the state INIT leaves it in (real mode at f000:fff0), as
 * KVM puts it on AMD after a shutdown: the state of the guest is gone.
 */
static bool vcpu_in_reset_state(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	return r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 &&
	       !(s.cr0 & 1);
}

/* KVM_EXIT_INTERNAL_ERROR's data words, " 1 2 3", at most 8. */
static const char *internal_data(const struct kvm_run *run, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < run->internal.ndata && i < 8 && off < size; i++)
		off += snprintf(buf + off, size - off, " %llx",
				(unsigned long long)run->internal.data[i]);
	return buf;
}

/*
 * An emulation failure that carries the instruction bytes KVM fetched
 * (KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES, Linux 5.16+): write
 * "N bytes: xx xx ..." into @buf and return true.
 */
static bool emulation_failure_bytes(const struct kvm_run *run, char *buf, size_t size)
{
	const __typeof__(run->emulation_failure) *f = &run->emulation_failure;
	size_t off;

	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION || f->ndata < 3 ||
	    !(f->flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) || !f->insn_size ||
	    f->insn_size > sizeof(f->insn_bytes))
		return false;
	off = (size_t)snprintf(buf, size, "%u bytes:", f->insn_size);
	for (unsigned i = 0; i < f->insn_size && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, " %02x", f->insn_bytes[i]);
	return true;
}

/* Report an exit the VMM cannot handle and end the VM with an error. */
static void fatal_exit(struct vcpu *v, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vcpu_report(v, why);
	vm_request_exit(v->vm, VM_STATUS_ERROR);
}

/* One exit. Returns false when the loop must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	int ret;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;

		v->nr_io_exits++;
		if (run->io.data_offset + (uint64_t)run->io.size * run->io.count > v->run_size) {
			fatal_exit(v, "KVM_EXIT_IO with data outside the run page");
			return false;
		}
		for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
			io_bus_access(&vm->pio, v->index, run->io.port, data, run->io.size,
				      run->io.direction == KVM_EXIT_IO_OUT);
		return true;
	}
	case KVM_EXIT_MMIO:
		v->nr_mmio_exits++;
		if (run->mmio.len > sizeof(run->mmio.data)) {
			fatal_exit(v, "KVM_EXIT_MMIO of %u bytes", run->mmio.len);
			return false;
		}
		io_bus_access(&vm->mmio, v->index, run->mmio.phys_addr, run->mmio.data,
			      run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_exit(vm, VM_STATUS_POWEROFF);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_exit(vm, VM_STATUS_RESET);
			return false;
		default:
			fatal_exit(v, "KVM_EXIT_SYSTEM_EVENT type %u", run->system_event.type);
			return false;
		}
	case KVM_EXIT_SHUTDOWN:
		/* On AMD, KVM INITs the vCPU at a shutdown intercept (the VMCB is
		 * undefined after it): the registers are then the reset state. */
		if (vcpu_in_reset_state(v))
			fatal_exit(v,
				   "KVM_EXIT_SHUTDOWN: the guest triple-faulted. KVM has already "
				   "reset this vCPU (it does on AMD hosts): the registers below "
				   "are the reset state, not where the guest faulted");
		else
			fatal_exit(v, "KVM_EXIT_SHUTDOWN: the guest triple-faulted; the registers "
				      "below are the state at the triple fault");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		fatal_exit(v, "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x%llx",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		char data[128] = "";

		if (emulation_failure_bytes(run, data, sizeof(data)))
			fatal_exit(v,
				   "KVM_EXIT_INTERNAL_ERROR suberror %u (instruction emulation "
				   "failed; KVM fetched %s); the registers below are the state at "
				   "the instruction",
				   run->internal.suberror, data);
		else
			fatal_exit(v, "KVM_EXIT_INTERNAL_ERROR suberror %u%s (data:%s)",
				   run->internal.suberror,
				   run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				       ? " (instruction emulation failed)"
				       : "",
				   internal_data(run, data, sizeof(data)));
		return false;
	}
	default:
		break;
	}
	if (vm->hooks.exit) {
		ret = vm->hooks.exit(v, run, vm->hooks.opaque);
		if (!ret)
			return true;
		if (ret != -ENOENT) {
			fatal_exit(v, "exit %s: interrupt controller failed: %s",
				   exit_name(run->exit_reason), strerror(-ret));
			return false;
		}
	}
	if (run->exit_reason == KVM_EXIT_HLT) {
		fatal_exit(v, "the vCPU halted and nothing can wake it (no interrupt controller)");
		return false;
	}
	fatal_exit(v, "unhandled exit %u (%s)", run->exit_reason, exit_name(run->exit_reason));
	return false;
}

/*
 * Spanning guest: an AP does not enter KVM_RUN before its SIPI. KVM_RUN
 * would take the INIT and SIPI in the kernel, unseen; polling the MP state
 * (which processes them the same way) lets this node tell the others the
 * vCPU is online before it runs a guest instruction, so that their proxies
 * of it start capturing its interrupts (docs/irq.md). False when the VM
 * ended first.
 */
static bool wait_for_sipi(struct vcpu *v)
{
	struct kvm_mp_state mp;
	unsigned us = 200;

	while (!vm_exiting(v->vm)) {
		if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0) {
			fatal_exit(v, "KVM_GET_MP_STATE: %s", strerror(errno));
			return false;
		}
		if (mp.mp_state == KVM_MP_STATE_RUNNABLE) {
			if (v->vm->span->vcpu_online)
				v->vm->span->vcpu_online(v->vm->span->ctx, v->index);
			return true;
		}
		usleep(us);
		if (us < 2000)
			us += 100;
	}
	return false;
}

static void block_kick_signal(bool unblock)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(unblock ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
}

void *proxy_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];

	snprintf(name, sizeof(name), "proxy%u", v->index);
	pthread_setname_np(pthread_self(), name);
	block_kick_signal(true);
	v->vm->hooks.proxy_run(v, v->vm->hooks.opaque);
	return NULL;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	__atomic_store_n(&v->tid, (int32_t)gettid(), __ATOMIC_RELAXED);
	if (vm->span && vm->span->vcpu_thread)
		vm->span->vcpu_thread(vm->span->ctx, v->index, v->tid);
	block_kick_signal(true);
	if (vm->span && v->index != 0 && !wait_for_sipi(v))
		return NULL;
	while (!vm_exiting(vm)) {
		if (vm->hooks.pre_run && vm->hooks.pre_run(v, vm->hooks.opaque)) {
			fatal_exit(v, "interrupt injection failed");
			break;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			if (vm_exiting(vm))
				break; /* e.g. -EFAULT: the DSM fenced guest RAM after a failure */
			fatal_exit(v, "KVM_RUN failed: %s", strerror(errno));
			break;
		}
		v->nr_exits++;
		vcpu_count_exit(v, v->run->exit_reason);
		if (!handle_exit(v))
			break;
	}
	if (vm->report_on_exit)
		vcpu_report(v, "stopped");
	return NULL;
}
