// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_multiboot.c — the multiboot v1 loader on plain memory (no
 * KVM): ELF32 and a.out-kludge images built here, the information structure
 * it writes, and malformed images (a table of corruptions, every
 * truncation, random byte flips) that must be refused without touching
 * memory out of bounds (run under ASan by `make check-asan`). The module
 * list has its own file: test_multiboot_modules.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/multiboot_test_util.h"

static void check_loaded(struct env *e, const uint8_t *text, const struct boot_state *bs)
{
	assert_memory_equal(e->ram + KADDR, text, TEXT);
	for (unsigned i = 0; i < BSS; i++)
		assert_int_equal(e->ram[KADDR + TEXT + i], 0);
	assert_int_equal(bs->mode, BOOT_CPU_PROT32);
	assert_int_equal(bs->rip, KADDR + 0x40);
	assert_int_equal(bs->rax, MULTIBOOT_BOOTLOADER_MAGIC);
	assert_true(bs->rbx >= KADDR + TEXT + BSS && bs->rbx % 4096 == 0);
}

static void test_elf_load(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = elf_image(&size);
	struct boot_state bs;
	static const char m0[] = "module zero", m1[] = "the second module";
	struct boot_module mods[2] = {{m0, sizeof(m0) - 1, "mod0 arg=1"}, {m1, sizeof(m1), NULL}};

	memset(e->ram + KADDR + TEXT, 0xaa, BSS); /* the bss must be cleared */
	e->p.image = img;
	e->p.image_size = size;
	e->p.cmdline = "kernel tests=mem exit=5";
	e->p.modules = mods;
	e->p.nr_modules = 2;
	assert_true(multiboot_detect(img, size));
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	check_loaded(e, img + 0x1000, &bs);

	const struct multiboot_info *mbi = mbi_of(e, &bs);

	assert_int_equal(mbi->flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
					 MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP |
					 MULTIBOOT_INFO_LOADER_NAME);
	assert_int_equal(mbi->mem_lower, 639);
	assert_int_equal(mbi->mem_upper, (RAM - MiB) / 1024);
	assert_string_equal(gstr(e, mbi->cmdline), "kernel tests=mem exit=5");
	assert_string_equal(gstr(e, mbi->boot_loader_name), "ssivm");
	assert_int_equal(mbi->mods_count, 2);
	const struct multiboot_mod *mm = (const void *)(e->ram + mbi->mods_addr);

	for (int i = 0; i < 2; i++) {
		assert_int_equal(mm[i].mod_start % 4096, 0);
		assert_true(mm[i].mod_start >= KADDR + TEXT + BSS);
		assert_int_equal(mm[i].mod_end - mm[i].mod_start, mods[i].size);
		assert_memory_equal(e->ram + mm[i].mod_start, mods[i].data, mods[i].size);
	}
	assert_true(mm[1].mod_start >= mm[0].mod_end);
	assert_string_equal(gstr(e, mm[0].string), "mod0 arg=1");
	assert_string_equal(gstr(e, mm[1].string), "");
	assert_int_equal(mbi->mmap_length, 3 * 24);
	const struct multiboot_mmap_entry *me = (const void *)(e->ram + mbi->mmap_addr);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(me[i].size, 20);
		assert_int_equal(me[i].addr, e->e820[i].addr);
		assert_int_equal(me[i].len, e->e820[i].size);
		assert_int_equal(me[i].type, e->e820[i].type);
	}
	free(img);
}

static void test_aout_load(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = aout_image(&size);
	struct boot_state bs;
	struct multiboot_header_info h;

	e->p.image = img;
	e->p.image_size = size;
	e->p.loader_name = "test loader";
	assert_int_equal(multiboot_parse_header(img, size, &h), 0);
	assert_int_equal(h.offset, 8);
	assert_int_equal(h.load_end_addr, KADDR + TEXT);
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	check_loaded(e, img, &bs);
	const struct multiboot_info *mbi = mbi_of(e, &bs);

	assert_int_equal(mbi->mods_count, 0);
	assert_false(mbi->flags & MULTIBOOT_INFO_MODS);
	assert_string_equal(gstr(e, mbi->cmdline), "");
	assert_string_equal(gstr(e, mbi->boot_loader_name), "test loader");
	free(img);
}

/* mem_upper runs across adjacent RAM entries (one per NUMA node). */
static void test_mem_upper_two_nodes(void **state)
{
	struct env *e = *state;
	size_t size;
	uint8_t *img = aout_image(&size);
	struct e820_entry map[4] = {{0, 0x9fc00, E820_TYPE_RAM},
				    {0x9fc00, 0x100000 - 0x9fc00, E820_TYPE_RESERVED},
				    {0x100000, 7 * MiB, E820_TYPE_RAM},
				    {8 * MiB, 8 * MiB, E820_TYPE_RAM}};
	struct boot_state bs;

	e->p.image = img;
	e->p.image_size = size;
	e->p.e820 = map;
	e->p.nr_e820 = 4;
	assert_int_equal(multiboot_load(&e->gm, &e->p, &bs), 0);
	assert_int_equal(mbi_of(e, &bs)->mem_upper, 15 * 1024);
	assert_int_equal(mbi_of(e, &bs)->mmap_length, 4 * 24);
	free(img);
}

