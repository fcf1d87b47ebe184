// SPDX-License-Identifier: GPL-2.0-only
/* platform/boot/image.c — the boot inputs: read and checked before KVM, placed after. */
#include "platform/boot/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "platform/boot/detect.h"
#include "platform/boot/e820.h"
#include "platform/boot/linux.h"
#include "platform/boot/multiboot.h"

_Static_assert(SSIVM_MAX_MODULES <= MULTIBOOT_MAX_MODULES, "the loader takes every module");

/* The multiboot loader's parameters: the initrd (module 0), then the modules. */
struct mb_args {
	struct e820_entry e820[MEMMAP_MAX_RANGES + 2];
	struct boot_module mods[SSIVM_MAX_MODULES + 1];
	struct multiboot_params mp;
};

static int multiboot_args(const struct boot_inputs *in, const struct memmap *map, struct mb_args *a)
{
	uint32_t nr = 0;
	int n = e820_build(map, a->e820, sizeof(a->e820) / sizeof(a->e820[0]));

	if (n < 0) {
		pr_err("e820: the memory layout does not fit the multiboot memory map (%d)", n);
		return n;
	}
	if (in->initrd.data)
		a->mods[nr++] =
		    (struct boot_module){in->initrd.data, in->initrd.size, in->initrd.path};
	for (uint32_t i = 0; i < in->nr_modules; i++)
		a->mods[nr++] = (struct boot_module){in->modules[i].data, in->modules[i].size,
						     in->module_strings[i]};
	a->mp = (struct multiboot_params){
	    .image = in->kernel.data,
	    .image_size = in->kernel.size,
	    .cmdline = in->cmdline,
	    .modules = nr ? a->mods : NULL,
	    .nr_modules = nr,
	    .e820 = a->e820,
	    .nr_e820 = (uint32_t)n,
	};
	return 0;
}

static struct linux_load_params linux_args(const struct boot_inputs *in, uint64_t rsdp_gpa)
{
	return (struct linux_load_params){.path = in->kernel.path,
					  .image = in->kernel.data,
					  .size = in->kernel.size,
					  .initrd = in->initrd.data,
					  .initrd_size = in->initrd.size,
					  .cmdline = in->cmdline,
					  .rsdp_gpa = rsdp_gpa};
}

/* The loader of in->format without guest RAM: everything but the copies. */
static int dry_run(const struct boot_inputs *in)
{
	struct linux_load_params lp = linux_args(in, 0);
	struct linux_plan plan;
	struct boot_state st;
	struct mb_args *a;
	uint64_t initrd_addr;
	int ret;

	switch (in->format) {
	case BOOT_FMT_BZIMAGE:
		return linux_plan(&in->map, &lp, &plan);
	case BOOT_FMT_ELF_PVH:
		return pvh_plan(&in->map, &lp, &initrd_addr);
	case BOOT_FMT_MULTIBOOT:
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		ret = multiboot_args(in, &in->map, a);
		if (!ret)
			ret = multiboot_load(NULL, &a->mp, &st);
		free(a);
		return ret;
	default:
		return -ENOEXEC;
	}
}

/* Read the modules (multiboot), bounding their sum by the guest's RAM as it goes. */
static int read_modules(const struct ssivm_config *cfg, struct boot_inputs *in)
{
	uint64_t total = in->initrd.size;

	for (uint32_t i = 0; i < cfg->nr_modules && i < SSIVM_MAX_MODULES; i++) {
		uint32_t nr = i + !!in->initrd.data; /* its number for the guest */
		struct boot_file *f = &in->modules[i];
		char what[32];
		int ret;

		snprintf(what, sizeof(what), "module %u", nr);
		f->path = cfg->modules[i].file;
		ret = boot_read_file(f->path, what, &f->data, &f->size);
		if (ret)
			return ret;
		in->module_strings[i] = cfg->modules[i].string;
		in->nr_modules++;
		total += f->size;
		if (total > in->map.ram_bytes) {
			pr_err(
			    "module %u '%s': the modules up to it take %llu bytes, more than the "
			    "guest's %llu MiB of RAM",
			    nr, cfg->modules[i].string, (unsigned long long)total,
			    (unsigned long long)(in->map.ram_bytes >> 20));
			return -ENOMEM;
		}
	}
	return 0;
}

