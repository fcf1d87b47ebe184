// SPDX-License-Identifier: GPL-2.0-only
/* devices/power.c — ACPI PM1a event/control blocks and the 0xCF9 reset register. */
#include "devices/power.h"

#include <pthread.h>
#include <string.h>

#include "common/log.h"
#include "devices/bus.h"
#include "devices/machine.h"
#include "platform/acpi/acpi.h"

struct power {
	struct machine *m;
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
};

static struct power pm = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int pm_evt(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		  void *opaque)
{
	struct power *p = opaque;
	uint8_t *b = data;

	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < len; i++) {
		unsigned off = (unsigned)(addr - ACPI_PM1A_EVT_PORT + i);
		uint16_t *reg = off < 2 ? &p->sts : &p->en;
		unsigned shift = (off & 1) * 8;

		if (!is_write)
			b[i] = (uint8_t)(*reg >> shift);
		else if (off < 2)
			*reg &= ~((uint16_t)b[i] << shift); /* PM1_STS: write 1 to clear */
		else
			*reg = (*reg & ~(0xff << shift)) | ((uint16_t)b[i] << shift);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int pm_cnt(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		  void *opaque)
{
	struct power *p = opaque;
	uint8_t *b = data;
	uint16_t v;

	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		v = p->cnt | ACPI_PM1_CNT_SCI_EN;
		for (uint32_t i = 0; i < len; i++)
			b[i] = (uint8_t)(v >> (8 * ((addr - ACPI_PM1A_CNT_PORT + i) & 1)));
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	v = p->cnt;
	for (uint32_t i = 0; i < len; i++) {
		unsigned shift = 8 * ((addr - ACPI_PM1A_CNT_PORT + i) & 1);

		v = (v & ~(0xff << shift)) | ((uint16_t)b[i] << shift);
	}
	p->cnt = v & ~ACPI_PM1_CNT_SLP_EN; /* SLP_EN is write-only */
	pthread_mutex_unlock(&p->lock);
	if (v & ACPI_PM1_CNT_SLP_EN) {
		unsigned typ = (v & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;

		if (typ == ACPI_SLP_TYP_S5) {
			pr_info("guest powered off (ACPI S5)");
			machine_request_exit(p->m, VM_STATUS_POWEROFF);
		} else {
			pr_warn("guest asked for ACPI sleep type %u: not supported, ignored", typ);
		}
	}
	return 0;
}

int power_reset_access(void *ctx, uint8_t *data, bool is_write)
{
	struct power *p = &pm;
	uint8_t v = *data;

	(void)ctx;
	if (!is_write) {
		*data = 0;
		return 0;
	}
	if ((v & POWER_RESET_CPU) && p->m) {
		pr_info("guest reset the machine (port 0xcf9 <- 0x%x); ssivm exits with status %d",
			v, VM_STATUS_RESET);
		machine_request_exit(p->m, VM_STATUS_RESET);
	}
	return 0;
}

static int power_init(struct machine *m)
{
	int ret;

	pm.m = m;
	pm.sts = pm.en = pm.cnt = 0;
	ret =
	    machine_pio_register(m, ACPI_PM1A_EVT_PORT, ACPI_PM1A_EVT_LEN, pm_evt, &pm, "pm1a_evt");
	if (!ret)
		ret = machine_pio_register(m, ACPI_PM1A_CNT_PORT, ACPI_PM1A_CNT_LEN, pm_cnt, &pm,
					   "pm1a_cnt");
	/* port 0xCF9 lies inside the PCI type-1 ports: the host bridge
	 * (devices/pci_host.c) claims 0xCF8-0xCFF and passes byte accesses to
	 * 0xCF9 to power_reset_access() */
	return ret;
}

DEVICE_INIT("power", DEVICE_LEVEL_PLATFORM, power_init, NULL)
