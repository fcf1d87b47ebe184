// SPDX-License-Identifier: GPL-2.0-only
/*
 * devices/virtio_rng.c — virtio entropy source (virtio 1.2, 5.4) on the
 * virtio-pci transport: one queue; each chain's device-writable buffers
 * are filled from the host's getrandom() (at most 64 KiB per chain), on the
 * thread that notified. A chain with no writable buffer is returned with
 * length 0. Registered with DEVICE_INIT at DEVICE_LEVEL_DEV.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "devices/machine.h"
#include "devices/virtio_pci.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_CHAIN 16
#define RNG_MAX_BYTES 65536

static struct virtio_pci rng;
static uint64_t rng_bytes;

static uint32_t fill(struct vq_buf *b)
{
	uint32_t done = 0;

	while (done < b->len) {
		ssize_t n = getrandom((uint8_t *)b->host + done, b->len - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("virtio-rng: getrandom: %s", strerror(errno));
			break;
		}
		done += (uint32_t)n;
	}
	return done;
}

static void rng_notify(struct virtio_pci *vp, uint16_t q)
{
	struct vq *vq = &vp->queues[q].vq;
	struct vq_buf bufs[RNG_MAX_CHAIN];
	uint16_t old = vq->used_idx;
	struct vq_chain c;
	int ret;

	while ((ret = vq_pop(vq, &c, bufs, RNG_MAX_CHAIN)) != 0) {
		uint32_t written = 0;

		if (ret == -E2BIG) {
			vq_push(vq, c.head, 0);
			continue;
		}
		if (ret < 0)
			break; /* broken: the transport sets NEEDS_RESET */
		for (uint32_t i = 0; i < c.nr && written < RNG_MAX_BYTES; i++) {
			struct vq_buf b = c.bufs[i];

			if (!b.writable)
				continue;
			if (b.len > RNG_MAX_BYTES - written)
				b.len = RNG_MAX_BYTES - written;
			written += fill(&b);
		}
		rng_bytes += written;
		vq_push(vq, c.head, written);
	}
	virtio_pci_queue_done(vp, q, old);
}

static const struct virtio_dev_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = 4,
    .class_code = 0x00FF00,
    .nr_queues = 1,
    .queue_max = RNG_QUEUE_SIZE,
    .queue_notify = rng_notify,
};

static int rng_init(struct machine *m)
{
	rng_bytes = 0;
	return virtio_pci_create(&rng, m, &rng_ops, NULL);
}

static void rng_exit(struct machine *m)
{
	const struct virtio_pci_stats *s = &rng.stats;
	const struct vq_stats *q = &rng.queues[0].vq.stats;

	(void)m;
	pr_info(
	    "virtio-rng: %llu bytes in %llu requests, %llu notifications, %llu interrupts; "
	    "bad input: %llu register accesses, %llu feature sets, %llu queue set-ups, %llu "
	    "times needs-reset (ring: %llu addresses, %llu indices, %llu loops, %llu overflows, "
	    "%llu indirect, %llu order)",
	    (unsigned long long)rng_bytes, (unsigned long long)q->chains,
	    (unsigned long long)s->notifies, (unsigned long long)s->interrupts,
	    (unsigned long long)s->bad_accesses, (unsigned long long)s->bad_features,
	    (unsigned long long)s->bad_queues, (unsigned long long)s->needs_reset,
	    (unsigned long long)q->bad_addr, (unsigned long long)q->bad_index,
	    (unsigned long long)q->loop, (unsigned long long)q->overflow,
	    (unsigned long long)q->bad_indirect, (unsigned long long)q->bad_order);
	pthread_mutex_destroy(&rng.lock);
}

DEVICE_INIT("virtio-rng", DEVICE_LEVEL_DEV, rng_init, rng_exit)
