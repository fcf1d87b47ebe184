// SPDX-License-Identifier: GPL-2.0-only
/* devices/uart.c — 16550A register model (see uart.h). */
#include "devices/uart.h"

#include <string.h>

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
	u->mcr = UART_MCR_OUT2;
}

static uint8_t iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_len)
		return UART_IIR_RDI | fifo;
	if ((u->ier & UART_IER_THRI) && u->thri_pending)
		return UART_IIR_THRI | fifo;
	return UART_IIR_NONE | fifo;
}

int uart_irq(const struct uart *u)
{
	return !(iir(u) & UART_IIR_NONE) && (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP);
}

bool uart_receive(struct uart *u, uint8_t c)
{
	if (u->rx_len >= UART_RX_FIFO)
		return false;
	u->rx[(u->rx_head + u->rx_len) % UART_RX_FIFO] = c;
	u->rx_len++;
	return true;
}

unsigned uart_rx_room(const struct uart *u)
{
	return UART_RX_FIFO - u->rx_len;
}

static uint8_t msr_value(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
		       (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
		       (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
		       (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

uint8_t uart_read(struct uart *u, unsigned off)
{
	uint8_t v = 0;

	switch (off & 7) {
	case UART_DATA:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
			u->rx_len--;
		}
		return v;
	case UART_IER:
		return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = iir(u);
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thri_pending = false; /* reading IIR acknowledges THRE */
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (u->rx_len ? UART_LSR_DR : 0);
	case UART_MSR:
		return msr_value(u);
	default:
		return u->scr;
	}
}

int uart_write(struct uart *u, unsigned off, uint8_t v, uint8_t *tx)
{
	switch (off & 7) {
	case UART_DATA:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = v;
			return 0;
		}
		u->thri_pending = true; /* sent at once: THR empty again */
		if (u->mcr & UART_MCR_LOOP) {
			uart_receive(u, v);
			return 0;
		}
		*tx = v;
		return 1;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			return 0;
		}
		/* enabling THRE interrupts with THR empty raises one at once */
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thri_pending = true;
		u->ier = v & 0x0f;
		return 0;
	case UART_IIR:
		u->fcr = v;
		if (v & UART_FCR_CLEAR_RX)
			u->rx_len = 0;
		return 0;
	case UART_LCR:
		u->lcr = v;
		return 0;
	case UART_MCR:
		u->mcr = v & 0x1f;
		return 0;
	case UART_LSR:
	case UART_MSR:
		return 0; /* read-only */
	default:
		u->scr = v;
		return 0;
	}
}
