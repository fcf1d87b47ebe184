/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/unit/boot_test_util.h — what the boot loader tests share: a
 * synthetic bzImage and ELF vmlinux built in memory, guest RAM on plain
 * memory for a two-node layout, stderr captured around a call. Include it
 * after <cmocka.h>.
 */
#ifndef SSIVM_TESTS_BOOT_TEST_UTIL_H
#define SSIVM_TESTS_BOOT_TEST_UTIL_H

#include <asm/bootparam.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform/boot/detect.h"
#include "platform/boot/e820.h"
#include "platform/boot/linux.h"

#define MiB (1024ULL * 1024)
#define KSIZE (64 * 1024)
#define SETUP (5 * 512)

/* A synthetic bzImage: setup (4 sectors + boot sector) + KSIZE of kernel. */
static inline uint8_t *fake_bzimage(size_t *size)
{
	uint8_t *img = calloc(1, SETUP + KSIZE);
	struct setup_header h = {0};

	h.setup_sects = 4;
	h.boot_flag = 0xAA55;
	h.header = 0x53726448; /* "HdrS" */
	h.version = 0x020f;
	h.loadflags = LOADED_HIGH;
	h.syssize = KSIZE / 16;
	h.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h.init_size = 1 * MiB;
	h.pref_address = 16 * MiB;
	h.kernel_alignment = 2 * MiB;
	h.relocatable_kernel = 1;
	h.initrd_addr_max = 0x7fffffff;
	h.cmdline_size = 2047;
	memcpy(img + 0x1f1, &h, sizeof(h));
	img[0x200] = 0xeb;
	img[0x201] = 0x6a; /* header ends at 0x26c */
	for (int i = 0; i < KSIZE; i++)
		img[SETUP + i] = (uint8_t)(i * 13 + 7);
	*size = SETUP + KSIZE;
	return img;
}

static inline struct setup_header *hdr(uint8_t *img)
{
	return (struct setup_header *)(img + 0x1f1);
}

struct vmem {
	struct memmap map;
	struct guest_mem gm;
	uint8_t *ram;
};

static inline void vmem_init(struct vmem *v, uint64_t n0, uint64_t n1)
{
	static struct ssivm_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 2;
	cfg.nodes[0].mem_bytes = n0;
	cfg.nodes[1].mem_bytes = n1;
	assert_int_equal(memmap_build(&cfg, &v->map), 0);
	v->ram = calloc(1, v->map.ram_bytes);
	assert_non_null(v->ram);
	v->gm.base = v->ram;
	v->gm.map = &v->map;
}

/* A synthetic ELF vmlinux: one PT_LOAD at 2 MiB, one PT_NOTE with the PVH
 * entry. */
static inline uint8_t *fake_vmlinux(size_t *size)
{
	size_t sz = 8192 + 4096;
	uint8_t *img = calloc(1, sz);
	Elf64_Ehdr eh = {.e_ident = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
			 .e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_phoff = 64,
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 2};
	Elf64_Phdr ph[2] = {
	    {.p_type = PT_NOTE, .p_offset = 512, .p_filesz = 20},
	    {.p_type = PT_LOAD,
	     .p_offset = 8192,
	     .p_paddr = 2 * MiB,
	     .p_filesz = 4096,
	     .p_memsz = 3 * 4096},
	};
	uint32_t note[5] = {4, 4, 18, 0x006e6558, 2 * MiB + 0x40};

	memcpy(img, &eh, sizeof(eh));
	memcpy(img + 64, ph, sizeof(ph));
	memcpy(img + 512, note, sizeof(note));
	for (int i = 0; i < 4096; i++)
		img[8192 + i] = (uint8_t)(i * 7);
	*size = sz;
	return img;
}

/* Guest RAM of any size on a lazily backed mapping: only what is written is real. */
static inline void vmem_init_big(struct vmem *v, uint64_t n0, uint64_t n1)
{
	static struct ssivm_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_nodes = 2;
	cfg.nodes[0].mem_bytes = n0;
	cfg.nodes[1].mem_bytes = n1;
	assert_int_equal(memmap_build(&cfg, &v->map), 0);
	v->ram = mmap(NULL, v->map.ram_bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(v->ram != MAP_FAILED);
	v->gm.base = v->ram;
	v->gm.map = &v->map;
}

static inline void vmem_free_big(struct vmem *v)
{
	munmap(v->ram, v->map.ram_bytes);
}

/* Run @fn(@arg) with stderr captured into @buf; returns what @fn returned. */
static inline int capture_stderr(int (*fn)(void *), void *arg, char *buf, size_t size)
{
	int saved = dup(2), fd = memfd_create("stderr", 0), ret;
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	ret = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	fputs(buf, stderr); /* still shown in the test's log */
	return ret;
}

#endif
