// SPDX-License-Identifier: GPL-2.0-only
/* vcpu/vm.c — the KVM VM: creation, guest RAM, placing the boot inputs, run, exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/acpi/acpi.h"
#include "platform/boot/detect.h"
#include "vcpu/vm_priv.h"

#define KVM_TSS_ADDR 0xFFFBD000UL
#define KVM_IDMAP_ADDR 0xFFFBC000UL
#define IOAPIC_PINS 24

static int check_cap(struct vm *vm, int cap, const char *name)
{
	int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);

	if (r <= 0) {
		pr_err("/dev/kvm: this KVM lacks %s, which ssivm needs", name);
		return -ENOTSUP;
	}
	return r;
}

static int create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = {.flags = 0};
	struct kvm_enable_cap cap = {.cap = KVM_CAP_SPLIT_IRQCHIP, .args = {IOAPIC_PINS}};

	switch (vm->irq_mode) {
	case IRQ_KERNEL:
		if (check_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP") < 0 ||
		    check_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2") < 0)
			return -ENOTSUP;
		if (ioctl(vm->fd, KVM_CREATE_IRQCHIP) < 0) {
			pr_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
			return -errno;
		}
		if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
			pr_err("KVM_CREATE_PIT2: %s", strerror(errno));
			return -errno;
		}
		return 0;
	case IRQ_SPLIT:
		if (check_cap(vm, KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP") < 0)
			return -ENOTSUP;
		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap) < 0) {
			pr_err("KVM_ENABLE_CAP(SPLIT_IRQCHIP): %s", strerror(errno));
			return -errno;
		}
		return 0;
	case IRQ_USER:
		return 0;
	}
	return -EINVAL;
}

static int setup_memory(struct vm *vm, void *ram)
{
	vm->ram_size = vm->map.ram_bytes;
	if (ram) {
		vm->ram = ram;
		vm->ram_owned = false;
	} else {
		vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (vm->ram == MAP_FAILED) {
			int err = errno;

			vm->ram = NULL;
			pr_err("cannot map %llu MiB of guest RAM: %s",
			       (unsigned long long)(vm->ram_size >> 20), strerror(err));
			return -err;
		}
		vm->ram_owned = true;
		/* fewer nested-paging faults; the DSM passes its own 4 KiB mapping */
		madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);
	}
	vm->gm.base = vm->ram;
	vm->gm.map = &vm->map;
	for (uint32_t i = 0; i < vm->map.nr_ranges; i++) {
		const struct mem_range *r = &vm->map.ranges[i];
		struct kvm_userspace_memory_region reg = {
		    .slot = i,
		    .guest_phys_addr = r->gpa,
		    .memory_size = r->size,
		    .userspace_addr = (uintptr_t)vm->ram + r->ram_offset,
		};

		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
			int err = errno;

			pr_err("KVM_SET_USER_MEMORY_REGION slot %u [0x%llx, +0x%llx) node %u: %s",
			       i, (unsigned long long)r->gpa, (unsigned long long)r->size, r->node,
			       strerror(err));
			return -err;
		}
	}
	vm->nr_slots = vm->map.nr_ranges;
	return 0;
}

int vm_add_private_memory(struct vm *vm, uint64_t gpa, size_t size, void **host)
{
	unsigned k;
	void *m;

	for (k = 0; k < 4 && vm->private_mem[k]; k++)
		;
	if (k == 4 || !size || size % 4096 || gpa % 4096)
		return -EINVAL;
	if (memmap_find(&vm->map, gpa) || memmap_find(&vm->map, gpa + size - 1)) {
		pr_err("private memory at 0x%llx overlaps guest RAM", (unsigned long long)gpa);
		return -EBUSY;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	struct kvm_userspace_memory_region reg = {
	    .slot = vm->nr_slots,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)m,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
		int err = errno;

		pr_err("KVM_SET_USER_MEMORY_REGION slot %u [0x%llx, +0x%zx) (private): %s",
		       vm->nr_slots, (unsigned long long)gpa, size, strerror(err));
		munmap(m, size);
		return -err;
	}
	vm->nr_slots++;
	vm->private_mem[k] = m;
	vm->private_size[k] = size;
	*host = m;
	return 0;
}

static int machine_irq_line_fn(void *ctx, uint32_t gsi, int level)
{
	return vm_irq_line(ctx, gsi, level);
}

static int machine_msi_fn(void *ctx, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;

	return vm->msi_fn ? vm->msi_fn(vm, addr, data) : -ENODEV;
}

static void machine_request_exit_fn(void *ctx, int status)
{
	vm_request_exit(ctx, status);
}

