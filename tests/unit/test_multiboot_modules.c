// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_multiboot_modules.c — the multiboot loader's module list on
 * plain memory (no KVM): mods_addr/mods_count and the flag, each module page
 * aligned, in order, with its contents and string; nothing overlaps (kernel,
 * modules, information structure, module list, memory map, strings); sizes
 * on page boundaries and empty modules; a module that does not fit in the
 * rest of one RAM range moves to the next; the count limit; modules too big
 * for RAM are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/multiboot_test_util.h"

/* Modules that do not fit in RAM are refused, not written past the end. */
static void test_module_too_big(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = aout_image(&size);
	uint8_t *big = calloc(1, RAM);
	struct boot_module m = {big, RAM - MiB, "big"};
	struct boot_state bs;

	e->p.image = img;
	e->p.image_size = size;
	e->p.modules = &m;
	e->p.nr_modules = 1;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), -ENOMEM);
	m.size = RAM - (KADDR + TEXT + BSS); /* fits exactly: no room for the info block */
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), -ENOMEM);
	m.size = 4 * MiB;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	free(big);
	free(img);
}

/* ---- the module list: layout checks shared by the tests below ---- */

struct span {
	uint64_t start, end;
	char what[40];
};

#define NO_INDEX (~0u)

/* @what, followed by @i unless it is NO_INDEX ("module 3"). */
static void span_add(struct span *v, unsigned *n, uint64_t start, uint64_t len, const char *what,
		     unsigned i)
{
	v[*n] = (struct span){start, start + len, ""};
	if (i == NO_INDEX)
		snprintf(v[*n].what, sizeof(v[*n].what), "%s", what);
	else
		snprintf(v[*n].what, sizeof(v[*n].what), "%s %u", what, i);
	(*n)++;
}

static bool in_ram(const struct env *e, const struct multiboot_params *p, uint64_t start,
		   uint64_t end)
{
	for (uint32_t i = 0; i < p->nr_e820; i++)
		if (p->e820[i].type == E820_TYPE_RAM && start >= p->e820[i].addr &&
		    end <= p->e820[i].addr + p->e820[i].size && end <= RAM)
			return true;
	return false;
}

/*
 * What the guest gets for @n modules: mods_count/mods_addr/flags, each entry
 * page aligned, in order, of the module's size with its contents and string,
 * in RAM; and nothing overlaps: kernel [KADDR, kend), every module, the
 * information structure, the module list, the memory map, every string.
 */
static void check_module_list(struct env *e, const struct boot_state *bs,
			      const struct boot_module *mods, uint32_t n, uint64_t kend)
{
	const struct multiboot_info *mbi = mbi_of(e, bs);
	static struct span v[3 * MULTIBOOT_MAX_MODULES + 8];
	unsigned nv = 0;

	assert_int_equal(mbi->mods_count, n);
	assert_int_equal(!!(mbi->flags & MULTIBOOT_INFO_MODS), n > 0);
	if (!n) {
		assert_int_equal(mbi->mods_addr, 0);
		return;
	}
	assert_int_equal(mbi->mods_addr % 4, 0);
	assert_true(in_ram(e, &e->p, mbi->mods_addr, mbi->mods_addr + 16ULL * n));
	const struct multiboot_mod *mm = (const void *)(e->ram + mbi->mods_addr);

	span_add(v, &nv, KADDR, kend - KADDR, "kernel", NO_INDEX);
	span_add(v, &nv, bs->rbx, sizeof(*mbi), "information structure", NO_INDEX);
	span_add(v, &nv, mbi->mods_addr, 16ULL * n, "module list", NO_INDEX);
	span_add(v, &nv, mbi->mmap_addr, mbi->mmap_length, "memory map", NO_INDEX);
	span_add(v, &nv, mbi->cmdline, strlen(gstr(e, mbi->cmdline)) + 1, "command line", NO_INDEX);
	span_add(v, &nv, mbi->boot_loader_name, strlen(gstr(e, mbi->boot_loader_name)) + 1,
		 "loader name", NO_INDEX);
	for (uint32_t i = 0; i < n; i++) {
		if (mm[i].mod_start % 4096)
			fail_msg("module %u starts at 0x%x, not page aligned", i, mm[i].mod_start);
		assert_int_equal(mm[i].mod_end - mm[i].mod_start, mods[i].size);
		assert_true(mm[i].mod_start >= kend);
		assert_true(in_ram(e, &e->p, mm[i].mod_start, mm[i].mod_end));
		if (mods[i].size)
			assert_memory_equal(e->ram + mm[i].mod_start, mods[i].data, mods[i].size);
		assert_string_equal(gstr(e, mm[i].string), mods[i].cmdline ? mods[i].cmdline : "");
		assert_int_equal(mm[i].reserved, 0);
		if (i)
			assert_true(mm[i].mod_start >= mm[i - 1].mod_end); /* in order */
		span_add(v, &nv, mm[i].mod_start, mods[i].size, "module", i);
		span_add(v, &nv, mm[i].string, strlen(gstr(e, mm[i].string)) + 1,
			 "string of module", i);
	}
	for (unsigned a = 0; a < nv; a++)
		for (unsigned b = a + 1; b < nv; b++)
			if (v[a].start < v[b].end && v[b].start < v[a].end &&
			    v[a].end > v[a].start && v[b].end > v[b].start)
				fail_msg("%s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)",
					 v[a].what, (unsigned long long)v[a].start,
					 (unsigned long long)v[a].end, v[b].what,
					 (unsigned long long)v[b].start,
					 (unsigned long long)v[b].end);
}

