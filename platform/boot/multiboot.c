// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform/boot/multiboot.c — multiboot v1 loader (see multiboot.h).
 *
 * Guest-physical layout it produces (everything below 4 GiB, in RAM entries
 * of the e820 map):
 *   kernel            at its ELF p_paddr / a.out load_addr
 *   module 0..n-1     in order, each page aligned, from the first page above
 *                     the kernel (one that does not fit in the rest of a RAM
 *                     entry goes to the start of the next one that holds it)
 *   info block        page aligned after the last module: the information
 *                     structure, the module list, the mmap entries, then the
 *                     strings (command line, module strings, loader name)
 */
#include "platform/boot/multiboot.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

#define PAGE 4096ULL
#define LIMIT_4G 0x100000000ULL

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

int multiboot_parse_header(const void *image, size_t size, struct multiboot_header_info *out)
{
	const uint8_t *img = image;
	size_t lim = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off), flags = rd32(img + off + 4);

		if (magic != MULTIBOOT_HEADER_MAGIC ||
		    (uint32_t)(magic + flags + rd32(img + off + 8)) != 0)
			continue;
		struct multiboot_header_info h = {.offset = (uint32_t)off, .flags = flags};
		uint32_t unknown =
		    flags & 0xffffu &
		    ~(MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE);

		if (unknown) {
			pr_err(
			    "multiboot: header at offset %zu requires flags 0x%x this loader does "
			    "not know",
			    off, unknown);
			return -EINVAL;
		}
		if (flags & MULTIBOOT_AOUT_KLUDGE) {
			if (size - off < 32) {
				pr_err(
				    "multiboot: header at offset %zu has the a.out kludge flag but "
				    "the image ends %zu bytes after it (need 32)",
				    off, size - off);
				return -EINVAL;
			}
			h.header_addr = rd32(img + off + 12);
			h.load_addr = rd32(img + off + 16);
			h.load_end_addr = rd32(img + off + 20);
			h.bss_end_addr = rd32(img + off + 24);
			h.entry_addr = rd32(img + off + 28);
		}
		if (out)
			*out = h;
		return 0;
	}
	return -ENOEXEC;
}

bool multiboot_detect(const void *image, size_t size)
{
	const uint8_t *img = image;
	size_t lim = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off);

		if (magic == MULTIBOOT_HEADER_MAGIC &&
		    (uint32_t)(magic + rd32(img + off + 4) + rd32(img + off + 8)) == 0)
			return true;
	}
	return false;
}

struct mb_ctx {
	const struct guest_mem *gm;
	const struct multiboot_params *p;
};

/*
 * Check that guest [gpa, gpa+len) lies below 4 GiB, inside one RAM entry of
 * the e820 map and inside guest RAM; 0 and its host address in *host (NULL
 * in a check-only run, c->gm == NULL), or -1 with a message naming @what.
 */
static int place(const struct mb_ctx *c, uint64_t gpa, uint64_t len, const char *what,
		 uint8_t **host)
{
	bool in_ram = false;

	*host = NULL;
	if (gpa >= LIMIT_4G || len > LIMIT_4G - gpa) {
		pr_err("multiboot: %s at 0x%llx (+0x%llx) is not below 4 GiB", what,
		       (unsigned long long)gpa, (unsigned long long)len);
		return -1;
	}
	for (uint32_t i = 0; i < c->p->nr_e820; i++) {
		const struct e820_entry *e = &c->p->e820[i];

		if (e->type == E820_TYPE_RAM && gpa >= e->addr && gpa - e->addr <= e->size &&
		    len <= e->size - (gpa - e->addr))
			in_ram = true;
	}
	if (in_ram && c->gm)
		*host = guest_mem_ptr(c->gm, gpa, len ? len : 1);
	if (!in_ram || (c->gm && !*host)) {
		pr_err("multiboot: %s at 0x%llx..0x%llx is not inside one RAM range of the guest's "
		       "memory map",
		       what, (unsigned long long)gpa, (unsigned long long)(gpa + len));
		return -1;
	}
	return 0;
}

#define NO_ROOM UINT64_MAX

/*
 * The lowest page-aligned address >= @from where @len bytes lie inside one
 * RAM entry of the e820 map, below 4 GiB; NO_ROOM if there is none. (Each
 * NUMA node's RAM is its own entry: a module too big for the rest of one
 * node's RAM goes to the start of the next.)
 */
