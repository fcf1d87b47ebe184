// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_uart.c — the 16550A register model (devices/uart.c): what
 * Linux's 8250 driver probes and relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/uart.h"

static void test_reset_and_lsr(void **state)
{
	struct uart u;
	uint8_t c = 0;

	uart_reset(&u);
	assert_int_equal(uart_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_NONE);
	assert_int_equal(uart_irq(&u), 0);
	assert_int_equal(uart_write(&u, UART_DATA, 'A', &c), 1);
	assert_int_equal(c, 'A');
	/* scratch register keeps what was written (8250 probe) */
	uart_write(&u, UART_SCR, 0x5a, &c);
	assert_int_equal(uart_read(&u, UART_SCR), 0x5a);
}

static void test_dlab(void **state)
{
	struct uart u;
	uint8_t c = 0;

	uart_reset(&u);
	uart_write(&u, UART_IER, 0x03, &c);
	uart_write(&u, UART_LCR, UART_LCR_DLAB | 0x03, &c);
	assert_int_equal(uart_write(&u, UART_DATA, 0x01, &c), 0); /* divisor, not sent */
	uart_write(&u, UART_IER, 0x00, &c);
	assert_int_equal(uart_read(&u, UART_DATA), 0x01);
	assert_int_equal(uart_read(&u, UART_IER), 0x00);
	uart_write(&u, UART_LCR, 0x03, &c);
	assert_int_equal(uart_read(&u, UART_IER), 0x03); /* IER untouched by DLM */
}

/* Linux's autoconfig loopback test: MCR = LOOP|OUT2|RTS -> MSR top = 0x90. */
static void test_loopback(void **state)
{
	struct uart u;
	uint8_t c = 0;

	uart_reset(&u);
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS, &c);
	assert_int_equal(uart_read(&u, UART_MSR) & 0xf0, 0x90);
	uart_write(&u, UART_MCR, UART_MCR_LOOP | 0x0f, &c);
	assert_int_equal(uart_read(&u, UART_MSR) & 0xf0, 0xf0);
	/* bytes go back to the receiver, not out */
	assert_int_equal(uart_write(&u, UART_DATA, 0x42, &c), 0);
	assert_true(uart_read(&u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_read(&u, UART_DATA), 0x42);
	assert_false(uart_read(&u, UART_LSR) & UART_LSR_DR);
	/* no interrupt leaves the chip in loopback */
	uart_write(&u, UART_IER, UART_IER_THRI, &c);
	assert_int_equal(uart_irq(&u), 0);
}

static void test_thre_interrupt(void **state)
{
	struct uart u;
	uint8_t c = 0;

	uart_reset(&u);
	uart_write(&u, UART_IIR, UART_FCR_ENABLE, &c);
	/* enabling THRI with an empty THR raises it at once */
	uart_write(&u, UART_IER, UART_IER_THRI, &c);
	assert_int_equal(uart_irq(&u), 1);
	/* reading IIR reports it (with FIFO bits) and acknowledges it */
	assert_int_equal(uart_read(&u, UART_IIR), UART_IIR_THRI | UART_IIR_FIFO);
	assert_int_equal(uart_irq(&u), 0);
	assert_int_equal(uart_read(&u, UART_IIR), UART_IIR_NONE | UART_IIR_FIFO);
	/* a write empties THR at once: pending again */
	uart_write(&u, UART_DATA, 'x', &c);
	assert_int_equal(uart_irq(&u), 1);
	/* OUT2 clear: the line stays low */
	uart_write(&u, UART_MCR, 0, &c);
	assert_int_equal(uart_irq(&u), 0);
}

static void test_receive(void **state)
{
	struct uart u;
	uint8_t c = 0;

	uart_reset(&u);
	uart_write(&u, UART_IER, UART_IER_RDI | UART_IER_THRI, &c);
	uart_read(&u, UART_IIR); /* ack THRE */
	for (int i = 0; i < UART_RX_FIFO; i++)
		assert_true(uart_receive(&u, (uint8_t)i));
	assert_false(uart_receive(&u, 0xff)); /* full: dropped */
	assert_int_equal(uart_rx_room(&u), 0);
	/* received data outranks THRE */
	assert_int_equal(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(uart_irq(&u), 1);
	for (int i = 0; i < UART_RX_FIFO; i++)
		assert_int_equal(uart_read(&u, UART_DATA), (uint8_t)i);
	assert_int_equal(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_NONE);
	assert_int_equal(uart_irq(&u), 0);
	/* FCR clears the receive FIFO */
	uart_receive(&u, 1);
	uart_write(&u, UART_IIR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX, &c);
	assert_false(uart_read(&u, UART_LSR) & UART_LSR_DR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_and_lsr), cmocka_unit_test(test_dlab),
	    cmocka_unit_test(test_loopback),      cmocka_unit_test(test_thre_interrupt),
	    cmocka_unit_test(test_receive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
