/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/boot.h — kernel loaders and the CPU state they ask for.
 *
 * A loader reads a kernel image (and initrd/modules) from host memory, writes
 * everything it needs into guest RAM through a struct guest_mem (no KVM
 * needed: loaders are unit-tested on plain memory) and fills a struct
 * boot_state that the vCPU code applies to the boot vCPU.
 *
 * Formats: Linux bzImage (64-bit boot protocol), ELF vmlinux with a PVH note,
 * multiboot v1. boot_detect() tells them apart; anything else is -ENOEXEC.
 */
#ifndef SSIVM_PLATFORM_BOOT_H
#define SSIVM_PLATFORM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "platform/memmap.h"

enum boot_format {
	BOOT_FMT_UNKNOWN = 0,
	BOOT_FMT_BZIMAGE,
	BOOT_FMT_ELF_PVH,
	BOOT_FMT_MULTIBOOT,
};

enum boot_cpu_mode {
	/* 64-bit long mode, paging on with identity tables the loader wrote at
	 * cr3, flat 64-bit code segment; Linux 64-bit boot protocol. */
	BOOT_CPU_LONG64,
	/* 32-bit protected mode, paging off, flat 4 GiB code/data segments;
	 * PVH and multiboot v1 (eax = magic, ebx = info structure). */
	BOOT_CPU_PROT32,
};

struct boot_state {
	enum boot_cpu_mode mode;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rax, rbx, rsi;
	uint64_t cr3;     /* BOOT_CPU_LONG64 only */
	uint64_t gdt_gpa; /* where the loader put a GDT, 0 = vCPU code's own */
};

struct boot_module {
	const void *data;
	size_t size;
	const char *cmdline; /* multiboot module string, may be NULL */
};

/* Which format @image is; BOOT_FMT_UNKNOWN if none. Never reads past @size. */
enum boot_format boot_detect(const void *image, size_t size);

#endif
