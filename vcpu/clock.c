// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu/clock.c — the guest's clocks on this node: TSC frequency and value of
 * the local vCPUs, and kvmclock (see vcpu/vm.h, docs/cluster.md "One
 * clock").
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vcpu/vm_priv.h"

#define MSR_IA32_TSC 0x10

int vm_tsc_khz(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]) {
			int khz = ioctl(vm->vcpus[i]->fd, KVM_GET_TSC_KHZ, 0);

			return khz > 0 ? khz : -errno;
		}
	return -ENODEV;
}

/* k < nr_vcpus: vCPU k, else the proxy of vCPU k - nr_vcpus; NULL where
 * this node has none. The clock is set on both: they share one KVM VM. */
static struct vcpu *vcpu_or_proxy(const struct vm *vm, uint32_t k)
{
	if (k < vm->nr_vcpus)
		return vm->vcpus[k];
	return vm->proxies ? vm->proxies[k - vm->nr_vcpus] : NULL;
}

int vm_set_tsc_khz(struct vm *vm, uint32_t khz)
{
	for (uint32_t k = 0; k < 2 * vm->nr_vcpus; k++) {
		uint32_t i = k % vm->nr_vcpus;
		struct vcpu *v = vcpu_or_proxy(vm, k);
		int cur;

		if (!v)
			continue;
		cur = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
		if (cur == (int)khz)
			continue;
		if (ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0) {
			int err = errno;

			pr_err("vCPU %u: the guest's TSC must run at %u kHz on every node; this "
			       "host's runs at %d kHz and KVM cannot scale it (KVM_SET_TSC_KHZ: "
			       "%s): the hosts need TSC scaling or the same TSC frequency",
			       i, khz, cur, strerror(err));
			return -err;
		}
	}
	return 0;
}

int vm_set_guest_tsc(struct vm *vm, uint64_t (*tsc_now)(void *arg), void *arg)
{
	/* the proxies too: KVM gives the guest a stable kvmclock (master
	 * clock, PVCLOCK_TSC_STABLE_BIT) only while every vCPU of the VM has
	 * the same TSC offset; without it Linux orders every clock read through
	 * one global variable, a page that would bounce between hosts */
	for (uint32_t k = 0; k < 2 * vm->nr_vcpus; k++) {
		uint32_t i = k % vm->nr_vcpus;
		struct vcpu *v = vcpu_or_proxy(vm, k);
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} m = {.hdr.nmsrs = 1, .e = {.index = MSR_IA32_TSC}};

		if (!v)
			continue;
		/* one value per vCPU, taken right before its write: KVM takes
		 * writes close to each other for one synchronised offset */
		m.e.data = tsc_now(arg);
		if (ioctl(v->fd, KVM_SET_MSRS, &m) != 1) {
			pr_err("vCPU %u%s: setting its TSC failed", i, v->proxy ? " (proxy)" : "");
			return -EIO;
		}
	}
	return 0;
}

int vm_get_kvmclock(struct vm *vm, uint64_t *clock, uint64_t *realtime)
{
	struct kvm_clock_data d;

	memset(&d, 0, sizeof(d));
	if (ioctl(vm->fd, KVM_GET_CLOCK, &d) < 0)
		return -errno;
	if (!(d.flags & KVM_CLOCK_REALTIME))
		return -EOPNOTSUPP;
	*clock = d.clock;
	*realtime = d.realtime;
	return 0;
}

int vm_set_kvmclock(struct vm *vm, uint64_t clock, uint64_t realtime)
{
	struct kvm_clock_data d;

	memset(&d, 0, sizeof(d));
	d.clock = clock;
	d.realtime = realtime;
	d.flags = KVM_CLOCK_REALTIME;
	if (ioctl(vm->fd, KVM_SET_CLOCK, &d) < 0)
		return -errno;
	return 0;
}
