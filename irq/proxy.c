// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq/proxy.c — proxy vCPUs: how interrupts a vCPU of this node sends to a
 * vCPU of another node leave this node (docs/irq.md, "Proxy vCPUs").
 *
 * Every remote vCPU exists in this node's KVM VM as a proxy with the same
 * APIC ID, so KVM's in-kernel LAPIC delivers IPIs to it like to any vCPU.
 * A proxy never executes guest code. It is in one of two modes:
 *
 *   offline  (its vCPU has not been started): the proxy never enters
 *            KVM_RUN. Its thread polls KVM_GET_MP_STATE, which processes a
 *            pending INIT (INIT_RECEIVED) and SIPI (RUNNABLE, CS = vector <<
 *            8) exactly as KVM_RUN would, without running anything: an INIT
 *            and a SIPI sent right after it (Linux's init_udelay=0) are both
 *            seen, in order, and the proxy cannot start the guest's
 *            trampoline on the wrong host. NMIs are read from the vCPU
 *            events. Its LAPIC is software-enabled from creation on, so
 *            fixed IPIs sent before this node learns the vCPU is online wait
 *            in its IRR and are delivered when it switches.
 *   online   (its vCPU runs on its node): the proxy runs a private stub in
 *            KVM_RUN (32-bit protected mode, code, IDT and stack in memory
 *            outside guest RAM at PROXY_GPA): `sti; hlt` in the kernel. An
 *            interrupt wakes it through the normal IRR -> ISR path (none is
 *            lost, none is read twice); the vector's handler reports it
 *            with an OUT to PROXY_PORT (AL = vector, 2 = NMI), which exits
 *            to this thread, then EOIs and IRETs. The stub's first
 *            instructions enable the LAPIC itself (no KVM_SET_LAPIC racing
 *            senders). The proxy carries the BSP flag in IA32_APIC_BASE: an
 *            INIT then resets it to the reset vector (our code: OUT 0xFE),
 *            never to wait-for-SIPI, so a SIPI can never start it. The INIT
 *            is forwarded and the proxy goes offline to catch the SIPI.
 *
 * A proxy goes online when it catches its vCPU's SIPI itself (then it
 * forwards INIT and SIPI) or when the vCPU's node announces it online
 * (proxy_vcpu_online(): the INIT/SIPI came from that node's own vCPUs).
 * Known limit: an INIT from this node to a vCPU whose proxy is online
 * (re-starting a CPU the guest had offlined) is forwarded, but a SIPI that
 * arrives before the proxy left KVM_RUN is dropped by KVM (it is not in
 * wait-for-SIPI): that CPU then fails to come up again.
 */
#include "irq/proxy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "irq/irq.h"

#define STUB_GDT 0x0000u    /* offsets in the stub memory */
#define STUB_IDT 0x0100u    /* 256 gates of 8 bytes */
#define STUB_THUNKS 0x1000u /* 32 bytes per vector */
#define STUB_INIT 0x3000u   /* entry: enable the LAPIC, then idle */
#define STUB_STACKS 0x10000u
#define STUB_STACK_SIZE 512u
#define PROXY_STACKS ((PROXY_SIZE - 0x10000u - STUB_STACKS) / STUB_STACK_SIZE)
#define REPORT_INIT 0xfe /* AL at the reset vector */
#define LAPIC_GPA 0xfee00000u
#define MSR_IA32_APICBASE 0x1b
#define APICBASE_BSP 0x100u
#define APICBASE_ENABLE 0x800u
#define NMI_VECTOR 2

_Static_assert(PROXY_GPA + PROXY_SIZE == 0x100000000ull, "the stub ends at 4 GiB");
_Static_assert(PROXY_STACKS >= 256, "one stack per possible vCPU");

enum proxy_mode { PROXY_OFFLINE, PROXY_ONLINE };

struct proxy {
	struct vcpu *v;
	enum proxy_mode mode;
	bool init_seen; /* offline: this INIT was forwarded already */
	int online_req; /* atomic: the vCPU's node announced it online */
	uint64_t forwarded;
};

static struct proxy proxies[SSIVM_MAX_VCPUS];
static uint8_t *stub;

/* ---- the stub ---------------------------------------------------------- */

static uint8_t *emit(uint8_t *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}

static uint8_t *emit_mov_mem32(uint8_t *p, uint32_t addr, uint32_t val)
{
	uint8_t op[2] = {0xc7, 0x05}; /* mov dword [addr], imm32 */

	p = emit(p, op, 2);
	p = emit(p, &addr, 4);
	return emit(p, &val, 4);
}

static uint8_t *emit_report(uint8_t *p, uint8_t al)
{
	uint8_t code[] = {0xb0, al,                                       /* mov al, imm8 */
			  0x66, 0xba, PROXY_PORT & 0xff, PROXY_PORT >> 8, /* mov dx, port */
			  0xee};                                          /* out dx, al */

	return emit(p, code, sizeof(code));
}

static void build_stub(uint8_t *m)
{
	static const uint64_t gdt[3] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
	uint8_t *p;

	memset(m, 0xf4, PROXY_SIZE); /* hlt everywhere else */
	memcpy(m + STUB_GDT, gdt, sizeof(gdt));
	for (unsigned v = 0; v < 256; v++) {
		uint32_t off = (uint32_t)PROXY_GPA + STUB_THUNKS + v * 32;
		uint64_t gate = (off & 0xffffull) | (0x08ull << 16) | (0x8eull << 40) |
				((uint64_t)(off >> 16) << 48);

		memcpy(m + STUB_IDT + v * 8, &gate, 8);
		p = emit_report(m + STUB_THUNKS + v * 32, (uint8_t)v);
		if (v != NMI_VECTOR)
			p = emit_mov_mem32(p, LAPIC_GPA + 0xb0, 0); /* EOI */
		*p = 0xcf;                                          /* iret */
	}
	/* entry: SVR enabled (spurious 0xff), TPR 0, every LVT masked; idle */
	p = m + STUB_INIT;
	p = emit_mov_mem32(p, LAPIC_GPA + 0xf0, 0x1ff);
	p = emit_mov_mem32(p, LAPIC_GPA + 0x80, 0);
	for (unsigned lvt = 0x320; lvt <= 0x370; lvt += 0x10)
		p = emit_mov_mem32(p, LAPIC_GPA + lvt, 0x10000);
	{
		uint8_t idle[] = {0xfb, 0xf4, 0xeb, 0xfd}; /* sti; hlt; jmp hlt */

		emit(p, idle, sizeof(idle));
	}
	/* the reset vector (real mode, CS base 0xffff0000, IP 0xfff0): an INIT
	 * reached an online proxy */
	p = m + PROXY_SIZE - 16;
	{
		uint8_t rv[] = {
		    0xb0, REPORT_INIT, 0xba, PROXY_PORT & 0xff, PROXY_PORT >> 8, 0xee, 0xfa,
		    0xf4, 0xeb,        0xfd};

		emit(p, rv, sizeof(rv));
	}
}

/* ---- modes ---------------------------------------------------------------- */

static int set_apic_base(struct vcpu *v, bool bsp)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = {.hdr.nmsrs = 1,
	       .e = {.index = MSR_IA32_APICBASE,
		     .data = LAPIC_GPA | APICBASE_ENABLE | (bsp ? APICBASE_BSP : 0)}};

	return ioctl(v->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EIO;
}

static void seg32(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){.base = 0,
				  .limit = 0xffffffff,
				  .selector = sel,
				  .type = type,
				  .present = 1,
				  .s = 1,
				  .db = 1,
				  .g = 1};
}

