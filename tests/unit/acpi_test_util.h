/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/unit/acpi_test_util.h — helpers of the ACPI unit tests: build the
 * tables of a configuration given as flags, find a table, walk the MADT,
 * check the SRAT against the config and memory map, decode an HMAT entry.
 * Include after <cmocka.h>.
 */
#ifndef SSIVM_TESTS_ACPI_TEST_UTIL_H
#define SSIVM_TESTS_ACPI_TEST_UTIL_H

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

static inline struct built *build(const char *flags)
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

static inline void release(struct built *b)
{
	config_free(&b->cfg);
	free(b);
}

static inline const struct acpi_blob *blob(const struct built *b, const char *sig)
{
	for (uint32_t i = 0; i < b->layout.nr_tables; i++)
		if (!strcmp(b->layout.tables[i].sig, sig))
			return &b->layout.tables[i];
	fail_msg("no table %s", sig);
	return NULL;
}

static inline void *table(struct built *b, const char *sig)
{
	return b->buf + blob(b, sig)->offset;
}

static inline uint8_t sum(const void *p, size_t len)
{
	const uint8_t *c = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *c++);
	return s;
}

static inline const struct acpi_header *hdr(struct built *b, const char *sig)
{
	return table(b, sig);
}

static inline const uint8_t *find(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

struct madt_count {
	int lapic, x2apic, ioapic, iso, nmi, x2nmi;
};

static inline struct madt_count walk_madt(struct built *b)
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

/* Check SRAT against the config and the map; returns the memory entries seen. */
static inline int check_srat(struct built *b)
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

/* Entry [initiator i][target t] of the HMAT SLLBI of @type, in ns or MB/s; -1: none. */
static inline int64_t hmat_lookup(struct built *b, int type, uint32_t ini, uint32_t tgt)
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

#endif