static uint64_t find_room(const struct multiboot_params *p, uint64_t from, uint64_t len)
{
	uint64_t best = NO_ROOM;

	for (uint32_t i = 0; i < p->nr_e820; i++) {
		const struct e820_entry *e = &p->e820[i];
		uint64_t start = page_up(from > e->addr ? from : e->addr);
		uint64_t end = e->addr + e->size < LIMIT_4G ? e->addr + e->size : LIMIT_4G;

		if (e->type == E820_TYPE_RAM && start < end && len <= end - start && start < best)
			best = start;
	}
	return best;
}

/* Bytes of the largest page-aligned free RAM range above @from, for messages. */
static uint64_t largest_room(const struct multiboot_params *p, uint64_t from)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < p->nr_e820; i++) {
		const struct e820_entry *e = &p->e820[i];
		uint64_t start = page_up(from > e->addr ? from : e->addr);
		uint64_t end = e->addr + e->size < LIMIT_4G ? e->addr + e->size : LIMIT_4G;

		if (e->type == E820_TYPE_RAM && start < end && end - start > best)
			best = end - start;
	}
	return best;
}

/* a.out kludge: the header says where the flat image goes. */
static int load_aout(const struct mb_ctx *c, const struct multiboot_header_info *h, uint64_t *entry,
		     uint64_t *end)
{
	size_t size = c->p->image_size;

	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->offset) {
		pr_err(
		    "multiboot: a.out header_addr 0x%x / load_addr 0x%x put the load start before "
		    "the start of the file (header at offset %u)",
		    h->header_addr, h->load_addr, h->offset);
		return -EINVAL;
	}
	uint64_t file_off = h->offset - (h->header_addr - h->load_addr);
	uint64_t avail = size - file_off;
	uint64_t load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + avail;

	if (load_end < h->load_addr || load_end - h->load_addr > avail) {
		pr_err("multiboot: a.out load_end_addr 0x%x: 0x%llx bytes from offset 0x%llx, the "
		       "image has 0x%zx",
		       h->load_end_addr, (unsigned long long)(load_end - h->load_addr),
		       (unsigned long long)file_off, size);
		return -EINVAL;
	}
	uint64_t bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;

	if (bss_end < load_end) {
		pr_err("multiboot: a.out bss_end_addr 0x%x is below load_end_addr 0x%llx",
		       h->bss_end_addr, (unsigned long long)load_end);
		return -EINVAL;
	}
	if (h->entry_addr < h->load_addr || h->entry_addr >= bss_end) {
		pr_err("multiboot: a.out entry_addr 0x%x is outside the image [0x%x, 0x%llx)",
		       h->entry_addr, h->load_addr, (unsigned long long)bss_end);
		return -EINVAL;
	}
	uint8_t *dst;

	if (place(c, h->load_addr, bss_end - h->load_addr, "the kernel (a.out kludge)", &dst))
		return -EINVAL;
	if (dst) {
		memcpy(dst, (const uint8_t *)c->p->image + file_off, load_end - h->load_addr);
		memset(dst + (load_end - h->load_addr), 0, bss_end - load_end);
	}
	*entry = h->entry_addr;
	*end = bss_end;
	return 0;
}

/* ELF32: PT_LOAD segments at p_paddr, entry e_entry (translated to physical). */
static int load_elf(const struct mb_ctx *c, uint64_t *entry, uint64_t *end)
{
	const uint8_t *img = c->p->image;
	size_t size = c->p->image_size;
	Elf32_Ehdr eh;

	if (size < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG)) {
		pr_err("multiboot: the image is not ELF and its header has no a.out kludge (flag "
		       "bit 16): nothing says where to load it");
		return -EINVAL;
	}
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386) {
		pr_err(
		    "multiboot: ELF class %u machine %u: only 32-bit i386 ELF kernels are loaded "
		    "from program headers (as QEMU does); a 64-bit kernel needs the a.out kludge",
		    eh.e_ident[EI_CLASS], eh.e_machine);
		return -EINVAL;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize < sizeof(Elf32_Phdr) ||
	    eh.e_phnum == 0 || eh.e_phoff > size ||
	    (uint64_t)eh.e_phnum * eh.e_phentsize > size - eh.e_phoff) {
		pr_err(
		    "multiboot: ELF program headers (offset %u, %u x %u bytes) do not fit in the "
		    "image of %zu bytes",
		    eh.e_phoff, eh.e_phnum, eh.e_phentsize, size);
		return -EINVAL;
	}
	uint64_t hi = 0, phys_entry = 0;
	bool found = false, entry_ok = false;

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + (size_t)i * eh.e_phentsize, sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset) {
			pr_err("multiboot: ELF segment %u: offset 0x%x file size 0x%x memory size "
			       "0x%x do not fit the image of 0x%zx bytes",
			       i, ph.p_offset, ph.p_filesz, ph.p_memsz, size);
			return -EINVAL;
		}
		char what[48];

		snprintf(what, sizeof(what), "ELF segment %u", i);
		uint8_t *dst;

		if (place(c, ph.p_paddr, ph.p_memsz, what, &dst))
			return -EINVAL;
		if (dst) {
			memcpy(dst, img + ph.p_offset, ph.p_filesz);
			memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		}
		found = true;
		if ((uint64_t)ph.p_paddr + ph.p_memsz > hi)
			hi = (uint64_t)ph.p_paddr + ph.p_memsz;
		/* e_entry is virtual: translate through the segment holding it */
		if (!entry_ok && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) {
			phys_entry = ph.p_paddr + (eh.e_entry - ph.p_vaddr);
			entry_ok = true;
		}
	}
	if (!found) {
		pr_err("multiboot: the ELF image has no loadable segment");
		return -EINVAL;
	}
	if (!entry_ok) {
		pr_err("multiboot: ELF entry 0x%x lies in no loaded segment", eh.e_entry);
		return -EINVAL;
	}
	*entry = phys_entry;
	*end = hi;
	return 0;
}

