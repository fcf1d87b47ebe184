/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/serial.h — COM1, a 16550A UART at port 0x3F8, IRQ 4.
 *
 * Output goes to the terminal (stdout) and, when cfg->serial_log is set, to
 * that file too. Registers: RBR/THR, IER, IIR/FCR, LCR (DLAB), MCR
 * (loopback, OUT2 gates the interrupt), LSR (THRE/TEMT always: a byte is
 * written out at once), MSR (loopback mirror), SCR. Interrupts: THR-empty
 * and received-data on ISA IRQ 4 through vm_irq_line(). Input: when stdin
 * is a terminal or a pipe and SSIVM_SERIAL_INPUT is not "0", a thread reads
 * it into a 64-byte receive FIFO (received-data interrupt when enabled).
 * The register model is devices/uart.h; this file connects it to the bus,
 * the terminal, the log file and the interrupt line.
 * Registered with DEVICE_INIT at DEVICE_LEVEL_DEV.
 */
#ifndef SSIVM_DEVICES_SERIAL_H
#define SSIVM_DEVICES_SERIAL_H

#include <stdint.h>

#define SERIAL_COM1_PORT 0x3F8
#define SERIAL_COM1_IRQ 4

/* Bytes the guest wrote to COM1 so far (for tests and metrics). */
uint64_t serial_tx_bytes(void);

#endif
