// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_boot_linux.c — bzImage parser and loader, e820, format
 * detection, on plain memory (no KVM). Images are built here; when the
 * Debian kernel of scripts/setup is present it is parsed and loaded too.
 */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/boot_test_util.h"

static void test_parse_good(void **state)
{
	size_t size;
	uint8_t *img = fake_bzimage(&size);
	struct linux_info li;

	assert_int_equal(boot_detect(img, size), BOOT_FMT_BZIMAGE);
	assert_int_equal(linux_parse("fake", img, size, &li), 0);
	assert_int_equal(li.setup_size, SETUP);
	assert_int_equal(li.kernel_size, KSIZE);
	assert_int_equal(li.pref_address, 16 * MiB);
	assert_int_equal(li.cmdline_size, 2047);
	assert_int_equal(boot_image_check("fake", img, size), BOOT_FMT_BZIMAGE);
	free(img);
}

/* Table of corruptions; each must be refused. */
static void corrupt_flag(uint8_t *img, size_t *size)
{
	img[0x1fe] = 0;
}
static void corrupt_version(uint8_t *img, size_t *size)
{
	hdr(img)->version = 0x0204;
}
static void corrupt_no64(uint8_t *img, size_t *size)
{
	hdr(img)->xloadflags = 0;
}
static void corrupt_low(uint8_t *img, size_t *size)
{
	hdr(img)->loadflags = 0;
}
static void corrupt_truncated(uint8_t *img, size_t *size)
{
	*size -= 4096;
}
static void corrupt_setup_past_end(uint8_t *img, size_t *size)
{
	hdr(img)->setup_sects = 200;
}
static void corrupt_tiny(uint8_t *img, size_t *size)
{
	*size = 0x210;
}
static void corrupt_init_size(uint8_t *img, size_t *size)
{
	hdr(img)->init_size = 100;
}
static void corrupt_align(uint8_t *img, size_t *size)
{
	hdr(img)->kernel_alignment = 3 * MiB;
}
static void corrupt_jump(uint8_t *img, size_t *size)
{
	*size = 0x26c;
	hdr(img)->setup_sects = 0;
	img[0x201] = 0xff;
}

static void test_parse_bad(void **state)
{
	static void (*const corrupt[])(uint8_t *, size_t *) = {
	    corrupt_flag,      corrupt_version,        corrupt_no64, corrupt_low,
	    corrupt_truncated, corrupt_setup_past_end, corrupt_tiny, corrupt_init_size,
	    corrupt_align,     corrupt_jump,
	};

	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		size_t size;
		uint8_t *img = fake_bzimage(&size);
		struct linux_info li;

		corrupt[i](img, &size);
		assert_int_equal(linux_parse("bad", img, size, &li), -ENOEXEC);
		assert_int_equal(boot_image_check("bad", img, size), -ENOEXEC);
		free(img);
	}
}

