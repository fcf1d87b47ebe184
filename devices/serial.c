// SPDX-License-Identifier: GPL-2.0-only
/* devices/serial.c — COM1: a 16550A UART on the terminal and a log file. */
#include "devices/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config/config.h"
#include "devices/bus.h"
#include "devices/machine.h"
#include "devices/uart.h"

struct serial {
	struct machine *m;
	pthread_mutex_t lock;
	struct uart u;
	int irq_level;
	int log_fd;
	pthread_t in_thread;
	bool in_started;
	int stop_pipe[2];
	uint64_t tx_bytes;
};

static struct serial com1 = {.lock = PTHREAD_MUTEX_INITIALIZER, .log_fd = -1};

uint64_t serial_tx_bytes(void)
{
	return __atomic_load_n(&com1.tx_bytes, __ATOMIC_RELAXED);
}

/* Lock held. The line follows uart_irq(); only changes are passed on. */
static void update_irq(struct serial *s)
{
	int level = uart_irq(&s->u);

	if (level != s->irq_level) {
		s->irq_level = level;
		machine_irq_line(s->m, SERIAL_COM1_IRQ, level);
	}
}

static void write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= w;
	}
}

static void tx(struct serial *s, uint8_t c)
{
	write_all(STDOUT_FILENO, &c, 1);
	if (s->log_fd >= 0)
		write_all(s->log_fd, &c, 1);
	__atomic_add_fetch(&s->tx_bytes, 1, __ATOMIC_RELAXED);
}

static int serial_io(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		     void *opaque)
{
	struct serial *s = opaque;
	uint8_t *b = data;

	pthread_mutex_lock(&s->lock);
	/* a wider access touches consecutive registers, like the ISA bus does */
	for (uint32_t i = 0; i < len; i++) {
		unsigned off = (unsigned)(addr - SERIAL_COM1_PORT + i) & 7;

		uint8_t c;

		if (!is_write)
			b[i] = uart_read(&s->u, off);
		else if (uart_write(&s->u, off, b[i], &c))
			tx(s, c);
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void *serial_input(void *arg)
{
	struct serial *s = arg;
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
			      {.fd = s->stop_pipe[0], .events = POLLIN}};
	uint8_t buf[UART_RX_FIFO];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		pthread_mutex_lock(&s->lock);
		size_t room = uart_rx_room(&s->u);
		pthread_mutex_unlock(&s->lock);
		if (!room) {
			usleep(1000); /* guest not reading: wait, keep the bytes in stdin */
			continue;
		}
		ssize_t n = read(STDIN_FILENO, buf, room);
		if (n <= 0)
			break; /* EOF: no more input */
		pthread_mutex_lock(&s->lock);
		for (ssize_t i = 0; i < n; i++)
			uart_receive(&s->u, buf[i]);
		update_irq(s);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int serial_init(struct machine *m)
{
	struct serial *s = &com1;
	const struct ssivm_config *cfg = m->cfg;
	const char *in = getenv("SSIVM_SERIAL_INPUT");
	int ret;

	s->m = m;
	uart_reset(&s->u);
	s->irq_level = 0;
	s->tx_bytes = 0;
	if (cfg->serial_log) {
		s->log_fd = open(cfg->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->log_fd < 0) {
			ret = -errno;
			pr_err("serial log %s: cannot open: %s", cfg->serial_log, strerror(errno));
			return ret;
		}
	}
	ret = machine_pio_register(m, SERIAL_COM1_PORT, 8, serial_io, s, "com1");
	if (ret)
		goto fail;
	if (!(in && !strcmp(in, "0")) && !pipe2(s->stop_pipe, O_CLOEXEC)) {
		if (!pthread_create(&s->in_thread, NULL, serial_input, s))
			s->in_started = true;
		else {
			close(s->stop_pipe[0]);
			close(s->stop_pipe[1]);
		}
	}
	return 0;
fail:
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -1;
	return ret;
}

static void serial_exit(struct machine *m)
{
	struct serial *s = &com1;

	if (s->in_started) {
		write_all(s->stop_pipe[1], (const uint8_t *)"x", 1);
		pthread_join(s->in_thread, NULL);
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
		s->in_started = false;
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -1;
}

DEVICE_INIT("serial", DEVICE_LEVEL_DEV, serial_init, serial_exit)
