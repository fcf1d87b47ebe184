/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/acpi/tables.h — on-table layouts of the ACPI tables ssivm builds
 * (ACPI 6.3), and the builders of each table. Private to platform/acpi/ and
 * its tests; the VMM uses platform/acpi/acpi.h.
 *
 * Builders write one table at @t (zeroed, large enough: they are told
 * @room and return -ENOSPC beyond it), fill its header except the checksum
 * and return its length (> 0) or -errno. acpi.c lays them out and sums them.
 */
#ifndef SSIVM_PLATFORM_ACPI_TABLES_H
#define SSIVM_PLATFORM_ACPI_TABLES_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "platform/memmap.h"

#define ACPI_OEM_ID "SSIVM "
#define ACPI_OEM_TABLE_ID "SSIVM   "
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "SSVM"
#define ACPI_CREATOR_REVISION 1

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
static_assert(sizeof(struct acpi_header) == 36, "ACPI header");

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 2 */
	uint32_t rsdt_address;
	uint32_t length; /* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id; /* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));
static_assert(sizeof(struct acpi_gas) == 12, "GAS");
#define ACPI_GAS_IO 1

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk;
	uint32_t pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len;
	uint8_t gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT reset reg");
static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT");
static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT sleep regs");

/* FADT flags */
#define ACPI_FADT_WBINVD (1U << 0)
#define ACPI_FADT_PROC_C1 (1U << 2)
#define ACPI_FADT_PWR_BUTTON (1U << 4) /* 1 = no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON (1U << 5) /* 1 = no fixed-feature sleep button */
#define ACPI_FADT_FIX_RTC (1U << 6)    /* 1 = no RTC wake status in PM1 */
#define ACPI_FADT_RESET_REG_SUP (1U << 10)
#define ACPI_FADT_HEADLESS (1U << 12)
/* the OS must use physical destination mode for IPIs and interrupts */
#define ACPI_FADT_APIC_PHYSICAL (1U << 19)
/* IA-PC boot architecture flags */
#define ACPI_IAPC_LEGACY_DEVICES (1U << 0)
#define ACPI_IAPC_8042 (1U << 1)
#define ACPI_IAPC_NO_VGA (1U << 2)
#define ACPI_IAPC_NO_MSI (1U << 3)
#define ACPI_IAPC_NO_CMOS_RTC (1U << 5)

struct acpi_facs {
	char signature[4]; /* "FACS" */
	uint32_t length;   /* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version; /* 2 */
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));
static_assert(sizeof(struct acpi_facs) == 64, "FACS");

/* MADT */
struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags; /* bit 0: PCAT_COMPAT (dual 8259 present) */
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt) == 44, "MADT");

#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_NMI 4
#define ACPI_MADT_X2APIC 9
#define ACPI_MADT_X2APIC_NMI 10

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags; /* bit 0: enabled */
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");

struct acpi_madt_iso {
	uint8_t type, length;
	uint8_t bus; /* 0 = ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags; /* bits 1:0 polarity, 3:2 trigger mode */
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");
#define ACPI_MPS_ACTIVE_HIGH 0x1
#define ACPI_MPS_LEVEL (0x3 << 2)

struct acpi_madt_lapic_nmi {
	uint8_t type, length;
	uint8_t processor_uid; /* 0xFF = all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI");

struct acpi_madt_x2apic {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t processor_uid;
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");

struct acpi_madt_x2apic_nmi {
	uint8_t type, length;
	uint16_t flags;
	uint32_t processor_uid; /* 0xFFFFFFFF = all */
	uint8_t lint;
	uint8_t reserved[3];
} __attribute__((packed));
static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT x2APIC NMI");

/* SRAT (revision 3) */
struct acpi_srat {
	struct acpi_header h;
	uint32_t table_revision; /* 1, for compatibility */
	uint64_t reserved;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat) == 48, "SRAT");

#define ACPI_SRAT_LAPIC 0
#define ACPI_SRAT_MEMORY 1
#define ACPI_SRAT_X2APIC 2
#define ACPI_SRAT_ENABLED 1U

struct acpi_srat_lapic {
	uint8_t type, length;
	uint8_t proximity_lo;
	uint8_t apic_id;
	uint32_t flags;
	uint8_t local_sapic_eid;
	uint8_t proximity_hi[3];
	uint32_t clock_domain;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat_lapic) == 16, "SRAT LAPIC affinity");