/* Into the stub, online. Only registers, sregs, MP state and the APIC base
 * (BSP flag) change: the LAPIC and its IRR are left alone. */
static int go_online(struct proxy *px)
{
	struct vcpu *v = px->v;
	struct kvm_sregs sr;
	struct kvm_regs r = {.rflags = 2};
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};

	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	seg32(&sr.cs, 0x08, 0xb);
	seg32(&sr.ds, 0x10, 0x3);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = PROXY_GPA + STUB_GDT;
	sr.gdt.limit = 23;
	sr.idt.base = PROXY_GPA + STUB_IDT;
	sr.idt.limit = 256 * 8 - 1;
	sr.cr0 = 0x11; /* PE ET */
	sr.cr3 = sr.cr4 = sr.efer = 0;
	sr.apic_base = LAPIC_GPA | APICBASE_ENABLE | APICBASE_BSP;
	r.rip = PROXY_GPA + STUB_INIT;
	r.rsp = PROXY_GPA + STUB_STACKS + (v->index + 1) * STUB_STACK_SIZE;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	px->mode = PROXY_ONLINE;
	px->init_seen = false;
	pr_info("proxy of vCPU %u: online (captures its IPIs)", v->index);
	return 0;
}

/* After an INIT caught at the reset vector: wait for the SIPI offline. */
static int go_offline(struct proxy *px)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_INIT_RECEIVED};
	int ret = set_apic_base(px->v, false);

	if (!ret && ioctl(px->v->fd, KVM_SET_MP_STATE, &mp) < 0)
		ret = -errno;
	px->mode = PROXY_OFFLINE;
	px->init_seen = true;
	return ret;
}

