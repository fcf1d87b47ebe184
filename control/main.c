// SPDX-License-Identifier: GPL-2.0-only
/* control/main.c — `ssivm SUBCOMMAND ...` dispatch. */
#include "control/command.h"

#include <stdio.h>
#include <string.h>

static struct ssivm_command *commands;

void command_register(struct ssivm_command *cmd)
{
	struct ssivm_command **p = &commands;

	/* keep them sorted by name so --help is stable */
	while (*p && strcmp((*p)->name, cmd->name) < 0)
		p = &(*p)->next;
	cmd->next = *p;
	*p = cmd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: ssivm COMMAND [ARGS...]\n\n"
		     "ssivm boots an unmodified guest on KVM and tells it the NUMA topology of\n"
		     "its configuration in ACPI tables. Today one ssivm process runs the whole\n"
		     "guest, every NUMA node of it, on this host. Running one guest across\n"
		     "several hosts (one ssivm process per host, guest RAM kept coherent page by\n"
		     "page) is the aim and is not implemented yet: the distributed memory exists\n"
		     "as a library, tested with its own node processes, and `ssivm run` does not\n"
		     "use it.\n\n"
		     "Commands:\n");
	for (struct ssivm_command *c = commands; c; c = c->next)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\n`ssivm COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (struct ssivm_command *c = commands; c; c = c->next)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "ssivm: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
