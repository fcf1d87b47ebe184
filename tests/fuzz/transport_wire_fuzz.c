// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target of the transport wire decoder (transport/wire.c).
 *
 * Input: 4 bytes of receiver expectations (self, nr_nodes, connection's
 * source or 0xff for any, lowest acceptable sequence number), then the bytes
 * of one message as received from a peer. Beyond "no crash, no read outside
 * the buffer" (AddressSanitizer), it checks what the decoder promises:
 * an accepted message has consistent lengths, pointers inside the input,
 * source/destination/sequence as expected, and re-encodes to exactly the
 * bytes received; a rejected one has a known reason and is counted once.
 *
 * Build: make fuzz-transport (clang -fsanitize=fuzzer,address,undefined).
 * Run:   build/fuzz/transport_wire_fuzz -max_total_time=30 CORPUS_DIR tests/fuzz/transport_wire_corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/wire.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[WIRE_MAX_SIZE];
	struct transport_stats st = {0};
	struct wire_expect e;
	struct wire_rx rx;
	struct wire_msg m;
	const uint8_t *msg;
	unsigned reason = ~0u;
	size_t n;
	uint8_t *copy;
	int rc;

	if (size < 4)
		return 0;
	e.self = data[0] % TRANSPORT_MAX_NODES;
	e.nr_nodes = 1 + data[1] % TRANSPORT_MAX_NODES;
	e.src = data[2] == 0xff ? WIRE_SRC_ANY : data[2] % TRANSPORT_MAX_NODES;
	e.min_seq = data[3];
	n = size - 4;
	/* an exact-size heap copy: ASan sees any read past the end */
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 4, n);
	msg = copy;

	rc = wire_decode(msg, n, &e, &m, &reason);
	if (rc == 0) {
		check(m.type == WIRE_T_MSG || m.type == WIRE_T_HEARTBEAT || m.type == WIRE_T_BYE);
		check(m.len <= TRANSPORT_MAX_MSG);
		check((m.type == WIRE_T_MSG) == (m.len > 0));
		check(n == wire_size(m.len, m.page != NULL));
		check(m.src < e.nr_nodes && m.src != e.self && m.dst == e.self);
		check(e.src == WIRE_SRC_ANY || m.src == e.src);
		check(m.seq >= 1 && m.seq >= e.min_seq);
		if (m.page)
			check((const uint8_t *)m.page == msg + WIRE_HDR_SIZE);
		if (m.len)
			check((const uint8_t *)m.msg >= msg &&
			      (const uint8_t *)m.msg + m.len == msg + n);
		/* what was accepted is exactly what the encoder makes of it */
		check(wire_encode(again, sizeof(again), m.type, m.src, m.dst, m.seq, m.msg, m.len,
				  m.page) == n);
		check(!memcmp(again, msg, n));
	} else {
		check(rc < 0 && reason < TRANSPORT_REJ_NR);
	}

	/* the receive-side bookkeeping agrees with the decoder */
	rx.node = e.src;
	rx.next_seq = e.min_seq;
	if (e.src != WIRE_SRC_ANY) {
		rc = wire_rx_accept(&rx, e.self, e.nr_nodes, &st, msg, n, &m, &reason);
		if (rc == 0) {
			check(rx.next_seq == m.seq + 1 && st.rejected_total == 0);
			check(st.msgs_recv + st.heartbeats_recv <= 1);
		} else {
			check(st.rejected_total == 1 && st.rejected[reason] == 1);
			check(st.msgs_recv == 0 && st.heartbeats_recv == 0);
		}
	}
	free(copy);
	return 0;
}
