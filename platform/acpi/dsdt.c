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
 *   }
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

int acpi_build_dsdt(const struct ssivm_config *cfg, void *t, size_t room)
{
	struct acpi_header *h = t;
	struct aml a = {.p = t, .len = sizeof(*h), .room = room};
	const uint8_t pkg_op[] = {AML_PACKAGE}, scope_op[] = {AML_SCOPE};
	uint8_t sbuf[64], sbbuf[160];
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

	/* Scope (\_SB) { Device (COM1) { ... } } */
	aml_byte(&sb, AML_ROOT_CHAR);
	aml_bytes(&sb, "_SB_", 4);
	aml_com1(&sb);
	aml_pkg(&a, scope_op, 1, &sb);
	if (a.err)
		return a.err;
	acpi_fill_header(h, "DSDT", (uint32_t)a.len, 2);
	return (int)a.len;
}
