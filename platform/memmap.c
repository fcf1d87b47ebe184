// SPDX-License-Identifier: GPL-2.0-only
#include "platform/memmap.h"

#include <errno.h>
#include <string.h>

static int memmap_add(struct memmap *map, uint64_t gpa, uint64_t size, uint64_t off, uint32_t node)
{
	if (map->nr_ranges >= MEMMAP_MAX_RANGES)
		return -EINVAL;
	map->ranges[map->nr_ranges++] =
	    (struct mem_range){.gpa = gpa, .size = size, .ram_offset = off, .node = node};
	return 0;
}

int memmap_build(const struct ssivm_config *cfg, struct memmap *map)
{
	uint64_t gpa = 0, off = 0;

	memset(map, 0, sizeof(*map));
	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		uint64_t left = cfg->nodes[n].mem_bytes;

		while (left) {
			uint64_t chunk = left;

			if (gpa == MEMMAP_HOLE_START)
				gpa = MEMMAP_4G;
			if (gpa < MEMMAP_HOLE_START && gpa + chunk > MEMMAP_HOLE_START)
				chunk = MEMMAP_HOLE_START - gpa;
			if (memmap_add(map, gpa, chunk, off, n))
				return -EINVAL;
			gpa += chunk;
			off += chunk;
			left -= chunk;
		}
	}
	map->ram_bytes = off;
	map->top = gpa;
	return 0;
}

const struct mem_range *memmap_find(const struct memmap *map, uint64_t gpa)
{
	for (uint32_t i = 0; i < map->nr_ranges; i++) {
		const struct mem_range *r = &map->ranges[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct mem_range *r = memmap_find(gm->map, gpa);

	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return gm->base + r->ram_offset + (gpa - r->gpa);
}
