// SPDX-License-Identifier: GPL-2.0-only
/* platform/boot/linux.c — bzImage: setup header checks and the 64-bit entry. */
#include "platform/boot/linux.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "platform/boot/detect.h"
#include "platform/boot/e820.h"

#define SETUP_HDR_OFF 0x1f1
#define BOOT_FLAG_OFF 0x1fe
#define MIN_VERSION 0x020c /* 2.12: xloadflags, XLF_KERNEL_64 */
#define PAGE 4096ULL

_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is the zero page");
_Static_assert(offsetof(struct boot_params, hdr) == SETUP_HDR_OFF, "setup header at 0x1f1");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x70, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820 table");

static int refuse(const char *path, const char *why, unsigned long long a, unsigned long long b)
{
	pr_err("kernel %s: not a usable bzImage: %s (0x%llx, 0x%llx)", path, why, a, b);
	return -ENOEXEC;
}

int linux_parse(const char *path, const void *image, size_t size, struct linux_info *info)
{
	const uint8_t *img = image;
	struct setup_header h;
	uint16_t boot_flag;
	uint32_t sects;

	memset(info, 0, sizeof(*info));
	if (size < SETUP_HDR_OFF + sizeof(h))
		return refuse(path, "file shorter than the setup header", size,
			      SETUP_HDR_OFF + sizeof(h));
	memcpy(&h, img + SETUP_HDR_OFF, sizeof(h));
	memcpy(&boot_flag, img + BOOT_FLAG_OFF, 2);
	if (boot_flag != 0xAA55)
		return refuse(path, "boot flag at 0x1fe is not 0xAA55", boot_flag, 0xAA55);
	if (memcmp(img + 0x202, "HdrS", 4))
		return refuse(path, "no \"HdrS\" signature at 0x202", 0, 0);
	if (h.version < MIN_VERSION)
		return refuse(path, "boot protocol older than 2.12 (no 64-bit entry)", h.version,
			      MIN_VERSION);
	if (!(h.xloadflags & XLF_KERNEL_64))
		return refuse(path, "no 64-bit entry point (XLF_KERNEL_64 clear)", h.xloadflags,
			      XLF_KERNEL_64);
	if (!(h.loadflags & LOADED_HIGH))
		return refuse(path, "kernel cannot be loaded at 1 MiB or above", h.loadflags,
			      LOADED_HIGH);
	info->hdr_end = 0x202 + img[0x201];
	if (info->hdr_end > size)
		return refuse(path, "setup header runs past the end of the file", info->hdr_end,
			      size);
	sects = h.setup_sects ? h.setup_sects : 4;
	info->setup_size = (sects + 1) * 512;
	if (info->setup_size >= size)
		return refuse(path, "setup code runs past the end of the file (truncated?)",
			      info->setup_size, size);
	info->kernel_offset = info->setup_size;
	info->kernel_size = size - info->setup_size;
	if ((uint64_t)h.syssize * 16 > info->kernel_size)
		return refuse(path, "file truncated: syssize says more kernel than the file holds",
			      (uint64_t)h.syssize * 16, info->kernel_size);
	if (!h.syssize)
		return refuse(path, "syssize is 0 (no protected-mode kernel)", 0, 0);
	if (h.init_size < info->kernel_size)
		return refuse(path, "init_size smaller than the kernel", h.init_size,
			      info->kernel_size);
	if (h.kernel_alignment & (h.kernel_alignment - 1))
		return refuse(path, "kernel_alignment is not a power of two", h.kernel_alignment,
			      0);
	info->version = h.version;
	info->pref_address = h.pref_address;
	info->init_size = h.init_size;
	info->kernel_alignment = h.kernel_alignment;
	info->relocatable = h.relocatable_kernel;
	info->xloadflags = h.xloadflags;
	info->initrd_addr_max = h.initrd_addr_max ? h.initrd_addr_max : 0x37FFFFFF;
	info->cmdline_size = h.cmdline_size ? h.cmdline_size : 255; /* boot_cmdline_limit() too */
	return 0;
}

int linux_place_initrd(const struct memmap *map, uint64_t size, uint64_t floor, uint64_t max,
		       uint64_t *addr)
{
	for (int i = (int)map->nr_ranges - 1; i >= 0; i--) {
		const struct mem_range *r = &map->ranges[i];
		uint64_t top = r->gpa + r->size, start;

		if (top - 1 > max)
			top = max + 1;
		if (top <= r->gpa || top - r->gpa < size)
			continue;
		start = (top - size) & ~(PAGE - 1);
		if (start < r->gpa || start < floor)
			continue;
		*addr = start;
		return 0;
	}
	return -ENOSPC;
}

