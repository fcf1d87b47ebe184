// SPDX-License-Identifier: GPL-2.0-only
/* devices/virtio_pci.c — the modern virtio PCI transport: capabilities, the
 * common configuration, notifications, ISR, MSI-X. */
#include "devices/virtio_pci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "devices/machine.h"

#define OFF_COMMON 0x0000
#define OFF_ISR 0x1000
#define OFF_DEVICE 0x2000
#define OFF_NOTIFY 0x3000
#define OFF_MSIX 0x4000
#define OFF_PBA 0x5000
#define NOTIFY_MULT 4
#define NO_VECTOR 0xFFFF

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000

static uint64_t offered(const struct virtio_pci *vp)
{
	return vp->ops->features | 1ULL << VIRTIO_F_VERSION_1 |
	       1ULL << VIRTIO_F_RING_INDIRECT_DESC | 1ULL << VIRTIO_F_RING_EVENT_IDX;
}

static uint32_t nr_vectors(const struct virtio_pci *vp)
{
	return vp->ops->nr_queues + 1U;
}

static uint16_t msix_control(const struct virtio_pci *vp)
{
	return (uint16_t)(vp->pci.cfg[vp->msix_cap + 2] | vp->pci.cfg[vp->msix_cap + 3] << 8);
}

/* Send vector @v now, or keep it pending while masked. */
static void send_vector(struct virtio_pci *vp, uint16_t v)
{
	uint16_t ctl = msix_control(vp);
	const uint32_t *e;
	int ret;

	if (v == NO_VECTOR || v >= nr_vectors(vp) || !(ctl & MSIX_ENABLE)) {
		vp->stats.msi_failures++;
		return;
	}
	e = vp->msix[v];
	if ((ctl & MSIX_MASKALL) || (e[3] & 1)) {
		vp->pending |= 1ULL << v;
		return;
	}
	vp->pending &= ~(1ULL << v);
	ret = machine_msi(vp->m, (uint64_t)e[1] << 32 | e[0], e[2]);
	if (ret) {
		vp->stats.msi_failures++;
		pr_debug("%s: MSI-X vector %u (0x%x:0x%x) not delivered: %s", vp->ops->name, v,
			 e[0], e[2], strerror(-ret));
	} else {
		vp->stats.interrupts++;
	}
}

static void flush_pending(struct virtio_pci *vp)
{
	for (uint16_t v = 0; v < nr_vectors(vp); v++)
		if (vp->pending & (1ULL << v))
			send_vector(vp, v);
}

static void needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp->stats.needs_reset++;
	pr_warn("%s: bad input from the driver: DEVICE_NEEDS_RESET set", vp->ops->name);
	vp->isr |= 2;
	vp->config_generation++;
	send_vector(vp, vp->config_vector);
}

void virtio_pci_queue_done(struct virtio_pci *vp, uint16_t q, uint16_t old)
{
	struct virtio_pci_queue *vq = &vp->queues[q];

	if (vq->vq.broken) {
		needs_reset(vp);
		return;
	}
	if (vq->vq.used_idx != old && vq_should_notify(&vq->vq, old)) {
		vp->isr |= 1;
		send_vector(vp, vq->msix_vector);
	}
}

