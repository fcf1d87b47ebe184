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

#include "cluster/launch.h"
#include "cluster/node.h"
#include "common/log.h"
#include "config/config.h"
#include "control/command.h"
#include "irq/irq.h"
#include "obs/http.h"
#include "platform/boot/image.h"
#include "vcpu/vm.h"

#define EXIT_USAGE 2

enum { OPT_HELP = 'h', OPT_IRQCHIP = 0x100, OPT_NODE, OPT_LOG_DIR, OPT_METRICS_HTTP };

struct run_opts {
	enum irq_mode irq_mode;
	bool irq_given;
	int node;            /* --node K, or -1 */
	const char *log_dir; /* --log-dir (local cluster) */
	const char *irqchip; /* as given, to refuse a second --irqchip */
};

static void run_usage(FILE *out)
{
	fprintf(out, "usage: ssivm run [OPTIONS]\n\n"
		     "Boot a guest on this host: a Linux bzImage (64-bit boot protocol), an ELF\n"
		     "vmlinux (PVH entry) or a multiboot v1 kernel, with the NUMA topology of the\n"
		     "configuration told to the guest in ACPI tables (SRAT, SLIT, HMAT, MADT,\n"
		     "FADT, DSDT). COM1 (0x3f8) is the console on this terminal. Needs\n"
		     "/dev/kvm; on a machine without it, run it through scripts/with-kvm.\n\n"
		     "A guest across hosts (NUMA nodes with host=H > 0, docs/cluster.md): one\n"
		     "ssivm process per host runs that host's vCPUs and homes its nodes' RAM\n"
		     "(kept coherent by the DSM); host 0 runs vCPU 0 and the devices.\n"
		     "  - without --node, --hosts or a launcher's rank: the whole cluster on this\n"
		     "    machine, one process per host (tcp: each in its own network namespace,\n"
		     "    needs root; shm: shared memory), one console here, one log per node;\n"
		     "  - on a real cluster: `ssivm run --node K` on each host with the same\n"
		     "    configuration and --hosts (or cluster.hosts), or under a launcher\n"
		     "    that sets SLURM_PROCID or PMIX_RANK (srun -N2 ssivm run --config F).\n"
		     "The exit status is the guest's; a node that fails or does not show up\n"
		     "stops every node, and each names it.\n\n"
		     "Options:\n");
	config_usage(out);
	fprintf(out,
		"  --irqchip MODE       interrupt controllers: kernel (default: in-kernel LAPIC,\n"
		"                       IOAPIC, PIC, PIT), split (in-kernel LAPIC, IOAPIC in\n"
		"                       ssivm), user (LAPIC and IOAPIC in ssivm); a guest\n"
		"                       across hosts always uses split\n"
		"  --node K             this process is host K of the cluster (default: the\n"
		"                       launcher's SLURM_PROCID or PMIX_RANK, else the whole\n"
		"                       cluster on this machine)\n"
		"  --log-dir DIR        local cluster: node K's log in DIR/nodeK.log (default:\n"
		"                       $XDG_RUNTIME_DIR, else /tmp, /ssivm-run-PID)\n"
		"  --metrics-http HOST:PORT  serve Prometheus metrics at\n"
		"                       http://HOST:PORT/metrics (docs/metrics.md); host K of\n"
		"                       a guest across hosts listens on PORT + K (default: off)\n"
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
		o->irq_given = true;
		return 0;
	case OPT_NODE: {
		char *end;
		long k;

		errno = 0;
		k = strtol(arg, &end, 10);
		if (errno || *end || end == arg || k < 0 || k >= SSIVM_MAX_HOSTS) {
			pr_err("--node %s: expected a host number 0..%u", arg, SSIVM_MAX_HOSTS - 1);
			return -EINVAL;
		}
		o->node = (int)k;
		return 0;
	}
	case OPT_LOG_DIR:
		o->log_dir = arg;
		return 0;
	case OPT_METRICS_HTTP: {
		uint32_t ip;
		uint16_t port;

		if (obs_parse_addr(arg, 0, &ip, &port))
			return -EINVAL;
		obs_http_addr = arg;
		return 0;
	}
	}
	return -EINVAL;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, OPT_HELP},
	    {"irqchip", required_argument, NULL, OPT_IRQCHIP},
	    {"node", required_argument, NULL, OPT_NODE},
	    {"log-dir", required_argument, NULL, OPT_LOG_DIR},
	    {"metrics-http", required_argument, NULL, OPT_METRICS_HTTP},
	    {0},
	};
	struct run_opts ro = {.irq_mode = IRQ_KERNEL, .node = -1};
	int self = 0;
	struct config_extra_opts extra = {
	    .opts = opts, .shortopts = "h", .handle = run_opt, .opaque = &ro};
	struct ssivm_config cfg;
	struct boot_inputs in = {0};
	struct vm *vm = NULL;
	struct obs_http http = {0};
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
	if (config_nr_hosts(&cfg) > 1) {
		if (ro.irq_given && ro.irq_mode != IRQ_SPLIT) {
			pr_err("--irqchip: a guest across hosts uses the split irqchip (in-kernel "
			       "LAPIC, proxy vCPUs for the remote ones; docs/irq.md)");
			goto out;
		}
		ro.irq_mode = IRQ_SPLIT;
		self = span_which_node(&cfg, ro.node);
		if (self == -2)
			goto out;
		if (self >= 0 && cfg.cluster.nr_addrs != config_nr_hosts(&cfg)) {
			pr_err(
			    "host %d of a guest across %u hosts: the hosts' addresses are needed "
			    "(cluster.hosts in the file, or --hosts ADDR,...); without --node "
			    "and a launcher's rank, `ssivm run` starts the whole cluster on "
			    "this machine",
			    self, config_nr_hosts(&cfg));
			goto out;
		}
	} else if (ro.node > 0) {
		pr_err("--node %d: the configuration runs on one host (no NUMA node has host > 0)",
		       ro.node);
		goto out;
	}
	/* only host 0 loads the kernel: the others need not have its files */
	if (config_validate_for(&cfg, self <= 0 ? CONFIG_NEED_KERNEL : 0))
		goto out;
	if (self > 0) {
		status = span_node_run(&cfg, (uint32_t)self, ro.irq_mode, NULL);
		goto out;
	}
	/* Every input is read and checked here, before /dev/kvm is opened. */
	if (boot_inputs_read(&cfg, &in))
		goto out;
	if (config_nr_hosts(&cfg) > 1) {
		if (self < 0) {
			boot_inputs_free(&in); /* each node reads its own */
			status = span_launch_local(&cfg, argc, argv, ro.log_dir);
		} else {
			status = span_node_run(&cfg, 0, ro.irq_mode, &in);
		}
		goto out;
	}

	struct vm_params p = {
	    .cfg = &cfg, .irq_mode = ro.irq_mode, .hooks = irq_vcpu_hooks(ro.irq_mode)};
	status = VM_STATUS_ERROR;
	if (vm_create(&p, &vm))
		goto out;
	if (vm_load_kernel(vm, &in))
		goto out;
	boot_inputs_free(&in);
	if (obs_http_addr) {
		struct obs_sources src = {.node = 0, .vm = vm};

		if (obs_http_start(&http, obs_http_addr, &src, obs_format))
			goto out;
	}
	status = vm_run(vm);
	obs_http_stop(&http);
	pr_info("ssivm run exits with status %d", status);
out:
	boot_inputs_free(&in);
	vm_destroy(vm);
	config_free(&cfg);
	return status;
}

SSIVM_COMMAND("run", cmd_run, "boot a guest (kernel, initrd, NUMA topology) on this host")
