// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_boot_image.c — the boot inputs (platform/boot/image.c):
 * read and checked once without guest RAM or KVM, placed afterwards; one
 * command-line rule for every format; a bzImage whose pref_address is above
 * 4 GiB loaded where the boot page tables map it (the tables are walked as
 * the CPU would walk them).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "platform/boot/image.h"
#include "platform/boot/multiboot.h"
#include "tests/unit/boot_test_util.h"

#define GiB (1024ULL * MiB)

static uint64_t rd64(const struct vmem *v, uint64_t gpa)
{
	uint64_t *p = guest_mem_ptr(&v->gm, gpa, 8), x;

	assert_non_null(p);
	memcpy(&x, p, 8);
	return x;
}

/* The physical address @va translates to through the tables at @cr3 (2 MiB
 * and 4 KiB pages), or UINT64_MAX when a level is not present. */
static uint64_t walk(const struct vmem *v, uint64_t cr3, uint64_t va)
{
	const uint64_t addr = 0x000ffffffffff000ULL;
	uint64_t e = rd64(v, cr3 + 8 * ((va >> 39) & 511));

	if (!(e & 1))
		return UINT64_MAX;
	e = rd64(v, (e & addr) + 8 * ((va >> 30) & 511));
	if (!(e & 1))
		return UINT64_MAX;
	if (e & 0x80)
		return (e & addr & ~((1ULL << 30) - 1)) | (va & ((1ULL << 30) - 1));
	e = rd64(v, (e & addr) + 8 * ((va >> 21) & 511));
	if (!(e & 1))
		return UINT64_MAX;
	if (e & 0x80)
		return (e & addr & ~((1ULL << 21) - 1)) | (va & ((1ULL << 21) - 1));
	e = rd64(v, (e & addr) + 8 * ((va >> 12) & 511));
	return e & 1 ? (e & addr) | (va & 4095) : UINT64_MAX;
}

static void assert_identity(const struct vmem *v, uint64_t cr3, uint64_t lo, uint64_t hi)
{
	for (uint64_t va = lo; va < hi; va += 2 * MiB)
		assert_int_equal(walk(v, cr3, va), va);
	assert_int_equal(walk(v, cr3, hi - 1), hi - 1);
}