/* ---- forwarding ------------------------------------------------------------ */

static void forward(struct proxy *px, uint8_t delivery, uint8_t vector)
{
	struct vm *vm = px->v->vm;
	const struct vm_span *s = vm_span(vm);
	uint32_t cpu = px->v->index;
	uint32_t node = __atomic_load_n(&s->vcpu_node[cpu], __ATOMIC_ACQUIRE);
	int ret;

	if (node == s->self) /* it moved here meanwhile: deliver locally */
		ret = irq_deliver(
		    vm, &(struct irq_msg){.dest = cpu, .vector = vector, .delivery = delivery});
	else
		ret = s->irq(s->ctx, node, cpu, vector, delivery, false);
	px->forwarded++;
	if (delivery == IRQ_DM_INIT || delivery == IRQ_DM_SIPI)
		pr_info("proxy of vCPU %u: %s%s%.0x forwarded to node %u", cpu,
			irq_dm_name(delivery), delivery == IRQ_DM_SIPI ? " 0x" : "",
			delivery == IRQ_DM_SIPI ? vector : 0, node);
	__atomic_fetch_add(&irq_stats.proxy_captured, 1, __ATOMIC_RELAXED);
	if (ret && ret != -ENOENT && !vm_exiting(vm))
		pr_warn("proxy of vCPU %u: forwarding a message (mode %u, vector 0x%x) to node %u "
			"failed: %s",
			cpu, delivery, vector, node, strerror(-ret));
}

/* Offline: one look at the MP state and the events. */
static int poll_offline(struct proxy *px)
{
	struct vcpu *v = px->v;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;

	if (__atomic_exchange_n(&px->online_req, 0, __ATOMIC_ACQ_REL))
		return go_online(px);
	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	if (mp.mp_state == KVM_MP_STATE_INIT_RECEIVED && !px->init_seen) {
		forward(px, IRQ_DM_INIT, 0);
		px->init_seen = true;
	} else if (mp.mp_state == KVM_MP_STATE_RUNNABLE) {
		struct kvm_sregs sr;
		int ret;

		/* KVM took INIT and SIPI: CS = vector << 8 */
		if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
			return -errno;
		if (!px->init_seen)
			forward(px, IRQ_DM_INIT, 0);
		/* the stub is ready before the vCPU can run and be sent IPIs */
		ret = go_online(px);
		forward(px, IRQ_DM_SIPI, (uint8_t)(sr.cs.selector >> 8));
		return ret;
	}
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0 && ev.nmi.pending) {
		ev = (struct kvm_vcpu_events){.flags = KVM_VCPUEVENT_VALID_NMI_PENDING};
		ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
		forward(px, IRQ_DM_NMI, 0);
	}
	return 0;
}

