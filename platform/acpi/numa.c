// SPDX-License-Identifier: GPL-2.0-only
/* platform/acpi/numa.c — SRAT, SLIT and HMAT: the NUMA topology of the config. */
#include <errno.h>
#include <string.h>

#include "platform/acpi/acpi.h"
#include "platform/acpi/tables.h"

#define XAPIC_MAX_ID 254

int acpi_build_srat(const struct ssivm_config *cfg, const struct memmap *map, void *t, size_t room)
{
	struct acpi_srat *srat = t;
	uint8_t *p = t;
	size_t len = sizeof(*srat);

	if (room < len)
		return -ENOSPC;
	srat->table_revision = 1;
	for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
		int node = config_node_of_cpu(cfg, i);

		if (node < 0)
			return -EINVAL;
		if (i <= XAPIC_MAX_ID) {
			struct acpi_srat_lapic *a = (void *)(p + len);

			if (len + sizeof(*a) > room)
				return -ENOSPC;
			a->type = ACPI_SRAT_LAPIC;
			a->length = sizeof(*a);
			a->proximity_lo = (uint8_t)node;
			a->proximity_hi[0] = (uint8_t)(node >> 8);
			a->proximity_hi[1] = (uint8_t)(node >> 16);
			a->proximity_hi[2] = (uint8_t)(node >> 24);
			a->apic_id = (uint8_t)i;
			a->flags = ACPI_SRAT_ENABLED;
			len += sizeof(*a);
		} else {
			struct acpi_srat_x2apic *a = (void *)(p + len);

			if (len + sizeof(*a) > room)
				return -ENOSPC;
			a->type = ACPI_SRAT_X2APIC;
			a->length = sizeof(*a);
			a->proximity_domain = (uint32_t)node;
			a->x2apic_id = i;
			a->flags = ACPI_SRAT_ENABLED;
			len += sizeof(*a);
		}
	}
	for (uint32_t r = 0; r < map->nr_ranges; r++) {
		const struct mem_range *mr = &map->ranges[r];
		struct acpi_srat_memory *m = (void *)(p + len);

		if (len + sizeof(*m) > room)
			return -ENOSPC;
		m->type = ACPI_SRAT_MEMORY;
		m->length = sizeof(*m);
		m->proximity_domain = mr->node;
		m->base_lo = (uint32_t)mr->gpa;
		m->base_hi = (uint32_t)(mr->gpa >> 32);
		m->length_lo = (uint32_t)mr->size;
		m->length_hi = (uint32_t)(mr->size >> 32);
		m->flags = ACPI_SRAT_ENABLED;
		len += sizeof(*m);
	}
	acpi_fill_header(&srat->h, "SRAT", (uint32_t)len, 3);
	return (int)len;
}

int acpi_build_slit(const struct ssivm_config *cfg, void *t, size_t room)
{
	struct acpi_slit *slit = t;
	uint32_t n = cfg->nr_nodes;
	size_t len = sizeof(*slit) + (size_t)n * n;

	if (room < len)
		return -ENOSPC;
	slit->localities = n;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			slit->entry[i * n + j] = cfg->distance[i][j];
	acpi_fill_header(&slit->h, "SLIT", (uint32_t)len, 1);
	return (int)len;
}

/*
 * Entries are 16-bit, 0 = no information, 0xFFFF = unreachable: pick the
 * smallest power-of-ten base unit (in @unit) with which the largest value fits
 * in 65534 entries. Values are rounded to the nearest multiple of the base.
 */
uint64_t acpi_hmat_base_unit(const uint64_t *values, size_t n, uint64_t unit)
{
	uint64_t max = 0, base = 1;

	for (size_t i = 0; i < n; i++)
		if (values[i] * unit > max)
			max = values[i] * unit;
	while (max / base > 65534 || (max / base == 65534 && max % base))
		base *= 10;
	return base;
}

static uint32_t hmat_value(const struct hmat_entry *e, enum acpi_hmat_data_type type)
{
	switch (type) {
	case ACPI_HMAT_ACCESS_LATENCY:
	case ACPI_HMAT_READ_LATENCY:
		return e->read_latency_ns;
	case ACPI_HMAT_WRITE_LATENCY:
		return e->write_latency_ns;
	case ACPI_HMAT_ACCESS_BANDWIDTH:
	case ACPI_HMAT_READ_BANDWIDTH:
		return e->read_bandwidth_mbs;
	case ACPI_HMAT_WRITE_BANDWIDTH:
		return e->write_bandwidth_mbs;
	}
	return 0;
}

