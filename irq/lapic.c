// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq/lapic.c — the userspace local APIC of IRQ_USER (see lapic.h): xAPIC
 * registers behind MMIO exits, IRR/ISR/TMR and priorities, the ICR (IPIs,
 * INIT, SIPI leave through irq_deliver()), the timer (a POSIX timer that
 * signals the vCPU's own thread; fired by that thread), injection with
 * KVM_INTERRUPT from the vCPU's thread, HLT and INIT/SIPI waits.
 */
#include "irq/lapic.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/bus.h"

#define R_ID 0x20
#define R_VER 0x30
#define R_TPR 0x80
#define R_APR 0x90
#define R_PPR 0xa0
#define R_EOI 0xb0
#define R_LDR 0xd0
#define R_DFR 0xe0
#define R_SVR 0xf0
#define R_ISR 0x100
#define R_TMR 0x180
#define R_IRR 0x200
#define R_ESR 0x280
#define R_ICR_LO 0x300
#define R_ICR_HI 0x310
#define R_LVT_TIMER 0x320
#define R_LVT_ERROR 0x370
#define R_TIMER_INIT 0x380
#define R_TIMER_CUR 0x390
#define R_TIMER_DIV 0x3e0
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define WAIT_NS 20000000L /* re-check vm_exiting this often while waiting */

#define STAT_INC(f) __atomic_fetch_add(&irq_stats.f, 1, __ATOMIC_RELAXED)

/* The timer's signal: its handler makes KVM_RUN of this thread return at
 * once, also when the signal lands just before KVM_RUN is entered. */
#define TIMER_SIGNAL (SIGRTMIN + 3)
static __thread struct kvm_run *tl_run;

static void timer_signal(int sig)
{
	(void)sig;
	if (tl_run)
		tl_run->immediate_exit = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t reg(const struct ulapic *l, uint32_t off)
{
	return l->regs[off / 4];
}

static int highest_bit(const uint32_t *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

static uint32_t ppr(const struct ulapic *l)
{
	uint32_t tpr = reg(l, R_TPR) & 0xff;
	int isrv = highest_bit(l->isr);

	if (isrv < 0 || (tpr >> 4) >= ((uint32_t)isrv >> 4))
		return tpr;
	return (uint32_t)isrv & 0xf0;
}

/* Highest IRR vector above the processor priority, or -1. Lock held. */
static int injectable(const struct ulapic *l)
{
	int v = highest_bit(l->irr);

	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

static bool wants_wakeup(const struct ulapic *l)
{
	return injectable(l) >= 0 || l->nmi_pending || l->state != ULAPIC_RUNNING;
}

/* Make the vCPU look at its LAPIC: wake its HLT wait or interrupt KVM_RUN. */
static void kick(struct ulapic *l)
{
	struct vcpu *v = l->vcpu;

	pthread_cond_broadcast(&l->wake);
	if (l->halted || !v->thread_started || pthread_equal(v->thread, pthread_self()))
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, SIGUSR1);
	STAT_INC(kicks);
}

static void set_bit(uint32_t *v, uint8_t b, bool on)
{
	if (on)
		v[b / 32] |= 1u << (b % 32);
	else
		v[b / 32] &= ~(1u << (b % 32));
}

void ulapic_accept(struct ulapic *l, const struct irq_msg *m)
{
	pthread_mutex_lock(&l->lock);
	switch (m->delivery) {
	case IRQ_DM_FIXED:
	case IRQ_DM_LOWEST:
		if (!(reg(l, R_SVR) & SVR_ENABLE) || m->vector < 16) {
			STAT_INC(dropped);
			break;
		}
		set_bit(l->irr, m->vector, true);
		set_bit(l->tmr, m->vector, m->level);
		break;
	case IRQ_DM_NMI:
		l->nmi_pending = true;
		break;
	case IRQ_DM_INIT:
		if (l->vcpu->index == 0) {
			pr_warn("vCPU 0: INIT to the boot vCPU ignored (no reset through INIT)");
			break;
		}
		l->state = ULAPIC_WAIT_SIPI;
		memset(l->irr, 0, sizeof(l->irr));
		memset(l->isr, 0, sizeof(l->isr));
		break;
	case IRQ_DM_SIPI:
		if (l->state == ULAPIC_WAIT_SIPI) {
			l->sipi_vector = m->vector;
			l->state = ULAPIC_SIPI;
		}
		break;
	default:
		STAT_INC(dropped);
		break;
	}
	kick(l);
	pthread_mutex_unlock(&l->lock);
}

bool ulapic_match(struct ulapic *l, uint32_t dest, bool logical)
{
	uint32_t id = reg(l, R_ID) >> 24, ldr = reg(l, R_LDR) >> 24;

	if (!logical)
		return dest == 0xff || dest == id;
	if ((reg(l, R_DFR) >> 28) == 0xf) /* flat */
		return (dest & ldr) != 0;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster */
}

/* ---- timer ---- */

static uint64_t timer_div(const struct ulapic *l)
{
	uint32_t d = reg(l, R_TIMER_DIV);
	uint32_t v = (d & 3) | ((d & 8) >> 1);

	return v == 7 ? 1 : 2u << v;
}

static void timer_settime_abs(struct ulapic *l, uint64_t deadline)
{
	struct itimerspec its = {0};

	if (!l->timer_created)
		return;
	its.it_value.tv_sec = (time_t)(deadline / 1000000000u);
	its.it_value.tv_nsec = (long)(deadline % 1000000000u);
	timer_settime(l->timer, TIMER_ABSTIME, &its, NULL); /* deadline 0: disarm */
}

/* Start the count down of the initial count (1 count = divide x 1 ns, the
 * 1 GHz APIC bus of KVM). Lock held, on the vCPU's thread (INIT write). */
static void timer_arm(struct ulapic *l)
{
	uint64_t ns = (uint64_t)reg(l, R_TIMER_INIT) * timer_div(l);

	l->period = (reg(l, R_LVT_TIMER) & LVT_PERIODIC) ? ns : 0;
	l->deadline = ns ? now_ns() + ns : 0;
	timer_settime_abs(l, l->deadline);
}

/* Fire the timer if its deadline passed (ticks missed meanwhile coalesce,
 * as in a real LAPIC whose IRR bit is already set). Lock held, vCPU thread. */
static void timer_check(struct ulapic *l, uint64_t now)
{
	if (!l->deadline || now < l->deadline)
		return;
	STAT_INC(timer_fires);
	uint32_t lvt = reg(l, R_LVT_TIMER);

	if (!(lvt & LVT_MASKED) && (reg(l, R_SVR) & SVR_ENABLE) && (lvt & 0xff) >= 16) {
		set_bit(l->irr, (uint8_t)lvt, true);
		set_bit(l->tmr, (uint8_t)lvt, false);
	}
	if (l->period) {
		l->deadline += ((now - l->deadline) / l->period + 1) * l->period;
		timer_settime_abs(l, l->deadline);
	} else {
		l->deadline = 0;
	}
}

static uint32_t timer_current(struct ulapic *l)
{
	uint64_t now = now_ns();

	if (!l->deadline || !reg(l, R_TIMER_INIT))
		return 0;
	uint64_t left = l->deadline > now ? l->deadline - now : 0;

	if (l->period && left == 0)
		left = l->period - (now - l->deadline) % l->period;
	return (uint32_t)(left / timer_div(l));
}

/* First pre_run on the vCPU's thread: the timer that signals this thread. */
static int timer_thread_init(struct ulapic *l)
{
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = TIMER_SIGNAL};
	struct sigaction sa = {.sa_handler = timer_signal};
	sigset_t set;

	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	sigemptyset(&sa.sa_mask);
	if (sigaction(TIMER_SIGNAL, &sa, NULL) < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, TIMER_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	tl_run = l->vcpu->run;
	if (timer_create(CLOCK_MONOTONIC, &sev, &l->timer) < 0)
		return -errno;
	l->timer_created = true;
	if (l->deadline)
		timer_settime_abs(l, l->deadline);
	return 0;
}

/* ---- registers ---- */

static uint32_t lapic_read(struct ulapic *l, uint32_t off)
{
	if (off >= R_ISR && off < R_ISR + 0x80)
		return l->isr[(off - R_ISR) / 16];
	if (off >= R_TMR && off < R_TMR + 0x80)
		return l->tmr[(off - R_TMR) / 16];
	if (off >= R_IRR && off < R_IRR + 0x80)
		return l->irr[(off - R_IRR) / 16];
	switch (off) {
	case R_PPR:
		return ppr(l);
	case R_TIMER_CUR:
		return timer_current(l);
	case R_EOI:
	case R_APR:
		return 0;
	default:
		return off < LAPIC_SIZE ? reg(l, off) : 0;
	}
}

static void send_icr(struct ulapic *l, uint32_t lo, uint32_t hi)
{
	struct irq_msg m = {
	    .dest = hi >> 24,
	    .vector = (uint8_t)lo,
	    .delivery = (uint8_t)((lo >> 8) & 7),
	    .logical = lo & (1u << 11),
	    .level = lo & (1u << 15),
	    .shorthand = (uint8_t)((lo >> 18) & 3),
	    .src = l->vcpu->index,
	};

	STAT_INC(ipis);
	/* INIT level de-assert: an old synchronisation message, no effect */
	if (m.delivery == IRQ_DM_INIT && m.level && !(lo & (1u << 14)))
		return;
	irq_deliver(l->vcpu->vm, &m);
}

/* Lock held; returns a vector to report to the IOAPIC (level EOI) or -1. */
static int lapic_write(struct ulapic *l, uint32_t off, uint32_t v)
{
	switch (off) {
	case R_ID:
		l->regs[off / 4] = v & 0xff000000;
		break;
	case R_TPR:
		l->regs[off / 4] = v & 0xff;
		break;
	case R_EOI: {
		int isrv = highest_bit(l->isr);

		STAT_INC(eois);
		if (isrv < 0)
			break;
		set_bit(l->isr, (uint8_t)isrv, false);
		if (l->tmr[isrv / 32] & (1u << (isrv % 32)))
			return isrv;
		break;
	}
	case R_LDR:
		l->regs[off / 4] = v & 0xff000000;
		break;
	case R_DFR:
		l->regs[off / 4] = v | 0x0fffffff;
		break;
	case R_SVR:
		l->regs[off / 4] = v & 0x1ff;
		if (!(v & SVR_ENABLE))
			for (uint32_t o = R_LVT_TIMER; o <= R_LVT_ERROR; o += 0x10)
				l->regs[o / 4] |= LVT_MASKED;
		break;
	case R_ESR:
		l->regs[off / 4] = 0;
		break;
	case R_ICR_LO:
		l->regs[off / 4] = v & ~(1u << 12); /* delivery status: idle */
		pthread_mutex_unlock(&l->lock);     /* delivery locks the targets */
		send_icr(l, v, reg(l, R_ICR_HI));
		pthread_mutex_lock(&l->lock);
		break;
	case R_ICR_HI:
		l->regs[off / 4] = v & 0xff000000;
		break;
	case R_TIMER_INIT:
		l->regs[off / 4] = v;
		timer_arm(l);
		break;
	case R_TIMER_DIV:
		l->regs[off / 4] = v & 0xb;
		break;
	default:
		if (off >= R_LVT_TIMER && off <= R_LVT_ERROR) {
			if (!(reg(l, R_SVR) & SVR_ENABLE))
				v |= LVT_MASKED;
			l->regs[off / 4] = v & (off == R_LVT_TIMER ? 0x700ffu : 0x1a7ffu);
		}
		/* read-only and reserved registers: writes ignored */
		break;
	}
	return -1;
}

static int lapic_mmio(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		      void *opaque)
{
	struct vcpu *vcpu = vm_vcpu(opaque, cpu);
	struct ulapic *l = vcpu ? vcpu->irq_priv : NULL;
	uint32_t off = (uint32_t)(addr - LAPIC_BASE), v = 0;
	int eoi = -1;

	if (!l)
		return -ENODEV;
	if (len != 4 || (off & 0xf)) {
		/* the xAPIC takes aligned 32-bit accesses only */
		STAT_INC(bad_access);
		if (!is_write)
			memset(data, 0, len);
		return 0;
	}
	pthread_mutex_lock(&l->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		eoi = lapic_write(l, off, v);
	} else {
		v = lapic_read(l, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&l->lock);
	if (eoi >= 0)
		ioapic_eoi(vcpu->vm, (uint8_t)eoi);
	return 0;
}

/* ---- the vCPU side ---- */

/* Sleep until woken, the timer's deadline or WAIT_NS (the cond uses
 * CLOCK_MONOTONIC). Lock held. */
static void wait_locked(struct ulapic *l)
{
	uint64_t until = now_ns() + WAIT_NS;

	if (l->deadline && l->deadline < until)
		until = l->deadline;
	struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u),
			      .tv_nsec = (long)(until % 1000000000u)};

	pthread_cond_timedwait(&l->wake, &l->lock, &ts);
}

/* Real mode at SIPI vector page, as after INIT + SIPI. vCPU thread. */
static int start_at_sipi(struct ulapic *l)
{
	struct vcpu *v = l->vcpu;
	struct kvm_sregs s;
	struct kvm_regs r = {.rflags = 2, .rip = 0};
	struct kvm_segment seg = {.limit = 0xffff, .type = 3, .present = 1, .s = 1};

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	s.cs = seg;
	s.cs.type = 0xb;
	s.cs.selector = (uint16_t)(l->sipi_vector << 8);
	s.cs.base = (uint64_t)l->sipi_vector << 12;
	s.ds = s.es = s.fs = s.gs = s.ss = seg;
	s.cr0 = 0x60000010;
	s.cr3 = s.cr4 = s.efer = 0;
	s.gdt.base = s.idt.base = 0;
	s.gdt.limit = s.idt.limit = 0xffff;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

int ulapic_pre_run(struct vcpu *vcpu, void *opaque)
{
	struct ulapic *l = vcpu->irq_priv;
	struct kvm_run *run = vcpu->run;
	int ret = 0;

	if (!l)
		return 0;
	pthread_mutex_lock(&l->lock);
	if (!l->timer_created) {
		ret = timer_thread_init(l);
		if (ret) {
			pr_err("vCPU %u: LAPIC timer: %s", vcpu->index, strerror(-ret));
			goto out;
		}
	}
	while (l->state == ULAPIC_WAIT_SIPI && !vm_exiting(vcpu->vm))
		wait_locked(l);
	if (l->state == ULAPIC_WAIT_SIPI) {
		/* exiting: leave KVM_RUN at once, the loop sees it */
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_RELEASE);
		goto out;
	}
	if (l->state == ULAPIC_SIPI) {
		ret = start_at_sipi(l);
		if (ret) {
			pr_err("vCPU %u: SIPI start: %s", vcpu->index, strerror(-ret));
			goto out;
		}
		l->state = ULAPIC_RUNNING;
	}
	timer_check(l, now_ns());
	if (l->nmi_pending && ioctl(vcpu->fd, KVM_NMI) == 0)
		l->nmi_pending = false;
	int v = injectable(l);

	if (v >= 0 && run->ready_for_interrupt_injection) {
		struct kvm_interrupt irq = {.irq = (uint32_t)v};

		if (ioctl(vcpu->fd, KVM_INTERRUPT, &irq) < 0) {
			ret = -errno;
			pr_err("vCPU %u: KVM_INTERRUPT vector %d: %s", vcpu->index, v,
			       strerror(errno));
			goto out;
		}
		STAT_INC(injected);
		set_bit(l->irr, (uint8_t)v, false);
		set_bit(l->isr, (uint8_t)v, true);
		v = injectable(l);
	}
	run->request_interrupt_window = v >= 0;
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int ulapic_exit(struct vcpu *vcpu, struct kvm_run *run, void *opaque)
{
	struct ulapic *l = vcpu->irq_priv;

	if (!l)
		return -ENOENT;
	switch (run->exit_reason) {
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return 0; /* pre_run injects */
	case KVM_EXIT_HLT:
		pthread_mutex_lock(&l->lock);
		timer_check(l, now_ns());
		while (!wants_wakeup(l) && !vm_exiting(vcpu->vm)) {
			l->halted = true;
			wait_locked(l);
			l->halted = false;
			timer_check(l, now_ns());
		}
		pthread_mutex_unlock(&l->lock);
		return 0;
	default:
		return -ENOENT;
	}
}

/* ---- set-up ---- */

static void ulapic_reset(struct ulapic *l)
{
	memset(l->regs, 0, sizeof(l->regs));
	l->regs[R_ID / 4] = l->vcpu->index << 24;
	l->regs[R_VER / 4] = 0x00050014; /* version 0x14, 6 LVT entries */
	l->regs[R_DFR / 4] = 0xffffffff;
	l->regs[R_SVR / 4] = 0xff;
	for (uint32_t o = R_LVT_TIMER; o <= R_LVT_ERROR; o += 0x10)
		l->regs[o / 4] = LVT_MASKED;
	l->state = l->vcpu->index == 0 ? ULAPIC_RUNNING : ULAPIC_WAIT_SIPI;
}

int ulapic_init_all(struct vm *vm)
{
	const struct ssivm_config *cfg = vm_config(vm);
	pthread_condattr_t ca;
	int ret;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		struct vcpu *v = vm_vcpu(vm, i);

		if (!v)
			continue;
		struct ulapic *l = calloc(1, sizeof(*l));

		if (!l) {
			pthread_condattr_destroy(&ca);
			return -ENOMEM;
		}
		l->vcpu = v;
		pthread_mutex_init(&l->lock, NULL);
		pthread_cond_init(&l->wake, &ca);
		v->irq_priv = l;
		ulapic_reset(l);
	}
	pthread_condattr_destroy(&ca);
	ret = mmio_register(vm, LAPIC_BASE, LAPIC_SIZE, lapic_mmio, vm, "lapic");
	if (ret)
		pr_err("userspace LAPIC: cannot claim 0x%llx: %s", LAPIC_BASE, strerror(-ret));
	return ret;
}

void ulapic_exit_all(struct vm *vm)
{
	const struct ssivm_config *cfg = vm_config(vm);

	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		struct vcpu *v = vm_vcpu(vm, i);
		struct ulapic *l = v ? v->irq_priv : NULL;

		if (!l)
			continue;
		/* a vector still in service when the guest ended points at a lost
		 * injection or EOI (the test guest ends outside any handler) */
		if (highest_bit(l->isr) >= 0)
			pr_warn("vCPU %u: userspace LAPIC ends with vector %d in service, IRR %d, "
				"TPR 0x%x",
				i, highest_bit(l->isr), highest_bit(l->irr), reg(l, R_TPR));
		if (l->timer_created)
			timer_delete(l->timer);
		pthread_mutex_destroy(&l->lock);
		pthread_cond_destroy(&l->wake);
		free(l);
		v->irq_priv = NULL;
	}
}