/* pref_address above 4 GiB, RAM there: loaded there and mapped. */
static void test_high_pref_address(void **state)
{
	size_t size;
	uint8_t *img = fake_bzimage(&size);
	static uint8_t initrd[8192];
	struct linux_load_params p = {.path = "high", .image = img, .initrd = initrd};
	struct boot_params *bp;
	struct boot_state st;
	struct vmem v;
	uint64_t load = 5 * GiB - 2 * MiB; /* its 8 MiB cross a 1 GiB boundary */

	memset(initrd, 0x3c, sizeof(initrd));
	p.size = size;
	p.initrd_size = sizeof(initrd);
	hdr(img)->pref_address = load;
	hdr(img)->init_size = 8 * MiB;
	vmem_init_big(&v, 3 * GiB, 4 * GiB); /* [0, 3G) and [4G, 8G) */
	assert_int_equal(linux_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.rip, load + 0x200);
	assert_memory_equal(guest_mem_ptr(&v.gm, load, KSIZE), img + SETUP, KSIZE);
	/* the CPU finds the entry, the whole init_size and low memory identity-mapped */
	assert_int_equal(walk(&v, st.cr3, st.rip), st.rip);
	assert_identity(&v, st.cr3, load, load + 8 * MiB);
	assert_identity(&v, st.cr3, 0, 4 * GiB);
	/* and nothing else: the walk can fail */
	assert_int_equal(walk(&v, st.cr3, 7 * GiB), UINT64_MAX);
	/* the initrd stays below initrd_addr_max (2 GiB), in RAM, intact */
	bp = guest_mem_ptr(&v.gm, LINUX_ZEROPAGE, sizeof(*bp));
	assert_true(bp->hdr.ramdisk_image >= 1 * MiB);
	assert_true(bp->hdr.ramdisk_image + sizeof(initrd) <= 0x80000000ULL);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_memory_equal(guest_mem_ptr(&v.gm, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
			    sizeof(initrd));
	assert_int_equal(bp->hdr.code32_start, (uint32_t)load);

	/* not relocatable: the same address, the same mapping */
	hdr(img)->relocatable_kernel = 0;
	p.initrd = NULL;
	p.initrd_size = 0;
	assert_int_equal(linux_load(&v.gm, &p, &st), 0);
	assert_int_equal(st.rip, load + 0x200);
	assert_identity(&v, st.cr3, load, load + 8 * MiB);
	/* above the top of RAM: refused, relocatable or not */
	hdr(img)->pref_address = 9 * GiB;
	assert_int_equal(linux_load(&v.gm, &p, &st), -ENOMEM);
	hdr(img)->relocatable_kernel = 1;
	assert_int_equal(linux_load(&v.gm, &p, &st), -ENOMEM);
	vmem_free_big(&v);
	free(img);
}

static char *string_of(size_t len)
{
	char *s = malloc(len + 1);

	memset(s, 'c', len);
	s[len] = 0;
	return s;
}

/* One command-line rule: the kernel's own limit, for bzImage and PVH alike. */
static void test_cmdline_one_rule(void **state)
{
	size_t bz_size, elf_size;
	uint8_t *bz = fake_bzimage(&bz_size), *elf = fake_vmlinux(&elf_size);
	char *fits = string_of(2047), *over = string_of(2048);
	struct linux_load_params p = {.path = "k"};
	struct linux_plan plan;
	struct vmem v;
	const char *why;
	uint64_t initrd_addr;

	vmem_init(&v, 32 * MiB, 32 * MiB);
	assert_int_equal(boot_cmdline_limit(BOOT_FMT_BZIMAGE, bz, bz_size, &why), 2047);
	assert_non_null(strstr(why, "cmdline_size"));
	assert_int_equal(boot_cmdline_limit(BOOT_FMT_ELF_PVH, elf, elf_size, &why), 2047);
	assert_non_null(strstr(why, "COMMAND_LINE_SIZE"));
	p.image = bz;
	p.size = bz_size;
	p.cmdline = fits;
	assert_int_equal(linux_plan(&v.map, &p, &plan), 0);
	p.cmdline = over;
	assert_int_equal(linux_plan(&v.map, &p, &plan), -E2BIG);
	p.image = elf;
	p.size = elf_size;
	p.cmdline = fits;
	assert_int_equal(pvh_plan(&v.map, &p, &initrd_addr), 0);
	p.cmdline = over; /* PVH took up to 64 KiB, which the kernel cut to 2047 */
	assert_int_equal(pvh_plan(&v.map, &p, &initrd_addr), -E2BIG);
	/* the bzImage's own figure counts, whatever it is */
	hdr(bz)->cmdline_size = 100;
	assert_int_equal(boot_cmdline_limit(BOOT_FMT_BZIMAGE, bz, bz_size, &why), 100);
	assert_int_equal(boot_check_cmdline("k", BOOT_FMT_BZIMAGE, bz, bz_size, fits), -E2BIG);
	assert_int_equal(boot_check_cmdline("k", BOOT_FMT_BZIMAGE, bz, bz_size, NULL), 0);
	free(fits);
	free(over);
	free(v.ram);
	free(bz);
	free(elf);
}

/* ---- boot_inputs_read(): files on disk, a configuration ---- */

static char dir[64];

static const char *write_file(const char *name, const void *data, size_t size)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];
	int fd;

	snprintf(path, 128, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	return path;
}

static void cfg_one_node(struct ssivm_config *cfg, uint64_t mem)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = 1;
	cfg->nr_nodes = 1;
	cfg->nodes[0].mem_bytes = mem;
	cfg->nodes[0].nr_cpus = 1;
}

/* A flat multiboot kernel (a.out kludge): header at 0, loaded at 1 MiB. */
static uint8_t *aout_kernel(size_t *size, uint32_t load_end)
{
	uint8_t *img = calloc(1, 0x3000);
	uint32_t h[8] = {MULTIBOOT_HEADER_MAGIC,
			 0x10003,
			 -(MULTIBOOT_HEADER_MAGIC + 0x10003),
			 0x100000,
			 0x100000,
			 load_end,
			 0,
			 0x100040};

	memcpy(img, h, sizeof(h));
	*size = 0x3000;
	return img;
}

struct read_call {
	const struct ssivm_config *cfg;
	struct boot_inputs *in;
};

