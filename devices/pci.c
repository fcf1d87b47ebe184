// SPDX-License-Identifier: GPL-2.0-only
/* devices/pci.c — configuration-space decode of bus 0 and the BAR window. */
#include "devices/pci.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

#define STAT_INC(bus, f) __atomic_fetch_add(&(bus)->stats.f, 1, __ATOMIC_RELAXED)

static uint32_t cfg_get(const struct pci_dev *d, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint32_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void pci_dev_init_header(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code,
			 uint8_t revision, uint16_t subsys_vendor, uint16_t subsys)
{
	put_le(&d->cfg[PCI_VENDOR_ID], vendor, 2);
	put_le(&d->cfg[PCI_DEVICE_ID], device, 2);
	d->cfg[PCI_REVISION_ID] = revision;
	put_le(&d->cfg[PCI_CLASS_PROG], class_code, 3);
	d->cfg[PCI_HEADER_TYPE] = 0x00; /* type 0, single function */
	put_le(&d->cfg[PCI_SUBSYSTEM_VENDOR_ID], subsys_vendor, 2);
	put_le(&d->cfg[PCI_SUBSYSTEM_ID], subsys, 2);
	/* command: I/O, memory, bus master, parity, SERR#, INTx disable */
	put_le(&d->wmask[PCI_COMMAND], 0x0547, 2);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body, uint32_t len)
{
	uint32_t off = d->cap_end ? d->cap_end : 0x40;
	uint8_t *link = &d->cfg[PCI_CAPABILITY_LIST];

	if (len < 2 || off + len > PCI_CFG_SPACE)
		return -ENOSPC;
	while (*link)
		link = &d->cfg[*link + 1];
	*link = (uint8_t)off;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (body && len > 2)
		memcpy(&d->cfg[off + 2], body, len - 2);
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_end = (uint16_t)((off + len + 3) & ~3U);
	return (int)off;
}

void pci_bus_init(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size, uint64_t ecam_base)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
	bus->mmio_base = bus->next_bar = mmio_base;
	bus->mmio_size = mmio_size;
	bus->ecam_base = ecam_base;
	bus->host.name = "host-bridge";
	pci_dev_init_header(&bus->host, PCI_HOST_VENDOR, PCI_HOST_DEVICE, 0x060000, 0, 0, 0);
	bus->host.wmask[PCI_INTERRUPT_LINE] = 0; /* no interrupt: line and pin read 0 */
	bus->devs[0] = &bus->host;
	bus->nr_devs = 1;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
}

int pci_dev_add(struct pci_bus *bus, struct pci_dev *d)
{
	uint16_t vendor = (uint16_t)cfg_get(d, PCI_VENDOR_ID, 2);
	uint64_t next = bus->next_bar;

	if (vendor == 0 || vendor == 0xffff || d->cfg[PCI_HEADER_TYPE] != 0) {
		pr_err(
		    "PCI device %s: vendor ID 0x%04x, header type 0x%02x (expected a real vendor, "
		    "type 0)",
		    d->name, vendor, d->cfg[PCI_HEADER_TYPE]);
		return -EINVAL;
	}
	if (bus->nr_devs >= PCI_MAX_DEVICES) {
		pr_err("PCI device %s: bus 0 is full (%u devices)", d->name, PCI_MAX_DEVICES);
		return -ENOSPC;
	}
	for (int i = 0; i < PCI_NR_BARS; i++) {
		uint32_t size = d->bars[i].size;

		if (!size)
			continue;
		if (size < 4096 || (size & (size - 1)) || !d->bars[i].fn) {
			pr_err("PCI device %s: BAR %d of %u bytes (expected a power of two >= 4096 "
			       "with a handler)",
			       d->name, i, size);
			return -EINVAL;
		}
		next = (next + size - 1) & ~((uint64_t)size - 1);
		if (next + size > bus->mmio_base + bus->mmio_size) {
			pr_err("PCI device %s: BAR %d (%u bytes) does not fit in the window",
			       d->name, i, size);
			return -ENOSPC;
		}
		put_le(&d->cfg[PCI_BAR0 + 4 * i], (uint32_t)next, 4); /* 32-bit memory BAR */
		put_le(&d->wmask[PCI_BAR0 + 4 * i], ~(size - 1), 4);
		next += size;
	}
	bus->next_bar = next;
	d->slot = (uint8_t)bus->nr_devs;
	bus->devs[bus->nr_devs++] = d;
	pr_debug("PCI 00:%02x.0 %s", d->slot, d->name);
	return 0;
}

static bool cfg_access_ok(struct pci_bus *bus, uint32_t off, uint32_t len)
{
	if ((len != 1 && len != 2 && len != 4) || (off & (len - 1)) || off >= 4096) {
		STAT_INC(bus, bad_accesses);
		return false;
	}
	return true;
}

static struct pci_dev *find_dev(struct pci_bus *bus, uint32_t slot, uint32_t fn)
{
	return slot < PCI_MAX_DEVICES && fn == 0 ? bus->devs[slot] : NULL;
}

int pci_cfg_read(struct pci_bus *bus, uint32_t slot, uint32_t fn, uint32_t off, uint32_t len,
		 uint32_t *val)
{
	struct pci_dev *d;

	if (!cfg_access_ok(bus, off, len)) {
		*val = 0xffffffff;
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&bus->lock);
	d = find_dev(bus, slot, fn);
	if (!d) {
		*val = len == 4 ? 0xffffffff : (1U << (8 * len)) - 1;
		STAT_INC(bus, absent_reads);
	} else {
		*val = off < PCI_CFG_SPACE ? cfg_get(d, off, len) : 0;
		STAT_INC(bus, cfg_reads);
	}
	pthread_rwlock_unlock(&bus->lock);
	return 0;
}

