// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_bus.c — devices/bus.c: registration, overlap, dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"

struct dev {
	uint64_t last_addr;
	uint32_t last_len;
	bool last_write;
	uint8_t reg[8];
	int calls;
	int fail;
};

static int dev_fn(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		  void *opaque)
{
	struct dev *d = opaque;

	d->calls++;
	d->last_addr = addr;
	d->last_len = len;
	d->last_write = is_write;
	if (d->fail)
		return -EIO;
	if (is_write)
		memcpy(d->reg, data, len);
	else
		memcpy(data, d->reg, len);
	return 0;
}

static void test_register_overlap(void **state)
{
	struct io_bus bus;
	struct dev a = {0}, b = {0};

	io_bus_init(&bus, "pio");
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, dev_fn, &a, "com1"), 0);
	assert_int_equal(io_bus_register(&bus, 0x3f0, 8, dev_fn, &b, "below"), 0);
	assert_int_equal(io_bus_register(&bus, 0x400, 8, dev_fn, &b, "above"), 0);
	/* every kind of overlap is refused */
	assert_int_equal(io_bus_register(&bus, 0x3f8, 1, dev_fn, &b, "same"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x3ff, 1, dev_fn, &b, "last"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x3f7, 2, dev_fn, &b, "straddle"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x300, 0x200, dev_fn, &b, "cover"), -EBUSY);
	assert_int_equal(io_bus_register(&bus, 0x10, 0, dev_fn, &b, "empty"), -EINVAL);
	assert_int_equal(io_bus_register(&bus, UINT64_MAX, 2, dev_fn, &b, "wrap"), -EINVAL);
	assert_int_equal(bus.nr, 3);
	/* sorted */
	assert_true(bus.regions[0].base < bus.regions[1].base);
	assert_true(bus.regions[1].base < bus.regions[2].base);
	assert_ptr_equal(io_bus_find(&bus, 0x3ff)->opaque, &a);
	assert_null(io_bus_find(&bus, 0x3ef));
	assert_null(io_bus_find(&bus, 0x408));
	assert_int_equal(io_bus_unregister(&bus, 0x3f0), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x3f0), -ENOENT);
	assert_int_equal(io_bus_register(&bus, 0x3f0, 8, dev_fn, &b, "again"), 0);
	io_bus_free(&bus);
}

static void test_dispatch(void **state)
{
	struct io_bus bus;
	struct dev a = {0};
	uint32_t v = 0x11223344;

	io_bus_init(&bus, "mmio");
	assert_int_equal(io_bus_register(&bus, 0xfec00000, 0x1000, dev_fn, &a, "ioapic"), 0);
	assert_true(io_bus_access(&bus, 0, 0xfec00010, &v, 4, true));
	assert_int_equal(a.last_addr, 0xfec00010); /* absolute address */
	assert_true(a.last_write);
	v = 0;
	assert_true(io_bus_access(&bus, 0, 0xfec00010, &v, 4, false));
	assert_int_equal(v, 0x11223344);
	assert_int_equal(a.calls, 2);
	/* running off the end of the region is unclaimed: all ones, no call */
	assert_false(io_bus_access(&bus, 0, 0xfec00ffe, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(a.calls, 2);
	/* nothing there */
	v = 0;
	assert_false(io_bus_access(&bus, 0, 0x1234, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_false(io_bus_access(&bus, 0, 0x1234, &v, 4, false));
	assert_false(io_bus_access(&bus, 0, 0x1234, &v, 4, true));
	assert_int_equal(bus.nr_unclaimed, 4);
	/* a failing handler: counted, reads all ones */
	a.fail = 1;
	v = 0;
	assert_false(io_bus_access(&bus, 0, 0xfec00000, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(bus.nr_errors, 1);
	io_bus_free(&bus);
}

static void test_many(void **state)
{
	struct io_bus bus;
	struct dev d[300];

	memset(d, 0, sizeof(d));
	io_bus_init(&bus, "pio");
	/* insert in a scrambled order; lookups must still be exact */
	for (int i = 0; i < 300; i++) {
		int k = (i * 7) % 300;

		assert_int_equal(io_bus_register(&bus, 0x1000 + k * 16, 8, dev_fn, &d[k], "d"), 0);
	}
	for (int k = 0; k < 300; k++) {
		uint8_t b = (uint8_t)k;

		assert_ptr_equal(io_bus_find(&bus, 0x1000 + k * 16 + 7)->opaque, &d[k]);
		assert_null(io_bus_find(&bus, 0x1000 + k * 16 + 8));
		assert_true(io_bus_access(&bus, 0, 0x1000 + k * 16, &b, 1, true));
		assert_int_equal(d[k].reg[0], (uint8_t)k);
	}
	/* the unclaimed-address table fills up without failing */
	for (uint64_t a = 0; a < 5000; a++) {
		uint8_t b;

		io_bus_access(&bus, 0, 0x100000 + a, &b, 1, false);
	}
	assert_int_equal(bus.nr_unclaimed, 5000);
	io_bus_free(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_overlap),
	    cmocka_unit_test(test_dispatch),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
