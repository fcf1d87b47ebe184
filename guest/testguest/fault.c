// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/testguest/fault.c — tests that end the guest on purpose, for the
 * VMM's failure reports (tests/linux/report-fault.sh).
 *
 * "unemulated": an x87 load (`flds (%rax)`, bytes d9 00) from a guest-physical
 * address that is neither RAM nor a device (`faultaddr=`, default 0xC0000000,
 * in the hole below 4 GiB). The access exits from the guest as a nested page
 * fault on an address without memory, so KVM must emulate the instruction to
 * hand the access to the VMM as MMIO, and its emulator has no x87 loads: KVM
 * stops the vCPU with KVM_EXIT_INTERNAL_ERROR (emulation failure), its
 * registers still at the instruction. The VMM can only report it and end.
 * Prints "# unemulated rip 0x... addr 0x..." first; if the load ever returns,
 * the test fails.
 */
#include "tg.h"

extern const uint8_t tg_unemulated_insn[];

void test_unemulated(const char *name)
{
	uint64_t addr = tg_opt("faultaddr", 0xc0000000ULL);

	tg_printf("# unemulated rip 0x%lx addr 0x%lx\n", (uint64_t)(uintptr_t)tg_unemulated_insn,
		  addr);
	__asm__ volatile(".globl tg_unemulated_insn\n"
			 "tg_unemulated_insn:\n\t"
			 "flds (%%rax)\n\t"
			 "fstp %%st(0)"
			 :
			 : "a"(addr)
			 : "memory");
	tg_fail(name, __FILE__, __LINE__,
		"the x87 load from 0x%lx came back: the VMM should have stopped the guest", addr);
}
