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
#include "devices/bus.h"
#include "vcpu/vm.h"

#define RX_FIFO 64

/* register offsets */
enum { R_DATA, R_IER, R_IIR, R_LCR, R_MCR, R_LSR, R_MSR, R_SCR };
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, msr;
	bool thri_pending; /* THR empty, not yet acknowledged by reading IIR */
	int irq_level;
	uint8_t rx[RX_FIFO];
	unsigned rx_head, rx_len;
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

static uint8_t iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

/* Lock held. The line follows "an interrupt is pending and OUT2 is set". */
static void update_irq(struct serial *s)
{
	int level = !(iir(s) & IIR_NONE) && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, SERIAL_COM1_IRQ, level);
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

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_len < RX_FIFO) {
		s->rx[(s->rx_head + s->rx_len) % RX_FIFO] = c;
		s->rx_len++;
	}
}

static void tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return;
	}
	write_all(STDOUT_FILENO, &c, 1);
	if (s->log_fd >= 0)
		write_all(s->log_fd, &c, 1);
	__atomic_add_fetch(&s->tx_bytes, 1, __ATOMIC_RELAXED);
}

static uint8_t msr_value(struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return (s->mcr & MCR_RTS ? MSR_CTS : 0) | (s->mcr & MCR_DTR ? MSR_DSR : 0) |
		       (s->mcr & MCR_OUT1 ? MSR_RI : 0) | (s->mcr & MCR_OUT2 ? MSR_DCD : 0);
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static uint8_t reg_read(struct serial *s, unsigned off)
{
	uint8_t v = 0;

	switch (off) {
	case R_DATA:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % RX_FIFO;
			s->rx_len--;
		}
		return v;
	case R_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case R_IIR:
		v = iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false; /* reading IIR acknowledges THRE */
		return v;
	case R_LCR:
		return s->lcr;
	case R_MCR:
		return s->mcr;
	case R_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case R_MSR:
		return msr_value(s);
	default:
		return s->scr;
	}
}

static void reg_write(struct serial *s, unsigned off, uint8_t v)
{
	switch (off) {
	case R_DATA:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			return;
		}
		tx(s, v);
		s->thri_pending = true; /* sent at once: THR empty again */
		return;
	case R_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* enabling THRE interrupts with THR empty raises one at once */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		return;
	case R_IIR:
		s->fcr = v;
		if (v & FCR_CLEAR_RX)
			s->rx_len = 0;
		return;
	case R_LCR:
		s->lcr = v;
		return;
	case R_MCR:
		s->mcr = v & 0x1f;
		return;
	case R_LSR:
	case R_MSR:
		return; /* read-only */
	default:
		s->scr = v;
		return;
	}
}

static int serial_io(struct vcpu *vcpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		     void *opaque)
{
	struct serial *s = opaque;
	uint8_t *b = data;

	pthread_mutex_lock(&s->lock);
	/* a wider access touches consecutive registers, like the ISA bus does */
	for (uint32_t i = 0; i < len; i++) {
		unsigned off = (unsigned)(addr - SERIAL_COM1_PORT + i) & 7;

		if (is_write)
			reg_write(s, off, b[i]);
		else
			b[i] = reg_read(s, off);
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
	uint8_t buf[RX_FIFO];

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
		size_t room = RX_FIFO - s->rx_len;
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
			rx_push(s, buf[i]);
		update_irq(s);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int serial_init(struct vm *vm)
{
	struct serial *s = &com1;
	const struct ssivm_config *cfg = vm_config(vm);
	const char *in = getenv("SSIVM_SERIAL_INPUT");
	int ret;

	s->vm = vm;
	s->ier = s->lcr = s->scr = s->fcr = s->dll = s->dlm = 0;
	s->mcr = MCR_OUT2;
	s->rx_len = 0;
	s->thri_pending = false;
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
	ret = pio_register(vm, SERIAL_COM1_PORT, 8, serial_io, s, "com1");
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

static void serial_exit(struct vm *vm)
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
