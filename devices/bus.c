// SPDX-License-Identifier: GPL-2.0-only
/* devices/bus.c — port-I/O and MMIO dispatch by address range. */
#include "devices/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "devices/machine.h"
#include "platform/memmap.h"

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

void io_bus_free(struct io_bus *bus)
{
	free(bus->regions);
	free(bus->seen);
	bus->regions = NULL;
	bus->seen = NULL;
	bus->nr = bus->cap = bus->seen_cap = 0;
}

/* Index of the first region whose base is > @addr. */
static uint32_t upper_bound(const struct io_bus *bus, uint64_t addr)
{
	uint32_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (bus->regions[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct io_region *io_bus_find(const struct io_bus *bus, uint64_t addr)
{
	uint32_t i = upper_bound(bus, addr);
	const struct io_region *r;

	if (i == 0)
		return NULL;
	r = &bus->regions[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn fn, void *opaque,
		    const char *name)
{
	const struct io_region *o;
	uint32_t i;

	if (!len || !fn || base + len - 1 < base)
		return -EINVAL;
	i = upper_bound(bus, base);
	/* overlap with the region before (base inside it) or after */
	if (i > 0 && base - bus->regions[i - 1].base < bus->regions[i - 1].len) {
		o = &bus->regions[i - 1];
		goto busy;
	}
	if (i < bus->nr && bus->regions[i].base <= base + len - 1) {
		o = &bus->regions[i];
		goto busy;
	}
	if (bus->nr == bus->cap) {
		uint32_t cap = bus->cap ? bus->cap * 2 : 16;
		struct io_region *n = realloc(bus->regions, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->regions = n;
		bus->cap = cap;
	}
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->nr - i) * sizeof(bus->regions[0]));
	bus->regions[i] =
	    (struct io_region){.base = base, .len = len, .fn = fn, .opaque = opaque, .name = name};
	bus->nr++;
	return 0;
busy:
	pr_err("%s bus: %s at 0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx", bus->name,
	       name ? name : "?", (unsigned long long)base, (unsigned long long)len,
	       o->name ? o->name : "?", (unsigned long long)o->base, (unsigned long long)o->len);
	return -EBUSY;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base)
{
	for (uint32_t i = 0; i < bus->nr; i++) {
		if (bus->regions[i].base != base)
			continue;
		memmove(&bus->regions[i], &bus->regions[i + 1],
			(bus->nr - i - 1) * sizeof(bus->regions[0]));
		bus->nr--;
		return 0;
	}
	return -ENOENT;
}

/* True the first time @addr is seen unclaimed (bounded: after the table
 * fills up, every address counts as seen). */
static bool first_unclaimed(struct io_bus *bus, uint64_t addr)
{
	bool first = false;
	uint64_t key = addr + 1; /* 0 = empty slot */

	while (__atomic_exchange_n(&bus->seen_lock, 1, __ATOMIC_ACQUIRE))
		;
	if (!bus->seen) {
		bus->seen_cap = 1024;
		bus->seen = calloc(bus->seen_cap, sizeof(*bus->seen));
	}
	if (bus->seen) {
		uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 40) & (bus->seen_cap - 1);

		for (uint32_t n = 0; n < bus->seen_cap / 2;
		     n++, h = (h + 1) & (bus->seen_cap - 1)) {
			if (bus->seen[h] == key)
				break;
			if (!bus->seen[h]) {
				bus->seen[h] = key;
				first = true;
				break;
			}
		}
	}
	__atomic_store_n(&bus->seen_lock, 0, __ATOMIC_RELEASE);
	return first;
}

bool io_bus_access(struct io_bus *bus, uint32_t cpu, uint64_t addr, void *data, uint32_t len,
		   bool is_write)
{
	const struct io_region *r = io_bus_find(bus, addr);
	int ret;

	if (r && len && len - 1 < r->len - (addr - r->base)) {
		ret = r->fn(cpu, addr, data, len, is_write, r->opaque);
		if (!ret)
			return true;
		__atomic_add_fetch(&bus->nr_errors, 1, __ATOMIC_RELAXED);
		pr_debug("%s bus: %s %s 0x%llx len %u failed: %s", bus->name, r->name,
			 is_write ? "write" : "read", (unsigned long long)addr, len,
			 strerror(-ret));
	} else {
		__atomic_add_fetch(&bus->nr_unclaimed, 1, __ATOMIC_RELAXED);
		if (first_unclaimed(bus, addr))
			pr_info("%s bus: unclaimed %s at 0x%llx (len %u)%s", bus->name,
				is_write ? "write" : "read", (unsigned long long)addr, len,
				is_write ? ", dropped" : ", reads all ones");
		else
			pr_debug("%s bus: unclaimed %s at 0x%llx (len %u)", bus->name,
				 is_write ? "write" : "read", (unsigned long long)addr, len);
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}

/* ---- device registration ---- */

static struct device_init *device_list;

void device_init_register(struct device_init *d)
{
	struct device_init **p = &device_list;

	/* stable by level, then registration order */
	while (*p && (*p)->level <= d->level)
		p = &(*p)->next;
	d->next = *p;
	*p = d;
}

/* Which devices' init succeeded, in order (one vm per process). */
static struct device_init *done_list[64];
static unsigned nr_done;

int devices_init_all(struct machine *m)
{
	nr_done = 0;
	for (struct device_init *d = device_list; d; d = d->next) {
		int ret = d->init(m);

		if (ret) {
			pr_err("device %s: initialisation failed: %s", d->name, strerror(-ret));
			devices_exit_all(m);
			return ret;
		}
		if (nr_done < sizeof(done_list) / sizeof(done_list[0]))
			done_list[nr_done++] = d;
	}
	return 0;
}

void devices_exit_all(struct machine *m)
{
	while (nr_done) {
		struct device_init *d = done_list[--nr_done];

		if (d->exit)
			d->exit(m);
	}
}

/* ---- the machine's registration helpers (devices/machine.h) ---- */

int machine_pio_register(struct machine *m, uint16_t port, uint16_t len, io_handler_fn fn,
			 void *opaque, const char *name)
{
	return io_bus_register(m->pio, port, len, fn, opaque, name);
}

int machine_mmio_register(struct machine *m, uint64_t gpa, uint64_t len, io_handler_fn fn,
			  void *opaque, const char *name)
{
	if (!len || gpa + len < gpa)
		return -EINVAL;
	if (m->map && (memmap_find(m->map, gpa) || memmap_find(m->map, gpa + len - 1))) {
		pr_err("mmio bus: %s at 0x%llx overlaps guest RAM", name ? name : "?",
		       (unsigned long long)gpa);
		return -EBUSY;
	}
	return io_bus_register(m->mmio, gpa, len, fn, opaque, name);
}
