// SPDX-License-Identifier: GPL-2.0-only
/* platform/acpi/acpi.c — RSDP, XSDT, FADT, FACS and the layout of all tables. */
#include "platform/acpi/acpi.h"

#include <errno.h>
#include <string.h>

#include "platform/acpi/tables.h"

#define XSDT_ENTRIES 6 /* FACP, APIC, SRAT, SLIT, HMAT, MCFG */

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)(0 - sum);
}

void acpi_fill_header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes, uint8_t access_size)
{
	return (struct acpi_gas){.space_id = ACPI_GAS_IO,
				 .bit_width = (uint8_t)(bytes * 8),
				 .access_size = access_size,
				 .address = port};
}

static int build_fadt(const struct ssivm_config *cfg, void *t, size_t room, uint64_t facs_gpa,
		      uint64_t dsdt_gpa)
{
	struct acpi_fadt *f = t;

	if (room < sizeof(*f))
		return -ENOSPC;
	f->firmware_ctrl = (uint32_t)facs_gpa;
	f->dsdt = (uint32_t)dsdt_gpa;
	f->preferred_pm_profile = 0; /* unspecified */
	f->sci_int = ACPI_SCI_IRQ;
	f->smi_cmd = 0; /* no SMM: the platform is always in ACPI mode (SCI_EN reads 1) */
	f->pm1a_evt_blk = ACPI_PM1A_EVT_PORT;
	f->pm1a_cnt_blk = ACPI_PM1A_CNT_PORT;
	f->pm1_evt_len = ACPI_PM1A_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1A_CNT_LEN;
	/* no PM timer, no GPE blocks; C2/C3 not supported (latencies above the limits) */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;
	f->iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_NO_VGA | ACPI_IAPC_NO_CMOS_RTC;
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
		   ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC | ACPI_FADT_RESET_REG_SUP |
		   ACPI_FADT_HEADLESS;
	/* A guest across hosts: a vCPU's proxy on another node matches only its
	 * APIC ID (the guest's logical IDs are set on the vCPU's own node and
	 * invisible there, docs/irq.md): logical destinations would be lost. */
	if (config_nr_hosts(cfg) > 1)
		f->flags |= ACPI_FADT_APIC_PHYSICAL;
	f->reset_reg = gas_io(ACPI_RESET_PORT, 1, 1);
	f->reset_value = ACPI_RESET_VALUE;
	f->minor_version = 3; /* ACPI 6.3 */
	/* X_FIRMWARE_CTRL stays 0: with both set, Linux installs the FACS twice */
	f->x_dsdt = dsdt_gpa;
	f->x_pm1a_evt_blk = gas_io(ACPI_PM1A_EVT_PORT, ACPI_PM1A_EVT_LEN, 2);
	f->x_pm1a_cnt_blk = gas_io(ACPI_PM1A_CNT_PORT, ACPI_PM1A_CNT_LEN, 2);
	acpi_fill_header(&f->h, "FACP", sizeof(*f), 6);
	return sizeof(*f);
}

static int build_facs(void *t, size_t room)
{
	struct acpi_facs *f = t;

	if (room < sizeof(*f))
		return -ENOSPC;
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
	return sizeof(*f);
}

struct builder {
	uint8_t *buf;
	size_t size, off;
	uint64_t gpa;
	struct acpi_layout *layout;
};

/* Place a table at the next @align boundary with @fn, record it, checksum it. */
static int place(struct builder *b, const char *sig, size_t align, int ret_len_fn_result,
		 bool checksum)
{
	struct acpi_blob *blob;
	int len = ret_len_fn_result;

	if (len < 0)
		return len;
	if (b->layout->nr_tables >= ACPI_MAX_TABLES)
		return -E2BIG;
	blob = &b->layout->tables[b->layout->nr_tables++];
	memcpy(blob->sig, sig, 5);
	blob->offset = b->off;
	blob->gpa = b->gpa + b->off;
	blob->len = (size_t)len;
	if (checksum)
		((struct acpi_header *)(b->buf + b->off))->checksum =
		    acpi_checksum(b->buf + b->off, (size_t)len);
	b->off += (size_t)len;
	b->off = (b->off + align - 1) & ~(align - 1);
	if (b->off > b->size)
		b->off = b->size;
	return 0;
}