static void device_reset(struct virtio_pci *vp)
{
	vp->status = 0;
	vp->isr = 0;
	vp->driver_features = 0;
	vp->dev_feature_sel = vp->drv_feature_sel = 0;
	vp->queue_sel = 0;
	vp->config_vector = NO_VECTOR;
	vp->pending = 0;
	for (uint16_t q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		struct virtio_pci_queue *vq = &vp->queues[q];

		vq->size = vp->ops->queue_max;
		vq->msix_vector = NO_VECTOR;
		vq->enabled = false;
		vq->desc = vq->driver = vq->device = 0;
		memset(&vq->vq, 0, sizeof(vq->vq));
	}
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

static struct virtio_pci_queue *cur_queue(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->ops->nr_queues ? &vp->queues[vp->queue_sel] : NULL;
}

static void enable_queue(struct virtio_pci *vp, struct virtio_pci_queue *vq)
{
	uint64_t f = vp->driver_features;

	if (vq_setup(&vq->vq, vp->m->mem, vq->name, vq->size, vq->desc, vq->driver, vq->device,
		     f & (1ULL << VIRTIO_F_RING_INDIRECT_DESC),
		     f & (1ULL << VIRTIO_F_RING_EVENT_IDX))) {
		vp->stats.bad_queues++;
		needs_reset(vp);
		return;
	}
	vq->enabled = true;
}

static void write_status(struct virtio_pci *vp, uint8_t v)
{
	if (!v) {
		device_reset(vp);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t f = vp->driver_features;

		if ((f & ~offered(vp)) || !(f & (1ULL << VIRTIO_F_VERSION_1))) {
			vp->stats.bad_features++;
			pr_warn("%s: driver features 0x%llx not a subset of 0x%llx with VERSION_1: "
				"FEATURES_OK refused",
				vp->ops->name, (unsigned long long)f,
				(unsigned long long)offered(vp));
			v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	/* NEEDS_RESET is the device's to set; the driver cannot clear it */
	vp->status =
	    (uint8_t)((v & ~VIRTIO_STATUS_NEEDS_RESET) | (vp->status & VIRTIO_STATUS_NEEDS_RESET));
}

/* The common configuration as bytes, for reads of any aligned field. */
static void common_snapshot(struct virtio_pci *vp, uint8_t b[0x38])
{
	struct virtio_pci_queue *vq = cur_queue(vp);
	uint64_t feat = offered(vp);
	uint32_t dfeat =
	    vp->dev_feature_sel < 2 ? (uint32_t)(feat >> (32 * vp->dev_feature_sel)) : 0;
	uint32_t drv = vp->drv_feature_sel < 2
			   ? (uint32_t)(vp->driver_features >> (32 * vp->drv_feature_sel))
			   : 0;
	uint16_t w[4];

	memset(b, 0, 0x38);
	memcpy(b + 0x00, &vp->dev_feature_sel, 4);
	memcpy(b + 0x04, &dfeat, 4);
	memcpy(b + 0x08, &vp->drv_feature_sel, 4);
	memcpy(b + 0x0C, &drv, 4);
	memcpy(b + 0x10, &vp->config_vector, 2);
	memcpy(b + 0x12, &vp->ops->nr_queues, 2);
	b[0x14] = vp->status;
	b[0x15] = vp->config_generation;
	memcpy(b + 0x16, &vp->queue_sel, 2);
	if (!vq)
		return;
	w[0] = vq->size;
	w[1] = vq->msix_vector;
	w[2] = vq->enabled;
	w[3] = vp->queue_sel; /* queue_notify_off */
	memcpy(b + 0x18, w, 8);
	memcpy(b + 0x20, &vq->desc, 8);
	memcpy(b + 0x28, &vq->driver, 8);
	memcpy(b + 0x30, &vq->device, 8);
}

static void set_half(uint64_t *field, uint32_t off, uint32_t v)
{
	if (off & 4)
		*field = (*field & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | v;
}

static int common_write(struct virtio_pci *vp, uint32_t off, uint32_t v, uint32_t len)
{
	struct virtio_pci_queue *vq = cur_queue(vp);

	switch (off) {
	case 0x00:
		vp->dev_feature_sel = v;
		return len == 4 ? 0 : -EINVAL;
	case 0x08:
		vp->drv_feature_sel = v;
		return len == 4 ? 0 : -EINVAL;
	case 0x0C:
		if (len != 4 || vp->drv_feature_sel > 1)
			return -EINVAL;
		set_half(&vp->driver_features, vp->drv_feature_sel * 4, v);
		return 0;
	case 0x10:
		vp->config_vector = (uint16_t)(v < nr_vectors(vp) ? v : NO_VECTOR);
		return len == 2 ? 0 : -EINVAL;
	case 0x14:
		write_status(vp, (uint8_t)v);
		return len == 1 ? 0 : -EINVAL;
	case 0x16:
		vp->queue_sel = (uint16_t)v;
		return len == 2 ? 0 : -EINVAL;
	}
	if (!vq || len > 4 || (vq->enabled && off != 0x1A))
		return -EINVAL; /* no such queue, or it is live: only its vector may change */
	switch (off) {
	case 0x18:
		if (!v || v > vp->ops->queue_max || (v & (v - 1)))
			return -EINVAL;
		vq->size = (uint16_t)v;
		return 0;
	case 0x1A:
		vq->msix_vector = (uint16_t)(v < nr_vectors(vp) ? v : NO_VECTOR);
		return 0;
	case 0x1C:
		if (v == 1)
			enable_queue(vp, vq);
		return 0;
	case 0x20:
	case 0x24:
		set_half(&vq->desc, off, v);
		return 0;
	case 0x28:
	case 0x2C:
		set_half(&vq->driver, off, v);
		return 0;
	case 0x30:
	case 0x34:
		set_half(&vq->device, off, v);
		return 0;
	}
	return -EINVAL;
}

static int msix_access(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len, bool is_write)
{
	if (off >= OFF_PBA) {
		uint64_t pba = vp->pending;

		if (is_write || off - OFF_PBA + len > 8)
			return -EINVAL;
		memcpy(data, (uint8_t *)&pba + (off - OFF_PBA), len);
		return 0;
	}
	off -= OFF_MSIX;
	if (len != 4 || off / 16 >= nr_vectors(vp))
		return -EINVAL;
	if (!is_write) {
		memcpy(data, &vp->msix[off / 16][(off % 16) / 4], 4);
		return 0;
	}
	memcpy(&vp->msix[off / 16][(off % 16) / 4], data, 4);
	if ((off % 16) == 12)
		flush_pending(vp); /* an unmask sends what waited */
	return 0;
}

int virtio_pci_bar_access(void *opaque, uint32_t cpu, uint64_t off, void *data, uint32_t len,
			  bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint32_t v = 0;
	int ret = 0;

	(void)cpu;
	pthread_mutex_lock(&vp->lock);
	if (len > 4 || (off & (len - 1))) {
		ret = -EINVAL;
	} else if (off < OFF_COMMON + 0x38) {
		if (is_write) {
			memcpy(&v, data, len);
			ret = common_write(vp, (uint32_t)off, v, len);
		} else {
			uint8_t b[0x38];

			common_snapshot(vp, b);
			memcpy(data, b + off, len);
		}
	} else if (off == OFF_ISR && !is_write) {
		*(uint8_t *)data = vp->isr; /* read clears */
		memset((uint8_t *)data + 1, 0, len - 1);
		vp->isr = 0;
	} else if (off >= OFF_DEVICE && off + len <= OFF_DEVICE + vp->ops->cfg_size) {
		if (is_write || !vp->ops->cfg_read)
			ret = -EINVAL;
		else
			vp->ops->cfg_read(vp, (uint32_t)(off - OFF_DEVICE), data, len);
	} else if (off >= OFF_NOTIFY &&
		   off < OFF_NOTIFY + NOTIFY_MULT * (uint64_t)vp->ops->nr_queues && is_write) {
		uint16_t q = (uint16_t)((off - OFF_NOTIFY) / NOTIFY_MULT);

		vp->stats.notifies++;
		if (vp->queues[q].enabled && (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
		    !(vp->status & VIRTIO_STATUS_NEEDS_RESET))
			vp->ops->queue_notify(vp, q);
	} else if (off >= OFF_MSIX && off < OFF_PBA + 8) {
		ret = msix_access(vp, off, data, len, is_write);
	} else {
		ret = -EINVAL;
	}
	if (ret) {
		vp->stats.bad_accesses++;
		if (!is_write)
			memset(data, 0xff, len);
		pr_debug("%s: bad %s of %u bytes at BAR offset 0x%llx ignored", vp->ops->name,
			 is_write ? "write" : "read", len, (unsigned long long)off);
	}
	pthread_mutex_unlock(&vp->lock);
	return 0;
}

static void cfg_written(struct pci_dev *d, uint32_t off, uint32_t len)
{
	struct virtio_pci *vp = d->opaque;

	/* MSI-X enabled or unmasked: send what waited (bus lock held, not ours) */
	if (off <= (uint32_t)vp->msix_cap + 3 && off + len > (uint32_t)vp->msix_cap + 2) {
		pthread_mutex_lock(&vp->lock);
		flush_pending(vp);
		pthread_mutex_unlock(&vp->lock);
	}
}

static int add_vendor_cap(struct pci_dev *d, uint8_t type, uint32_t off, uint32_t len, bool notify)
{
	uint8_t b[18] = {0};

	b[0] = notify ? 20 : 16; /* cap_len */
	b[1] = type;
	b[2] = 0; /* BAR 0 */
	memcpy(b + 6, &off, 4);
	memcpy(b + 10, &len, 4);
	if (notify) {
		uint32_t mult = NOTIFY_MULT;

		memcpy(b + 14, &mult, 4);
	}
	return pci_dev_add_cap(d, PCI_CAP_ID_VNDR, b, notify ? 20 : 16);
}

int virtio_pci_create(struct virtio_pci *vp, struct machine *m, const struct virtio_dev_ops *ops,
		      void *priv)
{
	struct pci_dev *d = &vp->pci;
	uint8_t msix[10] = {0};
	uint32_t table = OFF_MSIX, pba = OFF_PBA;
	uint16_t ctl;
	int ret = 0;

	if (ops->nr_queues == 0 || ops->nr_queues > VIRTIO_PCI_MAX_QUEUES || !ops->queue_max ||
	    ops->queue_max > VQ_MAX_SIZE || (ops->queue_max & (ops->queue_max - 1)))
		return -EINVAL;
	memset(vp, 0, sizeof(*vp));
	pthread_mutex_init(&vp->lock, NULL);
	vp->ops = ops;
	vp->m = m;
	vp->priv = priv;
	for (uint16_t q = 0; q < ops->nr_queues; q++)
		snprintf(vp->queues[q].name, sizeof(vp->queues[q].name), "%s queue %u", ops->name,
			 q);
	device_reset(vp);
	d->name = ops->name;
	d->opaque = vp;
	d->cfg_written = cfg_written;
	pci_dev_init_header(d, 0x1AF4, (uint16_t)(0x1040 + ops->device_id), ops->class_code, 1,
			    0x1AF4, (uint16_t)(0x1040 + ops->device_id));
	d->wmask[PCI_INTERRUPT_LINE] = 0; /* no INTx */
	d->bars[0] = (struct pci_bar){
	    .size = VIRTIO_PCI_BAR_SIZE, .fn = virtio_pci_bar_access, .opaque = vp};
	ctl = (uint16_t)(nr_vectors(vp) - 1);
	memcpy(msix, &ctl, 2);
	memcpy(msix + 2, &table, 4); /* BIR 0 */
	memcpy(msix + 6, &pba, 4);
	vp->msix_cap = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, msix, 12);
	if (vp->msix_cap < 0)
		return vp->msix_cap;
	d->wmask[vp->msix_cap + 3] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
	if (add_vendor_cap(d, CAP_COMMON, OFF_COMMON, 0x38, false) < 0 ||
	    add_vendor_cap(d, CAP_NOTIFY, OFF_NOTIFY, NOTIFY_MULT * ops->nr_queues, true) < 0 ||
	    add_vendor_cap(d, CAP_ISR, OFF_ISR, 1, false) < 0 ||
	    (ops->cfg_size && add_vendor_cap(d, CAP_DEVICE, OFF_DEVICE, ops->cfg_size, false) < 0))
		return -ENOSPC;
	for (uint32_t v = 0; v < nr_vectors(vp); v++)
		vp->msix[v][3] = 1; /* masked at reset */
	ret = pci_register(m, d);
	if (ret)
		pr_err("%s: cannot plug into the PCI bus: %s", ops->name, strerror(-ret));
	else
		pr_info("%s: PCI 00:%02x.0, BAR 0 at 0x%x, %u queue(s) of up to %u", ops->name,
			d->slot,
			d->cfg[PCI_BAR0] | d->cfg[PCI_BAR0 + 1] << 8 | d->cfg[PCI_BAR0 + 2] << 16 |
			    (uint32_t)d->cfg[PCI_BAR0 + 3] << 24,
			ops->nr_queues, ops->queue_max);
	return ret;
}
