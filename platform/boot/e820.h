/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/e820.h — the BIOS-style memory map a guest is given.
 *
 * Built from the one memory layout (platform/memmap.h): one RAM entry per
 * memmap range (so entries never span two NUMA nodes), with the legacy
 * low-memory area [E820_LOW_RESERVED_START, 1 MiB) — EBDA, VGA hole, option
 * ROMs and the BIOS area where the ACPI tables live (0xE0000) — reported as
 * reserved, and the PCI ECAM window [MEMMAP_PCI_ECAM_START, +SIZE) as
 * reserved (Linux ignores an MCFG whose window is not). Used by the Linux loader (boot_params.e820_table), PVH
 * (hvm_memmap_table_entry) and multiboot (mmap entries). Pure; no KVM.
 */
#ifndef SSIVM_PLATFORM_BOOT_E820_H
#define SSIVM_PLATFORM_BOOT_E820_H

#include <stdint.h>

#include "platform/memmap.h"

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

#define E820_LOW_RESERVED_START 0x9FC00ULL
#define E820_1M 0x100000ULL

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry is 20 bytes in boot_params");

/*
 * Fill @out (room for @max entries) for @map, sorted by address,
 * non-overlapping. Returns the number of entries, or -ENOSPC if @max is too
 * small, -EINVAL if the map's first range does not start at 0 and cover
 * 1 MiB (the loaders need low memory).
 */
int e820_build(const struct memmap *map, struct e820_entry *out, unsigned max);

#endif
