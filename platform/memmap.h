/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/memmap.h — the guest-physical memory layout, from the config.
 *
 * One place decides where each NUMA node's RAM lives, for everyone: the KVM
 * memory slots, the e820 map, the SRAT memory affinity ranges, the DSM's
 * home-node table and the loaders.
 *
 * Layout: RAM fills guest-physical space from 0, node 0 first, then node 1,
 * ... contiguous. The hole [MEMMAP_HOLE_START, 4 GiB) is never RAM (IOAPIC,
 * LAPIC, PCI); RAM that would fall in it continues at 4 GiB, so a node
 * may own two ranges. All of RAM is one host mapping ("RAM space"): range r
 * lives at host address base + r.ram_offset.
 */
#ifndef SSIVM_PLATFORM_MEMMAP_H
#define SSIVM_PLATFORM_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define MEMMAP_HOLE_START 0xC0000000ULL
#define MEMMAP_4G 0x100000000ULL
#define MEMMAP_MAX_RANGES (SSIVM_MAX_NODES + 1)

/* The PCI hole (docs/pci.md): [0xC0000000, 0xE0000000) is the window the
 * BARs of PCI devices are placed in (devices/pci.c; the DSDT's PCI0 _CRS),
 * [0xE0000000, +1 MiB) the ECAM configuration space of bus 0 (the MCFG
 * table; reserved in e820). IOAPIC, HPET, LAPIC stay at 0xFEC00000 and up. */
#define MEMMAP_PCI_MMIO_START 0xC0000000ULL
#define MEMMAP_PCI_MMIO_SIZE 0x20000000ULL
#define MEMMAP_PCI_ECAM_START 0xE0000000ULL
#define MEMMAP_PCI_ECAM_SIZE 0x00100000ULL /* 1 MiB: bus 0, 32 devices x 8 functions x 4 KiB */

struct mem_range {
	uint64_t gpa;        /* guest-physical start */
	uint64_t size;       /* bytes */
	uint64_t ram_offset; /* offset in the one host mapping of all RAM */
	uint32_t node;       /* NUMA node owning it */
};

struct memmap {
	uint32_t nr_ranges;
	struct mem_range ranges[MEMMAP_MAX_RANGES]; /* sorted by gpa */
	uint64_t ram_bytes;                         /* total RAM */
	uint64_t top;                               /* first GPA above all RAM */
};

/* Build the layout for @cfg (nodes must have been validated). 0 or -EINVAL. */
int memmap_build(const struct ssivm_config *cfg, struct memmap *map);
/* Range holding @gpa, or NULL. */
const struct mem_range *memmap_find(const struct memmap *map, uint64_t gpa);

/* A view of guest RAM for loaders and devices: no KVM needed. */
struct guest_mem {
	uint8_t *base; /* host address of RAM-space offset 0 */
	const struct memmap *map;
};

/*
 * Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM range,
 * else NULL. Everything that comes from the guest goes through this check.
 */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

#endif
