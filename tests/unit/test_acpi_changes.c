// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_acpi_changes.c — ACPI tables across configurations: that
 * changing the configuration changes exactly the tables it should, x2APIC
 * entries beyond 254 vCPUs, the largest configuration, build errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/acpi_test_util.h"

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
	    cmocka_unit_test(test_x2apic),
	    cmocka_unit_test(test_config_changes_tables),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
