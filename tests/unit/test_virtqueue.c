// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_virtqueue.c — devices/virtqueue.c on a guest-memory buffer:
 * good chains (direct, indirect), event index, and each kind of bad input
 * breaking the queue with its own error and counter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtqueue.h"

#define RAM (1U << 20)
#define QSZ 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000

static uint8_t *ram;
static struct memmap map;
static struct guest_mem gm;
static struct vq q;
static struct vq_buf bufs[64];
static struct vq_chain c;

static struct vring_desc *desc(uint64_t gpa, unsigned i)
{
	return (struct vring_desc *)(ram + gpa) + i;
}

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	*desc(table, i) =
	    (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

static uint16_t *avail(void)
{
	return (uint16_t *)(ram + AVAIL);
}

/* Offer chain @head at the next available slot. */
static void offer(uint16_t head)
{
	uint16_t idx = avail()[1];

	avail()[2 + idx % QSZ] = head;
	avail()[1] = (uint16_t)(idx + 1);
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	map.nr_ranges = 1;
	map.ranges[0] = (struct mem_range){.gpa = 0, .size = RAM};
	map.ram_bytes = map.top = RAM;
	gm = (struct guest_mem){.base = ram, .map = &map};
	assert_int_equal(vq_setup(&q, &gm, "test", QSZ, DESC, AVAIL, USED, true, true), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void test_good_chain(void **state)
{
	uint8_t out[8];
	uint16_t old;

	(void)state;
	assert_int_equal(vq_pop(&q, &c, bufs, 64), 0); /* nothing yet */
	memcpy(ram + DATA, "headbody", 8);
	set_desc(DESC, 3, DATA, 4, VRING_DESC_F_NEXT, 5);
	set_desc(DESC, 5, DATA + 4, 4, VRING_DESC_F_NEXT, 0);
	set_desc(DESC, 0, DATA + 0x100, 16, VRING_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.nr, 3);
	assert_int_equal(c.readable_len, 8);
	assert_int_equal(c.writable_len, 16);
	assert_int_equal(vq_chain_read(&c, 2, out, 8), 6);
	assert_memory_equal(out, "adbody", 6);
	assert_int_equal(vq_chain_write(&c, 0, "0123456789abcdefXX", 18), 16);
	assert_memory_equal(ram + DATA + 0x100, "0123456789abcdef", 16);
	/* event index: avail_event follows, used_event decides the interrupt */
	assert_int_equal(*(uint16_t *)(ram + USED + 4 + 8 * QSZ), 1);
	avail()[2 + QSZ] = 0; /* used_event: interrupt when used idx passes 0 */
	old = q.used_idx;
	vq_push(&q, 3, 16);
	assert_int_equal(*(uint16_t *)(ram + USED + 2), 1);
	assert_int_equal(*(uint32_t *)(ram + USED + 4), 3);
	assert_int_equal(*(uint32_t *)(ram + USED + 8), 16);
	assert_true(vq_should_notify(&q, old));
	avail()[2 + QSZ] = 5; /* the driver wants none yet */
	old = q.used_idx;
	vq_push(&q, 3, 0);
	assert_false(vq_should_notify(&q, old));
	assert_int_equal(q.stats.chains, 1);
}

static void test_indirect(void **state)
{
	(void)state;
	set_desc(0x4000, 0, DATA, 100, VRING_DESC_F_NEXT, 1);
	set_desc(0x4000, 1, DATA + 100, 1, VRING_DESC_F_WRITE, 0);
	set_desc(DESC, 2, 0x4000, 32, VRING_DESC_F_INDIRECT, 0);
	offer(2);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), 1);
	assert_int_equal(c.nr, 2);
	assert_int_equal(c.readable_len, 100);
	assert_int_equal(c.writable_len, 1);
	/* too small an array: consumed for an error answer, not broken */
	offer(2);
	assert_int_equal(vq_pop(&q, &c, bufs, 1), -E2BIG);
	assert_int_equal(c.head, 2);
	assert_false(q.broken);
	vq_push(&q, c.head, 0);
	offer(2);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), 1);
}

/* One bad chain: vq_pop fails with @err, the queue is broken, @counter counted. */
static void expect_bad(int err, const uint64_t *counter)
{
	offer(1);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), err);
	assert_true(q.broken);
	assert_int_equal(*counter, 1);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), -EIO);
}

static void test_outside_ram(void **state)
{
	(void)state;
	set_desc(DESC, 1, RAM - 8, 16, 0, 0);
	expect_bad(-EFAULT, &q.stats.bad_addr);
}

static void test_wraps(void **state)
{
	(void)state;
	set_desc(DESC, 1, UINT64_MAX - 4, 16, 0, 0);
	expect_bad(-EOVERFLOW, &q.stats.overflow);
}

