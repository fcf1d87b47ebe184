// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq/irq.c — the fabric (see irq.h): hooks per mode, message delivery to
 * the local vCPUs (KVM_SIGNAL_MSI with the in-kernel LAPIC, the userspace
 * LAPIC otherwise), MSI encoding, and the CORE-level device that sets up the
 * userspace controllers.
 */
#include "irq/irq.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "devices/bus.h"
#include "irq/lapic.h"
#include "irq/proxy.h"

struct irq_stats irq_stats;

int ioapic_init(struct vm *vm);

static int split_exit(struct vcpu *vcpu, struct kvm_run *run, void *opaque)
{
	const struct vm_span *s = vm_span(vcpu->vm);

	if (run->exit_reason != KVM_EXIT_IOAPIC_EOI)
		return -ENOENT;
	if (s && s->self != s->io_node)
		return s->eoi(s->ctx, run->eoi.vector); /* the IOAPIC is on the I/O node */
	ioapic_eoi(vcpu->vm, run->eoi.vector);
	return 0;
}

static int irq_vm_init(struct vm *vm, void *opaque);
static void irq_vm_exit(struct vm *vm, void *opaque);

static const struct vcpu_hooks kernel_hooks = {.vm_init = irq_vm_init};
static const struct vcpu_hooks split_hooks = {
    .vm_init = irq_vm_init, .vm_exit = irq_vm_exit, .exit = split_exit, .proxy_run = proxy_run};
static const struct vcpu_hooks user_hooks = {
    .vm_init = irq_vm_init, .vm_exit = irq_vm_exit, .pre_run = ulapic_pre_run, .exit = ulapic_exit};

const struct vcpu_hooks *irq_vcpu_hooks(enum irq_mode mode)
{
	switch (mode) {
	case IRQ_SPLIT:
		return &split_hooks;
	case IRQ_USER:
		return &user_hooks;
	default:
		return &kernel_hooks;
	}
}

void irq_msg_to_msi(const struct irq_msg *m, uint32_t *addr_lo, uint32_t *data)
{
	*addr_lo = 0xFEE00000u | ((m->dest & 0xff) << 12) | (m->logical ? 1u << 2 : 0);
	*data = m->vector | ((uint32_t)m->delivery << 8) | (m->level ? 1u << 15 | 1u << 14 : 0);
}

void irq_msg_from_msi(uint64_t addr, uint32_t data, struct irq_msg *m)
{
	*m = (struct irq_msg){
	    .dest = (uint32_t)((addr >> 12) & 0xff) | (uint32_t)((addr >> 32) & 0xffffff00),
	    .vector = (uint8_t)data,
	    .delivery = (uint8_t)((data >> 8) & 7),
	    .logical = addr & (1u << 2),
	    .level = data & (1u << 15),
	};
}

static int signal_msi(struct vm *vm, const struct irq_msg *m)
{
	struct kvm_msi msi = {0};
	int ret;

	irq_msg_to_msi(m, &msi.address_lo, &msi.data);
	msi.address_hi = m->dest & 0xffffff00; /* extended destination ID */
	__atomic_fetch_add(&irq_stats.msi_ioctls, 1, __ATOMIC_RELAXED);
	ret = ioctl(vm_fd(vm), KVM_SIGNAL_MSI, &msi);
	if (ret < 0)
		return -errno;
	if (ret == 0) /* no LAPIC accepted it */
		__atomic_fetch_add(&irq_stats.dropped, 1, __ATOMIC_RELAXED);
	return ret > 0 ? 0 : -ENOENT;
}

/* Does local vCPU @i take @m (shorthand or destination)? */
static bool takes(struct vcpu *v, const struct irq_msg *m, bool user)
{
	switch (m->shorthand) {
	case 1:
		return v->index == m->src;
	case 2:
		return true;
	case 3:
		return v->index != m->src;
	default:
		if (user)
			return ulapic_match(v->irq_priv, m->dest, m->logical);
		return !m->logical && (m->dest == 0xff || m->dest == v->index);
	}
}

