/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control/command.h — subcommands of the ssivm binary.
 *
 * Each subcommand lives in its own control/cmd_*.c and registers itself at
 * start-up with SSIVM_COMMAND(); main() dispatches on argv[1]. The function
 * gets argc/argv with argv[0] = the subcommand name and returns the process
 * exit status.
 */
#ifndef SSIVM_CONTROL_COMMAND_H
#define SSIVM_CONTROL_COMMAND_H

struct ssivm_command {
	const char *name;
	const char *summary; /* one line for `ssivm --help` */
	int (*fn)(int argc, char **argv);
	struct ssivm_command *next;
};

void command_register(struct ssivm_command *cmd);

#define SSIVM_COMMAND(_name, _fn, _summary)                                                        \
	static struct ssivm_command cmd_##_fn = {.name = _name, .summary = _summary, .fn = _fn};   \
	__attribute__((constructor)) static void cmd_register_##_fn(void)                          \
	{                                                                                          \
		command_register(&cmd_##_fn);                                                      \
	}

#endif
