// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_pci.c — devices/pci.c: type-1 and ECAM decode, the bus
 * scan, write masks and BAR sizing, the BAR window, the 0xCF9 pass-through. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/pci.h"

#define WIN 0xC0000000ULL
#define ECAM 0xE0000000ULL

struct bar_dev {
	uint8_t regs[8192];
	uint64_t last_off;
	int calls;
};

static int bar_fn(void *opaque, uint32_t cpu, uint64_t off, void *data, uint32_t len, bool is_write)
{
	struct bar_dev *b = opaque;

	(void)cpu;
	b->calls++;
	b->last_off = off;
	if (is_write)
		memcpy(&b->regs[off], data, len);
	else
		memcpy(data, &b->regs[off], len);
	return 0;
}

static struct pci_bus bus;
static struct pci_dev dev;
static struct bar_dev bd;
static int cf9_writes;
static uint8_t cf9_last;

static int cf9(void *ctx, uint8_t *data, bool is_write)
{
	(void)ctx;
	if (is_write) {
		cf9_writes++;
		cf9_last = *data;
	} else {
		*data = 0;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	pci_bus_init(&bus, WIN, 0x20000000, ECAM);
	bus.cf9 = cf9;
	memset(&dev, 0, sizeof(dev));
	memset(&bd, 0, sizeof(bd));
	cf9_writes = 0;
	dev.name = "test";
	pci_dev_init_header(&dev, 0x1AF4, 0x1044, 0x00FF00, 1, 0x1AF4, 0x0004);
	dev.bars[0] = (struct pci_bar){.size = 8192, .fn = bar_fn, .opaque = &bd};
	assert_int_equal(pci_dev_add(&bus, &dev), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	return 0;
}

static uint32_t t1_read(uint32_t slot, uint32_t fn, uint32_t reg, uint32_t len)
{
	uint32_t a = 0x80000000U | slot << 11 | fn << 8 | (reg & 0xFC), v = 0;

	pci_type1_access(0, 0xCF8, &a, 4, true, &bus);
	pci_type1_access(0, 0xCFC + (reg & 3), &v, len, false, &bus);
	return v;
}

static void t1_write(uint32_t slot, uint32_t fn, uint32_t reg, uint32_t len, uint32_t v)
{
	uint32_t a = 0x80000000U | slot << 11 | fn << 8 | (reg & 0xFC);

	pci_type1_access(0, 0xCF8, &a, 4, true, &bus);
	pci_type1_access(0, 0xCFC + (reg & 3), &v, len, true, &bus);
}

static uint32_t ecam_read(uint32_t slot, uint32_t fn, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	pci_ecam_access(0, ECAM + (slot << 15 | fn << 12 | reg), &v, len, false, &bus);
	return v;
}

/* A scan of all 32 x 8 functions finds the host bridge and the device only. */
static void test_scan(void **state)
{
	struct pci_stats s;
	int found = 0;

	(void)state;
	for (uint32_t slot = 0; slot < 32; slot++)
		for (uint32_t fn = 0; fn < 8; fn++) {
			uint32_t id = t1_read(slot, fn, 0, 4);

			assert_int_equal(id, ecam_read(slot, fn, 0, 4));
			if (id == 0xffffffff)
				continue;
			found++;
			assert_int_equal(fn, 0);
			if (slot == 0)
				assert_int_equal(id, PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR);
			else
				assert_int_equal(id, 0x10441AF4);
		}
	assert_int_equal(found, 2);
	assert_int_equal(dev.slot, 1);
	/* byte and word reads */
	assert_int_equal(t1_read(1, 0, 0x02, 2), 0x1044);
	assert_int_equal(t1_read(1, 0, 0x0B, 1), 0x00);
	assert_int_equal(t1_read(1, 0, 0x0A, 1), 0xFF);
	assert_int_equal(t1_read(1, 0, 0x08, 1), 1);
	assert_int_equal(t1_read(1, 0, 0x2E, 2), 0x0004);
	assert_int_equal(t1_read(5, 0, 0x02, 2), 0xffff);
	assert_int_equal(t1_read(0, 0, 0x0A, 2), 0x0600);
	/* another bus: nothing there */
	{
		uint32_t a = 0x80010000U, v = 0;

		pci_type1_access(0, 0xCF8, &a, 4, true, &bus);
		pci_type1_access(0, 0xCFC, &v, 4, false, &bus);
		assert_int_equal(v, 0xffffffff);
	}
	/* extended space of a present function reads 0 through ECAM */
	assert_int_equal(ecam_read(1, 0, 0x100, 4), 0);
	pci_get_stats(&bus, &s);
	assert_true(s.absent_reads >= 254);
}

static void test_writes(void **state)
{
	struct pci_stats before, after;

	(void)state;
	pci_get_stats(&bus, &before);
	/* read-only: vendor ID, class, absent function, status */
	t1_write(1, 0, 0x00, 4, 0x12345678);
	t1_write(1, 0, 0x08, 4, 0);
	t1_write(7, 0, 0x04, 2, 0x0006);
	t1_write(1, 3, 0x04, 2, 0x0006);
	t1_write(1, 0, 0x06, 2, 0xffff);
	assert_int_equal(t1_read(1, 0, 0, 4), 0x10441AF4);
	assert_int_equal(t1_read(1, 0, 0x08, 4), 0x00FF0001);
	pci_get_stats(&bus, &after);
	assert_int_equal(after.ignored_writes - before.ignored_writes, 5);
	/* command: only the defined bits stick */
	t1_write(1, 0, 0x04, 2, 0xffff);
	assert_int_equal(t1_read(1, 0, 0x04, 2), 0x0547);
	t1_write(1, 0, 0x04, 2, 0);
	/* interrupt line writable, pin not */
	t1_write(1, 0, 0x3C, 2, 0xff0b);
	assert_int_equal(t1_read(1, 0, 0x3C, 2), 0x000b);
	/* bad widths and alignment through type 1 and ECAM: counted, no effect */
	pci_get_stats(&bus, &before);
	{
		uint32_t v = 0x12345678;
		uint8_t b = 0x01;
		uint64_t q = ~0ULL;

		pci_type1_access(0, 0xCFD, &v, 2, false, &bus); /* misaligned word */
		assert_int_equal(v & 0xffff, 0xffff);
		pci_type1_access(0, 0xCFB, &b, 1, true, &bus); /* Linux's type-1 probe */
		pci_ecam_access(0, ECAM + (1 << 15) + 1, &v, 4, false, &bus);
		assert_int_equal(v, 0xffffffff);
		pci_ecam_access(0, ECAM + (1 << 15) + 4, &q, 8, true, &bus);
	}
	pci_get_stats(&bus, &after);
	assert_int_equal(after.bad_accesses - before.bad_accesses, 4);
	assert_int_equal(t1_read(1, 0, 0x04, 2), 0);
	/* config cycles disabled: all ones */
	{
		uint32_t a = 0x00000800, v = 0;

		pci_type1_access(0, 0xCF8, &a, 4, true, &bus);
		pci_type1_access(0, 0xCFC, &v, 4, false, &bus);
		assert_int_equal(v, 0xffffffff);
		pci_type1_access(0, 0xCF8, &v, 4, false, &bus);
		assert_int_equal(v, 0x00000800);
	}
}

static void test_bars(void **state)
{
	uint32_t v = 0x11223344, r = 0;
	uint32_t bar0 = t1_read(1, 0, 0x10, 4);

	(void)state;
	assert_int_equal(bar0, WIN); /* first BAR of the first device */
	/* sizing: all ones reads back the size mask */
	t1_write(1, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(t1_read(1, 0, 0x10, 4), ~(8192U - 1));
	assert_int_equal(t1_read(1, 0, 0x14, 4), 0); /* unused BAR */
	t1_write(1, 0, 0x14, 4, 0xffffffff);
	assert_int_equal(t1_read(1, 0, 0x14, 4), 0);
	t1_write(1, 0, 0x10, 4, bar0);
	/* memory decode off: nothing answers */
	assert_int_equal(pci_mmio_access(&bus, 0, WIN + 16, &v, 4, true), 0);
	assert_int_equal(bd.calls, 0);
	t1_write(1, 0, 0x04, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(pci_mmio_access(&bus, 0, WIN + 16, &v, 4, true), 0);
	assert_int_equal(bd.calls, 1);
	assert_int_equal(bd.last_off, 16);
	/* move the BAR: the old place goes silent, the new one answers */
	t1_write(1, 0, 0x10, 4, (uint32_t)WIN + 0x100000);
	r = 0;
	pci_mmio_access(&bus, 0, WIN + 16, &r, 4, false);
	assert_int_equal(r, 0xffffffff);
	pci_mmio_access(&bus, 0, WIN + 0x100000 + 16, &r, 4, false);
	assert_int_equal(r, 0x11223344);
	/* an access running off the BAR's end is not the BAR's */
	pci_mmio_access(&bus, 0, WIN + 0x100000 + 8190, &r, 4, false);
	assert_int_equal(r, 0xffffffff);
	assert_int_equal(bd.calls, 2);
}

static void test_cf9(void **state)
{
	uint8_t b = 0x06;
	uint32_t a = 0x80000800, v;

	(void)state;
	pci_type1_access(0, 0xCF8, &a, 4, true, &bus);
	pci_type1_access(0, 0xCF9, &b, 1, true, &bus);
	assert_int_equal(cf9_writes, 1);
	assert_int_equal(cf9_last, 0x06);
	/* the address register is untouched by the reset register */
	pci_type1_access(0, 0xCF8, &v, 4, false, &bus);
	assert_int_equal(v, 0x80000800);
}

static void test_bad_devices(void **state)
{
	struct pci_dev bad = {.name = "bad"};
	struct pci_dev big = {.name = "big"};

	(void)state;
	assert_int_equal(pci_dev_add(&bus, &bad), -EINVAL); /* vendor 0 */
	pci_dev_init_header(&bad, 0x1AF4, 1, 0, 0, 0, 0);
	bad.bars[0] = (struct pci_bar){.size = 6000, .fn = bar_fn};
	assert_int_equal(pci_dev_add(&bus, &bad), -EINVAL);
	pci_dev_init_header(&big, 0x1AF4, 1, 0, 0, 0, 0);
	big.bars[0] = (struct pci_bar){.size = 0x80000000U, .fn = bar_fn};
	assert_int_equal(pci_dev_add(&bus, &big), -ENOSPC);
	/* capabilities chain from 0x34 */
	{
		struct pci_dev c = {.name = "caps"};
		uint8_t body[14] = {0};

		pci_dev_init_header(&c, 0x1AF4, 2, 0, 0, 0, 0);
		assert_int_equal(pci_dev_add_cap(&c, PCI_CAP_ID_VNDR, body, 16), 0x40);
		assert_int_equal(pci_dev_add_cap(&c, PCI_CAP_ID_MSIX, body, 12), 0x50);
		assert_int_equal(c.cfg[PCI_CAPABILITY_LIST], 0x40);
		assert_int_equal(c.cfg[0x41], 0x50);
		assert_int_equal(c.cfg[0x51], 0);
		assert_true(c.cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cf9, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_devices, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