static void test_load(void **state)
{
	size_t size;
	uint8_t *img = fake_bzimage(&size);
	struct vmem v;
	struct boot_state st;
	static uint8_t initrd[3 * 4096 + 5];
	const char *cmd = "console=ttyS0 quiet";
	struct boot_params *bp;
	uint64_t *pt;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	vmem_init(&v, 32 * MiB, 32 * MiB);
	struct linux_load_params p = {.path = "fake",
				      .image = img,
				      .size = size,
				      .initrd = initrd,
				      .initrd_size = sizeof(initrd),
				      .cmdline = cmd,
				      .rsdp_gpa = 0xE0000};
	assert_int_equal(linux_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.mode, BOOT_CPU_LONG64);
	assert_int_equal(st.rip, 16 * MiB + 0x200);
	assert_int_equal(st.rsi, LINUX_ZEROPAGE);
	assert_memory_equal(v.ram + 16 * MiB, img + SETUP, KSIZE);
	bp = (struct boot_params *)(v.ram + LINUX_ZEROPAGE);
	assert_int_equal(bp->hdr.boot_flag, 0xAA55);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.cmd_line_ptr, LINUX_CMDLINE);
	assert_string_equal((char *)v.ram + LINUX_CMDLINE, cmd);
	assert_int_equal(bp->acpi_rsdp_addr, 0xE0000);
	/* initrd: page aligned, above the kernel's init_size, in RAM, intact */
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(bp->hdr.ramdisk_image & 4095, 0);
	assert_true(bp->hdr.ramdisk_image >= 17 * MiB);
	assert_true(bp->hdr.ramdisk_image + sizeof(initrd) <= 64 * MiB);
	assert_memory_equal(v.ram + bp->hdr.ramdisk_image, initrd, sizeof(initrd));
	/* e820: low RAM, reserved legacy area, one RAM entry per node, ECAM */
	assert_int_equal(bp->e820_entries, 5);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].size, 0x9FC00);
	assert_int_equal(bp->e820_table[1].type, E820_TYPE_RESERVED);
	assert_int_equal(bp->e820_table[2].addr, 1 * MiB);
	assert_int_equal(bp->e820_table[2].size, 31 * MiB);
	assert_int_equal(bp->e820_table[3].addr, 32 * MiB);
	assert_int_equal(bp->e820_table[3].size, 32 * MiB);
	assert_int_equal(bp->e820_table[4].addr, MEMMAP_PCI_ECAM_START);
	assert_int_equal(bp->e820_table[4].size, MEMMAP_PCI_ECAM_SIZE);
	assert_int_equal(bp->e820_table[4].type, E820_TYPE_RESERVED);
	/* identity page tables */
	pt = (uint64_t *)(v.ram + LINUX_PML4);
	assert_int_equal(pt[0] & ~0xfffULL, LINUX_PML4 + 4096);
	assert_int_equal(pt[512 + 3] & ~0xfffULL, LINUX_PML4 + 5 * 4096);
	assert_int_equal(pt[1024 + 8], (8ULL << 21) | 0x83);
	assert_int_equal(pt[1024 + 2047], (2047ULL << 21) | 0x83);

	/* a command line longer than cmdline_size is refused */
	char *longcmd = malloc(3000);
	memset(longcmd, 'x', 2999);
	longcmd[2999] = 0;
	p.cmdline = longcmd;
	assert_int_equal(linux_load(&v.gm, &p, &st), -E2BIG);
	free(longcmd);
	/* an initrd that cannot fit is refused */
	p.cmdline = cmd;
	p.initrd_size = 60 * MiB;
	uint8_t *big = calloc(1, p.initrd_size);
	p.initrd = big;
	assert_int_equal(linux_load(&v.gm, &p, &st), -ENOMEM);
	free(big);
	free(v.ram);
	/* a guest without RAM from pref_address (16 MiB) up is refused: the kernel
	 * never runs below it (head_64.S moves a relocatable kernel up to it) */
	vmem_init(&v, 4 * MiB, 4 * MiB);
	p.initrd = NULL;
	p.initrd_size = 0;
	assert_int_equal(linux_load(&v.gm, &p, &st), -ENOMEM);
	free(v.ram);
	/* [16M, 17M) across two RAM ranges: the next aligned spot above that
	 * one range holds, 18 MiB (kernel_alignment 2 MiB) */
	vmem_init(&v, 16 * MiB + 512 * 1024, 16 * MiB);
	assert_int_equal(linux_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.rip, 18 * MiB + 0x200);
	assert_memory_equal(v.ram + 18 * MiB, img + SETUP, KSIZE);
	/* not relocatable: pref_address or nothing */
	hdr(img)->relocatable_kernel = 0;
	assert_int_equal(linux_load(&v.gm, &p, &st), -ENOMEM);
	free(v.ram);
	free(img);
}

static void test_e820_hole(void **state)
{
	struct vmem v;
	struct e820_entry e[16];
	int n;

	v.ram = NULL;
	static struct ssivm_config cfg;
	cfg.nr_nodes = 2;
	cfg.nodes[0].mem_bytes = 2048 * MiB;
	cfg.nodes[1].mem_bytes = 2048 * MiB;
	assert_int_equal(memmap_build(&cfg, &v.map), 0);
	n = e820_build(&v.map, e, 16);
	assert_int_equal(n, 6);
	assert_int_equal(e[3].addr, 2048 * MiB);
	assert_int_equal(e[3].size, 1024 * MiB);            /* stops at the hole */
	assert_int_equal(e[4].addr, MEMMAP_PCI_ECAM_START); /* the ECAM, in the hole */
	assert_int_equal(e[4].type, E820_TYPE_RESERVED);
	assert_int_equal(e[5].addr, 4096 * MiB);
	assert_int_equal(e[5].size, 1024 * MiB);
	for (int i = 1; i < n; i++)
		assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);
	assert_int_equal(e820_build(&v.map, e, 3), -ENOSPC);
}

