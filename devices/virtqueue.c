// SPDX-License-Identifier: GPL-2.0-only
/* devices/virtqueue.c — the split virtqueue walker; every descriptor checked. */
#include "devices/virtqueue.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2

static uint16_t ld16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint16_t *used_idx_ptr(struct vq *q)
{
	return (uint16_t *)(q->used + 2);
}

static uint16_t *avail_event_ptr(struct vq *q)
{
	return (uint16_t *)(q->used + 4 + 8 * (size_t)q->size);
}

/* Count @kind, log the first problem of this queue, break it. */
static int vq_fail(struct vq *q, uint64_t *kind, int err, const char *what, uint64_t a, uint64_t b)
{
	(*kind)++;
	q->broken = true;
	if (!q->warned) {
		q->warned = true;
		pr_warn("virtqueue %s: %s (0x%llx, 0x%llx); the queue stops until the device is "
			"reset (later problems of this queue are only counted)",
			q->name, what, (unsigned long long)a, (unsigned long long)b);
	}
	return err;
}

int vq_setup(struct vq *q, const struct guest_mem *mem, const char *name, uint16_t size,
	     uint64_t desc, uint64_t avail, uint64_t used, bool indirect, bool event_idx)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->name = name;
	q->indirect = indirect;
	q->event_idx = event_idx;
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1))) {
		q->broken = true;
		q->stats.bad_index++;
		pr_warn("virtqueue %s: size %u (expected a power of two, 1..%u)", name, size,
			VQ_MAX_SIZE);
		return -EINVAL;
	}
	q->size = size;
	if ((desc & 15) || (avail & 1) || (used & 3))
		return vq_fail(q, &q->stats.bad_addr, -EFAULT, "misaligned rings (desc, used)",
			       desc, used);
	q->desc = guest_mem_ptr(mem, desc, 16ULL * size);
	q->avail = guest_mem_ptr(mem, avail, 6 + 2ULL * size);
	q->used = guest_mem_ptr(mem, used, 6 + 8ULL * size);
	if (!q->desc || !q->avail || !q->used)
		return vq_fail(q, &q->stats.bad_addr, -EFAULT,
			       "a ring outside guest RAM (desc, avail)", desc, avail);
	return 0;
}