static int call_read(void *arg)
{
	struct read_call *c = arg;

	return boot_inputs_read(c->cfg, c->in);
}

/* boot_inputs_read() on @cfg: its return, with what it printed in @err. */
static int read_inputs(const struct ssivm_config *cfg, struct boot_inputs *in, char *err,
		       size_t size)
{
	struct read_call c = {cfg, in};

	return capture_stderr(call_read, &c, err, size);
}

static void test_read_then_load(void **state)
{
	size_t size;
	uint8_t *img = fake_bzimage(&size);
	static uint8_t initrd[3 * 4096 + 1];
	struct ssivm_config cfg;
	struct boot_inputs in;
	struct boot_params *bp;
	struct boot_state st;
	struct vmem v;
	char err[1024];

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 3);
	cfg_one_node(&cfg, 64 * MiB);
	cfg.kernel = (char *)write_file("bz", img, size);
	cfg.initrd = (char *)write_file("initrd", initrd, sizeof(initrd));
	cfg.cmdline = (char *)"console=ttyS0";
	assert_int_equal(read_inputs(&cfg, &in, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(in.format, BOOT_FMT_BZIMAGE);
	assert_int_equal(in.kernel.size, size);
	assert_int_equal(in.initrd.size, sizeof(initrd));
	assert_string_equal(in.cmdline, "console=ttyS0");
	/* read once: the files are not needed any more */
	unlink(cfg.kernel);
	unlink(cfg.initrd);
	memset(&v, 0, sizeof(v));
	assert_int_equal(memmap_build(&cfg, &v.map), 0);
	v.ram = calloc(1, v.map.ram_bytes);
	v.gm = (struct guest_mem){.base = v.ram, .map = &v.map};
	assert_int_equal(boot_inputs_load(&in, &v.gm, 0xE0000, &st), 0);
	assert_int_equal(st.rip, 16 * MiB + 0x200);
	assert_memory_equal(v.ram + 16 * MiB, img + SETUP, KSIZE);
	bp = (struct boot_params *)(v.ram + LINUX_ZEROPAGE);
	assert_memory_equal(v.ram + bp->hdr.ramdisk_image, initrd, sizeof(initrd));
	assert_string_equal((char *)v.ram + LINUX_CMDLINE, "console=ttyS0");
	assert_int_equal(bp->acpi_rsdp_addr, 0xE0000);
	/* another layout than the one checked: refused */
	v.map.ranges[0].size -= 2 * MiB;
	assert_int_equal(boot_inputs_load(&in, &v.gm, 0, &st), -EINVAL);
	boot_inputs_free(&in);
	assert_null(in.kernel.data);
	boot_inputs_free(&in); /* twice is fine */
	free(v.ram);
	free(img);
}

/* Multiboot: "<kernel path> <cmdline>", the initrd as module 0, then the modules. */
static void test_read_multiboot(void **state)
{
	size_t size;
	uint8_t *img = aout_kernel(&size, 0);
	struct ssivm_config cfg;
	struct boot_inputs in;
	char err[1024], want[256];

	cfg_one_node(&cfg, 16 * MiB);
	cfg.kernel = (char *)write_file("mb", img, size);
	cfg.initrd = (char *)write_file("m0", "zero", 4);
	cfg.nr_modules = 1;
	cfg.modules[0].file = (char *)write_file("m1", "one!", 4);
	cfg.modules[0].string = (char *)"m1 arg=1";
	cfg.cmdline = (char *)"x=1";
	assert_int_equal(read_inputs(&cfg, &in, err, sizeof(err)), 0);
	assert_int_equal(in.format, BOOT_FMT_MULTIBOOT);
	snprintf(want, sizeof(want), "%s x=1", cfg.kernel);
	assert_string_equal(in.cmdline, want);
	assert_int_equal(in.nr_modules, 1);
	assert_string_equal(in.module_strings[0], "m1 arg=1");
	assert_memory_equal(in.modules[0].data, "one!", 4);
	boot_inputs_free(&in);
	free(img);
}

/* Each refused before any guest RAM exists, with its message. */
static void test_read_refused(void **state)
{
	size_t bz_size, elf_size, mb_size, cut_size;
	uint8_t *bz = fake_bzimage(&bz_size), *elf = fake_vmlinux(&elf_size);
	uint8_t *mb = aout_kernel(&mb_size, 0), *cut = aout_kernel(&cut_size, 0x100000 + 0x10000);
	uint8_t bad_sum[8192] = {0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT};
	uint32_t h[3] = {MULTIBOOT_HEADER_MAGIC, 3, 0}; /* checksum should be -(magic + 3) */
	char *longcmd = string_of(2048), err[4096];
	struct ssivm_config cfg;
	struct boot_inputs in;
	int failures = 0;

	memcpy(bad_sum + 0x100, h, sizeof(h));
	const struct {
		const char *name, *file, *initrd, *module, *cmdline, *msg;
		const void *img;
		size_t size;
		uint64_t mem;
		int ret;
	} cases[] = {
	    {"no kernel", NULL, NULL, NULL, NULL, "no kernel given", NULL, 0, 64 * MiB, -EINVAL},
	    {"a directory", "/", NULL, NULL, NULL, "kernel /: not a regular file", NULL, 0,
	     64 * MiB, -EINVAL},
	    {"multiboot cut short", "cut", NULL, NULL, NULL, "a.out load_end_addr", cut, cut_size,
	     64 * MiB, -EINVAL},
	    {"multiboot bad checksum (ELF)", "badsum", NULL, NULL, NULL,
	     "multiboot header at offset 256 has a bad checksum", bad_sum, sizeof(bad_sum),
	     64 * MiB, -ENOEXEC},
	    {"modules for a bzImage", "bz", NULL, "m", NULL, "are for multiboot kernels", bz,
	     bz_size, 64 * MiB, -EINVAL},
	    {"modules beyond RAM", "mb", NULL, "big", NULL, "more than the guest's 2 MiB of RAM",
	     mb, mb_size, 2 * MiB, -ENOMEM},
	    {"a module past the end of RAM", "mb", "big", NULL, NULL, "module 0 ('", mb, mb_size,
	     4 * MiB, -ENOMEM},
	    {"bzImage command line", "bz", NULL, NULL, longcmd,
	     "has 2048 bytes, more than the 2047 the kernel takes (cmdline_size", bz, bz_size,
	     64 * MiB, -E2BIG},
	    {"PVH command line", "elf", NULL, NULL, longcmd,
	     "more than the 2047 the kernel takes (COMMAND_LINE_SIZE", elf, elf_size, 64 * MiB,
	     -E2BIG},
	    {"RAM below the bzImage's init_size", "bz", NULL, NULL, NULL,
	     "needs 0x100000 bytes of RAM (init_size) from 0x1000000", bz, bz_size, 16 * MiB,
	     -ENOMEM},
	    {"PVH segment outside RAM", "elf", NULL, NULL, NULL, "is not in guest RAM above 1 MiB",
	     elf, elf_size, 2 * MiB, -ENOMEM},
	};
	static uint8_t big[3 * MiB];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_one_node(&cfg, cases[i].mem);
		if (cases[i].img)
			cfg.kernel = (char *)write_file(cases[i].file, cases[i].img, cases[i].size);
		else
			cfg.kernel = (char *)cases[i].file;
		if (cases[i].initrd)
			cfg.initrd = (char *)write_file(cases[i].initrd, big, sizeof(big));
		if (cases[i].module) {
			cfg.nr_modules = 1;
			cfg.modules[0].file = (char *)write_file(cases[i].module, big, sizeof(big));
			cfg.modules[0].string = (char *)cases[i].module;
		}
		cfg.cmdline = (char *)cases[i].cmdline;
		int ret = read_inputs(&cfg, &in, err, sizeof(err));
		bool ok = ret == cases[i].ret && strstr(err, cases[i].msg) && !in.kernel.data;

		printf("%s %s\n", ok ? "ok  " : "FAIL", cases[i].name);
		if (!ok) {
			printf("     want %d '%s', got %d:\n%s", cases[i].ret, cases[i].msg, ret,
			       err);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	free(longcmd);
	free(bz);
	free(elf);
	free(mb);
	free(cut);
}

static int make_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ssivm-boot-image-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_high_pref_address), cmocka_unit_test(test_cmdline_one_rule),
	    cmocka_unit_test(test_read_then_load),    cmocka_unit_test(test_read_multiboot),
	    cmocka_unit_test(test_read_refused),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
