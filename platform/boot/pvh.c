// SPDX-License-Identifier: GPL-2.0-only
/* platform/boot/pvh.c — ELF vmlinux through the PVH entry point. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "platform/boot/detect.h"
#include "platform/boot/e820.h"
#include "platform/boot/linux.h"

#define HVM_START_MAGIC 0x336ec578u
#define PAGE 4096ULL

/* The PVH start-of-day structures (the hvm_start_info ABI, version 1). */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry is 32 bytes");

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm memmap entry is 24 bytes");

/* Layout inside the zero page: start info, module list, memory map. */
#define PVH_MODLIST (LINUX_ZEROPAGE + 64)
#define PVH_MEMMAP (LINUX_ZEROPAGE + 128)
#define PVH_MEMMAP_MAX ((PAGE - 128) / sizeof(struct hvm_memmap_table_entry))

/* [gpa, gpa+len) lies in one RAM range of @map. */
static bool in_ram(const struct memmap *map, uint64_t gpa, uint64_t len)
{
	const struct mem_range *r = memmap_find(map, gpa);

	return r && len <= r->size - (gpa - r->gpa);
}

/*
 * Every PT_LOAD segment: inside the file, inside one RAM range above 1 MiB.
 * With @gm, copied there (bss cleared). *@end: the first byte above them.
 */
static int load_segments(const struct memmap *map, const struct guest_mem *gm,
			 const struct linux_load_params *p, uint64_t *end)
{
	const uint8_t *img = p->image;
	Elf64_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	*end = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > p->size ||
		    ph.p_filesz > p->size - ph.p_offset) {
			pr_err("kernel %s: ELF segment %u (file 0x%llx+0x%llx, memory 0x%llx) runs "
			       "past the end of the file (%zu bytes) or is inconsistent",
			       p->path, i, (unsigned long long)ph.p_offset,
			       (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz,
			       p->size);
			return -ENOEXEC;
		}
		if (!in_ram(map, ph.p_paddr, ph.p_memsz) || ph.p_paddr < E820_1M) {
			pr_err(
			    "kernel %s: ELF segment %u at 0x%llx+0x%llx is not in guest RAM above "
			    "1 MiB",
			    p->path, i, (unsigned long long)ph.p_paddr,
			    (unsigned long long)ph.p_memsz);
			return -ENOMEM;
		}
		if (gm) {
			dst = guest_mem_ptr(gm, ph.p_paddr, ph.p_memsz);
			if (!dst)
				return -ENOMEM;
			memcpy(dst, img + ph.p_offset, ph.p_filesz);
			memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		}
		if (ph.p_paddr + ph.p_memsz > *end)
			*end = ph.p_paddr + ph.p_memsz;
	}
	if (!*end) {
		pr_err("kernel %s: no loadable ELF segment", p->path);
		return -ENOEXEC;
	}
	return 0;
}

