/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/power.h — ACPI fixed-hardware power management and reset, as the
 * FADT of platform/acpi describes them:
 *
 *   PM1a_EVT  ports 0x600-0x603: PM1_STS (write 1 to clear), PM1_EN
 *   PM1a_CNT  ports 0x604-0x605: SCI_EN reads 1 (always in ACPI mode);
 *             a write with SLP_EN and SLP_TYP = 5 (\_S5_) powers off:
 *             vm_run() returns VM_STATUS_POWEROFF (0). Other sleep types
 *             are not supported: warned and ignored.
 *   RESET_REG port 0xCF9: a write with bit 2 (reset CPU) set, e.g. the
 *             FADT's value 6, resets: vm_run() returns VM_STATUS_RESET (4);
 *             ssivm does not restart the guest, the caller decides. The
 *             port lies inside the PCI type-1 ports 0xCF8-0xCFF, which the
 *             host bridge claims (devices/pci_host.c): it passes a byte
 *             access to 0xCF9 to power_reset_access().
 * Registered with DEVICE_INIT at DEVICE_LEVEL_PLATFORM.
 */
#ifndef SSIVM_DEVICES_POWER_H
#define SSIVM_DEVICES_POWER_H

#include <stdbool.h>
#include <stdint.h>

#define POWER_RESET_CPU 0x04 /* bit of port 0xCF9 that resets */

/* A byte access to port 0xCF9 (@ctx unused): a write with POWER_RESET_CPU
 * ends the machine with VM_STATUS_RESET, a read gives 0. Returns 0. Any
 * thread, after the power device's init. */
int power_reset_access(void *ctx, uint8_t *data, bool is_write);

#endif
