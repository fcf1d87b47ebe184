// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_acpi.c — the ACPI tables built from configurations: field
 * values, checksums, lengths, pointers between tables, the memory layout
 * around the 3 GiB hole, HMAT encoding. test_acpi_changes.c has the rest.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/acpi_test_util.h"

static const char *const two_nodes =
    "--vcpus 4 --numa id=0,cpus=0-1,memory=1G,distances=1@21 --numa id=1,cpus=2-3,memory=1G "
    "--hmat initiator=0,target=1,read-latency=200ns,write-latency=250ns,bandwidth=10G "
    "--hmat initiator=0,target=0,read-latency=100ns,write-latency=110ns,bandwidth=20G";

static void test_checksums_and_pointers(void **state)
{
	struct built *b = build(two_nodes);
	static const char *const order[] = {"RSDP", "XSDT", "FACS", "DSDT", "FACP",
					    "APIC", "SRAT", "SLIT", "HMAT", "MCFG"};
	struct acpi_rsdp *rsdp = table(b, "RSDP");
	struct acpi_header *xsdt = table(b, "XSDT");
	uint64_t entry[6];

	memcpy(entry, xsdt + 1, sizeof(entry)); /* 4-byte aligned in the table */
	assert_int_equal(b->layout.nr_tables, 10);
	for (uint32_t i = 0; i < 10; i++) {
		const struct acpi_blob *t = &b->layout.tables[i];

		assert_string_equal(t->sig, order[i]);
		assert_int_equal(t->gpa, ACPI_BIOS_GPA + t->offset);
		assert_true(t->offset + t->len <= b->layout.used);
		if (i >= 3) { /* headers with a checksum */
			struct acpi_header *h = (void *)(b->buf + t->offset);

			assert_memory_equal(h->signature, t->sig, 4);
			assert_int_equal(h->length, t->len);
			assert_int_equal(sum(h, h->length), 0);
			assert_memory_equal(h->oem_id, "SSIVM ", 6);
		}
	}
	assert_true(b->layout.used <= ACPI_BIOS_SIZE);
	/* RSDP: in the BIOS area, 16-byte aligned, both checksums */
	assert_int_equal(b->layout.rsdp_gpa, ACPI_BIOS_GPA);
	assert_memory_equal(rsdp->signature, "RSD PTR ", 8);
	assert_int_equal(rsdp->revision, 2);
	assert_int_equal(rsdp->length, 36);
	assert_int_equal(rsdp->rsdt_address, 0);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_int_equal(rsdp->xsdt_address, blob(b, "XSDT")->gpa);
	/* XSDT lists FACP, APIC, SRAT, SLIT, HMAT, MCFG */
	assert_int_equal(xsdt->length, 36 + 6 * 8);
	assert_int_equal(sum(xsdt, xsdt->length), 0);
	assert_int_equal(entry[0], blob(b, "FACP")->gpa);
	assert_int_equal(entry[1], blob(b, "APIC")->gpa);
	assert_int_equal(entry[2], blob(b, "SRAT")->gpa);
	assert_int_equal(entry[3], blob(b, "SLIT")->gpa);
	assert_int_equal(entry[4], blob(b, "HMAT")->gpa);
	assert_int_equal(entry[5], blob(b, "MCFG")->gpa);
	/* MCFG: one allocation, segment 0, bus 0, the ECAM window */
	{
		struct acpi_mcfg *m = table(b, "MCFG");

		assert_int_equal(m->h.length, 60);
		assert_int_equal(m->alloc[0].base, MEMMAP_PCI_ECAM_START);
		assert_int_equal(m->alloc[0].segment, 0);
		assert_int_equal(m->alloc[0].start_bus, 0);
		assert_int_equal(m->alloc[0].end_bus, 0);
	}
	/* FACS: 64-byte aligned, no checksum */
	assert_int_equal(blob(b, "FACS")->gpa % 64, 0);
	assert_memory_equal(table(b, "FACS"), "FACS", 4);
	assert_int_equal(((struct acpi_facs *)table(b, "FACS"))->length, 64);
	/* acpi_build() says the same as acpi_build_layout() */
	{
		static uint8_t again[ACPI_BIOS_SIZE];
		uint64_t rsdp_gpa = 0;
		size_t used = 0;

		assert_int_equal(acpi_build(&b->cfg, &b->map, again, sizeof(again), ACPI_BIOS_GPA,
					    &rsdp_gpa, &used),
				 0);
		assert_int_equal(rsdp_gpa, ACPI_BIOS_GPA);
		assert_int_equal(used, b->layout.used);
		assert_memory_equal(again, b->buf, used);
	}
	release(b);
}