typedef void (*corrupt_fn)(uint8_t *img, size_t *size);

#define W32(img, off, v)                                                                           \
	do {                                                                                       \
		uint32_t v_ = (v);                                                                 \
		memcpy((img) + (off), &v_, 4);                                                     \
	} while (0)

/* a.out corruptions (header at 8, fields at 20..40) */
static void a_no_magic(uint8_t *img, size_t *size)
{
	img[8] ^= 1;
}
static void a_bad_sum(uint8_t *img, size_t *size)
{
	img[16] ^= 1;
}
static void a_unknown_flag(uint8_t *img, size_t *size)
{
	put_header(img + 8, MULTIBOOT_AOUT_KLUDGE | 0x3 | (1u << 5));
}
static void a_truncated_header(uint8_t *img, size_t *size)
{
	*size = 30;
}
static void a_header_before_file(uint8_t *img, size_t *size)
{
	W32(img, 20, KADDR + 0x100); /* header_addr - load_addr > offset */
}
static void a_header_addr_below_load(uint8_t *img, size_t *size)
{
	W32(img, 20, KADDR - 8);
}
static void a_load_end_past_file(uint8_t *img, size_t *size)
{
	W32(img, 28, KADDR + TEXT + 1);
}
static void a_load_end_below_load(uint8_t *img, size_t *size)
{
	W32(img, 28, KADDR - 1);
}
static void a_bss_below_load_end(uint8_t *img, size_t *size)
{
	W32(img, 32, KADDR + 0x10);
}
static void a_entry_outside(uint8_t *img, size_t *size)
{
	W32(img, 36, KADDR + TEXT + BSS);
}
static void a_in_reserved(uint8_t *img, size_t *size)
{
	W32(img, 20, 0xa0008);
	W32(img, 24, 0xa0000);
	W32(img, 28, 0);
	W32(img, 32, 0);
	W32(img, 36, 0xa0040);
}
static void a_past_ram(uint8_t *img, size_t *size)
{
	W32(img, 20, RAM - 0x100 + 8);
	W32(img, 24, RAM - 0x100);
	W32(img, 28, 0);
	W32(img, 32, 0);
	W32(img, 36, RAM - 0x100);
}
static void a_wraps_4g(uint8_t *img, size_t *size)
{
	W32(img, 20, 0xfffff008);
	W32(img, 24, 0xfffff000);
	W32(img, 28, 0);
	W32(img, 32, 0);
	W32(img, 36, 0xfffff000);
}

/* ELF corruptions (ehdr at 0, phdr at 52, header at 0x1100) */
static void e_class64(uint8_t *img, size_t *size)
{
	img[EI_CLASS] = ELFCLASS64;
}
static void e_machine(uint8_t *img, size_t *size)
{
	img[offsetof(Elf32_Ehdr, e_machine)] = EM_X86_64;
}
static void e_phoff_past_end(uint8_t *img, size_t *size)
{
	W32(img, offsetof(Elf32_Ehdr, e_phoff), (uint32_t)*size - 8);
}
static void e_phnum_huge(uint8_t *img, size_t *size)
{
	img[offsetof(Elf32_Ehdr, e_phnum)] = 0xff;
	img[offsetof(Elf32_Ehdr, e_phnum) + 1] = 0xff;
}
static void e_phentsize_small(uint8_t *img, size_t *size)
{
	img[offsetof(Elf32_Ehdr, e_phentsize)] = 8;
}
static void e_seg_past_end(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_filesz), TEXT + 1);
}
static void e_seg_offset_huge(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_offset), 0xfffffff0u);
}
static void e_filesz_gt_memsz(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_memsz), TEXT - 1);
}
static void e_seg_past_ram(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_paddr), RAM - 0x1000);
}
static void e_seg_in_reserved(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_paddr), 0x9f000);
}
static void e_seg_wraps(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_paddr), 0xffffff00u);
}
static void e_entry_outside(uint8_t *img, size_t *size)
{
	W32(img, offsetof(Elf32_Ehdr, e_entry), 0x1234);
}
static void e_no_load(uint8_t *img, size_t *size)
{
	W32(img, 52 + offsetof(Elf32_Phdr, p_type), PT_NOTE);
}
static void e_not_elf(uint8_t *img, size_t *size)
{
	img[1] = 'X';
}
static void e_truncated_ehdr(uint8_t *img, size_t *size)
{
	memmove(img + 0x100, img + 0x1100, 12); /* keep a header, drop the rest */
	*size = 0x10c;
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = 'F';
	W32(img, offsetof(Elf32_Ehdr, e_phoff), 0x100);
}