/* Online: one KVM_RUN of the stub and what it reported. */
static int run_online(struct proxy *px)
{
	struct vcpu *v = px->v;
	struct kvm_run *run = v->run;
	uint8_t al;

	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
			return 0;
		}
		return -errno;
	}
	if (run->exit_reason == KVM_EXIT_INTR)
		return 0;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != PROXY_PORT || run->io.size != 1 ||
	    run->io.direction != KVM_EXIT_IO_OUT) {
		pr_err("proxy of vCPU %u: unexpected exit %u of its stub (port 0x%x)", v->index,
		       run->exit_reason, run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
		return -EPROTO;
	}
	al = *((uint8_t *)run + run->io.data_offset);
	if (al == REPORT_INIT) {
		forward(px, IRQ_DM_INIT, 0);
		return go_offline(px);
	}
	if (al == NMI_VECTOR)
		forward(px, IRQ_DM_NMI, 0);
	else if (al >= 16 && al != 0xff) /* 0xff: the stub's spurious vector */
		forward(px, IRQ_DM_FIXED, al);
	else if (al != 0xff) {
		pr_err("proxy of vCPU %u: its stub took exception %u", v->index, al);
		return -EPROTO;
	}
	return 0;
}

void proxy_run(struct vcpu *v, void *opaque)
{
	struct proxy *px = &proxies[v->index];
	struct vm *vm = v->vm;
	unsigned idle_us = 100;
	int ret = 0;

	while (!vm_exiting(vm) && !ret) {
		if (px->mode == PROXY_ONLINE) {
			ret = run_online(px);
			continue;
		}
		ret = poll_offline(px);
		/* poll fast while something happens (boot), slower when idle */
		if (px->mode == PROXY_OFFLINE) {
			usleep(px->init_seen ? 50 : idle_us);
			if (idle_us < 1000)
				idle_us += 50;
		}
	}
	if (ret && !vm_exiting(vm)) {
		pr_err("proxy of vCPU %u failed: %s: interrupts to it can no longer leave this "
		       "node",
		       v->index, strerror(-ret));
		vm_request_exit(vm, VM_STATUS_ERROR);
	}
	pr_debug("proxy of vCPU %u: %llu messages forwarded", v->index,
		 (unsigned long long)px->forwarded);
}

void proxy_vcpu_online(struct vm *vm, uint32_t cpu)
{
	struct vcpu *v = vm_proxy(vm, cpu);

	if (v)
		__atomic_store_n(&proxies[cpu].online_req, 1, __ATOMIC_RELEASE);
}

int proxy_vm_init(struct vm *vm)
{
	const struct ssivm_config *cfg = vm_config(vm);
	void *mem;
	int ret;

	ret = vm_add_private_memory(vm, PROXY_GPA, PROXY_SIZE, &mem);
	if (ret) {
		pr_err("proxy vCPUs: cannot map their stub at 0x%llx: %s",
		       (unsigned long long)PROXY_GPA, strerror(-ret));
		return ret;
	}
	stub = mem;
	build_stub(stub);
	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		struct vcpu *v = vm_proxy(vm, i);
		struct kvm_lapic_state s;
		uint32_t svr = 0x1ff;

		proxies[i] = (struct proxy){.v = v};
		if (!v)
			continue;
		/* software-enabled from the start: fixed IPIs wait in the IRR (no
		 * guest runs yet: nothing races this) */
		if (ioctl(v->fd, KVM_GET_LAPIC, &s) < 0)
			return -errno;
		memcpy(s.regs + 0xf0, &svr, 4);
		if (ioctl(v->fd, KVM_SET_LAPIC, &s) < 0 || set_apic_base(v, false))
			return -errno;
		/* the boot vCPU runs from the start */
		if (i == 0 && (ret = go_online(&proxies[i])))
			return ret;
	}
	return 0;
}