int vm_create(const struct vm_params *p, struct vm **out)
{
	struct vm *vm;
	int ret, ver;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = p->cfg;
	vm->irq_mode = p->irq_mode;
	if (p->hooks)
		vm->hooks = *p->hooks;
	vm->kvm_fd = vm->fd = -1;
	vm->nr_vcpus = p->cfg->nr_vcpus;
	vm->span = p->span;
	if (vm->span && vm->irq_mode != IRQ_SPLIT) {
		pr_err("a guest spanning hosts needs the split irqchip (--irqchip split): the "
		       "in-kernel LAPIC with proxy vCPUs for the remote ones (docs/irq.md)");
		ret = -EINVAL;
		goto fail;
	}
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	io_bus_init(&vm->pio, "pio");
	io_bus_init(&vm->mmio, "mmio");
	ret = memmap_build(p->cfg, &vm->map);
	if (ret) {
		pr_err("the memory layout of the configuration is invalid");
		goto fail;
	}

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		pr_err(
		    "cannot open /dev/kvm: %s. This host has no usable KVM (no hardware "
		    "virtualization, module not loaded, or no permission); on such a machine run "
		    "ssivm through scripts/with-kvm, which uses the KVM sandbox",
		    strerror(errno));
		goto fail;
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		pr_err("/dev/kvm: API version %d, ssivm needs %d", ver, KVM_API_VERSION);
		ret = -ENOTSUP;
		goto fail;
	}
	if (check_cap(vm, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY") < 0 ||
	    check_cap(vm, KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR") < 0 ||
	    check_cap(vm, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID") < 0 ||
	    check_cap(vm, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT") < 0 ||
	    check_cap(vm, KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS") < (int)vm->map.nr_ranges) {
		ret = -ENOTSUP;
		goto fail;
	}
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = -errno;
		pr_err("KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		ret = -errno;
		pr_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
		goto fail;
	}
	uint64_t idmap = KVM_IDMAP_ADDR;
	if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
		ret = -errno;
		pr_err("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
		goto fail;
	}
	ret = create_irqchip(vm);
	if (ret)
		goto fail;
	ret = setup_memory(vm, p->ram);
	if (ret)
		goto fail;
	vm->tsc_deadline_cap =
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	ret = cpuid_get_supported(vm);
	if (ret)
		goto fail;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(vm->vcpus[0]));
	vm->proxies = calloc(vm->nr_vcpus, sizeof(vm->proxies[0]));
	if (!vm->vcpus || !vm->proxies) {
		ret = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		bool local =
		    vm->span ? vm->span->vcpu_node[i] == vm->span->self : !p->local || p->local[i];

		if (local) {
			ret = vcpu_create(vm, i, &vm->vcpus[i]);
		} else if (vm->span) {
			ret = vcpu_create(vm, i, &vm->proxies[i]);
			if (!ret)
				vm->proxies[i]->proxy = true;
		}
		if (ret)
			goto fail;
	}
	if (vm->hooks.vm_init) {
		ret = vm->hooks.vm_init(vm, vm->hooks.opaque);
		if (ret)
			goto fail;
	}
	vm->irq_up = true;
	vm->machine = (struct machine){.pio = &vm->pio,
				       .mmio = &vm->mmio,
				       .map = &vm->map,
				       .mem = &vm->gm,
				       .cfg = vm->cfg,
				       .irq_line = machine_irq_line_fn,
				       .msi = machine_msi_fn,
				       .request_exit = machine_request_exit_fn,
				       .ctx = vm};
	/* spanning guest: the devices live on the I/O node only */
	if (!vm->span || vm->span->self == vm->span->io_node) {
		ret = devices_init_all(&vm->machine);
		if (ret)
			goto fail;
		vm->devices_up = true;
	}
	*out = vm;
	return 0;
fail:
	vm_destroy(vm);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->devices_up)
		devices_exit_all(&vm->machine);
	if (vm->irq_up && vm->hooks.vm_exit)
		vm->hooks.vm_exit(vm, vm->hooks.opaque);
	for (uint32_t i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	for (uint32_t i = 0; vm->proxies && i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->proxies[i]);
	free(vm->vcpus);
	free(vm->proxies);
	for (unsigned k = 0; k < 4; k++)
		if (vm->private_mem[k])
			munmap(vm->private_mem[k], vm->private_size[k]);
	free(vm->cpuid);
	io_bus_free(&vm->pio);
	io_bus_free(&vm->mmio);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram_owned && vm->ram)
		munmap(vm->ram, vm->ram_size);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	free(vm);
}

/* ---- kernel loading: the inputs were read and checked before vm_create() ---- */

int vm_load_kernel(struct vm *vm, const struct boot_inputs *in)
{
	const struct ssivm_config *cfg = vm->cfg;
	uint64_t rsdp = 0;
	struct boot_state st;
	size_t used = 0;
	uint8_t *acpi;
	int ret;

	acpi = guest_mem_ptr(&vm->gm, ACPI_BIOS_GPA, ACPI_BIOS_SIZE);
	if (!acpi) {
		pr_err("guest RAM does not cover the ACPI area at 0x%llx", ACPI_BIOS_GPA);
		return -ENOMEM;
	}
	ret = acpi_build(cfg, &vm->map, acpi, ACPI_BIOS_SIZE, ACPI_BIOS_GPA, &rsdp, &used);
	if (ret) {
		pr_err("building the ACPI tables failed: %s", strerror(-ret));
		return ret;
	}
	ret = boot_inputs_load(in, &vm->gm, rsdp, &st);
	if (ret)
		return ret;
	pr_info("kernel %s (%s), %zu bytes; initrd %zu bytes; %llu MiB RAM in %u NUMA node(s); "
		"%u vCPU(s); ACPI tables %zu bytes at 0x%llx",
		in->kernel.path, boot_format_name(in->format), in->kernel.size, in->initrd.size,
		(unsigned long long)(vm->map.ram_bytes >> 20), cfg->nr_nodes, cfg->nr_vcpus, used,
		(unsigned long long)rsdp);
	if (vm->vcpus[0])
		ret = vcpu_set_boot_state(vm->vcpus[0], &st);
	return ret;
}

/* ---- running and ending ---- */

static void sig_kick(int sig)
{
	(void)sig;
}

static volatile sig_atomic_t stop_signal;

static void sig_stop(int sig)
{
	stop_signal = sig;
}

int vm_run(struct vm *vm)
{
	struct sigaction sa = {.sa_handler = sig_kick};
	int status;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	/* SIGINT/SIGTERM: stop, printing where every vCPU was (status 128 + sig) */
	sa.sa_handler = sig_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		int err;

		if (!v)
			continue;
		err = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (err) {
			pthread_mutex_unlock(&vm->lock);
			pr_err("vCPU %u: cannot start its thread: %s", i, strerror(err));
			vm_request_exit(vm, VM_STATUS_ERROR);
			pthread_mutex_lock(&vm->lock);
			break;
		}
		v->thread_started = true;
		vm->nr_running++;
	}
	for (uint32_t i = 0; vm->span && vm->hooks.proxy_run && i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->proxies[i];
		int err;

		if (!v)
			continue;
		err = pthread_create(&v->thread, NULL, proxy_thread, v);
		if (err) {
			pthread_mutex_unlock(&vm->lock);
			pr_err("proxy of vCPU %u: cannot start its thread: %s", i, strerror(err));
			vm_request_exit(vm, VM_STATUS_ERROR);
			pthread_mutex_lock(&vm->lock);
			break;
		}
		v->thread_started = true;
	}
	while (!__atomic_load_n(&vm->exiting, __ATOMIC_ACQUIRE)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
		if (stop_signal && !vm->exiting) {
			pr_err("stopped by signal %d; where the vCPUs were:", (int)stop_signal);
			vm->report_on_exit = true;
			vm->status = 128 + stop_signal;
			__atomic_store_n(&vm->exiting, 1, __ATOMIC_RELEASE);
		}
	}
	status = vm->status;
	pthread_mutex_unlock(&vm->lock);
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (v && v->thread_started) {
			vcpu_kick(v);
			pthread_join(v->thread, NULL);
			v->thread_started = false;
			pr_info("vCPU %u: %llu exits (%llu port I/O, %llu MMIO)", i,
				(unsigned long long)v->nr_exits, (unsigned long long)v->nr_io_exits,
				(unsigned long long)v->nr_mmio_exits);
		}
		v = vm->proxies[i];
		if (v && v->thread_started) {
			vcpu_kick(v);
			pthread_join(v->thread, NULL);
			v->thread_started = false;
		}
	}
	pr_info("buses: %llu unclaimed port-I/O and %llu unclaimed MMIO accesses, %llu device "
		"errors",
		(unsigned long long)vm->pio.nr_unclaimed, (unsigned long long)vm->mmio.nr_unclaimed,
		(unsigned long long)(vm->pio.nr_errors + vm->mmio.nr_errors));
	return status;
}