static void test_place_initrd(void **state)
{
	struct vmem v;
	uint64_t a;

	vmem_init(&v, 32 * MiB, 32 * MiB);
	assert_int_equal(linux_place_initrd(&v.map, 4096, 0, 0xffffffff, &a), 0);
	assert_int_equal(a, 64 * MiB - 4096);
	assert_int_equal(linux_place_initrd(&v.map, 4096, 0, 48 * MiB - 1, &a), 0);
	assert_int_equal(a, 48 * MiB - 4096);
	/* cannot span the node boundary: 40 MiB fits in neither range */
	assert_int_equal(linux_place_initrd(&v.map, 40 * MiB, 0, 0xffffffff, &a), -ENOSPC);
	assert_int_equal(linux_place_initrd(&v.map, 8 * MiB, 60 * MiB, 0xffffffff, &a), -ENOSPC);
	free(v.ram);
}

static void test_detect(void **state)
{
	static uint8_t img[16384];
	uint32_t mb[3] = {0x1BADB002, 0x00010003, 0};

	memset(img, 0, sizeof(img));
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_UNKNOWN);
	assert_int_equal(boot_image_check("zeros", img, sizeof(img)), -ENOEXEC);
	/* multiboot: valid header at a 4-aligned offset inside 8 KiB */
	mb[2] = -(mb[0] + mb[1]);
	memcpy(img + 4096, mb, 12);
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_MULTIBOOT);
	assert_int_equal(boot_detect(img, 4100), BOOT_FMT_UNKNOWN); /* cut header */
	img[4096 + 8] ^= 1;                                         /* bad checksum */
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_UNKNOWN);
	memset(img, 0, sizeof(img));
	memcpy(img + 8192, mb, 12); /* too far */
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_UNKNOWN);

	/* ELF64 with a Xen PHYS32_ENTRY note: PVH */
	memset(img, 0, sizeof(img));
	Elf64_Ehdr eh = {.e_ident = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
			 .e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_phoff = 64,
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 1};
	Elf64_Phdr ph = {.p_type = PT_NOTE, .p_offset = 512, .p_filesz = 20};
	uint32_t note[5] = {4, 4, 18, 0x006e6558 /* "Xen\0" */, 0x1000000};
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + 64, &ph, sizeof(ph));
	memcpy(img + 512, note, sizeof(note));
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_ELF_PVH);
	assert_int_equal(boot_elf_pvh_entry(img, sizeof(img)), 0x1000000);
	/* note running past the segment: not found */
	ph.p_filesz = 16;
	memcpy(img + 64, &ph, sizeof(ph));
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_UNKNOWN);
	/* program headers past the end of the file */
	eh.e_phnum = 60000;
	memcpy(img, &eh, sizeof(eh));
	assert_int_equal(boot_detect(img, sizeof(img)), BOOT_FMT_UNKNOWN);
	assert_int_equal(boot_image_check("elf", img, sizeof(img)), -ENOEXEC);
}

