// SPDX-License-Identifier: GPL-2.0-only
/* devices/rtc.c — MC146818 RTC and CMOS memory (ports 0x70-0x71, IRQ 8). */
#include "devices/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "config/config.h"
#include "platform/memmap.h"

#define NS 1000000000LL

struct rtc {
	struct machine *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_up, stop;
	uint8_t index; /* bit 7: NMI mask, as written */
	uint8_t cmos[128];
	int64_t offset_ns;  /* guest time = CLOCK_REALTIME + offset_ns */
	int64_t last_c_ns;  /* host time of the last read of register C */
	int64_t next_pf_ns; /* next periodic tick while PIE is set */
	bool irq_high;
	_Atomic uint64_t nr_bad, nr_irqs;
	bool warned;
};

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static bool binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM;
}

static uint8_t enc(const struct rtc *r, unsigned v)
{
	return binary(r) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned dec(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : (unsigned)((v >> 4) * 10 + (v & 0xf));
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
	unsigned h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return enc(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return dec(r, v);
	h = dec(r, v & 0x7f) % 12;
	return h + (v & 0x80 ? 12 : 0);
}

/* Write the registers 0,2,4,6-9 and the century from the guest time @g (ns). */
static void latch(struct rtc *r, int64_t g)
{
	time_t s = (time_t)floor_div(g, NS);
	struct tm tm;

	gmtime_r(&s, &tm);
	r->cmos[0] = enc(r, (unsigned)tm.tm_sec);
	r->cmos[2] = enc(r, (unsigned)tm.tm_min);
	r->cmos[4] = enc_hour(r, (unsigned)tm.tm_hour);
	r->cmos[6] = enc(r, (unsigned)tm.tm_wday + 1);
	r->cmos[7] = enc(r, (unsigned)tm.tm_mday);
	r->cmos[8] = enc(r, (unsigned)tm.tm_mon + 1);
	r->cmos[9] = enc(r, (unsigned)(tm.tm_year + 1900) % 100);
	r->cmos[RTC_CENTURY] = enc(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* Take the guest time from the registers: the offset that makes them now,
 * with @frac_ns into the second. */
static void commit(struct rtc *r, int64_t now, int64_t frac_ns)
{
	struct tm tm = {0};
	unsigned year = dec(r, r->cmos[RTC_CENTURY]) * 100 + dec(r, r->cmos[9]);
	time_t s;

	tm.tm_sec = (int)dec(r, r->cmos[0]);
	tm.tm_min = (int)dec(r, r->cmos[2]);
	tm.tm_hour = (int)dec_hour(r, r->cmos[4]);
	tm.tm_mday = (int)dec(r, r->cmos[7]);
	tm.tm_mon = (int)dec(r, r->cmos[8]) - 1;
	tm.tm_year = (int)year - 1900;
	s = timegm(&tm); /* out-of-range fields normalise, as the chip would roll */
	if (s == (time_t)-1) {
		pr_warn("rtc: guest wrote an invalid time (%u-%d-%d %d:%d:%d): ignored", year,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		return;
	}
	r->offset_ns = (int64_t)s * NS + frac_ns - now;
}

static bool uip(const struct rtc *r, int64_t now)
{
	int64_t frac = now + r->offset_ns - floor_div(now + r->offset_ns, NS) * NS;

	return !(r->cmos[RTC_REG_B] & RTC_B_SET) && frac >= NS - RTC_UIP_NS;
}

/* Period of the periodic interrupt from register A's RS bits, 0 = off. */
static int64_t period_ns(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & 0xf;

	if (!rs)
		return 0;
	if (rs < 3)
		rs += 7; /* 1, 2 = 256 Hz, 128 Hz on a 32.768 kHz time base */
	return NS / (32768 >> (rs - 1));
}

static bool alarm_match(const struct rtc *r)
{
	static const int regs[3][2] = {{1, 0}, {3, 2}, {5, 4}};

	for (int i = 0; i < 3; i++) {
		uint8_t a = r->cmos[regs[i][0]];

		if ((a & 0xc0) != 0xc0 && a != r->cmos[regs[i][1]])
			return false;
	}
	return true;
}

/* Flags changed: raise IRQ 8 if one is enabled. Lock held. */
static void update_irq(struct rtc *r)
{
	uint8_t c = r->cmos[RTC_REG_C], b = r->cmos[RTC_REG_B];

	if (c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		r->cmos[RTC_REG_C] |= RTC_C_IRQF;
	if ((r->cmos[RTC_REG_C] & RTC_C_IRQF) && !r->irq_high) {
		r->irq_high = true;
		atomic_fetch_add(&r->nr_irqs, 1);
		machine_irq_line(r->m, RTC_IRQ, 1);
	}
}

static uint8_t read_reg(struct rtc *r, unsigned idx)
{
	int64_t now = host_ns();
	uint8_t v;

	switch (idx) {
	case 0:
	case 2:
	case 4:
	case 6:
	case 7:
	case 8:
	case 9:
	case RTC_CENTURY:
		if (!(r->cmos[RTC_REG_B] & RTC_B_SET))
			latch(r, now + r->offset_ns);
		return r->cmos[idx];
	case RTC_REG_A:
		return (uint8_t)((r->cmos[RTC_REG_A] & 0x7f) | (uip(r, now) ? RTC_A_UIP : 0));
	case RTC_REG_C: {
		int64_t p = period_ns(r);

		/* flags nobody asked an interrupt for are found here, lazily */
		if (floor_div(now + r->offset_ns, NS) > floor_div(r->last_c_ns + r->offset_ns, NS))
			r->cmos[RTC_REG_C] |= RTC_C_UF;
		if (p && !(r->cmos[RTC_REG_B] & RTC_B_PIE) && now - r->last_c_ns >= p)
			r->cmos[RTC_REG_C] |= RTC_C_PF;
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		r->last_c_ns = now;
		if (r->irq_high) {
			r->irq_high = false;
			machine_irq_line(r->m, RTC_IRQ, 0);
		}
		return v;
	}
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void write_reg(struct rtc *r, unsigned idx, uint8_t v)
{
	int64_t now = host_ns();
	uint8_t old_b = r->cmos[RTC_REG_B];
	int64_t g = now + r->offset_ns;

	switch (idx) {
	case 0:
	case 2:
	case 4:
	case 6:
	case 7:
	case 8:
	case 9:
	case RTC_CENTURY:
		if (old_b & RTC_B_SET) {
			r->cmos[idx] = v; /* taken when SET goes back to 0 */
			return;
		}
		latch(r, g);
		r->cmos[idx] = v;
		commit(r, now, g - floor_div(g, NS) * NS);
		return;
	case RTC_REG_A:
		r->cmos[idx] = v & 0x7f; /* UIP is read-only */
		break;
	case RTC_REG_B:
		if ((v & RTC_B_SET) && !(old_b & RTC_B_SET))
			latch(r, g); /* freeze what the guest sees */
		r->cmos[idx] = v;
		if (v & RTC_B_SET)
			r->cmos[idx] &= (uint8_t)~RTC_B_UIE; /* the chip clears UIE while SET */
		if (!(v & RTC_B_SET) && (old_b & RTC_B_SET))
			commit(r, now, 0);
		if ((v & RTC_B_PIE) && !(old_b & RTC_B_PIE))
			r->next_pf_ns = now + period_ns(r);
		update_irq(r);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		return; /* read-only */
	default:
		r->cmos[idx] = v;
		return;
	}
	pthread_cond_signal(&r->cond);
}

static void bad_access(struct rtc *r, uint64_t addr, uint32_t len)
{
	atomic_fetch_add(&r->nr_bad, 1);
	if (!r->warned) {
		r->warned = true;
		pr_warn("rtc: %u-byte access to port 0x%llx refused (1-byte only; counted, "
			"further ones not logged)",
			len, (unsigned long long)addr);
	}
}

static int rtc_io(uint32_t cpu, uint64_t addr, void *data, uint32_t len, bool is_write,
		  void *opaque)
{
	struct rtc *r = opaque;
	uint8_t *b = data;

	pthread_mutex_lock(&r->lock);
	if (len != 1) {
		bad_access(r, addr, len);
		pthread_mutex_unlock(&r->lock);
		return -EINVAL;
	}
	if (addr == RTC_INDEX_PORT) {
		if (is_write)
			r->index = *b;
		else
			*b = r->index;
	} else if (is_write) {
		write_reg(r, r->index & 0x7f, *b);
	} else {
		*b = read_reg(r, r->index & 0x7f);
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Wait for the next second (UF, AF) or periodic tick (PF) and set flags. */
static void *rtc_thread(void *arg)
{
	struct rtc *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		int64_t now = host_ns(), g = now + r->offset_ns;
		int64_t next_sec = (floor_div(g, NS) + 1) * NS - r->offset_ns;
		int64_t p = period_ns(r), when = next_sec;
		bool pie = (r->cmos[RTC_REG_B] & RTC_B_PIE) && p;
		struct timespec ts;

		if (pie && r->next_pf_ns < when)
			when = r->next_pf_ns;
		ts.tv_sec = when / NS;
		ts.tv_nsec = when % NS;
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) != ETIMEDOUT || r->stop)
			continue; /* a register changed: recompute */
		now = host_ns();
		if (pie && now >= r->next_pf_ns) {
			r->cmos[RTC_REG_C] |= RTC_C_PF;
			r->next_pf_ns += p;
			if (r->next_pf_ns <= now) /* fell behind: drop ticks, no burst */
				r->next_pf_ns = now + p;
		}
		if (now >= next_sec && !(r->cmos[RTC_REG_B] & RTC_B_SET)) {
			r->cmos[RTC_REG_C] |= RTC_C_UF;
			latch(r, now + r->offset_ns);
			if (alarm_match(r))
				r->cmos[RTC_REG_C] |= RTC_C_AF;
		}
		update_irq(r);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void fill_cmos(struct rtc *r, const struct memmap *map, const struct ssivm_config *cfg)
{
	uint64_t low = 0, high = 0, ext_kb, above16m, above4g;

	r->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->cmos[0x15] = 640 & 0xff; /* base memory: 640 KiB */
	r->cmos[0x16] = 640 >> 8;
	if (cfg && cfg->nr_vcpus)
		r->cmos[0x5f] = (uint8_t)(cfg->nr_vcpus - 1 > 255 ? 255 : cfg->nr_vcpus - 1);
	if (!map)
		return;
	for (uint32_t i = 0; i < map->nr_ranges; i++) {
		const struct mem_range *mr = &map->ranges[i];

		if (mr->gpa >= MEMMAP_4G)
			high += mr->size;
		else
			low = mr->gpa + mr->size > low ? mr->gpa + mr->size : low;
	}
	ext_kb = low > (1 << 20) ? (low - (1 << 20)) >> 10 : 0; /* KiB above 1 MiB */
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext_kb;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext_kb >> 8);
	above16m = low > (16 << 20) ? (low - (16 << 20)) >> 16 : 0; /* 64 KiB units */
	if (above16m > 0xffff)
		above16m = 0xffff;
	r->cmos[0x34] = (uint8_t)above16m;
	r->cmos[0x35] = (uint8_t)(above16m >> 8);
	above4g = high >> 16;
	r->cmos[0x5b] = (uint8_t)above4g;
	r->cmos[0x5c] = (uint8_t)(above4g >> 8);
	r->cmos[0x5d] = (uint8_t)(above4g >> 16);
}

int rtc_attach(struct machine *m, struct rtc **out)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->m = m;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	fill_cmos(r, m->map, m->cfg);
	r->last_c_ns = host_ns();
	ret = machine_pio_register(m, RTC_INDEX_PORT, 2, rtc_io, r, "rtc");
	if (ret) {
		pr_err("rtc: cannot claim ports 0x%x-0x%x (%d)", RTC_INDEX_PORT, RTC_DATA_PORT,
		       ret);
		free(r);
		return ret;
	}
	ret = -pthread_create(&r->thread, NULL, rtc_thread, r);
	if (ret) {
		pr_err("rtc: cannot start its thread (%d)", ret);
		io_bus_unregister(m->pio, RTC_INDEX_PORT);
		free(r);
		return ret;
	}
	r->thread_up = true;
	*out = r;
	return 0;
}

void rtc_detach(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->thread_up)
		pthread_join(r->thread, NULL);
	io_bus_unregister(r->m->pio, RTC_INDEX_PORT);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

uint64_t rtc_nr_bad(const struct rtc *r)
{
	return atomic_load(&((struct rtc *)r)->nr_bad);
}

uint64_t rtc_nr_irqs(const struct rtc *r)
{
	return atomic_load(&((struct rtc *)r)->nr_irqs);
}

static struct rtc *the_rtc;

static int rtc_init(struct machine *m)
{
	return rtc_attach(m, &the_rtc);
}

static void rtc_exit(struct machine *m)
{
	rtc_detach(the_rtc);
	the_rtc = NULL;
}

DEVICE_INIT("rtc", DEVICE_LEVEL_DEV, rtc_init, rtc_exit)