int boot_inputs_read(const struct ssivm_config *cfg, struct boot_inputs *in)
{
	int ret;

	memset(in, 0, sizeof(*in));
	if (!cfg->kernel) {
		pr_err("no kernel given (--kernel FILE or kernel = \"FILE\";)");
		return -EINVAL;
	}
	if (memmap_build(cfg, &in->map)) {
		pr_err("the memory layout of the configuration is invalid");
		return -EINVAL;
	}
	in->kernel.path = cfg->kernel;
	ret = boot_read_file(cfg->kernel, "kernel", &in->kernel.data, &in->kernel.size);
	if (ret)
		goto fail;
	ret = boot_image_check(cfg->kernel, in->kernel.data, in->kernel.size);
	if (ret < 0)
		goto fail;
	in->format = (enum boot_format)ret;
	if (cfg->nr_modules && in->format != BOOT_FMT_MULTIBOOT) {
		pr_err("kernel %s (%s): modules (--module, modules =) are for multiboot kernels; "
		       "a Linux kernel takes one --initrd",
		       cfg->kernel, boot_format_name(in->format));
		ret = -EINVAL;
		goto fail;
	}
	if (cfg->initrd) {
		in->initrd.path = cfg->initrd;
		ret = boot_read_file(cfg->initrd, "initrd", &in->initrd.data, &in->initrd.size);
		if (ret)
			goto fail;
	}
	ret = read_modules(cfg, in);
	if (ret)
		goto fail;
	if (in->format == BOOT_FMT_MULTIBOOT) /* QEMU's convention: "<kernel path> <cmdline>" */
		ret = asprintf(&in->cmdline, "%s%s%s", cfg->kernel, cfg->cmdline ? " " : "",
			       cfg->cmdline ? cfg->cmdline : "") < 0
			  ? -ENOMEM
			  : 0;
	else if (cfg->cmdline && !(in->cmdline = strdup(cfg->cmdline)))
		ret = -ENOMEM;
	if (ret) {
		in->cmdline = NULL;
		goto fail;
	}
	ret = dry_run(in);
	if (ret) {
		if (in->format == BOOT_FMT_MULTIBOOT) /* the loader's messages do not name it */
			pr_err("kernel %s (multiboot): cannot be loaded (see above)", cfg->kernel);
		goto fail;
	}
	return 0;
fail:
	boot_inputs_free(in);
	return ret;
}

static bool same_layout(const struct memmap *a, const struct memmap *b)
{
	if (a->nr_ranges != b->nr_ranges || a->top != b->top || a->ram_bytes != b->ram_bytes)
		return false;
	for (uint32_t i = 0; i < a->nr_ranges; i++)
		if (a->ranges[i].gpa != b->ranges[i].gpa || a->ranges[i].size != b->ranges[i].size)
			return false;
	return true;
}

int boot_inputs_load(const struct boot_inputs *in, const struct guest_mem *gm, uint64_t rsdp_gpa,
		     struct boot_state *st)
{
	struct linux_load_params lp = linux_args(in, rsdp_gpa);
	struct mb_args *a;
	int ret;

	if (!same_layout(gm->map, &in->map)) {
		pr_err("kernel %s: guest RAM is not laid out as when the boot inputs were checked",
		       in->kernel.path);
		return -EINVAL;
	}
	switch (in->format) {
	case BOOT_FMT_BZIMAGE:
		return linux_load(gm, &lp, st);
	case BOOT_FMT_ELF_PVH:
		return pvh_load(gm, &lp, st);
	case BOOT_FMT_MULTIBOOT:
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		ret = multiboot_args(in, gm->map, a);
		if (!ret)
			ret = multiboot_load(gm, &a->mp, st);
		if (!ret && a->mp.nr_modules)
			pr_info("multiboot: %u module(s)", a->mp.nr_modules);
		free(a);
		return ret;
	default:
		pr_err("kernel %s: no loader for format %s", in->kernel.path,
		       boot_format_name(in->format));
		return -ENOEXEC;
	}
}

void boot_inputs_free(struct boot_inputs *in)
{
	free(in->kernel.data);
	free(in->initrd.data);
	for (uint32_t i = 0; i < in->nr_modules; i++)
		free(in->modules[i].data);
	free(in->cmdline);
	memset(in, 0, sizeof(*in));
}
