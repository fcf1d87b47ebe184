// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform/acpi/mcfg.c — the MCFG table (PCI Firmware Specification 3.2,
 * 4.1.2): one ECAM allocation, segment 0, bus 0 only, at
 * MEMMAP_PCI_ECAM_START (devices/pci.h decodes it; e820 reserves it).
 */
#include <errno.h>

#include "platform/acpi/tables.h"

int acpi_build_mcfg(void *t, size_t room)
{
	struct acpi_mcfg *m = t;

	if (room < sizeof(*m))
		return -ENOSPC;
	m->alloc[0].base = MEMMAP_PCI_ECAM_START;
	m->alloc[0].segment = 0;
	m->alloc[0].start_bus = 0;
	m->alloc[0].end_bus = (uint8_t)((MEMMAP_PCI_ECAM_SIZE >> 20) - 1);
	acpi_fill_header(&m->h, "MCFG", sizeof(*m), 1);
	return sizeof(*m);
}