static void end_vm(struct vm *vm, int status, bool tell_others)
{
	bool first = false;

	pthread_mutex_lock(&vm->lock);
	if (!vm->exiting) {
		vm->status = status;
		__atomic_store_n(&vm->exiting, 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->cond);
		first = true;
	}
	pthread_mutex_unlock(&vm->lock);
	if (first && tell_others && vm->span && vm->span->exit)
		vm->span->exit(vm->span->ctx, status);
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i] && vm->vcpus[i]->thread_started)
			vcpu_kick(vm->vcpus[i]);
		if (vm->proxies && vm->proxies[i] && vm->proxies[i]->thread_started)
			vcpu_kick(vm->proxies[i]);
	}
}

void vm_request_exit(struct vm *vm, int status)
{
	end_vm(vm, status, true);
}

void vm_end_by_peer(struct vm *vm, int status)
{
	end_vm(vm, status, false);
}

bool vm_exiting(const struct vm *vm)
{
	return __atomic_load_n(&vm->exiting, __ATOMIC_ACQUIRE);
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level};

	if (vm->irq_mode == IRQ_KERNEL) {
		if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
			return -errno;
		return 0;
	}
	if (!vm->irq_line_fn)
		return -ENODEV;
	return vm->irq_line_fn(vm->irq_line_opaque, irq, level);
}

