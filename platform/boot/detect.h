/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform/boot/detect.h — reading a kernel file and checking it before
 * anything else happens (no KVM needed: `ssivm run` refuses a bad image
 * before it opens /dev/kvm).
 */
#ifndef SSIVM_PLATFORM_BOOT_DETECT_H
#define SSIVM_PLATFORM_BOOT_DETECT_H

#include <stddef.h>

#include "platform/boot/boot.h"

/* Largest kernel, initrd or module file accepted. */
#define BOOT_MAX_FILE (1ULL << 30)

/*
 * Read all of @path into a malloc'd buffer (*data, *size). @what names the
 * file's role in messages ("kernel", "initrd"). 0 or -errno (printed).
 */
int boot_read_file(const char *path, const char *what, void **data, size_t *size);

/* "bzImage", "ELF (PVH)", "multiboot", "unknown". */
const char *boot_format_name(enum boot_format fmt);

/*
 * Check that @image (read from @path, for messages) is a kernel ssivm can
 * load: its format is known and, for a bzImage, its setup header is
 * consistent with the file (linux_parse()). Returns the format, or -ENOEXEC
 * with a message that names the file and what was expected (a multiboot
 * header with a bad checksum or cut short is named as such). The loaders'
 * own checks (platform/boot/image.h: boot_inputs_read()) follow.
 */
int boot_image_check(const char *path, const void *image, size_t size);

/*
 * The longest command line (bytes, without the NUL) the kernel of format
 * @fmt in @image takes, one rule for every format: a bzImage's own
 * cmdline_size (setup header); for an ELF vmlinux (PVH) x86 Linux's
 * COMMAND_LINE_SIZE (2048 with the NUL: the kernel keeps 2047 bytes); for
 * multiboot ssivm's own 64 KiB. *@why says where the limit comes from.
 */
#define BOOT_LINUX_COMMAND_LINE_SIZE 2048
size_t boot_cmdline_limit(enum boot_format fmt, const void *image, size_t size, const char **why);
/* Refuse (-E2BIG, message naming @path and the limit) a longer @cmdline (NULL = ""). */
int boot_check_cmdline(const char *path, enum boot_format fmt, const void *image, size_t size,
		       const char *cmdline);

/* The PVH entry point of an ELF image (XEN_ELFNOTE_PHYS32_ENTRY), or 0. */
unsigned long long boot_elf_pvh_entry(const void *image, size_t size);

#endif
