// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target of the rendezvous hello decoder (transport/hello.c).
 *
 * Input: 4 bytes of receiver expectations (self, cluster size, tls setting,
 * and in the last byte: bit 0 a refusal may come, bits 1-7 the node we
 * connected to or 127 for "any higher id"), then the bytes received on one
 * rendezvous connection. When bit 7 of the tls byte is set, the target first
 * makes the frame's checksum right, so that mutations reach the checks behind
 * it instead of dying at the checksum. Beyond "no crash, no read outside the buffer"
 * (AddressSanitizer), it checks what the decoder promises:
 *  - "more" asks for more bytes than it got, never more than a frame can have;
 *  - an accepted frame lies inside the input, fits every expectation, needs
 *    exactly its own bytes (one fewer is "more"), and re-encodes to exactly
 *    the bytes received;
 *  - a refused one has a known reason, and its description is printable text
 *    (nothing of the peer's bytes reaches a log unfiltered).
 *
 * Build: make fuzz-transport (clang -fsanitize=fuzzer,address,undefined).
 * Run:   build/fuzz/transport_hello_fuzz -max_total_time=30 CORPUS_DIR tests/fuzz/transport_hello_corpus
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/hello.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const uint8_t *msg, size_t n, const struct rdv_expect *e,
			   const struct rdv_frame *f)
{
	static uint8_t again[RDV_MAX_FRAME];
	size_t len = RDV_HDR_SIZE + f->body_len, need;
	struct rdv_frame g;
	unsigned reason;

	check(len <= n && f->body == msg + RDV_HDR_SIZE);
	if (f->type == RDV_T_REFUSE) {
		check(e->refusal_ok && f->mode < TRANSPORT_HELLO_REJ_NR);
		check(f->body_len >= 1 && f->body_len <= RDV_MAX_TEXT);
		for (size_t i = 0; i < f->body_len; i++)
			check(f->body[i] >= 0x20 && f->body[i] < 0x7f);
		char t[RDV_MAX_TEXT + 1];

		memcpy(t, f->body, f->body_len);
		t[f->body_len] = 0;
		check(rdv_encode_refusal(again, sizeof(again), f->mode, f->src, f->dst, f->nr_nodes,
					 t) == len);
	} else {
		check(f->type == RDV_T_HELLO);
		check(f->nr_nodes == e->nr_nodes && f->mode == e->tls_mode && f->dst == e->self);
		check(f->src < e->nr_nodes && f->src != e->self);
		check(e->src == RDV_SRC_HIGHER ? f->src > e->self : f->src == e->src);
		check(f->body_len >= RDV_MIN_ADDR && f->body_len <= RDV_MAX_ADDR);
		check((f->body[0] & RDV_ADDR_FORMAT_MASK) < e->addr_formats);
		check(rdv_encode_hello(again, sizeof(again), f->mode, f->src, f->dst, f->nr_nodes,
				       f->body, f->body_len) == len);
	}
	check(!memcmp(again, msg, len));
	/* exactly its own bytes: one fewer is not enough, and the same result */
	check(rdv_decode(msg, len - 1, e, &g, &reason, &need) == RDV_MORE && need == len);
	check(rdv_decode(msg, len, e, &g, &reason, &need) == 0 && g.body_len == f->body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdv_expect e = {.addr_formats = 2};
	struct rdv_frame f;
	unsigned reason = ~0u;
	size_t n, need = 0;
	char text[256];
	uint8_t *copy;
	int rc;

	if (size < 4)
		return 0;
	e.self = data[0] % TRANSPORT_MAX_NODES;
	e.nr_nodes = 1 + data[1] % TRANSPORT_MAX_NODES;
	e.tls_mode = (data[2] & 0x7f) % 3;
	e.refusal_ok = data[3] & 1;
	e.src =
	    (data[3] >> 1) == 127 ? RDV_SRC_HIGHER : (uint32_t)(data[3] >> 1) % TRANSPORT_MAX_NODES;
	n = size - 4;
	/* an exact-size heap copy: ASan sees any read past the end */
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 4, n);
	if ((data[2] & 0x80) && n >= RDV_HDR_SIZE) {
		uint32_t body_len, crc;

		memcpy(&body_len, copy + RDV_OFF_BODY_LEN, 4);
		body_len = le32toh(body_len);
		if (body_len <= n - RDV_HDR_SIZE) {
			crc = htole32(rdv_crc32(rdv_crc32(0, copy, RDV_OFF_CRC),
						copy + RDV_HDR_SIZE, body_len));
			memcpy(copy + RDV_OFF_CRC, &crc, 4);
		}
	}

	rc = rdv_decode(copy, n, &e, &f, &reason, &need);
	if (rc == RDV_MORE) {
		check(need > n && need <= RDV_MAX_FRAME);
	} else if (rc == 0) {
		check_accepted(copy, n, &e, &f);
	} else {
		check((rc == -EBADMSG || rc == -EPROTO) && reason < TRANSPORT_HELLO_REJ_NR);
		check((rc == -EBADMSG) == (f.bad != RDV_BAD_NONE));
		rdv_describe(reason, &f, &e, text, sizeof(text));
		check(memchr(text, 0, sizeof(text)) != NULL);
		for (size_t i = 0; text[i]; i++)
			check(text[i] >= 0x20 && text[i] < 0x7f);
	}
	free(copy);
	return 0;
}