/* KiB of RAM from @start on, across adjacent RAM entries. */
static uint64_t ram_kib_from(const struct multiboot_params *p, uint64_t start, uint64_t cap)
{
	uint64_t cur = start;
	bool grew = true;

	while (grew && cur < cap) {
		grew = false;
		for (uint32_t i = 0; i < p->nr_e820; i++) {
			const struct e820_entry *e = &p->e820[i];

			if (e->type == E820_TYPE_RAM && cur >= e->addr && cur < e->addr + e->size) {
				cur = e->addr + e->size;
				grew = true;
			}
		}
	}
	return ((cur < cap ? cur : cap) - start) >> 10;
}

static size_t str_size(const char *s)
{
	return (s ? strlen(s) : 0) + 1;
}

/*
 * The information block at guest @info (host @blk, @total bytes): the
 * structure, the module list (@mods, strings filled in here), the mmap
 * entries, then the strings.
 */
static void write_info(const struct multiboot_params *p, uint8_t *blk, uint64_t info,
		       uint64_t total, struct multiboot_mod *mods)
{
	const char *loader = p->loader_name ? p->loader_name : "ssivm";
	uint64_t size_before_str = sizeof(struct multiboot_info) +
				   (uint64_t)p->nr_modules * sizeof(struct multiboot_mod) +
				   (uint64_t)p->nr_e820 * sizeof(struct multiboot_mmap_entry);
	uint64_t mods_at = info + sizeof(struct multiboot_info);
	uint64_t mmap_at = mods_at + (uint64_t)p->nr_modules * sizeof(struct multiboot_mod);
	uint64_t str_at = info + size_before_str;
	uint8_t *s = blk + (str_at - info);
	uint64_t s_gpa = str_at;

	memset(blk, 0, total);
#define PUT_STR(str, field)                                                                        \
	do {                                                                                       \
		size_t n_ = str_size(str);                                                         \
		if (str)                                                                           \
			memcpy(s, str, n_);                                                        \
		(field) = (uint32_t)s_gpa;                                                         \
		s += n_;                                                                           \
		s_gpa += n_;                                                                       \
	} while (0)
	struct multiboot_info mbi = {0};

	PUT_STR(p->cmdline, mbi.cmdline);
	PUT_STR(loader, mbi.boot_loader_name);
	for (uint32_t i = 0; i < p->nr_modules; i++)
		PUT_STR(p->modules[i].cmdline, mods[i].string);
#undef PUT_STR
	memcpy(blk + (mods_at - info), mods, (size_t)p->nr_modules * sizeof(mods[0]));
	for (uint32_t i = 0; i < p->nr_e820; i++) {
		struct multiboot_mmap_entry me = {.size = 20,
						  .addr = p->e820[i].addr,
						  .len = p->e820[i].size,
						  .type = p->e820[i].type};

		memcpy(blk + (mmap_at - info) + i * sizeof(me), &me, sizeof(me));
	}
	mbi.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
		    MULTIBOOT_INFO_LOADER_NAME | (p->nr_modules ? MULTIBOOT_INFO_MODS : 0);
	mbi.mem_lower = (uint32_t)ram_kib_from(p, 0, 640 * 1024);
	mbi.mem_upper = (uint32_t)ram_kib_from(p, E820_1M, LIMIT_4G);
	mbi.mods_count = p->nr_modules;
	mbi.mods_addr = p->nr_modules ? (uint32_t)mods_at : 0;
	mbi.mmap_addr = (uint32_t)mmap_at;
	mbi.mmap_length = p->nr_e820 * (uint32_t)sizeof(struct multiboot_mmap_entry);
	memcpy(blk, &mbi, sizeof(mbi));
}