/* Everything but the copies: shared by pvh_plan() and pvh_load(). */
static int pvh_check(const struct memmap *map, const struct guest_mem *gm,
		     const struct linux_load_params *p, uint64_t *initrd_addr)
{
	uint64_t entry = boot_elf_pvh_entry(p->image, p->size), kend;
	size_t cmdlen = p->cmdline ? strlen(p->cmdline) : 0;
	struct e820_entry e820[PVH_MEMMAP_MAX];
	int n, ret;

	*initrd_addr = 0;
	if (!entry) {
		pr_err("kernel %s: no PVH entry note", p->path);
		return -ENOEXEC;
	}
	if (entry >= MEMMAP_4G) {
		pr_err("kernel %s: PVH entry 0x%llx is above 4 GiB", p->path,
		       (unsigned long long)entry);
		return -ENOEXEC;
	}
	ret = boot_check_cmdline(p->path, BOOT_FMT_ELF_PVH, p->image, p->size, p->cmdline);
	if (ret)
		return ret;
	ret = load_segments(map, gm, p, &kend);
	if (ret)
		return ret;
	if (!in_ram(map, LINUX_CMDLINE, cmdlen + 1) || !in_ram(map, LINUX_ZEROPAGE, PAGE) ||
	    !in_ram(map, LINUX_GDT, 4 * 8)) {
		pr_err("kernel %s: guest RAM does not cover the PVH start info below 0x%llx",
		       p->path, (unsigned long long)(LINUX_CMDLINE + cmdlen + 1));
		return -ENOMEM;
	}
	if (p->initrd && p->initrd_size) {
		kend = (kend + PAGE - 1) & ~(PAGE - 1);
		if (linux_place_initrd(map, p->initrd_size, kend, MEMMAP_HOLE_START - 1,
				       initrd_addr)) {
			pr_err(
			    "initrd: %zu bytes do not fit in guest RAM above the kernel (0x%llx)",
			    p->initrd_size, (unsigned long long)kend);
			return -ENOMEM;
		}
	}
	n = e820_build(map, e820, PVH_MEMMAP_MAX);
	if (n < 0) {
		pr_err("e820: the memory layout does not fit the PVH memory map (%d)", n);
		return n;
	}
	return 0;
}

int pvh_plan(const struct memmap *map, const struct linux_load_params *p, uint64_t *initrd_addr)
{
	return pvh_check(map, NULL, p, initrd_addr);
}

int pvh_load(const struct guest_mem *gm, const struct linux_load_params *p, struct boot_state *st)
{
	uint64_t entry = boot_elf_pvh_entry(p->image, p->size), initrd_addr;
	size_t cmdlen = p->cmdline ? strlen(p->cmdline) : 0;
	struct e820_entry e820[PVH_MEMMAP_MAX];
	struct hvm_start_info *si;
	struct hvm_memmap_table_entry *mm;
	uint64_t *gdt;
	char *cmd;
	int n, ret;

	ret = pvh_check(gm->map, gm, p, &initrd_addr);
	if (ret)
		return ret;
	cmd = guest_mem_ptr(gm, LINUX_CMDLINE, cmdlen + 1);
	si = guest_mem_ptr(gm, LINUX_ZEROPAGE, PAGE);
	gdt = guest_mem_ptr(gm, LINUX_GDT, 4 * 8);
	if (!cmd || !si || !gdt)
		return -ENOMEM;
	memcpy(cmd, p->cmdline ? p->cmdline : "", cmdlen + 1);
	memset(si, 0, PAGE);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = LINUX_CMDLINE;
	si->rsdp_paddr = p->rsdp_gpa;
	if (initrd_addr) {
		struct hvm_modlist_entry *mod =
		    (void *)((uint8_t *)si + (PVH_MODLIST - LINUX_ZEROPAGE));

		memcpy(guest_mem_ptr(gm, initrd_addr, p->initrd_size), p->initrd, p->initrd_size);
		mod->paddr = initrd_addr;
		mod->size = p->initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST;
	}
	n = e820_build(gm->map, e820, PVH_MEMMAP_MAX);
	if (n < 0)
		return n;
	mm = (void *)((uint8_t *)si + (PVH_MEMMAP - LINUX_ZEROPAGE));
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){
		    .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};
	si->memmap_paddr = PVH_MEMMAP;
	si->memmap_entries = (uint32_t)n;

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00cf9b000000ffffULL; /* 0x10: flat 32-bit code */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18: flat data */
	memset(st, 0, sizeof(*st));
	st->mode = BOOT_CPU_PROT32;
	st->rip = entry;
	st->rbx = LINUX_ZEROPAGE;
	st->rsp = LINUX_STACK;
	st->gdt_gpa = LINUX_GDT;
	pr_debug("kernel %s: PVH entry 0x%llx, initrd at 0x%llx, %d memory map entries", p->path,
		 (unsigned long long)entry, (unsigned long long)initrd_addr, n);
	return 0;
}