static void test_loop(void **state)
{
	(void)state;
	set_desc(DESC, 1, DATA, 4, VRING_DESC_F_NEXT, 2);
	set_desc(DESC, 2, DATA, 4, VRING_DESC_F_NEXT, 1);
	expect_bad(-ELOOP, &q.stats.loop);
}

static void test_next_out_of_range(void **state)
{
	(void)state;
	set_desc(DESC, 1, DATA, 4, VRING_DESC_F_NEXT, QSZ);
	expect_bad(-ERANGE, &q.stats.bad_index);
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	avail()[2] = QSZ + 3;
	avail()[1] = 1;
	assert_int_equal(vq_pop(&q, &c, bufs, 64), -ERANGE);
	assert_int_equal(q.stats.bad_index, 1);
}

static void test_avail_too_far(void **state)
{
	(void)state;
	avail()[1] = QSZ + 1;
	assert_int_equal(vq_pop(&q, &c, bufs, 64), -ERANGE);
	assert_int_equal(q.stats.bad_index, 1);
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	set_desc(DESC, 1, DATA, 4, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(DESC, 2, DATA, 4, 0, 0);
	expect_bad(-EPROTO, &q.stats.bad_order);
}

static void test_chain_too_long(void **state)
{
	(void)state;
	/* an indirect table may hold more entries than the queue (Linux does) */
	for (unsigned i = 0; i < 2 * QSZ; i++)
		set_desc(0x4000, i, DATA, 64, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	set_desc(0x4000, 2 * QSZ - 1, DATA, 64, 0, 0);
	set_desc(DESC, 1, 0x4000, 16 * 2 * QSZ, VRING_DESC_F_INDIRECT, 0);
	offer(1);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), 1);
	assert_int_equal(c.nr, 2 * QSZ);
	/* a loop inside the indirect table */
	set_desc(0x4000, 2 * QSZ - 1, DATA, 64, VRING_DESC_F_NEXT, 3);
	expect_bad(-ELOOP, &q.stats.loop);
}

static void test_indirect_too_big(void **state)
{
	(void)state;
	set_desc(DESC, 1, 0x4000, 16 * (VQ_MAX_SIZE + 1), VRING_DESC_F_INDIRECT, 0);
	expect_bad(-EINVAL, &q.stats.bad_indirect);
}

static void test_indirect_bad(void **state)
{
	static const struct {
		uint32_t len;
		uint16_t flags;
		bool nested;
		bool negotiated;
	} cases[] = {
	    {24, VRING_DESC_F_INDIRECT, false, true},                     /* not a multiple of 16 */
	    {0, VRING_DESC_F_INDIRECT, false, true},                      /* empty */
	    {32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, false, true}, /* with NEXT */
	    {32, VRING_DESC_F_INDIRECT, true, true},                      /* nested */
	    {32, VRING_DESC_F_INDIRECT, false, false},                    /* not negotiated */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(ram, 0, RAM);
		assert_int_equal(
		    vq_setup(&q, &gm, "test", QSZ, DESC, AVAIL, USED, cases[i].negotiated, false),
		    0);
		set_desc(0x4000, 0, cases[i].nested ? 0x5000 : DATA, 16,
			 cases[i].nested ? VRING_DESC_F_INDIRECT : 0, 0);
		set_desc(DESC, 1, 0x4000, cases[i].len, cases[i].flags, 2);
		expect_bad(-EINVAL, &q.stats.bad_indirect);
	}
}

static void test_setup_checks(void **state)
{
	(void)state;
	assert_int_equal(vq_setup(&q, &gm, "t", 6, DESC, AVAIL, USED, true, true), -EINVAL);
	assert_int_equal(vq_setup(&q, &gm, "t", 0, DESC, AVAIL, USED, true, true), -EINVAL);
	assert_int_equal(vq_setup(&q, &gm, "t", QSZ, DESC + 8, AVAIL, USED, true, true), -EFAULT);
	assert_int_equal(vq_setup(&q, &gm, "t", QSZ, DESC, AVAIL, RAM - 16, true, true), -EFAULT);
	assert_int_equal(vq_pop(&q, &c, bufs, 64), -EIO);
	assert_int_equal(vq_setup(&q, &gm, "t", 32768, 0, AVAIL, RAM - 0x1000, true, true),
			 -EFAULT);
	assert_int_equal(vq_setup(&q, &gm, "t", 32768, 0, 0x80000, 0x90000, true, true), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_good_chain),
	    T(test_indirect),
	    T(test_outside_ram),
	    T(test_wraps),
	    T(test_loop),
	    T(test_next_out_of_range),
	    T(test_head_out_of_range),
	    T(test_avail_too_far),
	    T(test_readable_after_writable),
	    T(test_chain_too_long),
	    T(test_indirect_too_big),
	    T(test_indirect_bad),
	    T(test_setup_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