void vm_set_msi_handler(struct vm *vm, int (*fn)(struct vm *vm, uint64_t addr, uint32_t data))
{
	vm->msi_fn = fn;
}

void vm_set_irq_line_handler(struct vm *vm, int (*fn)(void *opaque, uint32_t irq, int level),
			     void *opaque)
{
	vm->irq_line_fn = fn;
	vm->irq_line_opaque = opaque;
}

struct guest_mem *vm_guest_mem(struct vm *vm)
{
	return &vm->gm;
}

const struct memmap *vm_memmap(const struct vm *vm)
{
	return &vm->map;
}

const struct ssivm_config *vm_config(const struct vm *vm)
{
	return vm->cfg;
}

enum irq_mode vm_irq_mode(const struct vm *vm)
{
	return vm->irq_mode;
}

int vm_fd(const struct vm *vm)
{
	return vm->fd;
}

struct vcpu *vm_vcpu(struct vm *vm, uint32_t i)
{
	return i < vm->nr_vcpus ? vm->vcpus[i] : NULL;
}

struct vcpu *vm_proxy(struct vm *vm, uint32_t i)
{
	return i < vm->nr_vcpus && vm->proxies ? vm->proxies[i] : NULL;
}

const struct vm_span *vm_span(const struct vm *vm)
{
	return vm->span;
}

static int forward_access(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
			  void *opaque)
{
	struct vm_forward *f = opaque;
	const struct vm_span *s = f->vm->span;
	int ret = s->io(s->ctx, cpu, f->mmio, addr, data, len, is_write);

	if (ret && !is_write)
		memset(data, 0xff, len);
	return ret;
}

int vm_forward_range(struct vm *vm, bool mmio, uint64_t base, uint64_t len, const char *name)
{
	struct vm_forward *f = mmio ? &vm->fwd_mmio : &vm->fwd_pio;

	if (!vm->span || vm->span->self == vm->span->io_node)
		return -EINVAL;
	f->vm = vm;
	f->mmio = mmio;
	return io_bus_register(mmio ? &vm->mmio : &vm->pio, base, len, forward_access, f, name);
}

void vm_for_each_range(struct vm *vm,
		       void (*fn)(void *arg, bool mmio, uint64_t base, uint64_t len,
				  const char *name),
		       void *arg)
{
	for (uint32_t i = 0; i < vm->pio.nr; i++)
		fn(arg, false, vm->pio.regions[i].base, vm->pio.regions[i].len,
		   vm->pio.regions[i].name);
	for (uint32_t i = 0; i < vm->mmio.nr; i++)
		fn(arg, true, vm->mmio.regions[i].base, vm->mmio.regions[i].len,
		   vm->mmio.regions[i].name);
}

struct machine *vm_machine(struct vm *vm)
{
	return &vm->machine;
}

int pio_register(struct vm *vm, uint16_t port, uint16_t len, io_handler_fn fn, void *opaque,
		 const char *name)
{
	return io_bus_register(&vm->pio, port, len, fn, opaque, name);
}

int mmio_register(struct vm *vm, uint64_t gpa, uint64_t len, io_handler_fn fn, void *opaque,
		  const char *name)
{
	struct machine m = {.mmio = &vm->mmio, .map = &vm->map};

	return machine_mmio_register(&m, gpa, len, fn, opaque, name);
}
