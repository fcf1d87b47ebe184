/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/debug_exit.h — the exit port, in the manner of QEMU's
 * isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
 *
 * Port 0xf4, 4 bytes wide. A guest write of value v (1, 2 or 4 bytes,
 * little-endian) ends ssivm with exit status ((v << 1) | 1) & 0xff: what a
 * QEMU process with isa-debug-exit exits with (it calls exit((v << 1) | 1),
 * of which the OS keeps the low 8 bits). vm_run() returns that same 8-bit
 * value, so what the log says is what the process returns. The status is
 * odd, never 0, 2 or 4; but v = 0 and v = 128 (any v with v & 0x7f == 0)
 * give 1, the status of a VMM error: the device logs that it was the guest
 * (docs/boot.md). A guest that wants a status of its own writes 1..127.
 * Reads return 0. Registered by DEVICE_INIT at DEVICE_LEVEL_PLATFORM on every VM;
 * the handler runs on the writing vCPU's thread and only calls
 * vm_request_exit() (the first exit request wins).
 */
#ifndef SSIVM_DEVICES_DEBUG_EXIT_H
#define SSIVM_DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_SIZE 4

/* The exit status a write of @v asks for: ((v << 1) | 1) & 0xff. */
static inline int debug_exit_status(uint32_t v)
{
	return (int)((((uint64_t)v << 1) | 1) & 0xff);
}

#endif
