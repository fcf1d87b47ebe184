/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/acpi/acpi.h — the ACPI tables of the guest, built from the config.
 *
 * Tables: RSDP (rev 2), XSDT, FADT (rev 6), FACS, DSDT (AML: \_S5_, COM1,
 * PCI0), MADT, SRAT, SLIT, HMAT (rev 2), MCFG. docs/acpi.md explains every field.
 *
 * The VMM calls acpi_build() once at start-up (main thread) with a buffer it
 * then copies to guest-physical ACPI_BIOS_GPA (the BIOS area that Linux scans
 * for the RSDP; the e820 map must mark [ACPI_BIOS_GPA, +ACPI_BIOS_SIZE) as
 * reserved). The tables hold guest-physical pointers computed from @buf_gpa,
 * so the buffer must land exactly there. Pure function of its inputs: no
 * KVM, no I/O; the config must have passed config_validate() and the map
 * must come from memmap_build() of the same config.
 */
#ifndef SSIVM_PLATFORM_ACPI_H
#define SSIVM_PLATFORM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "platform/memmap.h"

/* The platform the tables describe: the VMM must emulate exactly this. */
#define ACPI_BIOS_GPA 0xE0000ULL /* where the VMM puts the buffer */
#define ACPI_BIOS_SIZE 0x20000   /* 128 KiB available there */

#define ACPI_LAPIC_GPA 0xFEE00000U
#define ACPI_IOAPIC_GPA 0xFEC00000U
#define ACPI_IOAPIC_ID 0 /* KVM's in-kernel IOAPIC resets its ID to 0 */
#define ACPI_IOAPIC_GSI_BASE 0
/* APIC ID of vCPU i is i; vCPUs with APIC ID >= 255 get x2APIC entries. */

#define ACPI_SCI_IRQ 9           /* ISA IRQ 9 = GSI 9, level, active high */
#define ACPI_PM1A_EVT_PORT 0x600 /* 4 bytes: PM1_STS (2), PM1_EN (2) */
#define ACPI_PM1A_EVT_LEN 4
#define ACPI_PM1A_CNT_PORT 0x604 /* 2 bytes: PM1_CNT */
#define ACPI_PM1A_CNT_LEN 2
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10 /* PM1_CNT bits 12:10 */
#define ACPI_PM1_CNT_SLP_TYP_MASK (7U << 10)
#define ACPI_PM1_CNT_SLP_EN (1U << 13)
#define ACPI_PM1_CNT_SCI_EN (1U << 0) /* reads as 1: no SMI_CMD, always in ACPI mode */
#define ACPI_SLP_TYP_S5 5             /* \_S5_ value: soft off */
#define ACPI_RESET_PORT 0xCF9
#define ACPI_RESET_VALUE 0x06
#define ACPI_COM1_PORT 0x3F8 /* described in the DSDT as PNP0501, IRQ 4 */
#define ACPI_COM1_IRQ 4

#define ACPI_MAX_TABLES 12

/* One table inside the built buffer. */
struct acpi_blob {
	char sig[5];   /* "RSDP", "XSDT", "FACP", "FACS", "DSDT", "APIC", ... */
	uint64_t gpa;  /* guest-physical address */
	size_t offset; /* offset in the buffer */
	size_t len;    /* bytes (the table's own length field) */
};

struct acpi_layout {
	uint64_t rsdp_gpa;
	size_t used; /* bytes of the buffer used, from offset 0 */
	uint32_t nr_tables;
	struct acpi_blob tables[ACPI_MAX_TABLES]; /* RSDP first, then as laid out */
};

/*
 * Build all tables into @buf (@bufsize bytes, zeroed first), which the guest
 * will see at @buf_gpa (16-byte aligned). On success *rsdp_gpa is the RSDP's
 * address (inside the buffer) and *used the bytes written from offset 0.
 * Returns 0, -EINVAL (config/map inconsistent, e.g. > 255 HMAT initiators)
 * or -ENOSPC (buffer too small; ACPI_BIOS_SIZE fits the maximum config).
 */
int acpi_build(const struct ssivm_config *cfg, const struct memmap *map, uint8_t *buf,
	       size_t bufsize, uint64_t buf_gpa, uint64_t *rsdp_gpa, size_t *used);

/* Same, and describe where each table went (for `ssivm acpi-dump`, tests). */
int acpi_build_layout(const struct ssivm_config *cfg, const struct memmap *map, uint8_t *buf,
		      size_t bufsize, uint64_t buf_gpa, struct acpi_layout *layout);

/* Byte that makes the 8-bit sum of @len bytes at @p zero when stored in them. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
