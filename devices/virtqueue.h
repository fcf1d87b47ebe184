/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/virtqueue.h — the split virtqueue of virtio 1.x (2.7), device
 * side, with VIRTIO_F_RING_INDIRECT_DESC and VIRTIO_F_RING_EVENT_IDX.
 *
 * Everything in the rings comes from the guest and is checked before it is
 * used: the ring addresses and their alignment (vq_setup), the available
 * index (no more than the queue size ahead), each head and next index (below
 * the size), each buffer (wholly inside one guest RAM range, through
 * guest_mem_ptr(); addr + len must not wrap), the chain's length (no more
 * descriptors than the table it walks holds: the queue size, or the indirect
 * table's entries; this also ends a loop), the sum of its lengths (fits 32
 * bits), indirect tables (the feature negotiated, a size that is a non-zero
 * multiple of 16 and at most VQ_MAX_SIZE entries, not nested, not combined
 * with NEXT; Linux puts more entries in one than the queue has), and the order (no device-readable buffer after a
 * device-writable one). Each descriptor is copied once out of guest memory
 * before it is checked, so a guest changing it meanwhile cannot slip past.
 *
 * A violation makes vq_pop() return -errno (the kind is counted in
 * struct vq_stats and logged once per queue) and marks the queue broken:
 * every later vq_pop() returns -EIO until vq_setup() again. The transport
 * then sets DEVICE_NEEDS_RESET (devices/virtio_pci.h). Nothing outside
 * guest RAM is ever read or written.
 *
 * A queue is used by one thread at a time (the device's worker or the vCPU
 * thread that notified it); the caller serialises. Guest-shared indices are
 * read with acquire and written with release ordering.
 */
#ifndef SSIVM_DEVICES_VIRTQUEUE_H
#define SSIVM_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/memmap.h"

#define VQ_MAX_SIZE 32768

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));
_Static_assert(sizeof(struct vring_desc) == 16, "virtq_desc");

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
} __attribute__((packed));
_Static_assert(sizeof(struct vring_used_elem) == 8, "virtq_used_elem");

/* One buffer of a chain: @host is guest RAM, @len bytes, checked. */
struct vq_buf {
	void *host;
	uint64_t gpa;
	uint32_t len;
	bool writable; /* device-writable */
};

/* A popped chain: bufs[0..nr) (the caller's array), readable ones first. */
struct vq_chain {
	uint16_t head;
	uint32_t nr;
	struct vq_buf *bufs;
	uint32_t readable_len, writable_len; /* bytes of each kind */
};

struct vq_stats {
	uint64_t chains;       /* chains popped */
	uint64_t bad_addr;     /* buffer or ring outside guest RAM, or misaligned ring */
	uint64_t bad_index;    /* avail idx too far ahead, head or next >= size */
	uint64_t loop;         /* chain longer than its table (a loop or too long) */
	uint64_t overflow;     /* addr + len wraps, or the chain's total > 4 GiB */
	uint64_t bad_indirect; /* indirect not negotiated, bad size, nested, with NEXT */
	uint64_t bad_order;    /* device-readable after device-writable */
	uint64_t too_many;     /* more buffers than the caller's array (not a guest fault) */
};

struct vq {
	const struct guest_mem *mem;
	uint16_t size;
	bool indirect, event_idx; /* features negotiated */
	bool broken;
	bool warned;
	uint16_t last_avail; /* next available-ring slot to consume */
	uint16_t used_idx;   /* next used-ring slot to fill */
	struct vring_desc *desc;
	uint16_t *avail; /* flags, idx, ring[size], used_event */
	uint8_t *used;   /* flags, idx, ring[size] of vring_used_elem, avail_event */
	const char *name;
	struct vq_stats stats;
};

/*
 * Check and map a queue of @size entries (a power of two, 1..32768) whose
 * rings the driver placed at @desc (16-byte aligned), @avail (2), @used (4).
 * 0, -EINVAL (size), -EFAULT (a ring outside RAM or misaligned; counted).
 */
int vq_setup(struct vq *q, const struct guest_mem *mem, const char *name, uint16_t size,
	     uint64_t desc, uint64_t avail, uint64_t used, bool indirect, bool event_idx);

/*
 * Take the next available chain into @c (its buffers in @bufs, room for
 * @max). 1 a chain, 0 none available; on bad input -EFAULT, -ERANGE,
 * -ELOOP, -EOVERFLOW, -EINVAL (indirect), -EPROTO (order), and the queue is
 * broken; -EIO when it already was; -E2BIG when @max is too small: the
 * chain (c->head) is consumed with c->nr 0 and the queue not broken; the
 * device returns it with an error status (it broke the device's limits,
 * e.g. seg_max, not the ring's rules).
 */
int vq_pop(struct vq *q, struct vq_chain *c, struct vq_buf *bufs, uint32_t max);

/* Return chain @head with @written bytes written into its writable buffers. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/* After vq_push()es that moved used idx from @old: must the driver be
 * interrupted (event index, or the NO_INTERRUPT flag)? */
bool vq_should_notify(struct vq *q, uint16_t old);

/* Copy up to @len bytes of the chain's readable buffers from @off into @dst /
 * of @src into its writable buffers from @off. Return the bytes copied. */
uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len);
uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len);

#endif
