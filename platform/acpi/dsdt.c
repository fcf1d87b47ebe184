// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform/acpi/dsdt.c — the DSDT's AML, encoded by hand. It holds:
 *
 *   Name (\_S5, Package (4) { 5, 5, 0, 0 })     soft-off: SLP_TYP = 5
 *   Scope (\_SB) {
 *     Device (COM1) {
 *       Name (_HID, EisaId ("PNP0501"))         16550-compatible UART
 *       Name (_UID, One)
 *       Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x3F8, 0x3F8, 0x01, 0x08)
 *         IRQNoFlags () { 4 }
 *       })
 *     }
 *     Device (PCI0) {                           the PCI host bridge (devices/pci.h)
 *       Name (_HID, EisaId ("PNP0A08"))         PCI Express root bridge
 *       Name (_CID, EisaId ("PNP0A03"))         PCI root bridge
 *       Name (_SEG, Zero)
 *       Name (_BBN, Zero)
 *       Name (_UID, Zero)
 *       Name (_CRS, ResourceTemplate () {
 *         WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                        0, 0, 0, 0, 1)             bus 0 only
 *         IO (Decode16, 0xCF8, 0xCF8, 0x01, 0x08)   the type-1 ports
 *         WordIO (..., 0, 0x0000, 0x0CF7, 0, 0x0CF8)
 *         WordIO (..., 0, 0x0D00, 0xFFFF, 0, 0xF300)
 *         DWordMemory (..., NonCacheable, ReadWrite,
 *                      0, 0xC0000000, 0xDFFFFFFF, 0, 0x20000000)  the BAR window
 *       })
 *     }
 *   }
 *
 * PCI0 has no _PRT: the devices interrupt with MSI-X only (docs/pci.md).
 */
#include <errno.h>
#include <string.h>

#include "platform/acpi/acpi.h"
#include "platform/acpi/tables.h"

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_DWORD_PREFIX 0x0C
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT_PREFIX 0x5B
#define AML_DEVICE 0x82
#define AML_ROOT_CHAR '\\'

struct aml {
	uint8_t *p;
	size_t len, room;
	int err;
};

