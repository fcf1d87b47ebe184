/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/unit/multiboot_test_util.h — what the multiboot loader's unit tests
 * share: 16 MiB of plain memory with an e820 map (setup/teardown), an ELF32
 * and an a.out-kludge image built in memory, accessors for what the loader
 * wrote.
 */
#ifndef SSIVM_TESTS_MULTIBOOT_TEST_UTIL_H
#define SSIVM_TESTS_MULTIBOOT_TEST_UTIL_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/boot/multiboot.h"

#define MiB (1024ULL * 1024)
#define RAM (16 * MiB)
#define KADDR 0x100000u
#define TEXT 0x3000u /* bytes of "text" in the images */
#define BSS 0x2000u

struct env {
	uint8_t *ram;
	struct memmap map;
	struct guest_mem gm;
	struct e820_entry e820[3];
	struct multiboot_params p;
};

static inline int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->ram = calloc(1, RAM);
	e->map.nr_ranges = 1;
	e->map.ranges[0] = (struct mem_range){.gpa = 0, .size = RAM};
	e->map.ram_bytes = e->map.top = RAM;
	e->gm = (struct guest_mem){.base = e->ram, .map = &e->map};
	e->e820[0] = (struct e820_entry){0, 0x9fc00, E820_TYPE_RAM};
	e->e820[1] = (struct e820_entry){0x9fc00, 0x100000 - 0x9fc00, E820_TYPE_RESERVED};
	e->e820[2] = (struct e820_entry){0x100000, RAM - 0x100000, E820_TYPE_RAM};
	e->p.e820 = e->e820;
	e->p.nr_e820 = 3;
	*state = e;
	return 0;
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	free(e->ram);
	free(e);
	return 0;
}

static inline void put_header(uint8_t *at, uint32_t flags)
{
	uint32_t h[3] = {MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags)};

	memcpy(at, h, sizeof(h));
}

/* ELF32: ehdr, one phdr, the header at 0x100 (inside the segment), text. */
static inline uint8_t *elf_image(size_t *size)
{
	size_t n = 0x1000 + TEXT;
	uint8_t *img = calloc(1, n);
	Elf32_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_386,
			 .e_version = EV_CURRENT,
			 .e_entry = 0xc0100000u + 0x40, /* virtual; p_vaddr maps it */
			 .e_phoff = sizeof(Elf32_Ehdr),
			 .e_ehsize = sizeof(Elf32_Ehdr),
			 .e_phentsize = sizeof(Elf32_Phdr),
			 .e_phnum = 1};
	Elf32_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = 0x1000,
			 .p_vaddr = 0xc0100000u,
			 .p_paddr = KADDR,
			 .p_filesz = TEXT,
			 .p_memsz = TEXT + BSS};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	for (size_t i = 0x1000; i < n; i++)
		img[i] = (uint8_t)(i * 7 + 1);
	put_header(img + 0x1100, 0x3);
	*size = n;
	return img;
}

/* Flat image with the a.out kludge: header at offset 8, loaded at KADDR. */
static inline uint8_t *aout_image(size_t *size)
{
	size_t n = TEXT;
	uint8_t *img = calloc(1, n);
	uint32_t f[5] = {KADDR + 8, KADDR, KADDR + TEXT, KADDR + TEXT + BSS, KADDR + 0x40};

	for (size_t i = 0; i < n; i++)
		img[i] = (uint8_t)(i * 5 + 3);
	put_header(img + 8, MULTIBOOT_AOUT_KLUDGE | 0x3);
	memcpy(img + 20, f, sizeof(f));
	*size = n;
	return img;
}

static inline uint64_t page_up_4k(uint64_t v)
{
	return (v + 4095) & ~4095ULL;
}

static inline const struct multiboot_info *mbi_of(struct env *e, const struct boot_state *bs)
{
	return (const struct multiboot_info *)(e->ram + bs->rbx);
}

static inline const char *gstr(struct env *e, uint32_t gpa)
{
	return (const char *)(e->ram + gpa);
}

#endif
