// SPDX-License-Identifier: GPL-2.0-only
/* platform/boot/detect.c — tell kernel formats apart; read kernel files. */
#include "platform/boot/detect.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/boot/linux.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MULTIBOOT_MAGIC 0x1BADB002u
#define MULTIBOOT_SEARCH 8192

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Walk the notes of an ELF64 image; the PHYS32 entry of the "Xen" note. */
unsigned long long boot_elf_pvh_entry(const void *image, size_t size)
{
	const uint8_t *img = image;
	Elf64_Ehdr eh;

	if (size < sizeof(eh))
		return 0;
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
		return 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t off, end;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue;
		off = ph.p_offset;
		end = ph.p_offset + ph.p_filesz;
		while (end - off >= 12) {
			uint32_t namesz = rd32(img + off), descsz = rd32(img + off + 4),
				 type = rd32(img + off + 8);
			uint64_t name = off + 12, desc = name + ((namesz + 3ULL) & ~3ULL);
			uint64_t next = desc + ((descsz + 3ULL) & ~3ULL);

			if (next > end)
				break;
			if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
			    !memcmp(img + name, "Xen", 4) && descsz >= 4) {
				uint64_t entry = 0;

				memcpy(&entry, img + desc, descsz >= 8 ? 8 : 4);
				return entry;
			}
			off = next;
		}
	}
	return 0;
}

static bool multiboot_header_at(const uint8_t *img, size_t size)
{
	size_t lim = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off);

		if (magic == MULTIBOOT_MAGIC &&
		    (uint32_t)(magic + rd32(img + off + 4) + rd32(img + off + 8)) == 0)
			return true;
	}
	return false;
}

enum boot_format boot_detect(const void *image, size_t size)
{
	const uint8_t *img = image;

	if (size >= 0x206 && !memcmp(img + 0x202, "HdrS", 4))
		return BOOT_FMT_BZIMAGE;
	if (size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG) && boot_elf_pvh_entry(image, size))
		return BOOT_FMT_ELF_PVH;
	if (multiboot_header_at(img, size))
		return BOOT_FMT_MULTIBOOT;
	return BOOT_FMT_UNKNOWN;
}

const char *boot_format_name(enum boot_format fmt)
{
	switch (fmt) {
	case BOOT_FMT_BZIMAGE:
		return "bzImage";
	case BOOT_FMT_ELF_PVH:
		return "ELF (PVH)";
	case BOOT_FMT_MULTIBOOT:
		return "multiboot";
	default:
		return "unknown";
	}
}

/* A multiboot magic in the first 8 KiB whose checksum is wrong: its offset, or -1. */
static long multiboot_bad_checksum(const uint8_t *img, size_t size, uint32_t *sum)
{
	size_t lim = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		if (rd32(img + off) == MULTIBOOT_MAGIC) {
			*sum = rd32(img + off) + rd32(img + off + 4) + rd32(img + off + 8);
			return (long)off;
		}
	}
	if (size >= 4 && size < 12 + 4 && rd32(img) == MULTIBOOT_MAGIC) {
		*sum = 0;
		return 0; /* a header cut short */
	}
	return -1;
}

int boot_image_check(const char *path, const void *image, size_t size)
{
	const uint8_t *img = image;
	enum boot_format fmt = boot_detect(image, size);
	struct linux_info li;
	uint32_t sum = 0;
	long off;

	switch (fmt) {
	case BOOT_FMT_BZIMAGE:
		if (linux_parse(path, image, size, &li))
			return -ENOEXEC;
		return fmt;
	case BOOT_FMT_ELF_PVH:
	case BOOT_FMT_MULTIBOOT:
		return fmt;
	default:
		break;
	}
	off = multiboot_bad_checksum(img, size, &sum);
	if (off >= 0 && size - (size_t)off < 12)
		pr_err("kernel %s: the multiboot header at offset %ld is cut short: the file ends "
		       "%zu bytes after it (12 needed)",
		       path, off, size - (size_t)off);
	else if (off >= 0)
		pr_err("kernel %s: the multiboot header at offset %ld has a bad checksum (magic + "
		       "flags + checksum = 0x%x, must be 0)",
		       path, off, sum);
	else if (size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG))
		pr_err("kernel %s: an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) "
		       "and without a multiboot header; expected a bzImage, an ELF vmlinux with a "
		       "PVH note, or a multiboot v1 kernel",
		       path);
	else
		pr_err(
		    "kernel %s: not a kernel ssivm can boot (%zu bytes): expected a Linux bzImage "
		    "(\"HdrS\" at offset 0x202), an ELF vmlinux with a PVH note, or a multiboot v1 "
		    "header (magic 0x1BADB002 in the first 8 KiB)",
		    path, size);
	return -ENOEXEC;
}

size_t boot_cmdline_limit(enum boot_format fmt, const void *image, size_t size, const char **why)
{
	const size_t off = 0x1f1 + offsetof(struct setup_header, cmdline_size);
	uint32_t n = 0;

	switch (fmt) {
	case BOOT_FMT_BZIMAGE:
		*why = "cmdline_size in its setup header";
		if (size >= off + 4)
			n = rd32((const uint8_t *)image + off);
		n = n ? n : 255; /* as linux_parse() reads it */
		return n < LINUX_CMDLINE_MAX - 1 ? n : LINUX_CMDLINE_MAX - 1;
	case BOOT_FMT_ELF_PVH:
		*why = "COMMAND_LINE_SIZE of x86 Linux, 2048 bytes with the NUL";
		return BOOT_LINUX_COMMAND_LINE_SIZE - 1;
	default:
		*why = "what ssivm passes to a multiboot kernel";
		return LINUX_CMDLINE_MAX - 1;
	}
}

int boot_check_cmdline(const char *path, enum boot_format fmt, const void *image, size_t size,
		       const char *cmdline)
{
	const char *why;
	size_t len = cmdline ? strlen(cmdline) : 0,
	       max = boot_cmdline_limit(fmt, image, size, &why);

	if (len <= max)
		return 0;
	pr_err("kernel %s (%s): the command line has %zu bytes, more than the %zu the kernel "
	       "takes (%s)",
	       path, boot_format_name(fmt), len, max, why);
	return -E2BIG;
}

int boot_read_file(const char *path, const char *what, void **data, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		pr_err("%s %s: cannot open: %s", what, path, strerror(err));
		return -err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pr_err("%s %s: not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > BOOT_MAX_FILE) {
		pr_err("%s %s: %lld bytes, more than the %llu accepted", what, path,
		       (long long)st.st_size, BOOT_MAX_FILE);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			pr_err("%s %s: read failed: %s", what, path, strerror(err));
			free(buf);
			close(fd);
			return -err;
		}
		got += n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}
