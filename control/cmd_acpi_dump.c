// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/cmd_acpi_dump.c — `ssivm acpi-dump`: build the ACPI tables of a
 * configuration and write each one to a file that `iasl -d` decodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "config/config.h"
#include "control/command.h"
#include "platform/acpi/acpi.h"
#include "platform/memmap.h"

struct dump_opts {
	const char *output;
	bool help;
};

static void dump_usage(FILE *out)
{
	fprintf(out,
		"usage: ssivm acpi-dump [--output DIR] [CONFIGURATION OPTIONS]\n\n"
		"Build the ACPI tables that `ssivm run` would give a guest with this\n"
		"configuration and write each to DIR/<signature>.dat, lower case as acpidump\n"
		"and acpixtract name them (rsdp xsdt facs dsdt facp apic srat slit hmat);\n"
		"`iasl -d DIR/srat.dat` decodes one. A kernel is not needed.\n\n"
		"  -o, --output DIR     where to write the files (default: current directory)\n"
		"  -h, --help           this text\n\n");
	config_usage(out);
}

static int dump_opt(int opt, const char *arg, void *opaque)
{
	struct dump_opts *o = opaque;

	switch (opt) {
	case 'o':
		o->output = arg;
		return 0;
	case 'h':
		dump_usage(stdout);
		o->help = true;
		return 1;
	}
	return -EINVAL;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const uint8_t *p = data;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			int err = errno;

			close(fd);
			return -err;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) ? -errno : 0;
}

static int cmd_acpi_dump(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct dump_opts o = {.output = "."};
	struct config_extra_opts extra = {
	    .opts = opts, .shortopts = "o:h", .handle = dump_opt, .opaque = &o};
	struct ssivm_config *cfg = malloc(sizeof(*cfg));
	struct acpi_layout layout;
	struct memmap map;
	uint8_t *buf = malloc(ACPI_BIOS_SIZE);
	int ret, status = 1;
	struct stat st;

	if (!cfg || !buf) {
		pr_err("acpi-dump: out of memory");
		goto out;
	}
	config_init(cfg);
	ret = config_parse_args(cfg, argc, argv, &extra);
	if (o.help) {
		status = 0;
		goto out_cfg;
	}
	if (ret || config_validate_for(cfg, 0)) {
		pr_err("acpi-dump: configuration refused (see above)");
		status = 2;
		goto out_cfg;
	}
	if (stat(o.output, &st) || !S_ISDIR(st.st_mode)) {
		pr_err("acpi-dump: --output '%s' is not a directory", o.output);
		status = 2;
		goto out_cfg;
	}
	ret = memmap_build(cfg, &map);
	if (!ret)
		ret = acpi_build_layout(cfg, &map, buf, ACPI_BIOS_SIZE, ACPI_BIOS_GPA, &layout);
	if (ret) {
		pr_err("acpi-dump: building the tables failed: %s", strerror(-ret));
		goto out_cfg;
	}
	for (uint32_t i = 0; i < layout.nr_tables; i++) {
		const struct acpi_blob *t = &layout.tables[i];
		char path[4096], name[5];

		for (int c = 0; c < 5; c++)
			name[c] = (char)(t->sig[c] >= 'A' && t->sig[c] <= 'Z' ? t->sig[c] + 32
									      : t->sig[c]);
		snprintf(path, sizeof(path), "%s/%s.dat", o.output, name);
		ret = write_file(path, buf + t->offset, t->len);
		if (ret) {
			pr_err("acpi-dump: %s: %s", path, strerror(-ret));
			goto out_cfg;
		}
		printf("%s %5zu bytes at 0x%05llx -> %s\n", t->sig, t->len,
		       (unsigned long long)t->gpa, path);
	}
	printf("%u tables, %zu bytes; RSDP at 0x%llx\n", layout.nr_tables, layout.used,
	       (unsigned long long)layout.rsdp_gpa);
	status = 0;
out_cfg:
	config_free(cfg);
out:
	free(cfg);
	free(buf);
	return status;
}

SSIVM_COMMAND("acpi-dump", cmd_acpi_dump, "write the guest's ACPI tables as files for iasl -d")
