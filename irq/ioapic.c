// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq/ioapic.c — the userspace IOAPIC of IRQ_SPLIT and IRQ_USER: 24 pins at
 * 0xFEC00000 (the MADT's IOAPIC), IOREGSEL/IOWIN and the version-0x20 EOI
 * register. A pin assertion (vm_irq_line() from a device) becomes an
 * interrupt message built from its redirection entry and goes through
 * irq_deliver(): KVM_SIGNAL_MSI with the in-kernel LAPIC, the userspace
 * LAPIC otherwise. Level-triggered pins keep remote IRR until the EOI
 * (userspace LAPIC EOI, or KVM_EXIT_IOAPIC_EOI in split mode).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "common/log.h"
#include "devices/bus.h"
#include "irq/irq.h"
#include "irq/lapic.h"

#define IOAPIC_BASE 0xFEC00000ULL
#define IOAPIC_SIZE 0x100
#define IOAPIC_PINS 24
#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_DELIVS (1ull << 12)

static struct ioapic {
	pthread_mutex_t lock;
	struct vm *vm;
	uint32_t ioregsel;
	uint32_t id;
	uint64_t rte[IOAPIC_PINS];
	uint32_t lines; /* current level of each pin */
} io = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void rte_to_msg(uint64_t e, struct irq_msg *m)
{
	*m = (struct irq_msg){
	    .dest = (uint32_t)(e >> 56),
	    .vector = (uint8_t)e,
	    .delivery = (uint8_t)((e >> 8) & 7),
	    .logical = e & (1ull << 11),
	    .level = e & RTE_LEVEL,
	};
}

/* Send pin @pin's message if it should fire now. Lock held; the message is
 * returned in @m (sent by the caller after unlocking). */
static bool pin_fire(uint32_t pin, struct irq_msg *m)
{
	uint64_t e = io.rte[pin];

	if ((e & RTE_MASKED) || !(io.lines & (1u << pin)))
		return false;
	if (e & RTE_LEVEL) {
		if (e & RTE_REMOTE_IRR)
			return false;
		io.rte[pin] |= RTE_REMOTE_IRR;
	}
	rte_to_msg(e, m);
	return true;
}

static void send(const struct irq_msg *m)
{
	__atomic_fetch_add(&irq_stats.ioapic_irqs, 1, __ATOMIC_RELAXED);
	irq_deliver(io.vm, m);
}

static int ioapic_set_irq(void *opaque, uint32_t pin, int level)
{
	struct irq_msg m;
	bool fire = false;

	if (pin >= IOAPIC_PINS)
		return -EINVAL;
	pthread_mutex_lock(&io.lock);
	bool was = io.lines & (1u << pin);

	if (level)
		io.lines |= 1u << pin;
	else
		io.lines &= ~(1u << pin);
	/* edge: on the rising edge; level: while high and not in service */
	if (level && (!was || (io.rte[pin] & RTE_LEVEL)))
		fire = pin_fire(pin, &m);
	pthread_mutex_unlock(&io.lock);
	if (fire)
		send(&m);
	return 0;
}

void ioapic_eoi(struct vm *vm, uint8_t vector)
{
	struct irq_msg msgs[IOAPIC_PINS];
	unsigned n = 0;

	pthread_mutex_lock(&io.lock);
	for (uint32_t pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io.rte[pin];

		if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR) && (uint8_t)e == vector) {
			io.rte[pin] &= ~RTE_REMOTE_IRR;
			if (pin_fire(pin, &msgs[n]))
				n++;
		}
	}
	pthread_mutex_unlock(&io.lock);
	for (unsigned i = 0; i < n; i++)
		send(&msgs[i]);
}

static uint32_t ioapic_reg_read(uint32_t r)
{
	switch (r) {
	case 0:
		return io.id << 24;
	case 1:
		return ((IOAPIC_PINS - 1) << 16) | 0x20; /* version 0x20: EOI register */
	case 2:
		return io.id << 24;
	default:
		if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
			uint64_t e = io.rte[(r - 0x10) / 2];

			return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0;
	}
}

/* Returns true and fills @m when unmasking a raised level pin fires it. */
static bool ioapic_reg_write(uint32_t r, uint32_t v, struct irq_msg *m)
{
	if (r == 0) {
		io.id = (v >> 24) & 0xf;
		return false;
	}
	if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS)
		return false;
	uint32_t pin = (r - 0x10) / 2;
	uint64_t e = io.rte[pin];

	if (r & 1) {
		e = (e & 0xffffffffull) | ((uint64_t)v << 32);
	} else {
		/* remote IRR and delivery status are read-only */
		uint64_t ro = RTE_REMOTE_IRR | RTE_DELIVS;

		e = (e & ~0xffffffffull) | (e & ro) | (v & ~ro & 0xffffffffull);
		if (!(e & RTE_LEVEL))
			e &= ~RTE_REMOTE_IRR;
	}
	io.rte[pin] = e;
	return (e & RTE_LEVEL) && pin_fire(pin, m);
}

static int ioapic_mmio(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		       void *opaque)
{
	uint32_t off = (uint32_t)(addr - IOAPIC_BASE), v = 0;
	struct irq_msg m;
	bool fire = false;

	if (len != 4 || (off & 3)) {
		__atomic_fetch_add(&irq_stats.bad_access, 1, __ATOMIC_RELAXED);
		if (!is_write)
			memset(data, 0, len);
		return 0;
	}
	if (is_write)
		memcpy(&v, data, 4);
	pthread_mutex_lock(&io.lock);
	switch (off) {
	case 0x00:
		if (is_write)
			io.ioregsel = v & 0xff;
		else
			v = io.ioregsel;
		break;
	case 0x10:
		if (is_write)
			fire = ioapic_reg_write(io.ioregsel, v, &m);
		else
			v = ioapic_reg_read(io.ioregsel);
		break;
	case 0x40:
		if (is_write) {
			pthread_mutex_unlock(&io.lock);
			ioapic_eoi(io.vm, (uint8_t)v);
			return 0;
		}
		v = 0;
		break;
	default:
		v = 0;
		break;
	}
	pthread_mutex_unlock(&io.lock);
	if (!is_write)
		memcpy(data, &v, 4);
	if (fire)
		send(&m);
	return 0;
}

int ioapic_init(struct vm *vm);
int ioapic_init(struct vm *vm)
{
	int ret;

	pthread_mutex_lock(&io.lock);
	io.vm = vm;
	io.ioregsel = io.id = io.lines = 0;
	for (int i = 0; i < IOAPIC_PINS; i++)
		io.rte[i] = RTE_MASKED;
	pthread_mutex_unlock(&io.lock);
	ret = mmio_register(vm, IOAPIC_BASE, IOAPIC_SIZE, ioapic_mmio, NULL, "ioapic");
	if (ret) {
		pr_err("userspace IOAPIC: cannot claim 0x%llx: %s", IOAPIC_BASE, strerror(-ret));
		return ret;
	}
	vm_set_irq_line_handler(vm, ioapic_set_irq, NULL);
	return 0;
}
