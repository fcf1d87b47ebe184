// SPDX-License-Identifier: GPL-2.0-only
/* platform/boot/e820.c — e820 map from the guest memory layout. */
#include "platform/boot/e820.h"

#include <errno.h>
#include <stdbool.h>

static int add(struct e820_entry *out, unsigned max, unsigned *n, uint64_t addr, uint64_t size,
	       uint32_t type)
{
	if (!size)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	out[(*n)++] = (struct e820_entry){.addr = addr, .size = size, .type = type};
	return 0;
}

int e820_build(const struct memmap *map, struct e820_entry *out, unsigned max)
{
	unsigned n = 0;
	bool ecam = false;
	int ret;

	if (!map->nr_ranges || map->ranges[0].gpa != 0 || map->ranges[0].size < E820_1M)
		return -EINVAL;
	for (uint32_t i = 0; i < map->nr_ranges; i++) {
		const struct mem_range *r = &map->ranges[i];
		uint64_t start = r->gpa, end = r->gpa + r->size;

		if (!ecam && start >= MEMMAP_PCI_ECAM_START) {
			ret = add(out, max, &n, MEMMAP_PCI_ECAM_START, MEMMAP_PCI_ECAM_SIZE,
				  E820_TYPE_RESERVED);
			if (ret)
				return ret;
			ecam = true;
		}
		if (start < E820_1M) {
			/* [0, 0x9FC00) RAM, [0x9FC00, 1M) reserved, rest RAM */
			ret = add(out, max, &n, 0, E820_LOW_RESERVED_START, E820_TYPE_RAM);
			if (!ret)
				ret = add(out, max, &n, E820_LOW_RESERVED_START,
					  E820_1M - E820_LOW_RESERVED_START, E820_TYPE_RESERVED);
			if (ret)
				return ret;
			start = E820_1M;
		}
		ret = add(out, max, &n, start, end - start, E820_TYPE_RAM);
		if (ret)
			return ret;
	}
	/* the PCI ECAM window (MCFG): Linux uses it only if it is reserved */
	if (!ecam && (ret = add(out, max, &n, MEMMAP_PCI_ECAM_START, MEMMAP_PCI_ECAM_SIZE,
				E820_TYPE_RESERVED)))
		return ret;
	return (int)n;
}