static const struct corruption {
	const char *name;
	bool aout;
	corrupt_fn fn;
	int err;
} corruptions[] = {
    {"no magic", true, a_no_magic, -ENOEXEC},
    {"bad checksum", true, a_bad_sum, -ENOEXEC},
    {"unknown required flag", true, a_unknown_flag, -EINVAL},
    {"kludge header truncated", true, a_truncated_header, -EINVAL},
    {"load start before file", true, a_header_before_file, -EINVAL},
    {"header_addr < load_addr", true, a_header_addr_below_load, -EINVAL},
    {"load_end past the file", true, a_load_end_past_file, -EINVAL},
    {"load_end < load_addr", true, a_load_end_below_load, -EINVAL},
    {"bss_end < load_end", true, a_bss_below_load_end, -EINVAL},
    {"entry outside", true, a_entry_outside, -EINVAL},
    {"load into reserved", true, a_in_reserved, -EINVAL},
    {"load past RAM", true, a_past_ram, -EINVAL},
    {"load wraps 4 GiB", true, a_wraps_4g, -EINVAL},
    {"ELF64 without kludge", false, e_class64, -EINVAL},
    {"ELF machine x86-64", false, e_machine, -EINVAL},
    {"phoff past end", false, e_phoff_past_end, -EINVAL},
    {"phnum huge", false, e_phnum_huge, -EINVAL},
    {"phentsize small", false, e_phentsize_small, -EINVAL},
    {"segment past end", false, e_seg_past_end, -EINVAL},
    {"segment offset huge", false, e_seg_offset_huge, -EINVAL},
    {"filesz > memsz", false, e_filesz_gt_memsz, -EINVAL},
    {"segment past RAM", false, e_seg_past_ram, -EINVAL},
    {"segment in reserved", false, e_seg_in_reserved, -EINVAL},
    {"segment wraps 4 GiB", false, e_seg_wraps, -EINVAL},
    {"entry outside segments", false, e_entry_outside, -EINVAL},
    {"no PT_LOAD", false, e_no_load, -EINVAL},
    {"not ELF, no kludge", false, e_not_elf, -EINVAL},
    {"ELF header truncated", false, e_truncated_ehdr, -EINVAL},
};

static void test_corruptions(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		const struct corruption *c = &corruptions[i];
		size_t size;
		uint8_t *img = c->aout ? aout_image(&size) : elf_image(&size);
		struct boot_state bs;

		c->fn(img, &size);
		e->p.image = img;
		e->p.image_size = size;
		int ret = multiboot_load(&e->gm, &e->p, &bs);

		if (ret != c->err)
			fail_msg("corruption \"%s\": multiboot_load returned %d, expected %d",
				 c->name, ret, c->err);
		free(img);
	}
}

/* Every prefix of a valid image: loaded or refused, never out of bounds.
 * Each prefix is copied to a buffer of exactly its size (ASan sees overreads). */
static void test_truncations(void **state)
{
	struct env *e = *state;

	for (int kind = 0; kind < 2; kind++) {
		size_t size;
		uint8_t *img = kind ? aout_image(&size) : elf_image(&size);
		unsigned ok = 0;

		for (size_t n = 0; n <= size; n += (n < 0x1200 ? 1 : 0x100)) {
			uint8_t *cut = malloc(n ? n : 1);
			struct boot_state bs;

			memcpy(cut, img, n);
			e->p.image = cut;
			e->p.image_size = n;
			int ret = multiboot_load(&e->gm, &e->p, &bs);

			assert_true(ret == 0 || ret == -EINVAL || ret == -ENOEXEC);
			ok += ret == 0;
			free(cut);
		}
		/* the a.out image (load_end_addr given) needs its whole text */
		assert_true(ok >= 1);
		free(img);
	}
}

/* Random byte flips in the headers: never a crash, never out of bounds. */
static void test_random_flips(void **state)
{
	struct env *e = *state;
	unsigned seed = 12345, loaded = 0;

	for (int it = 0; it < 3000; it++) {
		size_t size;
		uint8_t *img = (it & 1) ? aout_image(&size) : elf_image(&size);
		struct boot_state bs;

		for (int k = 0; k < 1 + it % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t off = (it & 1) ? 8 + (seed >> 8) % 36 : (seed >> 8) % 96;

			seed = seed * 1103515245u + 12345u;
			img[off] ^= (uint8_t)(1u << ((seed >> 16) % 8));
		}
		e->p.image = img;
		e->p.image_size = size;
		int ret = multiboot_load(&e->gm, &e->p, &bs);

		assert_true(ret == 0 || ret == -EINVAL || ret == -ENOEXEC || ret == -ENOMEM);
		if (ret == 0) {
			loaded++;
			assert_true(bs.rbx + sizeof(struct multiboot_info) <= RAM);
			assert_true(bs.rip < RAM);
		}
		free(img);
	}
	assert_true(loaded > 0); /* some flips are harmless (text, unused fields) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_elf_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aout_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mem_upper_two_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corruptions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_flips, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