int vq_pop(struct vq *q, struct vq_chain *c, struct vq_buf *bufs, uint32_t max)
{
	const struct vring_desc *table;
	uint32_t tsize, count = 0;
	uint64_t rlen = 0, wlen = 0;
	uint16_t avail_idx, head, idx;
	bool indirect = false;

	if (q->broken || !q->size)
		return -EIO;
	avail_idx = ld16(&q->avail[AVAIL_IDX]);
	if (avail_idx == q->last_avail) {
		if (q->event_idx)
			__atomic_store_n(avail_event_ptr(q), q->last_avail, __ATOMIC_RELEASE);
		return 0;
	}
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return vq_fail(q, &q->stats.bad_index, -ERANGE,
			       "available index too far ahead (avail idx, last seen)", avail_idx,
			       q->last_avail);
	head = ld16(&q->avail[AVAIL_RING + (q->last_avail & (q->size - 1))]);
	if (head >= q->size)
		return vq_fail(q, &q->stats.bad_index, -ERANGE,
			       "head index out of range (head, size)", head, q->size);
	memset(c, 0, sizeof(*c));
	c->head = head;
	c->bufs = bufs;
	table = q->desc;
	tsize = q->size;
	idx = head;
	for (;;) {
		struct vring_desc d;
		void *host;

		if (++count > tsize)
			return vq_fail(q, &q->stats.loop, -ELOOP,
				       "chain longer than its table: a loop? (head, table size)",
				       head, tsize);
		memcpy(&d, &table[idx], sizeof(d)); /* once: the guest may change it */
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!q->indirect || indirect || (d.flags & VRING_DESC_F_NEXT))
				return vq_fail(q, &q->stats.bad_indirect, -EINVAL,
					       "indirect descriptor not allowed here (flags, head)",
					       d.flags, head);
			if (!d.len || d.len % 16 || d.len / 16 > VQ_MAX_SIZE)
				return vq_fail(q, &q->stats.bad_indirect, -EINVAL,
					       "indirect table of bad size (len, max entries)",
					       d.len, VQ_MAX_SIZE);
			if (d.addr + d.len < d.addr)
				return vq_fail(q, &q->stats.overflow, -EOVERFLOW,
					       "indirect table wraps (addr, len)", d.addr, d.len);
			table = guest_mem_ptr(q->mem, d.addr, d.len);
			if (!table)
				return vq_fail(q, &q->stats.bad_addr, -EFAULT,
					       "indirect table outside guest RAM (addr, len)",
					       d.addr, d.len);
			tsize = d.len / 16;
			idx = 0;
			count = 0; /* the table's entries are the chain now */
			indirect = true;
			continue;
		}
		if (d.addr + d.len < d.addr)
			return vq_fail(q, &q->stats.overflow, -EOVERFLOW,
				       "buffer wraps (addr, len)", d.addr, d.len);
		host = guest_mem_ptr(q->mem, d.addr, d.len);
		if (!host)
			return vq_fail(q, &q->stats.bad_addr, -EFAULT,
				       "buffer outside guest RAM (addr, len)", d.addr, d.len);
		if (d.flags & VRING_DESC_F_WRITE) {
			wlen += d.len;
		} else {
			if (wlen || (c->nr && c->bufs[c->nr - 1].writable))
				return vq_fail(q, &q->stats.bad_order, -EPROTO,
					       "device-readable buffer after a writable one (head, "
					       "addr)",
					       head, d.addr);
			rlen += d.len;
		}
		if (rlen + wlen > UINT32_MAX)
			return vq_fail(q, &q->stats.overflow, -EOVERFLOW,
				       "chain longer than 4 GiB (head, bytes)", head, rlen + wlen);
		if (c->nr >= max) {
			/* consumed: the device answers it with an error status */
			q->stats.too_many++;
			q->last_avail++;
			c->nr = 0;
			return -E2BIG;
		}
		c->bufs[c->nr++] = (struct vq_buf){.host = host,
						   .gpa = d.addr,
						   .len = d.len,
						   .writable = (d.flags & VRING_DESC_F_WRITE) != 0};
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= tsize)
			return vq_fail(q, &q->stats.bad_index, -ERANGE,
				       "next index out of range (next, table size)", idx, tsize);
	}
	c->readable_len = (uint32_t)rlen;
	c->writable_len = (uint32_t)wlen;
	q->last_avail++;
	if (q->event_idx)
		__atomic_store_n(avail_event_ptr(q), q->last_avail, __ATOMIC_RELEASE);
	q->stats.chains++;
	return 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem e = {.id = head, .len = written};

	if (!q->size || !q->used)
		return;
	memcpy(q->used + 4 + 8 * (size_t)(q->used_idx & (q->size - 1)), &e, sizeof(e));
	q->used_idx++;
	__atomic_store_n(used_idx_ptr(q), q->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct vq *q, uint16_t old)
{
	uint16_t event;

	if (!q->size || !q->avail)
		return false;
	/* the used index must be visible before the driver's flags are read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(ld16(&q->avail[AVAIL_FLAGS]) & VRING_AVAIL_F_NO_INTERRUPT);
	event = ld16(&q->avail[AVAIL_RING + q->size]); /* used_event */
	return (uint16_t)(q->used_idx - event - 1) < (uint16_t)(q->used_idx - old);
}

static uint32_t chain_copy(const struct vq_chain *c, bool writable, uint32_t off, void *p,
			   uint32_t len, bool to_guest)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < c->nr && done < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		uint32_t n;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off < len - done ? b->len - off : len - done;
		if (to_guest)
			memcpy((uint8_t *)b->host + off, (const uint8_t *)p + done, n);
		else
			memcpy((uint8_t *)p + done, (const uint8_t *)b->host + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return chain_copy(c, false, off, dst, len, false);
}

uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	return chain_copy(c, true, off, (void *)src, len, true);
}