int pci_cfg_write(struct pci_bus *bus, uint32_t slot, uint32_t fn, uint32_t off, uint32_t len,
		  uint32_t val)
{
	struct pci_dev *d;
	bool writable = false;

	if (!cfg_access_ok(bus, off, len))
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	d = find_dev(bus, slot, fn);
	if (d && off < PCI_CFG_SPACE) {
		for (uint32_t i = 0; i < len; i++) {
			uint8_t wm = d->wmask[off + i], b = (uint8_t)(val >> (8 * i));

			writable |= wm != 0;
			d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~wm) | (b & wm));
		}
	}
	if (writable) {
		STAT_INC(bus, cfg_writes);
		if (d->cfg_written)
			d->cfg_written(d, off, len);
	} else {
		STAT_INC(bus, ignored_writes);
		pr_debug("PCI 00:%02x.%u: write 0x%x to read-only register 0x%x (%u bytes) ignored",
			 slot, fn, val, off, len);
	}
	pthread_rwlock_unlock(&bus->lock);
	return 0;
}

int pci_mmio_access(struct pci_bus *bus, uint32_t cpu, uint64_t addr, void *data, uint32_t len,
		    bool is_write)
{
	int ret = 0;

	pthread_rwlock_rdlock(&bus->lock);
	for (uint32_t s = 0; s < bus->nr_devs; s++) {
		struct pci_dev *d = bus->devs[s];

		if (!(cfg_get(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
			continue;
		for (int i = 0; i < PCI_NR_BARS; i++) {
			uint64_t base = cfg_get(d, PCI_BAR0 + 4 * i, 4) & ~0xFULL;
			uint32_t size = d->bars[i].size;

			if (!size || addr < base || addr + len > base + size)
				continue;
			ret =
			    d->bars[i].fn(d->bars[i].opaque, cpu, addr - base, data, len, is_write);
			pthread_rwlock_unlock(&bus->lock);
			return ret;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	STAT_INC(bus, bar_unclaimed);
	if (!is_write)
		memset(data, 0xff, len);
	return 0;
}

int pci_type1_access(uint32_t cpu, uint64_t port, void *data, uint32_t len, bool is_write,
		     void *opaque)
{
	struct pci_bus *bus = opaque;
	uint32_t k = (uint32_t)(port - 0xCF8), v = 0, cf8, reg;

	(void)cpu;
	if (k == 1 && len == 1) /* 0xCF9: the reset register */
		return bus->cf9 ? bus->cf9(bus->cf9_ctx, data, is_write)
				: (is_write ? 0 : (*(uint8_t *)data = 0, 0));
	if (k == 0 && len == 4) {
		if (is_write)
			__atomic_store_n(&bus->cf8, *(uint32_t *)data & 0x80FFFFFCU,
					 __ATOMIC_RELAXED);
		else
			*(uint32_t *)data = __atomic_load_n(&bus->cf8, __ATOMIC_RELAXED);
		return 0;
	}
	cf8 = __atomic_load_n(&bus->cf8, __ATOMIC_RELAXED);
	if (k < 4 || (k & (len - 1)) || !(cf8 & 0x80000000U)) {
		/* not a dword at 0xCF8, a misaligned data access, or config cycles
		 * disabled: nothing answers */
		STAT_INC(bus, bad_accesses);
		if (!is_write)
			memset(data, 0xff, len);
		return 0;
	}
	reg = (cf8 & 0xFC) | (k - 4);
	if (is_write) {
		memcpy(&v, data, len);
		if ((cf8 >> 16) & 0xff) {
			STAT_INC(bus, ignored_writes);
			return 0;
		}
		pci_cfg_write(bus, (cf8 >> 11) & 0x1f, (cf8 >> 8) & 7, reg, len, v);
		return 0;
	}
	if ((cf8 >> 16) & 0xff) {
		STAT_INC(bus, absent_reads);
		memset(data, 0xff, len);
		return 0;
	}
	pci_cfg_read(bus, (cf8 >> 11) & 0x1f, (cf8 >> 8) & 7, reg, len, &v);
	memcpy(data, &v, len);
	return 0;
}

int pci_ecam_access(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		    void *opaque)
{
	struct pci_bus *bus = opaque;
	uint64_t off = addr - bus->ecam_base;
	uint32_t slot = (uint32_t)(off >> 15) & 0x1f, fn = (uint32_t)(off >> 12) & 7, v = 0;
	uint32_t reg = (uint32_t)off & 0xfff;

	(void)cpu;
	if (off >> 20) { /* only bus 0 is decoded */
		STAT_INC(bus, bad_accesses);
		if (!is_write)
			memset(data, 0xff, len);
		return 0;
	}
	if (is_write) {
		if (len <= 4)
			memcpy(&v, data, len);
		pci_cfg_write(bus, slot, fn, reg, len, v);
		return 0;
	}
	if (pci_cfg_read(bus, slot, fn, reg, len, &v)) {
		memset(data, 0xff, len);
		return 0;
	}
	memcpy(data, &v, len);
	return 0;
}

void pci_get_stats(struct pci_bus *bus, struct pci_stats *out)
{
	const uint64_t *s = (const uint64_t *)&bus->stats;
	uint64_t *d = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}
