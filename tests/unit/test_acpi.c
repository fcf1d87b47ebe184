// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_acpi.c — the ACPI tables built from configurations: field
 * values, checksums, lengths, pointers between tables, the memory layout
 * around the 3 GiB hole, x2APIC entries, limits, and that changing the
 * configuration changes exactly the tables it should.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/acpi/acpi.h"
#include "platform/acpi/tables.h"
#include "tests/unit/config_test_util.h"

#define GiB (1ULL << 30)

struct built {
	struct ssivm_config cfg;
	struct memmap map;
	struct acpi_layout layout;
	uint8_t buf[ACPI_BIOS_SIZE];
};

static struct built *build(const char *flags)
{
	struct built *b = calloc(1, sizeof(*b));
	struct captured c;

	assert_non_null(b);
	parse_and_validate(&b->cfg, NULL, flags, 0, &c);
	if (c.stage != 2)
		fail_msg("config '%s' refused: %s", flags, c.err);
	assert_int_equal(memmap_build(&b->cfg, &b->map), 0);
	assert_int_equal(
	    acpi_build_layout(&b->cfg, &b->map, b->buf, sizeof(b->buf), ACPI_BIOS_GPA, &b->layout),
	    0);
	return b;
}

static void release(struct built *b)
{
	config_free(&b->cfg);
	free(b);
}

static const struct acpi_blob *blob(const struct built *b, const char *sig)
{
	for (uint32_t i = 0; i < b->layout.nr_tables; i++)
		if (!strcmp(b->layout.tables[i].sig, sig))
			return &b->layout.tables[i];
	fail_msg("no table %s", sig);
	return NULL;
}

static void *table(struct built *b, const char *sig)
{
	return b->buf + blob(b, sig)->offset;
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *c = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *c++);
	return s;
}

static const char *const two_nodes =
    "--vcpus 4 --numa id=0,cpus=0-1,memory=1G,distances=1@21 --numa id=1,cpus=2-3,memory=1G "
    "--hmat initiator=0,target=1,read-latency=200ns,write-latency=250ns,bandwidth=10G "
    "--hmat initiator=0,target=0,read-latency=100ns,write-latency=110ns,bandwidth=20G";

