// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/mb.c — what the multiboot loader gave us: command line,
 * modules, memory map; and the "multiboot" test that prints them so the host
 * can compare with what it passed.
 */
#include "tg.h"

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER (1u << 9)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mb_mod {
	uint32_t start, end, string, reserved;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

extern char __image_start[], __bss_end[];
extern const uint8_t tramp_start[], tramp_end[];

static uint32_t magic;
static const struct mb_info *mbi;

void mb_init(uint32_t m, uint32_t info)
{
	magic = m;
	mbi = (const struct mb_info *)(uintptr_t)info;
}

bool mb_valid(void)
{
	return magic == 0x2BADB002 && mbi;
}

static void add(struct mb_reserved *out, unsigned max, unsigned *n, uint64_t start, uint64_t len)
{
	if (*n < max && len)
		out[(*n)++] =
		    (struct mb_reserved){start & ~0xfffULL, (start + len + 0xfff) & ~0xfffULL};
}

unsigned mb_reserved_ranges(struct mb_reserved *out, unsigned max)
{
	unsigned n = 0;

	add(out, max, &n, 0, 0x1000);      /* real-mode IVT and BDA */
	add(out, max, &n, 0x8000, 0x1000); /* AP trampoline */
	add(out, max, &n, (uintptr_t)__image_start, (uintptr_t)(__bss_end - __image_start));
	if (!mb_valid())
		return n;
	add(out, max, &n, (uintptr_t)mbi, sizeof(*mbi));
	if (mbi->flags & MB_INFO_CMDLINE)
		add(out, max, &n, mbi->cmdline, strlen((const char *)(uintptr_t)mbi->cmdline) + 1);
	if (mbi->flags & MB_INFO_LOADER)
		add(out, max, &n, mbi->boot_loader_name,
		    strlen((const char *)(uintptr_t)mbi->boot_loader_name) + 1);
	if (mbi->flags & MB_INFO_MMAP)
		add(out, max, &n, mbi->mmap_addr, mbi->mmap_length);
	if (mbi->flags & MB_INFO_MODS) {
		const struct mb_mod *m = (const struct mb_mod *)(uintptr_t)mbi->mods_addr;

		add(out, max, &n, mbi->mods_addr, mbi->mods_count * sizeof(*m));
		for (uint32_t i = 0; i < mbi->mods_count; i++) {
			add(out, max, &n, m[i].start, m[i].end - m[i].start);
			if (m[i].string)
				add(out, max, &n, m[i].string,
				    strlen((const char *)(uintptr_t)m[i].string) + 1);
		}
	}
	return n;
}

void mb_for_each_ram(void (*fn)(uint64_t start, uint64_t end, void *arg), void *arg)
{
	if (!mb_valid() || !(mbi->flags & MB_INFO_MMAP))
		return;
	uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

	while (p + sizeof(struct mb_mmap) <= end) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)p;

		if (e->type == 1 && e->len)
			fn(e->addr, e->addr + e->len, arg);
		p += e->size + 4;
	}
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* Print up to 96 bytes, escaping what is not printable ASCII. */
static void print_text(const uint8_t *p, uint32_t n)
{
	char buf[4 * 96 + 1];
	unsigned k = 0;

	for (uint32_t i = 0; i < n && i < 96; i++) {
		uint8_t c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			buf[k++] = (char)c;
		} else {
			buf[k++] = '\\';
			buf[k++] = 'x';
			buf[k++] = "0123456789abcdef"[c >> 4];
			buf[k++] = "0123456789abcdef"[c & 15];
		}
	}
	buf[k] = 0;
	tg_printf("%s", buf);
}

/* True if [start, end) lies inside one type-1 (RAM) entry of the memory map. */
static bool in_ram(uint64_t start, uint64_t end)
{
	uint64_t p = mbi->mmap_addr, stop = p + mbi->mmap_length;

	while (p + sizeof(struct mb_mmap) <= stop) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)p;

		if (e->type == 1 && start >= e->addr && end <= e->addr + e->len)
			return true;
		p += e->size + 4;
	}
	return false;
}

static bool overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

/*
 * Prints (for the host to compare):
 *   # mb cmdline "..."
 *   # mb loader "..."
 *   # mb mem_lower N mem_upper N
 *   # mb mmap ADDR LEN TYPE            (each entry)
 *   # mb modules N
 *   # mb module I len N string "..." fnv1a 0x... text "..."
 * and checks each module: page aligned, in RAM, after the one before it, and
 * overlapping neither this image, the information structure, the module
 * list, another module nor a module string.
 */