struct acpi_srat_memory {
	uint8_t type, length;
	uint32_t proximity_domain;
	uint16_t reserved0;
	uint32_t base_lo, base_hi;
	uint32_t length_lo, length_hi;
	uint32_t reserved1;
	uint32_t flags;
	uint64_t reserved2;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat_memory) == 40, "SRAT memory affinity");

struct acpi_srat_x2apic {
	uint8_t type, length;
	uint16_t reserved0;
	uint32_t proximity_domain;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t clock_domain;
	uint32_t reserved1;
} __attribute__((packed));
static_assert(sizeof(struct acpi_srat_x2apic) == 24, "SRAT x2APIC affinity");

/* SLIT */
struct acpi_slit {
	struct acpi_header h;
	uint64_t localities;
	uint8_t entry[]; /* localities x localities, [from][to] */
} __attribute__((packed));
static_assert(sizeof(struct acpi_slit) == 44, "SLIT");

/* HMAT (revision 2, ACPI 6.3) */
struct acpi_hmat {
	struct acpi_header h;
	uint32_t reserved;
} __attribute__((packed));
static_assert(sizeof(struct acpi_hmat) == 40, "HMAT");

#define ACPI_HMAT_MPDA 0
#define ACPI_HMAT_SLLBI 1
#define ACPI_HMAT_INITIATOR_VALID 1U

struct acpi_hmat_mpda {
	uint16_t type, reserved0;
	uint32_t length; /* 40 */
	uint16_t flags;
	uint16_t reserved1;
	uint32_t initiator_pd;
	uint32_t memory_pd;
	uint32_t reserved2;
	uint64_t reserved3;
	uint64_t reserved4;
} __attribute__((packed));
static_assert(sizeof(struct acpi_hmat_mpda) == 40, "HMAT memory proximity domain attributes");

/* Data types of a System Locality Latency and Bandwidth Information structure */
enum acpi_hmat_data_type {
	ACPI_HMAT_ACCESS_LATENCY = 0,
	ACPI_HMAT_READ_LATENCY = 1,
	ACPI_HMAT_WRITE_LATENCY = 2,
	ACPI_HMAT_ACCESS_BANDWIDTH = 3,
	ACPI_HMAT_READ_BANDWIDTH = 4,
	ACPI_HMAT_WRITE_BANDWIDTH = 5,
};

struct acpi_hmat_sllbi {
	uint16_t type, reserved0;
	uint32_t length;
	uint8_t flags; /* bits 3:0 memory hierarchy: 0 = memory */
	uint8_t data_type;
	uint8_t min_transfer_size;
	uint8_t reserved1;
	uint32_t nr_initiators;
	uint32_t nr_targets;
	uint32_t reserved2;
	uint64_t entry_base_unit;
	/* uint32_t initiator_pd[], target_pd[]; uint16_t entry[initiator][target] */
} __attribute__((packed));
static_assert(sizeof(struct acpi_hmat_sllbi) == 32, "HMAT SLLBI");

/* Fill a table header (checksum left 0). */
void acpi_fill_header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev);

/* MCFG: one ECAM allocation per PCI segment and bus range. */
struct acpi_mcfg_alloc {
	uint64_t base; /* ECAM base of bus 0 of the segment */
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));
static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation");

struct acpi_mcfg {
	struct acpi_header h;
	uint64_t reserved;
	struct acpi_mcfg_alloc alloc[1];
} __attribute__((packed));
static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG");

int acpi_build_madt(const struct ssivm_config *cfg, void *t, size_t room);
int acpi_build_srat(const struct ssivm_config *cfg, const struct memmap *map, void *t, size_t room);
int acpi_build_slit(const struct ssivm_config *cfg, void *t, size_t room);
int acpi_build_hmat(const struct ssivm_config *cfg, void *t, size_t room);
int acpi_build_dsdt(const struct ssivm_config *cfg, void *t, size_t room);
int acpi_build_mcfg(void *t, size_t room);

/* HMAT entry encoding: the base unit and entries chosen for a set of values. */
uint64_t acpi_hmat_base_unit(const uint64_t *values, size_t n, uint64_t unit);

#endif