static void test_fadt(void **state)
{
	struct built *b = build(two_nodes);
	struct acpi_fadt *f = table(b, "FACP");

	assert_int_equal(f->h.revision, 6);
	assert_int_equal(f->minor_version, 3);
	assert_int_equal(f->dsdt, blob(b, "DSDT")->gpa);
	assert_int_equal(f->x_dsdt, blob(b, "DSDT")->gpa);
	assert_int_equal(f->firmware_ctrl, blob(b, "FACS")->gpa);
	assert_int_equal(f->x_firmware_ctrl, 0); /* one of the two, not both */
	assert_int_equal(f->sci_int, 9);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->pm1a_evt_blk, 0x600);
	assert_int_equal(f->pm1_evt_len, 4);
	assert_int_equal(f->pm1a_cnt_blk, 0x604);
	assert_int_equal(f->pm1_cnt_len, 2);
	assert_int_equal(f->pm_tmr_blk, 0);
	assert_int_equal(f->pm_tmr_len, 0);
	assert_int_equal(f->gpe0_blk, 0);
	assert_int_equal(f->x_pm1a_evt_blk.space_id, ACPI_GAS_IO);
	assert_int_equal(f->x_pm1a_evt_blk.address, 0x600);
	assert_int_equal(f->x_pm1a_evt_blk.bit_width, 32);
	assert_int_equal(f->x_pm1a_cnt_blk.address, 0x604);
	assert_int_equal(f->x_pm1a_cnt_blk.bit_width, 16);
	assert_int_equal(f->x_pm_tmr_blk.address, 0);
	assert_int_equal(f->reset_reg.space_id, ACPI_GAS_IO);
	assert_int_equal(f->reset_reg.address, 0xCF9);
	assert_int_equal(f->reset_reg.bit_width, 8);
	assert_int_equal(f->reset_value, 6);
	assert_true(f->flags & ACPI_FADT_RESET_REG_SUP);
	assert_false(f->flags & (1U << 20)); /* not hardware-reduced: PM1 blocks exist */
	assert_false(f->iapc_boot_arch & ACPI_IAPC_8042);
	assert_true(f->iapc_boot_arch & ACPI_IAPC_LEGACY_DEVICES);
	assert_true(f->iapc_boot_arch & ACPI_IAPC_NO_CMOS_RTC);
	release(b);
}

static void test_dsdt(void **state)
{
	struct built *b = build(two_nodes);
	struct acpi_header *h = table(b, "DSDT");
	/* Name (\_S5_, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t s5[] = {0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x08,
				     0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
	/* Name (_HID, EisaId ("PNP0501")) */
	static const uint8_t hid[] = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x05, 0x01};
	/* IO (Decode16, 0x3F8, 0x3F8, 1, 8), IRQNoFlags () { 4 } */
	static const uint8_t crs[] = {0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03,
				      0x01, 0x08, 0x22, 0x10, 0x00};

	assert_int_equal(h->revision, 2);
	assert_non_null(find((uint8_t *)h, h->length, s5, sizeof(s5)));
	assert_non_null(find((uint8_t *)h, h->length, hid, sizeof(hid)));
	assert_non_null(find((uint8_t *)h, h->length, crs, sizeof(crs)));
	assert_non_null(find((uint8_t *)h, h->length, "\\_SB_", 5));
	/* the value Linux writes for poweroff: SLP_TYP=5 | SLP_EN in PM1a_CNT */
	assert_int_equal(ACPI_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN,
			 0x3400);
	release(b);
}

static void test_madt(void **state)
{
	struct built *b = build(two_nodes);
	struct acpi_madt *m = table(b, "APIC");
	struct madt_count n = walk_madt(b);

	assert_int_equal(m->lapic_address, 0xFEE00000);
	assert_int_equal(m->flags, 1);
	assert_int_equal(n.lapic, 4);
	assert_int_equal(n.x2apic, 0);
	assert_int_equal(n.ioapic, 1);
	assert_int_equal(n.iso, 2);
	assert_int_equal(n.nmi, 1);
	assert_int_equal(m->h.length, 44 + 4 * 8 + 12 + 2 * 10 + 6);
	release(b);
}

static void test_srat_slit(void **state)
{
	struct built *b = build(two_nodes);
	struct acpi_slit *slit = table(b, "SLIT");

	assert_int_equal(check_srat(b), 2);
	assert_int_equal(slit->localities, 2);
	assert_int_equal(slit->h.length, 44 + 4);
	assert_int_equal(slit->entry[0], 10);
	assert_int_equal(slit->entry[1], 21);
	assert_int_equal(slit->entry[2], 21); /* mirrored from 0->1 */
	assert_int_equal(slit->entry[3], 10);
	release(b);
}

