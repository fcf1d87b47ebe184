// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_rtc.c — devices/rtc.c on a port bus: time, UIP, set, CMOS, bad widths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/rtc.h"
#include "platform/memmap.h"

static int irq_level[32];

static int irq_line(void *ctx, uint32_t gsi, int level)
{
	irq_level[gsi & 31] = level;
	return 0;
}

static void request_exit(void *ctx, int status)
{
}

struct fix {
	struct io_bus pio, mmio;
	struct memmap map;
	struct machine m;
	struct rtc *rtc;
};

static uint8_t rd(struct fix *f, uint8_t idx)
{
	uint8_t v = idx;

	io_bus_access(&f->pio, 0, RTC_INDEX_PORT, &v, 1, true);
	io_bus_access(&f->pio, 0, RTC_DATA_PORT, &v, 1, false);
	return v;
}

static void wr(struct fix *f, uint8_t idx, uint8_t v)
{
	io_bus_access(&f->pio, 0, RTC_INDEX_PORT, &idx, 1, true);
	io_bus_access(&f->pio, 0, RTC_DATA_PORT, &v, 1, true);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static int setup(void **state)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	io_bus_init(&f.pio, "pio");
	io_bus_init(&f.mmio, "mmio");
	/* 3 GiB below the hole, 1 GiB above 4 GiB */
	f.map.nr_ranges = 2;
	f.map.ranges[0] = (struct mem_range){.gpa = 0, .size = MEMMAP_HOLE_START};
	f.map.ranges[1] = (struct mem_range){.gpa = MEMMAP_4G, .size = 1ULL << 30};
	f.m = (struct machine){.pio = &f.pio,
			       .mmio = &f.mmio,
			       .map = &f.map,
			       .irq_line = irq_line,
			       .request_exit = request_exit};
	assert_int_equal(rtc_attach(&f.m, &f.rtc), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	rtc_detach(f->rtc);
	io_bus_free(&f->pio);
	io_bus_free(&f->mmio);
	return 0;
}

/* The time registers, BCD 24 h by default, match the host's UTC clock. */
static void test_time(void **state)
{
	struct fix *f = *state;
	time_t now = time(NULL), got;
	struct tm tm = {0};

	while (rd(f, RTC_REG_A) & RTC_A_UIP)
		;
	tm.tm_sec = (int)bcd(rd(f, 0));
	tm.tm_min = (int)bcd(rd(f, 2));
	tm.tm_hour = (int)bcd(rd(f, 4));
	tm.tm_mday = (int)bcd(rd(f, 7));
	tm.tm_mon = (int)bcd(rd(f, 8)) - 1;
	tm.tm_year = (int)(bcd(rd(f, RTC_CENTURY)) * 100 + bcd(rd(f, 9))) - 1900;
	got = timegm(&tm);
	assert_true(got >= now - 1 && got <= now + 2);
	assert_int_equal(rd(f, RTC_REG_D), RTC_D_VRT);
	/* binary mode */
	wr(f, RTC_REG_B, RTC_B_24H | RTC_B_DM);
	assert_true(rd(f, 0) < 60 && rd(f, 9) < 100);
}

/* A guest that waits for UIP to go 1 then 0 finishes within a second. */
static void test_uip(void **state)
{
	struct fix *f = *state;
	struct timespec a, b;
	long spins = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	while (!(rd(f, RTC_REG_A) & RTC_A_UIP))
		spins++;
	while (rd(f, RTC_REG_A) & RTC_A_UIP)
		spins++;
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec <= 2);
	print_message("UIP seen go 1 then 0 after %ld reads\n", spins);
}

/* Setting the time with SET keeps an offset; the clock runs on from it. */
static void test_set_time(void **state)
{
	struct fix *f = *state;

	wr(f, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	wr(f, 0, 0x30);
	wr(f, 2, 0x59);
	wr(f, 4, 0x23);
	wr(f, 7, 0x31);
	wr(f, 8, 0x12);
	wr(f, 9, 0x99);
	wr(f, RTC_CENTURY, 0x19);
	assert_int_equal(rd(f, 0), 0x30); /* frozen while SET */
	wr(f, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rd(f, 9), 0x99);
	assert_int_equal(rd(f, 4), 0x23);
	/* 12 h mode: 23 h reads 11 PM */
	wr(f, RTC_REG_B, 0);
	assert_int_equal(rd(f, 4), 0x91);
	wr(f, RTC_REG_B, RTC_B_24H);
}

/* Memory-size bytes from the layout; RAM bytes; bad widths counted. */
static void test_cmos_and_bad(void **state)
{
	struct fix *f = *state;
	uint32_t v = 0;

	assert_int_equal(rd(f, 0x15) | rd(f, 0x16) << 8, 640);
	assert_int_equal(rd(f, 0x17) | rd(f, 0x18) << 8, 0xffff);
	assert_int_equal(rd(f, 0x34) | rd(f, 0x35) << 8, (0xC0000000U - (16U << 20)) >> 16);
	assert_int_equal(rd(f, 0x5b) | rd(f, 0x5c) << 8 | rd(f, 0x5d) << 16, (1U << 30) >> 16);
	wr(f, 0x40, 0xa5);
	assert_int_equal(rd(f, 0x40), 0xa5);
	/* the index port reads back with the NMI mask bit */
	v = 0x8f;
	io_bus_access(&f->pio, 0, RTC_INDEX_PORT, &v, 1, true);
	v = 0;
	io_bus_access(&f->pio, 0, RTC_INDEX_PORT, &v, 1, false);
	assert_int_equal(v, 0x8f);
	assert_false(io_bus_access(&f->pio, 0, RTC_INDEX_PORT, &v, 2, false));
	assert_int_equal(rtc_nr_bad(f->rtc), 1);
}

/* Update-ended interrupt: IRQ 8 rises within a second, reading C lowers it. */
static void test_uie_irq(void **state)
{
	struct fix *f = *state;
	struct timespec d = {0, 10000000};
	int i;

	rd(f, RTC_REG_C);
	wr(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	for (i = 0; i < 150 && !irq_level[RTC_IRQ]; i++)
		nanosleep(&d, NULL);
	assert_int_equal(irq_level[RTC_IRQ], 1);
	assert_true(rd(f, RTC_REG_C) & (RTC_C_IRQF | RTC_C_UF));
	assert_int_equal(irq_level[RTC_IRQ], 0);
	wr(f, RTC_REG_B, RTC_B_24H);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmos_and_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uie_irq, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