static void test_pvh(void **state)
{
	size_t size;
	uint8_t *img = fake_vmlinux(&size);
	struct vmem v;
	struct boot_state st;
	static uint8_t initrd[5000];
	uint32_t *si;
	uint64_t q;

	memset(initrd, 0xab, sizeof(initrd));
	vmem_init(&v, 16 * MiB, 16 * MiB);
	memset(v.ram + 2 * MiB + 4096, 0xee, 2 * 4096); /* bss must be cleared */
	assert_int_equal(boot_image_check("elf", img, size), BOOT_FMT_ELF_PVH);
	struct linux_load_params p = {.path = "elf",
				      .image = img,
				      .size = size,
				      .initrd = initrd,
				      .initrd_size = sizeof(initrd),
				      .cmdline = "console=ttyS0",
				      .rsdp_gpa = 0xE0000};
	assert_int_equal(pvh_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.mode, BOOT_CPU_PROT32);
	assert_int_equal(st.rip, 2 * MiB + 0x40);
	assert_int_equal(st.rbx, LINUX_ZEROPAGE);
	assert_memory_equal(v.ram + 2 * MiB, img + 8192, 4096);
	for (int i = 4096; i < 3 * 4096; i++)
		assert_int_equal(v.ram[2 * MiB + i], 0);
	si = (uint32_t *)(v.ram + LINUX_ZEROPAGE);
	assert_int_equal(si[0], 0x336ec578);        /* magic */
	assert_int_equal(si[1], 1);                 /* version */
	assert_int_equal(si[3], 1);                 /* one module: the initrd */
	memcpy(&q, v.ram + LINUX_ZEROPAGE + 32, 8); /* rsdp_paddr */
	assert_int_equal(q, 0xE0000);
	memcpy(&q, v.ram + LINUX_ZEROPAGE + 24, 8); /* cmdline_paddr */
	assert_string_equal((char *)v.ram + q, "console=ttyS0");
	memcpy(&q, v.ram + LINUX_ZEROPAGE + 16, 8); /* modlist_paddr */
	uint64_t mod[2];
	memcpy(mod, v.ram + q, sizeof(mod));
	assert_int_equal(mod[1], sizeof(initrd));
	assert_memory_equal(v.ram + mod[0], initrd, sizeof(initrd));
	assert_int_equal(si[12], 5); /* memmap_entries: low RAM, reserved, 2 nodes, ECAM */

	/* a segment running past the end of the file is refused */
	Elf64_Phdr ph;
	memcpy(&ph, img + 64 + sizeof(ph), sizeof(ph));
	ph.p_filesz = 1 * MiB;
	ph.p_memsz = 1 * MiB;
	memcpy(img + 64 + sizeof(ph), &ph, sizeof(ph));
	assert_int_equal(pvh_load(&v.gm, &p, &st), -ENOEXEC);
	/* a segment outside guest RAM is refused */
	ph.p_filesz = 4096;
	ph.p_paddr = 40 * MiB;
	memcpy(img + 64 + sizeof(ph), &ph, sizeof(ph));
	assert_int_equal(pvh_load(&v.gm, &p, &st), -ENOMEM);
	free(v.ram);
	free(img);
}

/* The real Debian kernel, which scripts/setup extracts: missing, it is a
 * failure (run scripts/setup), not a skip. */
static void test_debian_kernel(void **state)
{
	const char *path = getenv("SSIVM_TEST_KERNEL") ?: "build/kernel/vmlinuz";
	void *img;
	size_t size;
	struct linux_info li;
	struct vmem v;
	struct boot_state st;

	if (access(path, R_OK))
		fail_msg("%s: %s (scripts/setup extracts Debian's kernel there; SSIVM_TEST_KERNEL "
			 "names another)",
			 path, strerror(errno));
	assert_int_equal(boot_read_file(path, "kernel", &img, &size), 0);
	assert_int_equal(boot_image_check(path, img, size), BOOT_FMT_BZIMAGE);
	assert_int_equal(linux_parse(path, img, size, &li), 0);
	assert_true(li.relocatable);
	vmem_init(&v, 128 * MiB, 128 * MiB);
	struct linux_load_params p = {.path = path, .image = img, .size = size};
	assert_int_equal(linux_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.rip, li.pref_address + 0x200);
	/* every truncation into the kernel proper is refused (Debian's image
	 * carries a signature of ~1.5 KiB after syssize; cutting into it only
	 * is harmless) */
	for (size_t cut = 4096; cut < size; cut = cut * 3 + 1)
		assert_int_equal(linux_parse(path, img, size - cut, &li), -ENOEXEC);
	free(v.ram);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),   cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_load),         cmocka_unit_test(test_e820_hole),
	    cmocka_unit_test(test_place_initrd), cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_pvh),          cmocka_unit_test(test_debian_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