/* [gpa, gpa+len) lies in one RAM range of @map. */
static bool in_ram(const struct memmap *map, uint64_t gpa, uint64_t len)
{
	const struct mem_range *r = memmap_find(map, gpa);

	return r && len <= r->size - (gpa - r->gpa);
}

/*
 * Where the kernel goes. A relocatable kernel decompresses and runs at its
 * load address rounded up to kernel_alignment, but never below pref_address
 * (arch/x86/boot/compressed/head_64.S: below it, it moves up to it); a
 * non-relocatable one at pref_address. Either way it needs init_size bytes of
 * RAM from there. So: pref_address when RAM holds [pref, pref + init_size);
 * else, relocatable, the lowest aligned address above it that one RAM range
 * holds; else refused.
 */
static int choose_load(const struct memmap *map, const char *path, const struct linux_info *li,
		       uint64_t *load)
{
	uint64_t align = li->kernel_alignment > PAGE ? li->kernel_alignment : PAGE;
	uint64_t pref = li->pref_address > E820_1M ? li->pref_address : E820_1M;

	if (in_ram(map, pref, li->init_size)) {
		*load = pref;
		return 0;
	}
	if (li->relocatable) {
		for (uint32_t i = 0; i < map->nr_ranges; i++) {
			const struct mem_range *r = &map->ranges[i];
			uint64_t at = (r->gpa > pref ? r->gpa : pref) + align - 1;

			at &= ~(align - 1);
			if (at >= r->gpa && at - r->gpa < r->size &&
			    li->init_size <= r->size - (at - r->gpa)) {
				*load = at;
				return 0;
			}
		}
	}
	pr_err("kernel %s: needs 0x%x bytes of RAM (init_size) from 0x%llx (pref_address)%s; "
	       "the guest has no RAM range that holds them",
	       path, li->init_size, (unsigned long long)pref,
	       li->relocatable ? " or above (it only moves up)" : " and is not relocatable");
	return -ENOMEM;
}

int linux_plan(const struct memmap *map, const struct linux_load_params *p, struct linux_plan *plan)
{
	const struct linux_info *li = &plan->li;
	size_t cmdlen = p->cmdline ? strlen(p->cmdline) : 0;
	uint64_t floor;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = linux_parse(p->path, p->image, p->size, &plan->li);
	if (ret)
		return ret;
	ret = boot_check_cmdline(p->path, BOOT_FMT_BZIMAGE, p->image, p->size, p->cmdline);
	if (ret)
		return ret;
	if (!in_ram(map, LINUX_GDT, 4 * 8) || !in_ram(map, LINUX_ZEROPAGE, PAGE) ||
	    !in_ram(map, LINUX_PML4, LINUX_PT_END - LINUX_PML4) ||
	    !in_ram(map, LINUX_CMDLINE, cmdlen + 1)) {
		pr_err("kernel %s: guest RAM does not cover the boot structures below 0x%llx",
		       p->path, (unsigned long long)(LINUX_CMDLINE + LINUX_CMDLINE_MAX));
		return -ENOMEM;
	}
	ret = choose_load(map, p->path, li, &plan->load);
	if (ret)
		return ret;
	if (p->initrd && p->initrd_size) {
		uint64_t max = li->initrd_addr_max;

		/* above the kernel, unless the kernel lies above what the initrd may use */
		floor = plan->load + li->init_size - 1 < max ? plan->load + li->init_size : E820_1M;
		if (linux_place_initrd(map, p->initrd_size, floor, max, &plan->initrd_addr)) {
			pr_err(
			    "initrd: %zu bytes do not fit in guest RAM between 0x%llx and 0x%llx",
			    p->initrd_size, (unsigned long long)floor, (unsigned long long)max);
			return -ENOMEM;
		}
	}
	struct e820_entry e820[E820_MAX_ENTRIES_ZEROPAGE];

	ret = e820_build(map, e820, E820_MAX_ENTRIES_ZEROPAGE);
	if (ret < 0) {
		pr_err("e820: the memory layout does not fit the zero page (%d)", ret);
		return ret;
	}
	return 0;
}

/*
 * Identity page tables, 2 MiB pages: [0, 4 GiB) (PML4, PDPT, 4 PDs at
 * LINUX_PML4), and [@lo, @hi) when it lies above (a kernel loaded there):
 * its tables come from the pages after them, up to LINUX_PT_END.
 */