int multiboot_load(const struct guest_mem *gm, const struct multiboot_params *p,
		   struct boot_state *bs)
{
	struct mb_ctx c = {gm, p};
	struct multiboot_header_info h;
	uint64_t entry, end;
	int ret;

	if (!p->image || !p->e820 || !p->nr_e820 || (p->nr_modules && !p->modules)) {
		pr_err("multiboot: no image, no memory map or a module list without modules");
		return -EINVAL;
	}
	ret = multiboot_parse_header(p->image, p->image_size, &h);
	if (ret == -ENOEXEC)
		pr_err("multiboot: no multiboot header (magic 0x%x with a valid checksum) in the "
		       "first %u bytes",
		       MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH);
	if (ret)
		return ret;
	if (h.flags & MULTIBOOT_VIDEO_MODE)
		pr_warn("multiboot: the kernel asks for a video mode; there is none (serial only)");
	ret = (h.flags & MULTIBOOT_AOUT_KLUDGE) ? load_aout(&c, &h, &entry, &end)
						: load_elf(&c, &entry, &end);
	if (ret)
		return ret;

	/* modules, page aligned above the kernel, in order */
	uint64_t cur = page_up(end);
	struct multiboot_mod mods[MULTIBOOT_MAX_MODULES];

	if (p->nr_modules > MULTIBOOT_MAX_MODULES) {
		pr_err("multiboot: %u modules, at most %u", p->nr_modules, MULTIBOOT_MAX_MODULES);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < p->nr_modules; i++) {
		const struct boot_module *m = &p->modules[i];
		uint64_t at = find_room(p, cur, m->size);
		char what[32];

		if (at == NO_ROOM) {
			pr_err(
			    "multiboot: module %u ('%s', %zu bytes) does not fit in guest RAM "
			    "below 4 GiB after 0x%llx (the kernel ends at 0x%llx, then the "
			    "modules before it); the largest free RAM range there has %llu bytes",
			    i, m->cmdline ? m->cmdline : "", m->size, (unsigned long long)cur,
			    (unsigned long long)end, (unsigned long long)largest_room(p, cur));
			return -ENOMEM;
		}
		snprintf(what, sizeof(what), "module %u", i);
		uint8_t *dst;

		if (place(&c, at, m->size, what, &dst))
			return -ENOMEM;
		if (dst && m->size)
			memcpy(dst, m->data, m->size);
		mods[i] = (struct multiboot_mod){.mod_start = (uint32_t)at,
						 .mod_end = (uint32_t)(at + m->size)};
		cur = page_up(at + m->size);
	}

	/* info block: structure, module list, mmap, strings */
	const char *loader = p->loader_name ? p->loader_name : "ssivm";
	uint64_t size_before_str = sizeof(struct multiboot_info) +
				   (uint64_t)p->nr_modules * sizeof(struct multiboot_mod) +
				   (uint64_t)p->nr_e820 * sizeof(struct multiboot_mmap_entry);
	uint64_t total = size_before_str + str_size(p->cmdline) + str_size(loader);

	for (uint32_t i = 0; i < p->nr_modules; i++)
		total += str_size(p->modules[i].cmdline);
	uint64_t info = find_room(p, cur, total);

	if (info == NO_ROOM) {
		pr_err("multiboot: the information block (%llu bytes: structure, %u module "
		       "entries, memory map, strings) does not fit in guest RAM below 4 GiB after "
		       "the kernel and modules (0x%llx; the largest free RAM range above has %llu "
		       "bytes)",
		       (unsigned long long)total, p->nr_modules, (unsigned long long)cur,
		       (unsigned long long)largest_room(p, cur));
		return -ENOMEM;
	}
	uint8_t *blk;

	if (place(&c, info, total, "the multiboot information block", &blk))
		return -ENOMEM;
	if (blk)
		write_info(p, blk, info, total, mods);

	*bs = (struct boot_state){
	    .mode = BOOT_CPU_PROT32,
	    .rip = entry,
	    .rax = MULTIBOOT_BOOTLOADER_MAGIC,
	    .rbx = info,
	};
	pr_debug("multiboot: entry 0x%llx, kernel end 0x%llx, %u modules, info at 0x%llx",
		 (unsigned long long)entry, (unsigned long long)end, p->nr_modules,
		 (unsigned long long)info);
	return 0;
}