static void aml_bytes(struct aml *a, const void *b, size_t n)
{
	if (a->len + n > a->room) {
		a->err = -ENOSPC;
		return;
	}
	memcpy(a->p + a->len, b, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* PkgLength of @body bytes that follow it: 1 to 4 bytes (ACPI 6.3, 20.2.4). */
static size_t aml_pkglen(uint8_t out[4], size_t body)
{
	size_t total;

	if (body + 1 < 0x40) {
		out[0] = (uint8_t)(body + 1);
		return 1;
	}
	for (size_t n = 2; n <= 4; n++) {
		total = body + n;
		if (total < (1UL << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xF));
			for (size_t i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

/* Emit @op (1 or 2 bytes), PkgLength, then the bytes of @body. */
static void aml_pkg(struct aml *a, const uint8_t *op, size_t oplen, const struct aml *body)
{
	uint8_t pl[4];
	size_t n = aml_pkglen(pl, body->len);

	if (body->err || !n) {
		a->err = body->err ? body->err : -E2BIG;
		return;
	}
	aml_bytes(a, op, oplen);
	aml_bytes(a, pl, n);
	aml_bytes(a, body->p, body->len);
}

static void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, AML_NAME);
	aml_bytes(a, seg, strlen(seg));
}

/* EISA id "PNP0501": three compressed letters, four hex digits. */
static uint32_t aml_eisaid(const char *id)
{
	uint16_t letters =
	    (uint16_t)(((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40));
	uint8_t b[4];
	uint32_t v;

	b[0] = (uint8_t)(letters >> 8);
	b[1] = (uint8_t)letters;
	for (int i = 0; i < 2; i++) {
		char hi = id[3 + 2 * i], lo = id[4 + 2 * i];
		int h = hi <= '9' ? hi - '0' : hi - 'A' + 10;
		int l = lo <= '9' ? lo - '0' : lo - 'A' + 10;

		b[2 + i] = (uint8_t)(h << 4 | l);
	}
	memcpy(&v, b, 4);
	return v;
}

static void aml_com1(struct aml *a)
{
	const uint8_t crs[] = {/* IO port descriptor: decode16, min, max, alignment, length */
			       0x47, 0x01, ACPI_COM1_PORT & 0xFF, ACPI_COM1_PORT >> 8,
			       ACPI_COM1_PORT & 0xFF, ACPI_COM1_PORT >> 8, 0x01, 0x08,
			       /* IRQ descriptor without flags: mask of IRQ lines */
			       0x22, 1 << ACPI_COM1_IRQ, 0x00,
			       /* end tag, checksum 0 = not checked */
			       0x79, 0x00};
	const uint8_t dev_op[] = {AML_EXT_PREFIX, AML_DEVICE}, buf_op[] = {AML_BUFFER};
	uint8_t dbuf[128], bbuf[32];
	struct aml dev = {.p = dbuf, .room = sizeof(dbuf)};
	struct aml buf = {.p = bbuf, .room = sizeof(bbuf)};
	uint32_t hid = aml_eisaid("PNP0501");

	aml_bytes(&dev, "COM1", 4);
	aml_name(&dev, "_HID");
	aml_byte(&dev, AML_DWORD_PREFIX);
	aml_bytes(&dev, &hid, 4);
	aml_name(&dev, "_UID");
	aml_byte(&dev, AML_ONE);
	aml_name(&dev, "_CRS");
	aml_byte(&buf, AML_BYTE_PREFIX);
	aml_byte(&buf, sizeof(crs));
	aml_bytes(&buf, crs, sizeof(crs));
	aml_pkg(&dev, buf_op, 1, &buf);
	aml_pkg(a, dev_op, 2, &dev);
}

/* A Word Address Space descriptor (ACPI 6.3, 6.4.3.5.3): producer, min and
 * max fixed, positive decode; @type 1 = I/O (@tflags 3: entire range), 2 = bus. */
static void crs_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint16_t f[5] = {0, min, max, 0, (uint16_t)(max - min + 1)};

	aml_byte(a, 0x88);
	aml_byte(a, 13);
	aml_byte(a, 0);
	aml_byte(a, type);
	aml_byte(a, 0x0C);
	aml_byte(a, tflags);
	aml_bytes(a, f, sizeof(f));
}

/* A DWord Address Space descriptor for memory: read-write, non-cacheable. */
static void crs_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	uint32_t f[5] = {0, min, max, 0, max - min + 1};

	aml_byte(a, 0x87);
	aml_byte(a, 23);
	aml_byte(a, 0);
	aml_byte(a, 0); /* memory */
	aml_byte(a, 0x0C);
	aml_byte(a, 0x01); /* read-write */
	aml_bytes(a, f, sizeof(f));
}

static void aml_name_int(struct aml *a, const char *seg, uint32_t v)
{
	aml_name(a, seg);
	if (v <= 1) {
		aml_byte(a, (uint8_t)v);
	} else {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_bytes(a, &v, 4);
	}
}

static void aml_pci0(struct aml *a)
{
	const uint8_t dev_op[] = {AML_EXT_PREFIX, AML_DEVICE}, buf_op[] = {AML_BUFFER};
	const uint8_t cfg_io[] = {0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08};
	uint8_t dbuf[192], bbuf[128], rbuf[100];
	struct aml dev = {.p = dbuf, .room = sizeof(dbuf)};
	struct aml buf = {.p = bbuf, .room = sizeof(bbuf)};
	struct aml res = {.p = rbuf, .room = sizeof(rbuf)};

	crs_word(&res, 2, 0, 0, 0);
	aml_bytes(&res, cfg_io, sizeof(cfg_io));
	crs_word(&res, 1, 3, 0x0000, 0x0CF7);
	crs_word(&res, 1, 3, 0x0D00, 0xFFFF);
	crs_dword_mem(&res, (uint32_t)MEMMAP_PCI_MMIO_START,
		      (uint32_t)(MEMMAP_PCI_MMIO_START + MEMMAP_PCI_MMIO_SIZE - 1));
	aml_byte(&res, 0x79); /* end tag */
	aml_byte(&res, 0x00);

	aml_bytes(&dev, "PCI0", 4);
	aml_name_int(&dev, "_HID", aml_eisaid("PNP0A08"));
	aml_name_int(&dev, "_CID", aml_eisaid("PNP0A03"));
	aml_name_int(&dev, "_SEG", 0);
	aml_name_int(&dev, "_BBN", 0);
	aml_name_int(&dev, "_UID", 0);
	aml_name(&dev, "_CRS");
	aml_byte(&buf, AML_BYTE_PREFIX);
	aml_byte(&buf, (uint8_t)res.len);
	aml_bytes(&buf, res.p, res.len);
	if (res.err)
		buf.err = res.err;
	aml_pkg(&dev, buf_op, 1, &buf);
	aml_pkg(a, dev_op, 2, &dev);
}

int acpi_build_dsdt(const struct ssivm_config *cfg, void *t, size_t room)
{
	struct acpi_header *h = t;
	struct aml a = {.p = t, .len = sizeof(*h), .room = room};
	const uint8_t pkg_op[] = {AML_PACKAGE}, scope_op[] = {AML_SCOPE};
	uint8_t sbuf[64], sbbuf[320];
	struct aml s5 = {.p = sbuf, .room = sizeof(sbuf)};
	struct aml sb = {.p = sbbuf, .room = sizeof(sbbuf)};

	if (room < sizeof(*h))
		return -ENOSPC;
	/* Name (\_S5, Package (4) { SLP_TYPa, SLP_TYPb, reserved, reserved }) */
	aml_byte(&a, AML_NAME);
	aml_byte(&a, AML_ROOT_CHAR);
	aml_bytes(&a, "_S5_", 4);
	aml_byte(&s5, 4); /* NumElements */
	aml_byte(&s5, AML_BYTE_PREFIX);
	aml_byte(&s5, ACPI_SLP_TYP_S5);
	aml_byte(&s5, AML_BYTE_PREFIX);
	aml_byte(&s5, ACPI_SLP_TYP_S5);
	aml_byte(&s5, AML_ZERO);
	aml_byte(&s5, AML_ZERO);
	aml_pkg(&a, pkg_op, 1, &s5);

	/* Scope (\_SB) { Device (COM1) { ... } Device (PCI0) { ... } } */
	aml_byte(&sb, AML_ROOT_CHAR);
	aml_bytes(&sb, "_SB_", 4);
	aml_com1(&sb);
	aml_pci0(&sb);
	aml_pkg(&a, scope_op, 1, &sb);
	if (a.err)
		return a.err;
	acpi_fill_header(h, "DSDT", (uint32_t)a.len, 2);
	return (int)a.len;
}
