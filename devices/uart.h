/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/uart.h — the register model of a 16550A UART, without I/O.
 *
 * Pure state machine (unit-tested on its own): the caller (devices/serial.c)
 * holds the lock, feeds register accesses and received bytes, sends the bytes
 * uart_write() hands back, and drives the interrupt line from uart_irq().
 * Transmission is instant: THR is always empty again after a write.
 */
#ifndef SSIVM_DEVICES_UART_H
#define SSIVM_DEVICES_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_RX_FIFO 64

/* register offsets */
enum { UART_DATA, UART_IER, UART_IIR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending; /* THR empty, not yet acknowledged by reading IIR */
	uint8_t rx[UART_RX_FIFO];
	unsigned rx_head, rx_len;
};

/* Power-on state: OUT2 set (interrupts reach the PIC/IOAPIC), FIFO empty. */
void uart_reset(struct uart *u);
/* Read register @off (0-7). May change state (RBR pops, IIR acknowledges THRE). */
uint8_t uart_read(struct uart *u, unsigned off);
/* Write register @off. Returns 1 and sets *tx when a byte must go out on the
 * line (in loopback mode it goes to the receive FIFO instead), else 0. */
int uart_write(struct uart *u, unsigned off, uint8_t v, uint8_t *tx);
/* Queue a received byte; false if the FIFO is full (byte dropped). */
bool uart_receive(struct uart *u, uint8_t c);
/* Free room in the receive FIFO. */
unsigned uart_rx_room(const struct uart *u);
/* Level of the interrupt line: an enabled interrupt pending, OUT2 set, not in
 * loopback. */
int uart_irq(const struct uart *u);

#endif
