/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/image.h — what `ssivm run` boots (kernel, initrd, multiboot
 * modules, command line): read and checked once, before KVM is touched, then
 * placed into guest RAM.
 *
 *   boot_inputs_read(cfg, &in)   main thread, before vm_create(): reads
 *                                cfg->kernel, cfg->initrd and cfg->modules
 *                                into memory (each file once), detects the
 *                                format and checks everything a load would:
 *                                the image (setup header, ELF program
 *                                headers, multiboot header), modules only for
 *                                multiboot, the command line against the
 *                                kernel's limit (boot_check_cmdline()), and
 *                                that kernel, initrd, modules and boot
 *                                structures fit the guest-physical layout of
 *                                @cfg (memmap_build()) — a dry run of the
 *                                loader. No guest RAM and no KVM needed.
 *   boot_inputs_load(&in, gm, rsdp, &st)
 *                                writes them into guest RAM @gm (whose map
 *                                must be the layout they were checked
 *                                against), fills the boot vCPU state. Cannot
 *                                fail for a reason boot_inputs_read() did
 *                                not report, except a different layout.
 *   boot_inputs_free(&in)        releases the file contents (NULL-safe on a
 *                                zeroed or freed struct).
 *
 * The struct borrows the paths and strings of @cfg: @cfg must outlive it.
 * Messages (pr_err) name the file, its role and what was expected.
 */
#ifndef SSIVM_PLATFORM_BOOT_IMAGE_H
#define SSIVM_PLATFORM_BOOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "platform/boot/boot.h"
#include "platform/memmap.h"

struct boot_file {
	const char *path; /* borrowed from the configuration */
	void *data;       /* malloc'd contents; NULL: not given */
	size_t size;
};

struct boot_inputs {
	enum boot_format format;
	struct boot_file kernel;
	struct boot_file initrd; /* for multiboot, module 0 (its string is its path) */
	/* multiboot modules after the initrd, with their strings (cfg->modules) */
	uint32_t nr_modules;
	struct boot_file modules[SSIVM_MAX_MODULES];
	const char *module_strings[SSIVM_MAX_MODULES];
	/* The command line the kernel gets: cfg->cmdline (NULL = ""), for
	 * multiboot "<kernel path> <cmdline>" as QEMU passes it. Owned. */
	char *cmdline;
	struct memmap map; /* the guest-physical layout everything was checked against */
};

/*
 * Read and check every boot input of @cfg into @in (zeroed first). 0, or
 * -EINVAL (no kernel), -ENOEXEC (not a kernel, a bad image), -E2BIG (command
 * line), -ENOMEM (does not fit the guest's RAM, or out of memory), -errno of
 * a file; the message is printed. On error @in holds nothing to free.
 */
int boot_inputs_read(const struct ssivm_config *cfg, struct boot_inputs *in);

/*
 * Place @in into guest RAM @gm: the loader of in->format; @rsdp_gpa (0 =
 * none) is told to the kernel. Fills @st for the boot vCPU. 0 or -errno
 * (message printed).
 */
int boot_inputs_load(const struct boot_inputs *in, const struct guest_mem *gm, uint64_t rsdp_gpa,
		     struct boot_state *st);

void boot_inputs_free(struct boot_inputs *in);

#endif
