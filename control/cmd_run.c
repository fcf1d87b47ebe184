// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/cmd_run.c — `ssivm run`: boot a guest on this host.
 *
 * Order matters: the configuration is parsed and validated and every boot
 * input (kernel, initrd, modules, command line) is read and checked
 * (boot_inputs_read()) BEFORE /dev/kvm is opened, so a bad configuration or
 * image is refused on any machine, and before any output is opened.
 *
 * Exit status: the guest's (0 after an ACPI power-off, ((v << 1) | 1) & 0xff
 * after a write of v to the exit port 0xf4, 4 after a reset), 1 when the VMM
 * hit something it cannot handle (reported on stderr), 2 for a bad command
 * line, configuration or boot input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "config/config.h"
#include "control/command.h"
#include "irq/irq.h"
#include "platform/boot/image.h"
#include "vcpu/vm.h"

#define EXIT_USAGE 2

enum { OPT_HELP = 'h', OPT_IRQCHIP = 0x100 };

struct run_opts {
	enum irq_mode irq_mode;
	const char *irqchip; /* as given, to refuse a second --irqchip */
};

static void run_usage(FILE *out)
{
	fprintf(out, "usage: ssivm run [OPTIONS]\n\n"
		     "Boot a guest on this host: a Linux bzImage (64-bit boot protocol), an ELF\n"
		     "vmlinux (PVH entry) or a multiboot v1 kernel, with the NUMA topology of the\n"
		     "configuration told to the guest in ACPI tables (SRAT, SLIT, HMAT, MADT,\n"
		     "FADT, DSDT). Every NUMA node, its vCPUs and its RAM, runs in this one\n"
		     "process on this host (a guest spanning hosts is not implemented yet).\n"
		     "COM1 (0x3f8) is the console on this terminal. Needs /dev/kvm; on a machine\n"
		     "without it, run it through scripts/with-kvm.\n\n"
		     "Options:\n");
	config_usage(out);
	fprintf(out,
		"  --irqchip MODE       interrupt controllers: kernel (default: in-kernel LAPIC,\n"
		"                       IOAPIC, PIC, PIT), split (in-kernel LAPIC, IOAPIC in\n"
		"                       ssivm), user (LAPIC and IOAPIC in ssivm)\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0 guest powered off; 4 guest reset the machine; 1 the VMM met\n"
		"something it cannot handle (vCPU, RIP, instruction bytes and exit reason are\n"
		"printed); 2 bad options, configuration or boot input (nothing ran);\n"
		"((v << 1) | 1) & 0xff the guest wrote v to port 0xf4, as QEMU's\n"
		"isa-debug-exit: v = 1..127 give 3..255; v = 0 or 128 give 1, the status of\n"
		"a VMM error (the log says which it was).\n"
		"Environment: SSIVM_LOG=err|warn|info|debug; SSIVM_SERIAL_INPUT=0 leaves stdin\n"
		"alone (no console input).\n");
}

static int run_opt(int opt, const char *arg, void *opaque)
{
	struct run_opts *o = opaque;

	switch (opt) {
	case OPT_HELP:
		run_usage(stdout);
		return 1;
	case OPT_IRQCHIP:
		if (o->irqchip) {
			pr_err("--irqchip given twice ('%s', '%s'): give it once", o->irqchip, arg);
			return -EINVAL;
		}
		o->irqchip = arg;
		if (!strcmp(arg, "kernel"))
			o->irq_mode = IRQ_KERNEL;
		else if (!strcmp(arg, "split"))
			o->irq_mode = IRQ_SPLIT;
		else if (!strcmp(arg, "user"))
			o->irq_mode = IRQ_USER;
		else {
			pr_err("--irqchip %s: expected kernel, split or user", arg);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, OPT_HELP},
	    {"irqchip", required_argument, NULL, OPT_IRQCHIP},
	    {0},
	};
	struct run_opts ro = {.irq_mode = IRQ_KERNEL};
	struct config_extra_opts extra = {
	    .opts = opts, .shortopts = "h", .handle = run_opt, .opaque = &ro};
	struct ssivm_config cfg;
	struct boot_inputs in = {0};
	struct vm *vm = NULL;
	int ret, status = EXIT_USAGE;

	config_init(&cfg);
	ret = config_parse_args(&cfg, argc, argv, &extra);
	if (ret > 0) {
		status = 0; /* --help */
		goto out;
	}
	if (ret < 0) {
		fprintf(stderr, "ssivm run: bad options (see ssivm run --help)\n");
		goto out;
	}
	if (config_validate(&cfg))
		goto out;
	/* Every input is read and checked here, before /dev/kvm is opened. */
	if (boot_inputs_read(&cfg, &in))
		goto out;

	struct vm_params p = {
	    .cfg = &cfg, .irq_mode = ro.irq_mode, .hooks = irq_vcpu_hooks(ro.irq_mode)};
	status = VM_STATUS_ERROR;
	if (vm_create(&p, &vm))
		goto out;
	if (vm_load_kernel(vm, &in))
		goto out;
	boot_inputs_free(&in);
	status = vm_run(vm);
	pr_info("ssivm run exits with status %d", status);
out:
	boot_inputs_free(&in);
	vm_destroy(vm);
	config_free(&cfg);
	return status;
}

SSIVM_COMMAND("run", cmd_run, "boot a guest (kernel, initrd, NUMA topology) on this host")