static int write_page_tables(const struct guest_mem *gm, uint64_t lo, uint64_t hi)
{
	uint64_t *pml4 = guest_mem_ptr(gm, LINUX_PML4, LINUX_PT_END - LINUX_PML4);
	uint64_t next = LINUX_PML4 + 6 * PAGE; /* first free table page */
	uint64_t *pdpt, *pd;

	if (!pml4)
		return -ENOMEM;
	memset(pml4, 0, LINUX_PT_END - LINUX_PML4);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (LINUX_PML4 + PAGE) | 0x3; /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LINUX_PML4 + (2 + i) * PAGE) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */
	lo &= ~((2ULL << 20) - 1);
	for (uint64_t va = lo < MEMMAP_4G ? MEMMAP_4G : lo; va < hi; va += 2ULL << 20) {
		uint64_t *e = pml4 + ((va >> 39) & 511);

		/* a table page for each level that is missing, from the pool */
		for (int shift = 30; shift >= 21; shift -= 9) {
			if (!(*e & 1)) {
				if (next >= LINUX_PT_END)
					return -ENOSPC;
				*e = next | 0x3;
				next += PAGE;
			}
			e = pml4 + ((*e & ~0xfffULL) - LINUX_PML4) / 8 + ((va >> shift) & 511);
		}
		*e = va | 0x83;
	}
	return 0;
}

static int write_gdt(const struct guest_mem *gm, bool long_mode)
{
	uint64_t *gdt = guest_mem_ptr(gm, LINUX_GDT, 4 * 8);

	if (!gdt)
		return -ENOMEM;
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL; /* 0x10 code */
	gdt[3] = 0x00cf93000000ffffULL;                                     /* 0x18 data */
	return 0;
}

int linux_load(const struct guest_mem *gm, const struct linux_load_params *p, struct boot_state *st)
{
	const uint8_t *img = p->image;
	struct linux_plan plan;
	const struct linux_info *li = &plan.li;
	struct boot_params *bp;
	struct e820_entry e820[E820_MAX_ENTRIES_ZEROPAGE];
	size_t cmdlen = p->cmdline ? strlen(p->cmdline) : 0;
	uint64_t load;
	void *dst;
	int n, ret;

	ret = linux_plan(gm->map, p, &plan);
	if (ret)
		return ret;
	load = plan.load;
	dst = guest_mem_ptr(gm, load, li->init_size);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, img + li->kernel_offset, li->kernel_size);
	dst = guest_mem_ptr(gm, LINUX_CMDLINE, cmdlen + 1);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, p->cmdline ? p->cmdline : "", cmdlen + 1);
	if (plan.initrd_addr)
		memcpy(guest_mem_ptr(gm, plan.initrd_addr, p->initrd_size), p->initrd,
		       p->initrd_size);

	bp = guest_mem_ptr(gm, LINUX_ZEROPAGE, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	memset(bp, 0, sizeof(*bp));
	/* the setup header as the file has it, then what a boot loader fills in */
	memcpy((uint8_t *)bp + SETUP_HDR_OFF, img + SETUP_HDR_OFF,
	       li->hdr_end < sizeof(*bp) ? li->hdr_end - SETUP_HDR_OFF
					 : sizeof(*bp) - SETUP_HDR_OFF);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags &= ~(QUIET_FLAG | KEEP_SEGMENTS);
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.code32_start = (uint32_t)load;
	bp->hdr.cmd_line_ptr = (uint32_t)LINUX_CMDLINE;
	bp->hdr.vid_mode = 0xffff; /* normal */
	if (plan.initrd_addr) {
		bp->hdr.ramdisk_image = (uint32_t)plan.initrd_addr;
		bp->hdr.ramdisk_size = (uint32_t)p->initrd_size;
		bp->ext_ramdisk_image = (uint32_t)(plan.initrd_addr >> 32);
		bp->ext_ramdisk_size = (uint32_t)((uint64_t)p->initrd_size >> 32);
	}
	bp->acpi_rsdp_addr = p->rsdp_gpa;
	n = e820_build(gm->map, e820, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return n;
	memcpy(bp->e820_table, e820, n * sizeof(e820[0]));
	bp->e820_entries = (uint8_t)n;

	ret = write_page_tables(gm, load, load + li->init_size);
	if (!ret)
		ret = write_gdt(gm, true);
	if (ret) {
		pr_err("kernel %s: no room for the boot page tables of [0x%llx, +0x%x)", p->path,
		       (unsigned long long)load, li->init_size);
		return ret;
	}
	memset(st, 0, sizeof(*st));
	st->mode = BOOT_CPU_LONG64;
	st->rip = load + 0x200;
	st->rsi = LINUX_ZEROPAGE;
	st->rsp = LINUX_STACK;
	st->cr3 = LINUX_PML4;
	st->gdt_gpa = LINUX_GDT;
	pr_debug("kernel %s: protocol %x.%02x, loaded at 0x%llx (init_size 0x%x), initrd at "
		 "0x%llx (%zu bytes), %d e820 entries",
		 p->path, li->version >> 8, li->version & 0xff, (unsigned long long)load,
		 li->init_size, (unsigned long long)plan.initrd_addr, p->initrd_size, n);
	return 0;
}
