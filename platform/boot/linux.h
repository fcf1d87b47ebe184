/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/linux.h — the x86 64-bit Linux boot protocol (bzImage),
 * without firmware.
 *
 * Guest-physical low memory used (all inside the first RAM range, below the
 * e820 reserved area at 0x9FC00):
 *   LINUX_GDT      0x1000  GDT: 0x10 = 64-bit code, 0x18 = data
 *                          
 *   LINUX_STACK    0x7000  initial rsp (stack grows down to 0x2000)
 *   LINUX_ZEROPAGE 0x7000  struct boot_params (4 KiB)
 *   LINUX_PML4     0x9000  identity page tables: PML4, PDPT, 4 PDs of 2 MiB
 *                          pages mapping [0, 4 GiB) (up to 0xEFFF), then up
 *                          to LINUX_PT_END the tables that map a kernel
 *                          loaded above 4 GiB
 *   LINUX_CMDLINE  0x20000 command line (up to 64 KiB)
 *   0xE0000                ACPI tables (platform/acpi)
 * The kernel goes to its preferred address (pref_address, normally 16 MiB)
 * when RAM holds init_size bytes from there; a relocatable kernel else to
 * the lowest address above it, aligned to kernel_alignment, that one RAM
 * range holds (it never runs below pref_address: head_64.S moves it up).
 * The boot page tables map wherever it lands. The initrd goes to the highest
 * page-aligned spot below initrd_addr_max inside one RAM range, above the
 * kernel's init_size (or from 1 MiB when the kernel lies above that limit).
 * Loaders run on the main thread, write only through struct guest_mem, and
 * never trust the image: every field is checked against the file size.
 */
#ifndef SSIVM_PLATFORM_BOOT_LINUX_H
#define SSIVM_PLATFORM_BOOT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/boot/boot.h"

#define LINUX_GDT 0x1000ULL
#define LINUX_STACK 0x7000ULL
#define LINUX_ZEROPAGE 0x7000ULL
#define LINUX_PML4 0x9000ULL
#define LINUX_PT_END 0x20000ULL /* end of the page-table area */
#define LINUX_CMDLINE 0x20000ULL
#define LINUX_CMDLINE_MAX 0x10000ULL

/* What linux_parse() found in a bzImage's setup header. */
struct linux_info {
	uint16_t version;       /* boot protocol, e.g. 0x020f */
	uint32_t setup_size;    /* bytes of real-mode setup, (setup_sects + 1) * 512 */
	uint64_t kernel_offset; /* = setup_size: protected-mode kernel in the file */
	uint64_t kernel_size;   /* bytes of it in the file */
	uint64_t pref_address;  /* preferred load address */
	uint32_t init_size;     /* bytes the kernel needs from its load address */
	uint32_t kernel_alignment;
	bool relocatable;
	uint16_t xloadflags;
	uint32_t initrd_addr_max; /* highest byte address of the initrd */
	uint32_t cmdline_size;    /* max command line length without the NUL */
	uint32_t hdr_end;         /* end of the setup header in the file (0x202 + jump) */
};

/*
 * Parse and check a bzImage read from @path (named in messages). Refused
 * (-ENOEXEC, message printed) when: shorter than the setup header, no
 * 0xAA55 / "HdrS", boot protocol < 2.12 or no 64-bit entry (XLF_KERNEL_64),
 * not loadable high, setup or kernel running past the end of the file
 * (truncated), init_size smaller than the kernel, nonsense alignment.
 */
int linux_parse(const char *path, const void *image, size_t size, struct linux_info *info);

struct linux_load_params {
	const char *path; /* for messages */
	const void *image;
	size_t size;
	const void *initrd; /* may be NULL */
	size_t initrd_size;
	const char *cmdline; /* may be NULL */
	uint64_t rsdp_gpa;   /* 0 = none */
};

/*
 * Where linux_load() puts a bzImage, from the image and the memory layout
 * alone (no guest RAM needed: `ssivm run` checks this before /dev/kvm).
 * Refused (-ENOEXEC, -E2BIG, -ENOMEM, message printed): the setup header
 * (linux_parse()), a command line longer than the kernel takes
 * (boot_check_cmdline()), no RAM for the kernel's init_size from its
 * pref_address (or above, relocatable), for the initrd or the boot
 * structures, or an e820 map that does not fit the zero page.
 */
struct linux_plan {
	struct linux_info li;
	uint64_t load;        /* the kernel runs at [load, load + li.init_size) */
	uint64_t initrd_addr; /* 0 = no initrd */
};
int linux_plan(const struct memmap *map, const struct linux_load_params *p,
	       struct linux_plan *plan);

/*
 * Load a bzImage (linux_plan() must accept it) into @gm: protected-mode
 * kernel, boot_params (setup header, e820 from gm->map, command line,
 * initrd, acpi_rsdp_addr), identity page tables ([0, 4 GiB) and the
 * kernel's range) and GDT. Fills @st for the 64-bit entry (rip = load
 * address + 0x200, rsi = boot_params). 0 or -errno with a message (the
 * refusals of linux_plan()).
 */
int linux_load(const struct guest_mem *gm, const struct linux_load_params *p,
	       struct boot_state *st);

/*
 * Check an ELF vmlinux for pvh_load() against @map alone (no guest RAM):
 * the PVH entry note (below 4 GiB), every PT_LOAD segment inside the file
 * and inside one RAM range above 1 MiB, the command line
 * (boot_check_cmdline()), room for the initrd and the memory map. 0 or
 * -errno with a message; *@initrd_addr is where the initrd goes (0: none).
 */
int pvh_plan(const struct memmap *map, const struct linux_load_params *p, uint64_t *initrd_addr);

/*
 * Load an ELF vmlinux through its PVH entry (platform/boot/pvh.c): PT_LOAD
 * segments at their physical addresses (each checked against the file and
 * guest RAM), struct hvm_start_info at LINUX_ZEROPAGE with the memory map
 * (e820), command line (LINUX_CMDLINE), initrd as module 0 and the RSDP;
 * GDT at LINUX_GDT with a flat 32-bit code segment. Fills @st for 32-bit
 * protected mode, paging off, ebx = start info. 0 or -errno with a message
 * (the refusals of pvh_plan()).
 */
int pvh_load(const struct guest_mem *gm, const struct linux_load_params *p, struct boot_state *st);

/* Find where an initrd of @size goes: highest page-aligned address with
 * [addr, addr+size) in one RAM range, addr >= @floor, addr+size-1 <= @max.
 * 0 or -ENOSPC. */
int linux_place_initrd(const struct memmap *map, uint64_t size, uint64_t floor, uint64_t max,
		       uint64_t *addr);

#endif
