/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/multiboot.h — multiboot v1 kernels, loaded the way QEMU's
 * `-kernel` loads them.
 *
 * A multiboot v1 kernel carries a header (magic 0x1BADB002, flags,
 * checksum) 4-byte aligned in its first 8 KiB. It is loaded either from its
 * ELF32 program headers (PT_LOAD segments at p_paddr, entry e_entry) or, when
 * header flag bit 16 is set, from the "a.out kludge" address fields of the
 * header (a flat image). The loader then writes, above the kernel, page
 * aligned: the modules, the multiboot information structure, the module
 * list, the memory map (mmap entries from the e820 map) and the strings
 * (command line, module strings, boot loader name), and asks for a 32-bit
 * protected-mode entry with eax = 0x2BADB002 and ebx = the information
 * structure.
 *
 * Every field read from the image is checked against the image size and
 * every guest address goes through guest_mem_ptr(): a truncated or lying
 * image is refused with a message (pr_err names the field and the values),
 * never read or written out of bounds. Pure: no KVM, any thread, no state.
 */
#ifndef SSIVM_PLATFORM_BOOT_MULTIBOOT_H
#define SSIVM_PLATFORM_BOOT_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/boot/boot.h"
#include "platform/boot/e820.h"
#include "platform/memmap.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH 8192u /* the header lies in the first 8 KiB */
#define MULTIBOOT_MAX_MODULES 64u

/* Header flags (the kernel asks) */
#define MULTIBOOT_PAGE_ALIGN (1u << 0)  /* modules page aligned (always done) */
#define MULTIBOOT_MEMORY_INFO (1u << 1) /* mem_* and mmap (always given) */
#define MULTIBOOT_VIDEO_MODE (1u << 2)  /* video mode: not provided, warned */
#define MULTIBOOT_AOUT_KLUDGE (1u << 16)

/* Information structure flags (what the loader gives) */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)

/* The multiboot v1 information structure, as the guest sees it. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB of RAM from 0 (at most 640) */
	uint32_t mem_upper; /* KiB of RAM from 1 MiB up to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch;
	uint32_t framebuffer_width;
	uint32_t framebuffer_height;
	uint8_t framebuffer_bpp;
	uint8_t framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot_info is 116 bytes");

struct multiboot_mod {
	uint32_t mod_start;
	uint32_t mod_end; /* first byte after the module */
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mod) == 16, "multiboot module entry is 16 bytes");

struct multiboot_mmap_entry {
	uint32_t size; /* of the rest of the entry: 20 */
	uint64_t addr;
	uint64_t len;
	uint32_t type; /* 1 = RAM, else reserved (e820 types) */
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot mmap entry is 24 bytes");

/* What the header of an image says (multiboot_parse_header). */
struct multiboot_header_info {
	uint32_t offset; /* of the header in the image */
	uint32_t flags;
	/* a.out kludge fields, valid when flags & MULTIBOOT_AOUT_KLUDGE */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/*
 * Find and check the multiboot header of @image. Returns 0 and fills @out
 * (may be NULL), -ENOEXEC if there is no header with a valid checksum in the
 * first 8 KiB (silent: used for detection), -EINVAL if there is one but it
 * is unusable (unknown required flag, kludge fields past the image end;
 * printed).
 */
int multiboot_parse_header(const void *image, size_t size, struct multiboot_header_info *out);

/* Cheap detection for boot_detect(): a header with a valid checksum. */
bool multiboot_detect(const void *image, size_t size);

struct multiboot_params {
	const void *image; /* the kernel file, in host memory */
	size_t image_size;
	/* Command line the kernel sees, NULL = "". QEMU passes
	 * "<kernel path> <cmdline>"; callers that want QEMU's behaviour do the
	 * same (vm_load_kernel does). */
	const char *cmdline;
	const struct boot_module *modules; /* data + size + module string */
	uint32_t nr_modules;
	/* The guest's memory map (e820_build()): mem_lower/mem_upper and the
	 * mmap entries come from it; no part of the kernel, modules or info
	 * may fall outside a RAM entry. */
	const struct e820_entry *e820;
	uint32_t nr_e820;
	const char *loader_name; /* NULL = "ssivm" */
};

/*
 * Load @p->image and its modules into @gm, write the information structure
 * and fill @bs (BOOT_CPU_PROT32, rip = entry, rax = 0x2BADB002, rbx = info).
 * Returns 0, -ENOEXEC (not multiboot), -EINVAL (malformed or lying image,
 * bad parameters), -ENOMEM (does not fit in guest RAM below 4 GiB). A
 * message names the problem. On error guest memory may have been written.
 * @gm == NULL: check only (every check of a load against @p->e820, nothing
 * written; @bs is still filled): what `ssivm run` does before /dev/kvm.
 */
int multiboot_load(const struct guest_mem *gm, const struct multiboot_params *p,
		   struct boot_state *bs);

#endif