void test_multiboot(const char *name)
{
	GUEST_ASSERT(magic == 0x2BADB002, "eax = 0x%x, expected 0x2badb002", magic);
	GUEST_ASSERT(mbi != NULL, "ebx = 0");
	uint32_t need = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP;

	GUEST_ASSERT((mbi->flags & need) == need, "info flags 0x%x lack 0x%x", mbi->flags, need);
	tg_printf("# mb cmdline \"%s\"\n", (const char *)(uintptr_t)mbi->cmdline);
	if (mbi->flags & MB_INFO_LOADER)
		tg_printf("# mb loader \"%s\"\n", (const char *)(uintptr_t)mbi->boot_loader_name);
	tg_printf("# mb mem_lower %u mem_upper %u\n", mbi->mem_lower, mbi->mem_upper);
	GUEST_ASSERT(mbi->mmap_length % 4 == 0 && mbi->mmap_length >= 24, "mmap_length %u",
		     mbi->mmap_length);
	uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length, ram = 0;

	while (p < end) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)p;

		GUEST_ASSERT(e->size >= 20 && p + e->size + 4 <= end, "mmap entry at 0x%lx size %u",
			     p, e->size);
		tg_printf("# mb mmap 0x%lx 0x%lx %u\n", e->addr, e->len, e->type);
		if (e->type == 1)
			ram += e->len;
		p += e->size + 4;
	}
	GUEST_ASSERT(ram > 0, "no RAM in the memory map");
	uint32_t mods = (mbi->flags & MB_INFO_MODS) ? mbi->mods_count : 0;
	const struct mb_mod *m = (const struct mb_mod *)(uintptr_t)mbi->mods_addr;
	uint64_t img0 = (uintptr_t)__image_start, img1 = (uintptr_t)__bss_end;
	uint64_t list0 = mbi->mods_addr, list1 = list0 + (uint64_t)mods * sizeof(*m);
	uint64_t info0 = (uintptr_t)mbi, info1 = info0 + sizeof(*mbi);

	tg_printf("# mb modules %u\n", mods);
	GUEST_ASSERT(!mods || in_ram(list0, list1), "module list at 0x%lx..0x%lx is not in RAM",
		     list0, list1);
	for (uint32_t i = 0; i < mods; i++) {
		uint64_t s = m[i].start, e = m[i].end;
		const char *str = m[i].string ? (const char *)(uintptr_t)m[i].string : "";
		uint64_t s0 = m[i].string, s1 = s0 + strlen(str) + 1;

		GUEST_ASSERT(e >= s, "module %u ends before it starts", i);
		GUEST_ASSERT((s & 0xfff) == 0, "module %u at 0x%lx not page aligned", i, s);
		GUEST_ASSERT(in_ram(s, e), "module %u at 0x%lx..0x%lx is not in RAM", i, s, e);
		GUEST_ASSERT(!i || s >= m[i - 1].end, "module %u at 0x%lx before module %u's end",
			     i, s, i - 1);
		GUEST_ASSERT(!overlap(s, e, img0, img1), "module %u overlaps the kernel image", i);
		GUEST_ASSERT(!overlap(s, e, info0, info1) && !overlap(s, e, list0, list1),
			     "module %u overlaps the information structure or module list", i);
		GUEST_ASSERT(m[i].string && in_ram(s0, s1), "module %u has no string in RAM", i);
		for (uint32_t j = 0; j < mods; j++) {
			uint64_t t0 = m[j].string, t1 = t0 + 1;

			if (m[j].string)
				t1 = t0 + strlen((const char *)(uintptr_t)m[j].string) + 1;
			GUEST_ASSERT(!overlap(s, e, t0, t1),
				     "module %u overlaps module %u's string", i, j);
		}
		uint32_t len = (uint32_t)(e - s);
		const uint8_t *data = (const uint8_t *)(uintptr_t)s;

		tg_printf("# mb module %u len %u string \"%s\" fnv1a 0x%08x text \"", i, len, str,
			  fnv1a(data, len));
		print_text(data, len);
		tg_printf("\"\n");
	}
	uint64_t want = tg_opt("modules", ~0ULL);

	GUEST_ASSERT(want == ~0ULL || want == mods, "%u modules, the command line says %lu", mods,
		     want);
	tg_pass(name, "%u modules, %lu KiB RAM in the map", mods, ram >> 10);
}
