// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target of the split-virtqueue walker (devices/virtqueue.c).
 *
 * Input: byte 0 picks the queue size (1 << (b % 9): 1..256), byte 1 the
 * features (bit 0 indirect, bit 1 event index), byte 2 how many chains to
 * try; the rest is the guest's RAM from its first byte: the descriptor
 * table at offset 0, the available ring at 0x2000, the used ring at 0x3000,
 * anything else buffers and indirect tables. RAM is 64 KiB at guest-physical
 * 0x10000, so small addresses and everything past 0x20000 are outside it.
 * Beyond "no crash, no access outside RAM" (AddressSanitizer: RAM is its own
 * allocation), it checks what the walker promises: every buffer of a popped
 * chain lies inside RAM, readable ones come first, the lengths add up and
 * fit 32 bits; an error breaks the queue (then -EIO) and is counted once.
 *
 * Build: make build/fuzz/virtqueue_fuzz (clang -fsanitize=fuzzer,address,undefined).
 * Run:   build/fuzz/virtqueue_fuzz -max_total_time=30 CORPUS_DIR tests/fuzz/virtqueue_corpus
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "devices/virtqueue.h"

#define RAM_GPA 0x10000ULL
#define RAM_SIZE 0x10000U

static void check(int cond)
{
	if (!cond)
		abort();
}

static uint64_t errors(const struct vq_stats *s)
{
	return s->bad_addr + s->bad_index + s->loop + s->overflow + s->bad_indirect + s->bad_order;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_buf bufs[64];
	struct memmap map = {.nr_ranges = 1, .ram_bytes = RAM_SIZE, .top = RAM_GPA + RAM_SIZE};
	struct guest_mem gm;
	struct vq_chain c;
	struct vq q;
	uint8_t *ram;
	uint16_t qsize;
	unsigned tries;
	volatile uint8_t sum = 0;

	if (size < 3)
		return 0;
	log_set_level(LOG_ERR);
	qsize = (uint16_t)(1U << (data[0] % 9));
	tries = data[2] % 64 + 1;
	ram = calloc(1, RAM_SIZE);
	check(ram != NULL);
	memcpy(ram, data + 3, size - 3 < RAM_SIZE ? size - 3 : RAM_SIZE);
	map.ranges[0] = (struct mem_range){.gpa = RAM_GPA, .size = RAM_SIZE};
	gm = (struct guest_mem){.base = ram, .map = &map};
	check(vq_setup(&q, &gm, "fuzz", qsize, RAM_GPA, RAM_GPA + 0x2000, RAM_GPA + 0x3000,
		       data[1] & 1, data[1] & 2) == 0);
	for (unsigned t = 0; t < tries; t++) {
		uint64_t before = errors(&q.stats), rl = 0, wl = 0;
		bool seen_w = false;
		uint16_t old;
		int ret = vq_pop(&q, &c, bufs, 64);

		if (ret == 0)
			break;
		if (ret == -E2BIG) {
			check(!q.broken);
			vq_push(&q, c.head, 0);
			continue;
		}
		if (ret < 0) {
			check(q.broken);
			check(ret == -EIO ? errors(&q.stats) == before
					  : errors(&q.stats) == before + 1);
			check(vq_pop(&q, &c, bufs, 64) == -EIO);
			break;
		}
		check(ret == 1 && c.head < qsize && c.nr <= 64);
		for (uint32_t i = 0; i < c.nr; i++) {
			const struct vq_buf *b = &c.bufs[i];
			uint8_t *h = b->host;

			check(h >= ram && h + b->len <= ram + RAM_SIZE);
			check(b->gpa >= RAM_GPA && b->gpa + b->len <= RAM_GPA + RAM_SIZE);
			check(!(seen_w && !b->writable));
			seen_w |= b->writable;
			if (b->writable) {
				wl += b->len;
				memset(h, 0xA5, b->len); /* the device writes all of it */
			} else {
				rl += b->len;
				for (uint32_t k = 0; k < b->len; k++)
					sum += h[k]; /* and reads all of it */
			}
		}
		check(rl == c.readable_len && wl == c.writable_len && rl + wl <= UINT32_MAX);
		old = q.used_idx;
		vq_push(&q, c.head, c.writable_len);
		(void)vq_should_notify(&q, old);
	}
	free(ram);
	(void)sum;
	return 0;
}
