/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/virtio_pci.h — the virtio 1.x PCI transport, modern only (virtio
 * 1.2, 4.1), shared by every virtio device (devices/virtio_rng.c, ...).
 *
 * One PCI function (vendor 0x1AF4, device 0x1040 + virtio ID, revision 1)
 * with one 32 KiB memory BAR 0:
 *   0x0000  common configuration (struct virtio_pci_common_cfg)
 *   0x1000  ISR status (read clears)
 *   0x2000  device-specific configuration (ops->cfg_read/cfg_write)
 *   0x3000  notifications: queue q at 0x3000 + 4 q (notify_off_multiplier 4)
 *   0x4000  MSI-X table (one vector per queue + one for configuration)
 *   0x5000  MSI-X pending-bit array
 * described by vendor capabilities (common, notify, ISR, device) and an
 * MSI-X capability. Interrupts are MSI-X only (no INTx pin): a vector's
 * message goes to machine_msi() (the interrupt layer's irq_deliver()), so
 * it reaches a vCPU on any node; a masked vector's interrupt is kept
 * pending and sent on unmask.
 *
 * Features offered on top of the device's: VIRTIO_F_VERSION_1,
 * VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_RING_EVENT_IDX. FEATURES_OK sticks
 * only for a subset of them that includes VERSION_1. Queues are split
 * virtqueues (devices/virtqueue.h); a queue that sees bad input breaks, and
 * the transport sets DEVICE_NEEDS_RESET and sends a configuration
 * interrupt; the guest's reset (status 0) clears it. Bad register accesses
 * (wrong width, offset, a write to a read-only field) are counted in
 * struct virtio_pci_stats and ignored.
 *
 * Threads: BAR accesses come on vCPU threads (or the cross-node I/O
 * thread); the device lock serialises them with the queue processing,
 * which runs in ops->queue_notify on the notifying thread.
 */
#ifndef SSIVM_DEVICES_VIRTIO_PCI_H
#define SSIVM_DEVICES_VIRTIO_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/virtqueue.h"

#define VIRTIO_PCI_MAX_QUEUES 8
#define VIRTIO_PCI_BAR_SIZE 0x8000

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

struct virtio_pci;

struct virtio_dev_ops {
	const char *name;    /* "virtio-rng" */
	uint16_t device_id;  /* virtio device ID (4 = entropy source) */
	uint32_t class_code; /* PCI class */
	uint16_t nr_queues;
	uint16_t queue_max; /* largest queue size offered (power of two) */
	uint64_t features;  /* device-specific feature bits */
	/* Device configuration space (0x2000 of BAR 0), @len bytes at @off. */
	uint32_t cfg_size;
	void (*cfg_read)(struct virtio_pci *vp, uint32_t off, void *data, uint32_t len);
	/* The driver notified queue @q (device lock held): pop, serve, push,
	 * then virtio_pci_queue_done(). */
	void (*queue_notify)(struct virtio_pci *vp, uint16_t q);
	/* The driver reset the device (device lock held). Optional. */
	void (*reset)(struct virtio_pci *vp);
};

struct virtio_pci_stats {
	uint64_t bad_accesses; /* wrong width/offset, writes to read-only fields */
	uint64_t bad_features; /* FEATURES_OK with features not offered or no VERSION_1 */
	uint64_t bad_queues;   /* queue enabled with bad rings or size */
	uint64_t needs_reset;  /* times DEVICE_NEEDS_RESET was set */
	uint64_t notifies;     /* queue notifications */
	uint64_t interrupts;   /* MSI-X messages sent */
	uint64_t msi_failures; /* machine_msi() errors, or no vector assigned */
};

struct virtio_pci_queue {
	uint16_t size, msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	struct vq vq;
	char name[32];
};

struct virtio_pci {
	struct pci_dev pci;
	const struct virtio_dev_ops *ops;
	struct machine *m;
	void *priv; /* the device's */
	pthread_mutex_t lock;
	uint32_t dev_feature_sel, drv_feature_sel;
	uint64_t driver_features;
	uint8_t status, isr, config_generation;
	uint16_t queue_sel, config_vector;
	struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
	uint32_t msix[VIRTIO_PCI_MAX_QUEUES + 1][4]; /* addr lo, addr hi, data, control */
	uint64_t pending;                            /* pending bits of the vectors */
	int msix_cap;                                /* config offset of the MSI-X capability */
	struct virtio_pci_stats stats;
};

/* Build the PCI function for @ops and plug it into @m's PCI bus. Start-up
 * (a DEVICE_INIT). 0 or -errno. */
int __must_check virtio_pci_create(struct virtio_pci *vp, struct machine *m,
				   const struct virtio_dev_ops *ops, void *priv);

/* The device used buffers of queue @q, moving its used index from @old:
 * interrupt the driver when the ring asks for it. Device lock held. */
void virtio_pci_queue_done(struct virtio_pci *vp, uint16_t q, uint16_t old);

/* BAR 0 access (for tests; the PCI bus calls it). */
int virtio_pci_bar_access(void *opaque, uint32_t cpu, uint64_t off, void *data, uint32_t len,
			  bool is_write);

#endif
