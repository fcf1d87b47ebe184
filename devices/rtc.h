/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devices/rtc.h — the MC146818 real-time clock and CMOS memory at ports
 * 0x70 (index; bit 7 = NMI mask, read back as written) and 0x71 (data).
 *
 * Time registers 0-9 and the century byte (0x32) are the host's
 * CLOCK_REALTIME (UTC) plus an offset the guest sets by writing them (with
 * or without register B's SET bit). Register B selects BCD or binary
 * (DM) and 12 or 24 hours; register A's UIP bit is 1 during the last
 * RTC_UIP_NS of every second, before the registers change, as on the chip.
 * Register C (IRQF, PF, AF, UF) is cleared by reading it, register D reads
 * VRT (valid RAM and time). CMOS bytes 0x0e-0x7f are RAM; the memory-size
 * bytes firmware reads are filled from the RAM layout at attach
 * (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5b-0x5d, and 0x5f = vCPUs - 1, as
 * QEMU and SeaBIOS define them).
 *
 * IRQ 8: update-ended, alarm (with don't-care bytes 0xc0-0xff) and
 * periodic interrupts (rate from register A), raised when a flag and its
 * enable are both set, lowered when the guest reads register C. One thread
 * per RTC waits for the next second or periodic tick.
 *
 * Accesses other than 1 byte are refused (counted in nr_bad, -EINVAL: the
 * bus reads them as all ones). Handlers lock the RTC: any vCPU thread.
 */
#ifndef SSIVM_DEVICES_RTC_H
#define SSIVM_DEVICES_RTC_H

#include <stdint.h>

#include "devices/machine.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_IRQ 8
#define RTC_CENTURY 0x32  /* CMOS byte of the century, named in the FADT */
#define RTC_UIP_NS 244000 /* UIP is set this long before each second's update */

#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_DM 0x04 /* 1 = binary, 0 = BCD */
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80

struct rtc;

/*
 * Claim the ports on @m, fill CMOS from m->map and m->cfg (either may be
 * NULL: the size bytes then stay 0), start the interrupt thread.
 * 0 or -errno. Main thread.
 */
int rtc_attach(struct machine *m, struct rtc **out);
/* Stop the thread, release the ports, free. */
void rtc_detach(struct rtc *r);
/* Accesses refused so far (wrong width). */
uint64_t rtc_nr_bad(const struct rtc *r);
/* Interrupts raised so far. */
uint64_t rtc_nr_irqs(const struct rtc *r);

#endif