static void test_checksums_and_pointers(void **state)
{
	struct built *b = build(two_nodes);
	static const char *const order[] = {"RSDP", "XSDT", "FACS", "DSDT", "FACP",
					    "APIC", "SRAT", "SLIT", "HMAT"};
	struct acpi_rsdp *rsdp = table(b, "RSDP");
	struct acpi_header *xsdt = table(b, "XSDT");
	uint64_t entry[5];

	memcpy(entry, xsdt + 1, sizeof(entry)); /* 4-byte aligned in the table */
	assert_int_equal(b->layout.nr_tables, 9);
	for (uint32_t i = 0; i < 9; i++) {
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
	/* XSDT lists FACP, APIC, SRAT, SLIT, HMAT */
	assert_int_equal(xsdt->length, 36 + 5 * 8);
	assert_int_equal(sum(xsdt, xsdt->length), 0);
	assert_int_equal(entry[0], blob(b, "FACP")->gpa);
	assert_int_equal(entry[1], blob(b, "APIC")->gpa);
	assert_int_equal(entry[2], blob(b, "SRAT")->gpa);
	assert_int_equal(entry[3], blob(b, "SLIT")->gpa);
	assert_int_equal(entry[4], blob(b, "HMAT")->gpa);
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

static const uint8_t *find(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
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

struct madt_count {
	int lapic, x2apic, ioapic, iso, nmi, x2nmi;
};

static struct madt_count walk_madt(struct built *b)
{
	struct acpi_madt *m = table(b, "APIC");
	uint8_t *p = (uint8_t *)(m + 1), *end = (uint8_t *)m + m->h.length;
	struct madt_count n = {0};

	while (p < end) {
		assert_true(p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case ACPI_MADT_LAPIC: {
			struct acpi_madt_lapic *l = (void *)p;

			assert_int_equal(l->apic_id, n.lapic);
			assert_int_equal(l->processor_uid, n.lapic);
			assert_int_equal(l->flags, 1);
			n.lapic++;
			break;
		}
		case ACPI_MADT_X2APIC: {
			struct acpi_madt_x2apic *x = (void *)p;

			assert_int_equal(x->x2apic_id, 255 + n.x2apic);
			assert_int_equal(x->processor_uid, x->x2apic_id);
			n.x2apic++;
			break;
		}
		case ACPI_MADT_IOAPIC: {
			struct acpi_madt_ioapic *io = (void *)p;

			assert_int_equal(io->address, 0xFEC00000);
			assert_int_equal(io->gsi_base, 0);
			assert_int_equal(io->ioapic_id, ACPI_IOAPIC_ID);
			n.ioapic++;
			break;
		}
		case ACPI_MADT_ISO: {
			struct acpi_madt_iso *iso = (void *)p;

			if (iso->source == 0) {
				assert_int_equal(iso->gsi, 2);
				assert_int_equal(iso->flags, 0);
			} else {
				assert_int_equal(iso->source, 9);
				assert_int_equal(iso->gsi, 9);
				assert_int_equal(iso->flags, 0xD); /* level, active high */
			}
			n.iso++;
			break;
		}
		case ACPI_MADT_LAPIC_NMI:
			assert_int_equal(((struct acpi_madt_lapic_nmi *)p)->lint, 1);
			assert_int_equal(((struct acpi_madt_lapic_nmi *)p)->processor_uid, 0xFF);
			n.nmi++;
			break;
		case ACPI_MADT_X2APIC_NMI:
			n.x2nmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	return n;
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

/* Check SRAT against the config and the map; returns the memory entries seen. */
static int check_srat(struct built *b)
{
	struct acpi_srat *s = table(b, "SRAT");
	uint8_t *p = (uint8_t *)(s + 1), *end = (uint8_t *)s + s->h.length;
	uint32_t cpu = 0;
	int mem = 0;

	assert_int_equal(s->h.revision, 3);
	assert_int_equal(s->table_revision, 1);
	while (p < end) {
		if (p[0] == ACPI_SRAT_LAPIC) {
			struct acpi_srat_lapic *a = (void *)p;

			assert_int_equal(a->length, 16);
			assert_int_equal(a->apic_id, cpu);
			assert_int_equal(a->proximity_lo, config_node_of_cpu(&b->cfg, cpu));
			assert_int_equal(a->flags, ACPI_SRAT_ENABLED);
			cpu++;
		} else if (p[0] == ACPI_SRAT_X2APIC) {
			struct acpi_srat_x2apic *a = (void *)p;

			assert_int_equal(a->length, 24);
			assert_int_equal(a->x2apic_id, cpu);
			assert_int_equal(a->proximity_domain, config_node_of_cpu(&b->cfg, cpu));
			cpu++;
		} else {
			struct acpi_srat_memory *m = (void *)p;
			const struct mem_range *r = &b->map.ranges[mem];

			assert_int_equal(p[0], ACPI_SRAT_MEMORY);
			assert_int_equal(m->length, 40);
			assert_int_equal(m->proximity_domain, r->node);
			assert_int_equal(m->base_lo | (uint64_t)m->base_hi << 32, r->gpa);
			assert_int_equal(m->length_lo | (uint64_t)m->length_hi << 32, r->size);
			assert_int_equal(m->flags, ACPI_SRAT_ENABLED);
			mem++;
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	assert_int_equal(cpu, b->cfg.nr_vcpus);
	assert_int_equal(mem, b->map.nr_ranges);
	return mem;
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

/* Entry [initiator i][target t] of the HMAT SLLBI of @type, in ns or MB/s; -1: none. */
static int64_t hmat_lookup(struct built *b, int type, uint32_t ini, uint32_t tgt)
{
	struct acpi_hmat *h = table(b, "HMAT");
	uint8_t *p = (uint8_t *)(h + 1), *end = (uint8_t *)h + h->h.length;

	while (p < end) {
		struct acpi_hmat_sllbi *s = (void *)p;
		uint32_t *ipd = (uint32_t *)(s + 1), *tpd = ipd + s->nr_initiators;
		uint16_t *e = (uint16_t *)(tpd + s->nr_targets);

		if (s->type == ACPI_HMAT_SLLBI && s->data_type == type) {
			for (uint32_t i = 0; i < s->nr_initiators; i++)
				for (uint32_t t = 0; t < s->nr_targets; t++)
					if (ipd[i] == ini && tpd[t] == tgt) {
						uint64_t v =
						    e[i * s->nr_targets + t] * s->entry_base_unit;

						return type <= 2 ? (int64_t)(v / 1000) : (int64_t)v;
					}
		}
		assert_true(s->length >= 8);
		p += s->length;
	}
	assert_ptr_equal(p, end);
	return -1;
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

static void test_x2apic(void **state)
{
	struct built *b = build("--vcpus 256 --numa id=0,cpus=0-127,memory=1G "
				"--numa id=1,cpus=128-255,memory=1G");
	struct madt_count n = walk_madt(b);

	assert_int_equal(n.lapic, 255);
	assert_int_equal(n.x2apic, 1);
	assert_int_equal(n.x2nmi, 1);
	assert_int_equal(n.nmi, 1);
	check_srat(b);
	release(b);
}

static const struct acpi_header *hdr(struct built *b, const char *sig)
{
	return table(b, sig);
}

static void test_config_changes_tables(void **state)
{
	const char *base = "--vcpus 4 --numa id=0,cpus=0-1,memory=1G,distances=1@20 "
			   "--numa id=1,cpus=2-3,memory=1G --hmat initiator=0,target=1,latency=200";
	struct built *a = build(base), *b;
	char flags[512];

	/* more vCPUs: 4 more MADT and SRAT entries, the rest unchanged */
	b = build("--vcpus 8 --numa id=0,cpus=0-3,memory=1G,distances=1@20 "
		  "--numa id=1,cpus=4-7,memory=1G --hmat initiator=0,target=1,latency=200");
	assert_int_equal(hdr(b, "APIC")->length, hdr(a, "APIC")->length + 4 * 8);
	assert_int_equal(hdr(b, "SRAT")->length, hdr(a, "SRAT")->length + 4 * 16);
	assert_memory_equal(table(a, "SLIT"), table(b, "SLIT"), hdr(a, "SLIT")->length);
	assert_memory_equal(table(a, "DSDT"), table(b, "DSDT"), hdr(a, "DSDT")->length);
	assert_memory_equal(table(a, "FACP"), table(b, "FACP"), hdr(a, "FACP")->length);
	release(b);

	/* another distance: SLIT changes, in both directions */
	b = build("--vcpus 4 --numa id=0,cpus=0-1,memory=1G,distances=1@35 "
		  "--numa id=1,cpus=2-3,memory=1G --hmat initiator=0,target=1,latency=200");
	assert_int_equal(((struct acpi_slit *)table(b, "SLIT"))->entry[1], 35);
	assert_int_equal(((struct acpi_slit *)table(b, "SLIT"))->entry[2], 35);
	assert_memory_not_equal(table(a, "SLIT"), table(b, "SLIT"), hdr(a, "SLIT")->length);
	assert_memory_equal(table(a, "SRAT"), table(b, "SRAT"), hdr(a, "SRAT")->length);
	release(b);

	/* more memory on node 1: its SRAT range grows */
	snprintf(flags, sizeof(flags), "%s", base);
	memcpy(strstr(flags, "cpus=2-3,memory=1G") + 16, "3G", 2);
	b = build(flags);
	assert_int_equal(b->map.ranges[1].size, 2 * GiB);
	assert_int_equal(b->map.ranges[2].size, GiB);
	assert_int_equal(check_srat(b), 3);
	assert_int_equal(hdr(b, "SRAT")->length, hdr(a, "SRAT")->length + 40);
	release(b);

	/* another latency: only that HMAT entry moves */
	b = build("--vcpus 4 --numa id=0,cpus=0-1,memory=1G,distances=1@20 "
		  "--numa id=1,cpus=2-3,memory=1G --hmat initiator=0,target=1,latency=900");
	assert_int_equal(hmat_lookup(a, ACPI_HMAT_ACCESS_LATENCY, 0, 1), 200);
	assert_int_equal(hmat_lookup(b, ACPI_HMAT_ACCESS_LATENCY, 0, 1), 900);
	assert_int_equal(hdr(b, "HMAT")->length, hdr(a, "HMAT")->length);
	release(b);

	/* vCPU moved to another node: its SRAT proximity domain follows */
	b = build("--vcpus 4 --numa id=0,cpus=0:2,memory=1G,distances=1@20 "
		  "--numa id=1,cpus=1:3,memory=1G --hmat initiator=0,target=1,latency=200");
	check_srat(b);
	assert_memory_not_equal(table(a, "SRAT"), table(b, "SRAT"), hdr(a, "SRAT")->length);
	release(b);
	release(a);
}

static void test_limits(void **state)
{
	struct ssivm_config *cfg = calloc(1, sizeof(*cfg));
	static uint8_t buf[ACPI_BIOS_SIZE];
	struct acpi_layout layout;
	struct memmap map;
	uint64_t rsdp;
	size_t used;

	/* the largest configuration fits the 128 KiB BIOS area */
	config_init(cfg);
	cfg->nr_vcpus = SSIVM_MAX_VCPUS;
	cfg->nr_nodes = SSIVM_MAX_NODES;
	for (uint32_t n = 0; n < SSIVM_MAX_NODES; n++) {
		cfg->nodes[n].id = n;
		cfg->nodes[n].mem_bytes = 64ULL << 20;
		cfg->nodes[n].nr_cpus = SSIVM_MAX_VCPUS / SSIVM_MAX_NODES;
		for (uint32_t i = 0; i < cfg->nodes[n].nr_cpus; i++)
			cfg->nodes[n].cpus[i] = n * cfg->nodes[n].nr_cpus + i;
		for (uint32_t t = 0; t < SSIVM_MAX_NODES; t++) {
			struct hmat_entry *e = &cfg->hmat[cfg->nr_hmat++];

			*e = (struct hmat_entry){n, t, 100 + t, 200 + t, 1000 + n, 2000 + n};
			cfg->distance[n][t] = n == t ? 10 : (uint8_t)(20 + (n + t) % 100);
		}
	}
	assert_int_equal(config_validate_for(cfg, 0), 0);
	assert_int_equal(memmap_build(cfg, &map), 0);
	assert_int_equal(acpi_build_layout(cfg, &map, buf, sizeof(buf), ACPI_BIOS_GPA, &layout), 0);
	printf("largest configuration: %zu of %d bytes\n", layout.used, ACPI_BIOS_SIZE);
	assert_true(layout.used <= ACPI_BIOS_SIZE);
	for (uint32_t i = 3; i < layout.nr_tables; i++)
		assert_int_equal(sum(buf + layout.tables[i].offset, layout.tables[i].len), 0);

	/* too small a buffer, a misaligned address */
	assert_int_equal(acpi_build(cfg, &map, buf, 4096, ACPI_BIOS_GPA, &rsdp, &used), -ENOSPC);
	assert_int_equal(acpi_build(cfg, &map, buf, 64, ACPI_BIOS_GPA, &rsdp, &used), -ENOSPC);
	assert_int_equal(acpi_build(cfg, &map, buf, sizeof(buf), ACPI_BIOS_GPA + 8, &rsdp, &used),
			 -EINVAL);
	config_free(cfg);
	free(cfg);
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
	    cmocka_unit_test(test_x2apic),
	    cmocka_unit_test(test_config_changes_tables),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