/* Module contents that differ per module and per byte. */
static uint8_t *module_data(size_t size, unsigned seed)
{
	uint8_t *d = malloc(size ? size : 1);

	for (size_t i = 0; i < size; i++)
		d[i] = (uint8_t)(i * 31 + seed * 17 + (i >> 8));
	return d;
}

/* Sets of module sizes: page boundaries, empty modules, one big one. */
static const struct {
	const char *name;
	uint32_t n;
	size_t sizes[8];
} module_sets[] = {
    {"one byte", 1, {1}},
    {"page boundaries", 5, {4095, 4096, 4097, 1, 8192}},
    {"empty modules", 4, {0, 100, 0, 0}},
    {"one big, then small", 3, {3 * MiB + 5, 7, 12345}},
    {"eight", 8, {10, 20000, 4096, 1, 2, 3, 65536, 999}},
};

static void test_module_layout(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = elf_image(&size);

	for (size_t t = 0; t < sizeof(module_sets) / sizeof(module_sets[0]); t++) {
		struct boot_module mods[8];
		char strings[8][64];
		struct boot_state bs;

		for (uint32_t i = 0; i < module_sets[t].n; i++) {
			snprintf(strings[i], sizeof(strings[i]), "/boot/mod%u.bin arg=%u,x  y", i,
				 i * 7);
			mods[i] = (struct boot_module){module_data(module_sets[t].sizes[i], i),
						       module_sets[t].sizes[i],
						       i == 2 ? NULL : strings[i]};
		}
		memset(e->ram, 0xee, RAM);
		e->p.image = img;
		e->p.image_size = size;
		e->p.cmdline = "kernel a=1";
		e->p.modules = mods;
		e->p.nr_modules = module_sets[t].n;
		if (multiboot_load(&e->gm, &e->p, &bs))
			fail_msg("module set \"%s\" was not loaded", module_sets[t].name);
		check_module_list(e, &bs, mods, module_sets[t].n, KADDR + TEXT + BSS);
		for (uint32_t i = 0; i < module_sets[t].n; i++)
			free((void *)mods[i].data);
	}
	free(img);
}

/*
 * Two RAM entries (two NUMA nodes): a module that does not fit in the rest
 * of the first goes to the start of the second; the information block
 * follows it there.
 */
static void test_module_next_ram_range(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = aout_image(&size);
	struct e820_entry map[4] = {{0, 0x9fc00, E820_TYPE_RAM},
				    {0x9fc00, 0x100000 - 0x9fc00, E820_TYPE_RESERVED},
				    {0x100000, 7 * MiB, E820_TYPE_RAM},
				    {8 * MiB, 8 * MiB, E820_TYPE_RAM}};
	struct boot_module mods[3] = {{module_data(4 * MiB, 1), 4 * MiB, "a.bin"},
				      {module_data(5 * MiB, 2), 5 * MiB, "b.bin x=1"},
				      {module_data(100, 3), 100, "c.bin"}};
	struct boot_state bs;

	e->p.image = img;
	e->p.image_size = size;
	e->p.e820 = map;
	e->p.nr_e820 = 4;
	e->p.modules = mods;
	e->p.nr_modules = 3;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	check_module_list(e, &bs, mods, 3, KADDR + TEXT + BSS);
	const struct multiboot_mod *mm = (const void *)(e->ram + mbi_of(e, &bs)->mods_addr);

	assert_int_equal(mm[0].mod_start, page_up_4k(KADDR + TEXT + BSS));
	assert_int_equal(mm[1].mod_start, 8 * MiB);
	assert_int_equal(mm[2].mod_start, 13 * MiB);
	assert_true(bs.rbx >= 13 * MiB + 4096);
	/* 9 MiB more in the second node: no room left for it anywhere */
	mods[2].size = 4 * MiB;
	free((void *)mods[2].data);
	mods[2].data = module_data(4 * MiB, 3);
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), -ENOMEM);
	for (int i = 0; i < 3; i++)
		free((void *)mods[i].data);
	free(img);
}

/* MULTIBOOT_MAX_MODULES modules load; one more is refused before anything is written. */
static void test_module_count_limit(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = aout_image(&size);
	static struct boot_module mods[MULTIBOOT_MAX_MODULES + 1];
	static char strings[MULTIBOOT_MAX_MODULES + 1][32];
	uint8_t data[MULTIBOOT_MAX_MODULES + 1];
	struct boot_state bs;

	for (unsigned i = 0; i <= MULTIBOOT_MAX_MODULES; i++) {
		data[i] = (uint8_t)i;
		snprintf(strings[i], sizeof(strings[i]), "m%u n=%u", i, i);
		mods[i] = (struct boot_module){&data[i], 1, strings[i]};
	}
	e->p.image = img;
	e->p.image_size = size;
	e->p.modules = mods;
	e->p.nr_modules = MULTIBOOT_MAX_MODULES;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	check_module_list(e, &bs, mods, MULTIBOOT_MAX_MODULES, KADDR + TEXT + BSS);
	e->p.nr_modules = MULTIBOOT_MAX_MODULES + 1;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), -EINVAL);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_module_too_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_module_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_module_next_ram_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_module_count_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