static void test_memmap_hole(void **state)
{
	/* node 1 straddles [3 GiB, 4 GiB): two ranges, the second at 4 GiB */
	struct built *b = build("--numa id=0,cpus=0,memory=2G --numa id=1,cpus=1,memory=2G "
				"--numa id=2,cpus=2,memory=512M");

	assert_int_equal(b->map.nr_ranges, 4);
	assert_int_equal(b->map.ranges[0].gpa, 0);
	assert_int_equal(b->map.ranges[0].size, 2 * GiB);
	assert_int_equal(b->map.ranges[1].gpa, 2 * GiB);
	assert_int_equal(b->map.ranges[1].size, GiB);
	assert_int_equal(b->map.ranges[1].node, 1);
	assert_int_equal(b->map.ranges[2].gpa, 4 * GiB);
	assert_int_equal(b->map.ranges[2].size, GiB);
	assert_int_equal(b->map.ranges[2].node, 1);
	assert_int_equal(b->map.ranges[2].ram_offset, 3 * GiB);
	assert_int_equal(b->map.ranges[3].gpa, 5 * GiB);
	assert_int_equal(b->map.ranges[3].node, 2);
	assert_int_equal(b->map.top, 5 * GiB + GiB / 2);
	assert_null(memmap_find(&b->map, 3 * GiB + 4096));
	assert_int_equal(memmap_find(&b->map, 4 * GiB)->node, 1);
	assert_int_equal(check_srat(b), 4);
	release(b);

	/* a node that ends exactly at the hole: no empty range */
	b = build("--numa id=0,cpus=0,memory=3G --numa id=1,cpus=1,memory=1G");
	assert_int_equal(b->map.nr_ranges, 2);
	assert_int_equal(b->map.ranges[1].gpa, 4 * GiB);
	assert_int_equal(check_srat(b), 2);
	release(b);
}

static void test_hmat(void **state)
{
	struct built *b = build(two_nodes);
	struct acpi_hmat *h = table(b, "HMAT");
	struct acpi_hmat_mpda *m = (void *)(h + 1);

	assert_int_equal(h->h.revision, 2);
	for (uint32_t n = 0; n < 2; n++) {
		assert_int_equal(m[n].type, ACPI_HMAT_MPDA);
		assert_int_equal(m[n].length, 40);
		assert_int_equal(m[n].flags, ACPI_HMAT_INITIATOR_VALID);
		assert_int_equal(m[n].initiator_pd, n);
		assert_int_equal(m[n].memory_pd, n);
	}
	/* read and write latencies differ: two structures; bandwidths equal: one */
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_READ_LATENCY, 0, 1), 200);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_WRITE_LATENCY, 0, 1), 250);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_READ_LATENCY, 0, 0), 100);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_WRITE_LATENCY, 0, 0), 110);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_READ_LATENCY, 1, 0), 0); /* not given */
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_BANDWIDTH, 0, 1), 10240);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_BANDWIDTH, 0, 0), 20480);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_LATENCY, 0, 0), -1);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_READ_BANDWIDTH, 0, 0), -1);
	release(b);

	/* no hmat entries: only the memory proximity domain attributes */
	b = build("--numa id=0,cpus=0,memory=1G --numa id=1,memory=1G");
	h = table(b, "HMAT");
	m = (void *)(h + 1);
	assert_int_equal(h->h.length, 40 + 2 * 40);
	assert_int_equal(m[1].flags, 0); /* node 1 has no CPU: no attached initiator */
	release(b);

	/* large values: a coarser base unit, entries still within 16 bits */
	b = build("--numa id=0,cpus=0,memory=1G --numa id=1,memory=1G "
		  "--hmat initiator=0,target=1,latency=70us,bandwidth=200G "
		  "--hmat initiator=0,target=0,latency=80ns,bandwidth=1");
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_LATENCY, 0, 1), 70000);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_LATENCY, 0, 0), 80);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_BANDWIDTH, 0, 1), 204800);
	/* 1 MB/s rounds to the base unit (10) but never to "no information" */
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_BANDWIDTH, 0, 0), 10);
	release(b);

	/* the example of docs/acpi.md: 85 ns beside 70 us is written as 90 ns */
	b = build(
	    "--numa id=0,cpus=0,memory=1G --numa id=1,memory=1G "
	    "--hmat initiator=0,target=1,latency=70us --hmat initiator=0,target=0,latency=85ns");
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_LATENCY, 0, 0), 90);
	release(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksums_and_pointers),
	    cmocka_unit_test(test_fadt),
	    cmocka_unit_test(test_dsdt),
	    cmocka_unit_test(test_madt),
	    cmocka_unit_test(test_srat_slit),
	    cmocka_unit_test(test_memmap_hole),
	    cmocka_unit_test(test_hmat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
