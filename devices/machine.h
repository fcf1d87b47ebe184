/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/machine.h — what a device sees of the machine it is plugged into.
 *
 * A device never sees the KVM VM (vcpu/): it gets a struct machine with the
 * two buses to claim its ranges on, guest RAM (for DMA), the configuration,
 * an interrupt line and a way to end the machine (power-off, reset, the
 * exit port). The VM fills it in (vcpu/vm.c) and passes it to every
 * DEVICE_INIT function (devices/bus.h); on a node of a guest spanning hosts
 * the same interface is backed by forwarding to the I/O node.
 */
#ifndef SSIVM_DEVICES_MACHINE_H
#define SSIVM_DEVICES_MACHINE_H

#include <errno.h>
#include <stdint.h>

#include "devices/bus.h"

struct memmap;
struct guest_mem;
struct ssivm_config;

/* How a machine ends: what vm_run() returns and `ssivm run` exits with
 * (besides the exit port's (v << 1) | 1, devices/debug_exit.h). */
#define VM_STATUS_POWEROFF 0 /* ACPI S5 through PM1a_CNT (devices/power.c) */
#define VM_STATUS_ERROR 1    /* something the VMM could not handle; reported */
#define VM_STATUS_RESET 4    /* reset via port 0xCF9 (devices/power.c) */

struct machine {
	struct io_bus *pio;             /* ports 0..0xffff */
	struct io_bus *mmio;            /* guest-physical addresses outside RAM */
	const struct memmap *map;       /* guest RAM ranges (MMIO must not overlap them) */
	struct guest_mem *mem;          /* guest RAM, for device DMA */
	const struct ssivm_config *cfg; /* the machine as configured */
	/* Raise (1) or lower (0) interrupt line @gsi. Any thread. 0 or -errno. */
	int (*irq_line)(void *ctx, uint32_t gsi, int level);
	/* Send the MSI (@addr 0xFEExxxxx, @data) a device wrote in its MSI-X
	 * table: delivered by the interrupt layer to a vCPU of any node. Any
	 * thread. 0 or -errno. */
	int (*msi)(void *ctx, uint64_t addr, uint32_t data);
	/* End the machine with @status (VM_STATUS_* or the exit port's status);
	 * the first request wins. Any thread, also a device handler. */
	void (*request_exit)(void *ctx, int status);
	void *ctx;
};

static inline int machine_irq_line(struct machine *m, uint32_t gsi, int level)
{
	return m->irq_line(m->ctx, gsi, level);
}

static inline int machine_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	return m->msi ? m->msi(m->ctx, addr, data) : -ENODEV;
}

static inline void machine_request_exit(struct machine *m, int status)
{
	m->request_exit(m->ctx, status);
}

/* Claim ports [port, port + len) / guest-physical [gpa, gpa + len) for a
 * device. 0, -EBUSY (overlaps a claimed range, or RAM for MMIO), -EINVAL,
 * -ENOMEM. Start-up only (DEVICE_INIT functions). */
int __must_check machine_pio_register(struct machine *m, uint16_t port, uint16_t len,
				      io_handler_fn fn, void *opaque, const char *name);
int __must_check machine_mmio_register(struct machine *m, uint64_t gpa, uint64_t len,
				       io_handler_fn fn, void *opaque, const char *name);

#endif
