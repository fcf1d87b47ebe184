// SPDX-License-Identifier: GPL-2.0-only
/* platform/acpi/madt.c — MADT: one (x2)APIC per vCPU, the IOAPIC, ISA overrides, NMI. */
#include <errno.h>
#include <string.h>

#include "platform/acpi/acpi.h"
#include "platform/acpi/tables.h"

/* APIC IDs from 255 up cannot be written in a local APIC structure. */
#define XAPIC_MAX_ID 254

#define ADD(type_, var_)                                                                           \
	struct type_ *var_ = (struct type_ *)(p + len);                                            \
	if (len + sizeof(*var_) > room)                                                            \
		return -ENOSPC;                                                                    \
	len += sizeof(*var_);                                                                      \
	var_->length = sizeof(*var_)

int acpi_build_madt(const struct ssivm_config *cfg, void *t, size_t room)
{
	uint8_t *p = t;
	size_t len = sizeof(struct acpi_madt);
	struct acpi_madt *madt = t;

	if (room < len)
		return -ENOSPC;
	madt->lapic_address = ACPI_LAPIC_GPA;
	madt->flags = 1; /* PCAT_COMPAT: the 8259 PICs exist (masked by Linux) */

	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		if (i <= XAPIC_MAX_ID) {
			ADD(acpi_madt_lapic, l);
			l->type = ACPI_MADT_LAPIC;
			l->processor_uid = (uint8_t)i;
			l->apic_id = (uint8_t)i;
			l->flags = 1;
		} else {
			ADD(acpi_madt_x2apic, x);
			x->type = ACPI_MADT_X2APIC;
			x->x2apic_id = i;
			x->processor_uid = i;
			x->flags = 1;
		}
	}
	{
		ADD(acpi_madt_ioapic, io);
		io->type = ACPI_MADT_IOAPIC;
		io->ioapic_id = ACPI_IOAPIC_ID;
		io->address = ACPI_IOAPIC_GPA;
		io->gsi_base = ACPI_IOAPIC_GSI_BASE;
	}
	{
		/* the PIT's IRQ 0 is wired to IOAPIC pin 2, as on PC hardware */
		ADD(acpi_madt_iso, iso);
		iso->type = ACPI_MADT_ISO;
		iso->source = 0;
		iso->gsi = 2;
		iso->flags = 0; /* conforming: edge, active high for ISA */
	}
	{
		ADD(acpi_madt_iso, iso);
		iso->type = ACPI_MADT_ISO;
		iso->source = ACPI_SCI_IRQ;
		iso->gsi = ACPI_SCI_IRQ;
		iso->flags = ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_LEVEL;
	}
	{
		ADD(acpi_madt_lapic_nmi, nmi);
		nmi->type = ACPI_MADT_LAPIC_NMI;
		nmi->processor_uid = 0xFF; /* all processors */
		nmi->flags = 0;
		nmi->lint = 1;
	}
	if (cfg->nr_vcpus > XAPIC_MAX_ID + 1) {
		ADD(acpi_madt_x2apic_nmi, nmi);
		nmi->type = ACPI_MADT_X2APIC_NMI;
		nmi->processor_uid = 0xFFFFFFFF;
		nmi->lint = 1;
	}
	acpi_fill_header(&madt->h, "APIC", (uint32_t)len, 5);
	return (int)len;
}
