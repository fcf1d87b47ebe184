// SPDX-License-Identifier: GPL-2.0-only
/*
 * devices/pci_host.c — the machine's PCI host bridge: claims the type-1
 * ports, the ECAM window and the BAR window (devices/pci.h) and reports its
 * counters when the machine ends.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "devices/machine.h"
#include "devices/pci.h"
#include "devices/power.h"
#include "platform/memmap.h"

static struct pci_bus pci0;
static struct machine *pci0_machine;

static int bar_window(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		      void *opaque)
{
	return pci_mmio_access(opaque, cpu, addr, data, len, is_write);
}

struct pci_bus *pci_machine_bus(struct machine *m)
{
	return m && m == pci0_machine ? &pci0 : NULL;
}

int pci_register(struct machine *m, struct pci_dev *d)
{
	struct pci_bus *bus = pci_machine_bus(m);

	if (!bus) {
		pr_err("PCI device %s: no PCI host bridge on this machine", d->name);
		return -ENODEV;
	}
	return pci_dev_add(bus, d);
}

static int pci_host_init(struct machine *m)
{
	int ret;

	pci_bus_init(&pci0, MEMMAP_PCI_MMIO_START, MEMMAP_PCI_MMIO_SIZE, MEMMAP_PCI_ECAM_START);
	pci0.cf9 = power_reset_access;
	ret = machine_pio_register(m, 0xCF8, 8, pci_type1_access, &pci0, "pci-type1");
	if (!ret)
		ret = machine_mmio_register(m, MEMMAP_PCI_ECAM_START, MEMMAP_PCI_ECAM_SIZE,
					    pci_ecam_access, &pci0, "pci-ecam");
	if (!ret)
		ret = machine_mmio_register(m, MEMMAP_PCI_MMIO_START, MEMMAP_PCI_MMIO_SIZE,
					    bar_window, &pci0, "pci-bars");
	if (ret) {
		pr_err("PCI host bridge: cannot claim its ports or windows: %s", strerror(-ret));
		pci_bus_destroy(&pci0);
		return ret;
	}
	pci0_machine = m;
	return 0;
}

static void pci_host_exit(struct machine *m)
{
	struct pci_stats s;

	(void)m;
	pci_get_stats(&pci0, &s);
	pr_info("PCI: %llu config reads, %llu writes; %llu reads of absent functions, %llu writes "
		"ignored (read-only or absent), %llu bad accesses, %llu BAR-window accesses "
		"unclaimed",
		(unsigned long long)s.cfg_reads, (unsigned long long)s.cfg_writes,
		(unsigned long long)s.absent_reads, (unsigned long long)s.ignored_writes,
		(unsigned long long)s.bad_accesses, (unsigned long long)s.bar_unclaimed);
	pci0_machine = NULL;
	pci_bus_destroy(&pci0);
}

DEVICE_INIT("pci-host", DEVICE_LEVEL_PLATFORM, pci_host_init, pci_host_exit)