int irq_deliver(struct vm *vm, const struct irq_msg *m)
{
	const struct ssivm_config *cfg = vm_config(vm);
	bool user = vm_irq_mode(vm) == IRQ_USER;
	bool any = false;

	__atomic_fetch_add(&irq_stats.delivered, 1, __ATOMIC_RELAXED);
	if (!user && m->shorthand == 0) {
		const struct vm_span *s = vm_span(vm);

		/* a physical destination on another node leaves at once; anything
		 * else goes to the in-kernel LAPICs, where the proxies catch what
		 * is for remote vCPUs */
		if (s && !m->logical && m->dest < cfg->nr_vcpus) {
			uint32_t node = __atomic_load_n(&s->vcpu_node[m->dest], __ATOMIC_ACQUIRE);

			if (node != s->self) {
				__atomic_fetch_add(&irq_stats.forwarded, 1, __ATOMIC_RELAXED);
				return s->irq(s->ctx, node, m->dest, m->vector, m->delivery,
					      m->level);
			}
		}
		return signal_msi(vm, m);
	}
	/* per target: the userspace LAPIC, or a physical MSI for a shorthand */
	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		struct vcpu *v = vm_vcpu(vm, i);

		if (!v || (user && !v->irq_priv) || !takes(v, m, user))
			continue;
		any = true;
		if (user) {
			ulapic_accept(v->irq_priv, m);
		} else {
			struct irq_msg one = *m;

			one.shorthand = 0;
			one.logical = false;
			one.dest = v->index;
			int ret = signal_msi(vm, &one);

			if (ret && ret != -ENOENT)
				return ret;
		}
		if (m->delivery == IRQ_DM_LOWEST)
			break; /* one target: the first match */
	}
	if (!any) {
		__atomic_fetch_add(&irq_stats.dropped, 1, __ATOMIC_RELAXED);
		return -ENOENT;
	}
	return 0;
}

void irq_get_stats(struct irq_stats *out)
{
	uint64_t *d = (uint64_t *)out;
	const uint64_t *s = (const uint64_t *)&irq_stats;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

/* A device's MSI (devices/machine.h machine_msi). */
static int irq_device_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct irq_msg m;

	if (((uint32_t)addr >> 20) != 0xFEE) {
		__atomic_fetch_add(&irq_stats.bad_access, 1, __ATOMIC_RELAXED);
		return -EINVAL;
	}
	irq_msg_from_msi(addr, data, &m);
	return irq_deliver(vm, &m);
}

static int irq_vm_init(struct vm *vm, void *opaque)
{
	int ret;

	memset(&irq_stats, 0, sizeof(irq_stats));
	vm_set_msi_handler(vm, irq_device_msi);
	switch (vm_irq_mode(vm)) {
	case IRQ_USER:
		ret = ulapic_init_all(vm);
		if (ret) {
			pr_err("userspace LAPIC set-up failed: %s", strerror(-ret));
			ulapic_exit_all(vm);
			return ret;
		}
		ret = ioapic_init(vm);
		if (ret)
			ulapic_exit_all(vm);
		return ret;
	case IRQ_SPLIT: {
		const struct vm_span *s = vm_span(vm);

		if (s && (ret = proxy_vm_init(vm)))
			return ret;
		/* spanning guest: the IOAPIC lives on the I/O node (the others
		 * forward its MMIO range like a device's) */
		return s && s->self != s->io_node ? 0 : ioapic_init(vm);
	}
	default:
		return 0;
	}
}

void irq_vcpu_online(struct vm *vm, uint32_t cpu)
{
	proxy_vcpu_online(vm, cpu);
}

static void irq_vm_exit(struct vm *vm, void *opaque)
{
	if (vm_irq_mode(vm) == IRQ_USER)
		ulapic_exit_all(vm);
}

const char *irq_dm_name(unsigned delivery)
{
	static const char *const names[8] = {
	    "fixed", "lowest-priority", "SMI", "mode 3", "NMI", "INIT", "SIPI", "ExtINT"};

	return delivery < 8 ? names[delivery] : "an unknown mode";
}