/* One System Locality Latency and Bandwidth Information structure. */
static int hmat_sllbi(const struct ssivm_config *cfg, enum acpi_hmat_data_type type, uint8_t *p,
		      size_t room)
{
	struct acpi_hmat_sllbi *s = (void *)p;
	uint32_t ini[SSIVM_MAX_NODES], nr_ini = 0, nt = cfg->nr_nodes;
	uint64_t values[SSIVM_MAX_NODES * SSIVM_MAX_NODES];
	/* latencies are in picoseconds in HMAT revision 2, bandwidths in MB/s */
	uint64_t unit = type <= ACPI_HMAT_WRITE_LATENCY ? 1000 : 1, base;
	uint32_t *pd;
	uint16_t *entry;
	size_t len;

	for (uint32_t n = 0; n < cfg->nr_nodes; n++)
		if (cfg->nodes[n].nr_cpus)
			ini[nr_ini++] = n;
	len = sizeof(*s) + 4 * (size_t)(nr_ini + nt) + 2 * (size_t)nr_ini * nt;
	len = (len + 3) & ~(size_t)3;
	if (len > room)
		return -ENOSPC;
	for (uint32_t k = 0; k < cfg->nr_hmat; k++)
		values[k] = hmat_value(&cfg->hmat[k], type);
	base = acpi_hmat_base_unit(values, cfg->nr_hmat, unit);

	s->type = ACPI_HMAT_SLLBI;
	s->length = (uint32_t)len;
	s->flags = 0; /* memory hierarchy: memory */
	s->data_type = (uint8_t)type;
	s->nr_initiators = nr_ini;
	s->nr_targets = nt;
	s->entry_base_unit = base;
	pd = (uint32_t *)(s + 1);
	for (uint32_t i = 0; i < nr_ini; i++)
		*pd++ = ini[i];
	for (uint32_t j = 0; j < nt; j++)
		*pd++ = j;
	entry = (uint16_t *)pd;
	for (uint32_t k = 0; k < cfg->nr_hmat; k++) {
		const struct hmat_entry *e = &cfg->hmat[k];
		uint64_t v = values[k] * unit, q;
		uint32_t i;

		for (i = 0; i < nr_ini && ini[i] != e->initiator; i++)
			;
		if (i == nr_ini || e->target >= nt)
			return -EINVAL; /* config_validate() refuses these */
		if (!v)
			continue;
		q = (v + base / 2) / base;
		entry[i * nt + e->target] = (uint16_t)(q ? q : 1);
	}
	return (int)len;
}

static bool hmat_has(const struct ssivm_config *cfg, enum acpi_hmat_data_type type)
{
	for (uint32_t k = 0; k < cfg->nr_hmat; k++)
		if (hmat_value(&cfg->hmat[k], type))
			return true;
	return false;
}

/* Read and write figures identical everywhere: one "access" structure says it. */
static bool hmat_same_rw(const struct ssivm_config *cfg, bool bandwidth)
{
	for (uint32_t k = 0; k < cfg->nr_hmat; k++) {
		const struct hmat_entry *e = &cfg->hmat[k];

		if (bandwidth ? e->read_bandwidth_mbs != e->write_bandwidth_mbs
			      : e->read_latency_ns != e->write_latency_ns)
			return false;
	}
	return true;
}

int acpi_build_hmat(const struct ssivm_config *cfg, void *t, size_t room)
{
	struct acpi_hmat *hmat = t;
	uint8_t *p = t;
	size_t len = sizeof(*hmat);
	enum acpi_hmat_data_type types[4];
	int nr_types = 0;

	if (room < len)
		return -ENOSPC;
	/* every node has memory: say which initiator is attached to it */
	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		struct acpi_hmat_mpda *m = (void *)(p + len);

		if (len + sizeof(*m) > room)
			return -ENOSPC;
		m->type = ACPI_HMAT_MPDA;
		m->length = sizeof(*m);
		if (cfg->nodes[n].nr_cpus) {
			m->flags = ACPI_HMAT_INITIATOR_VALID;
			m->initiator_pd = n;
		}
		m->memory_pd = n;
		len += sizeof(*m);
	}
	if (hmat_has(cfg, ACPI_HMAT_READ_LATENCY) || hmat_has(cfg, ACPI_HMAT_WRITE_LATENCY)) {
		if (hmat_same_rw(cfg, false)) {
			types[nr_types++] = ACPI_HMAT_ACCESS_LATENCY;
		} else {
			if (hmat_has(cfg, ACPI_HMAT_READ_LATENCY))
				types[nr_types++] = ACPI_HMAT_READ_LATENCY;
			if (hmat_has(cfg, ACPI_HMAT_WRITE_LATENCY))
				types[nr_types++] = ACPI_HMAT_WRITE_LATENCY;
		}
	}
	if (hmat_has(cfg, ACPI_HMAT_READ_BANDWIDTH) || hmat_has(cfg, ACPI_HMAT_WRITE_BANDWIDTH)) {
		if (hmat_same_rw(cfg, true)) {
			types[nr_types++] = ACPI_HMAT_ACCESS_BANDWIDTH;
		} else {
			if (hmat_has(cfg, ACPI_HMAT_READ_BANDWIDTH))
				types[nr_types++] = ACPI_HMAT_READ_BANDWIDTH;
			if (hmat_has(cfg, ACPI_HMAT_WRITE_BANDWIDTH))
				types[nr_types++] = ACPI_HMAT_WRITE_BANDWIDTH;
		}
	}
	for (int i = 0; i < nr_types; i++) {
		int ret = hmat_sllbi(cfg, types[i], p + len, room - len);

		if (ret < 0)
			return ret;
		len += (size_t)ret;
	}
	acpi_fill_header(&hmat->h, "HMAT", (uint32_t)len, 2);
	return (int)len;
}