#define ROOM(b) ((b)->size - (b)->off)
#define HERE(b) ((b)->buf + (b)->off)
#define GPA(b) ((b)->gpa + (b)->off)

int acpi_build_layout(const struct ssivm_config *cfg, const struct memmap *map, uint8_t *buf,
		      size_t bufsize, uint64_t buf_gpa, struct acpi_layout *layout)
{
	struct builder b = {.buf = buf, .size = bufsize, .gpa = buf_gpa, .layout = layout};
	struct acpi_rsdp *rsdp = (void *)buf;
	struct acpi_header *xsdt;
	uint64_t xsdt_entry[XSDT_ENTRIES], facs_gpa, dsdt_gpa;
	size_t xsdt_len = sizeof(*xsdt) + 8 * XSDT_ENTRIES, xsdt_off;
	int ret, nx = 0;

	memset(layout, 0, sizeof(*layout));
	if (buf_gpa % 16 || buf_gpa + bufsize > 0x100000000ULL)
		return -EINVAL; /* the RSDP must be 16-byte aligned; FADT holds 32-bit pointers */
	if (bufsize < 256)
		return -ENOSPC;
	memset(buf, 0, bufsize);

	/* RSDP first (filled last), then XSDT, FACS (64-byte aligned) */
	layout->rsdp_gpa = buf_gpa;
	ret = place(&b, "RSDP", 16, sizeof(*rsdp), false);
	xsdt_off = b.off;
	xsdt = (void *)HERE(&b);
	ret = ret ?: place(&b, "XSDT", 64, ROOM(&b) < xsdt_len ? -ENOSPC : (int)xsdt_len, false);
	facs_gpa = GPA(&b);
	ret = ret ?: place(&b, "FACS", 16, build_facs(HERE(&b), ROOM(&b)), false);
	dsdt_gpa = GPA(&b);
	ret = ret ?: place(&b, "DSDT", 16, acpi_build_dsdt(cfg, HERE(&b), ROOM(&b)), true);
	if (ret)
		return ret;
	xsdt_entry[nx++] = GPA(&b);
	ret = place(&b, "FACP", 16, build_fadt(cfg, HERE(&b), ROOM(&b), facs_gpa, dsdt_gpa), true);
	if (!ret)
		xsdt_entry[nx++] = GPA(&b);
	ret = ret ?: place(&b, "APIC", 16, acpi_build_madt(cfg, HERE(&b), ROOM(&b)), true);
	if (!ret)
		xsdt_entry[nx++] = GPA(&b);
	ret = ret ?: place(&b, "SRAT", 16, acpi_build_srat(cfg, map, HERE(&b), ROOM(&b)), true);
	if (!ret)
		xsdt_entry[nx++] = GPA(&b);
	ret = ret ?: place(&b, "SLIT", 16, acpi_build_slit(cfg, HERE(&b), ROOM(&b)), true);
	if (!ret)
		xsdt_entry[nx++] = GPA(&b);
	ret = ret ?: place(&b, "HMAT", 16, acpi_build_hmat(cfg, HERE(&b), ROOM(&b)), true);
	if (!ret)
		xsdt_entry[nx++] = GPA(&b);
	ret = ret ?: place(&b, "MCFG", 16, acpi_build_mcfg(HERE(&b), ROOM(&b)), true);
	if (ret)
		return ret;

	/* the entries sit at offset 36: 4-byte aligned only, hence memcpy */
	memcpy(xsdt + 1, xsdt_entry, sizeof(xsdt_entry));
	acpi_fill_header(xsdt, "XSDT", (uint32_t)xsdt_len, 1);
	xsdt->checksum = acpi_checksum(buf + xsdt_off, xsdt_len);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = buf_gpa + xsdt_off;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	layout->used = b.off;
	return 0;
}

int acpi_build(const struct ssivm_config *cfg, const struct memmap *map, uint8_t *buf,
	       size_t bufsize, uint64_t buf_gpa, uint64_t *rsdp_gpa, size_t *used)
{
	struct acpi_layout layout;
	int ret = acpi_build_layout(cfg, map, buf, bufsize, buf_gpa, &layout);

	if (ret)
		return ret;
	if (rsdp_gpa)
		*rsdp_gpa = layout.rsdp_gpa;
	if (used)
		*used = layout.used;
	return 0;
}
