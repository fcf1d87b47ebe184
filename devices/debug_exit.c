// SPDX-License-Identifier: GPL-2.0-only
/* devices/debug_exit.c — port 0xf4: a write of v ends ssivm with (v << 1) | 1. */
#include "devices/debug_exit.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "devices/bus.h"
#include "devices/machine.h"

static int debug_exit_io(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
			 void *opaque)
{
	struct machine *m = opaque;
	uint32_t v = 0;

	if (!is_write) {
		memset(data, 0, len);
		return 0;
	}
	if (len > sizeof(v) || addr - DEBUG_EXIT_PORT + len > DEBUG_EXIT_SIZE)
		return -EINVAL;
	memcpy(&v, data, len); /* little-endian host, like the guest */
	pr_info("vCPU %u wrote 0x%x to the exit port 0x%llx: exit status %d", cpu, v,
		(unsigned long long)addr, debug_exit_status(v));
	machine_request_exit(m, debug_exit_status(v));
	return 0;
}

static int debug_exit_init(struct machine *m)
{
	int ret = machine_pio_register(m, DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, debug_exit_io, m,
				       "exit port");

	if (ret)
		pr_err("exit port 0x%x: cannot claim it (%d)", DEBUG_EXIT_PORT, ret);
	return ret;
}

DEVICE_INIT("debug-exit", DEVICE_LEVEL_PLATFORM, debug_exit_init, NULL)
