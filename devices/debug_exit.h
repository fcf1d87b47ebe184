/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/debug_exit.h — the exit port, in the manner of QEMU's
 * isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
 *
 * Port 0xf4, 4 bytes wide. A guest write of value v (1, 2 or 4 bytes,
 * little-endian) ends ssivm: vm_run() returns (v << 1) | 1 (masked to 31
 * bits; the process exit status is its low 8 bits, as with QEMU). An even
 * status can therefore never come from the guest through this port. Reads
 * return 0. Registered by DEVICE_INIT at DEVICE_LEVEL_PLATFORM on every VM;
 * the handler runs on the writing vCPU's thread and only calls
 * vm_request_exit() (the first exit request wins).
 */
#ifndef SSIVM_DEVICES_DEBUG_EXIT_H
#define SSIVM_DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_SIZE 4

/* The status a write of @v asks for. */
static inline int debug_exit_status(uint32_t v)
{
	return (int)((((uint64_t)v << 1) | 1) & 0x7fffffff);
}

#endif
