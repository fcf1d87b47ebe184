/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/multiproc/tp_evil.h — the misbehaving peer of the transport tests.
 *
 * tp_evil_send_all() sends, to every other node, one of each kind of
 * malformed message (truncated, bad magic/version/type/flags, length
 * mismatches, oversize, page flag without page, wrong source/destination,
 * replayed sequence) plus TP_EVIL_GARBAGE random blobs, in between one valid
 * no-op message. tp_evil_expected() gives the per-reason rejection counts a
 * victim must end up with. Same thread rules as transport.h.
 */
#ifndef SSIVM_TESTS_TP_EVIL_H
#define SSIVM_TESTS_TP_EVIL_H

#include <stdint.h>

#include "transport/transport.h"

#define TP_EVIL_GARBAGE 64

/* The application header of tp-node messages (shared with the evil peer). */
enum { PP_PING = 1, PP_PONG, PP_DONE, PP_NOP, PP_STOP };

struct pp_hdr {
	uint32_t kind, from;
	uint64_t id;
	uint32_t plen, has_page;
};

/* Returns 0 or the first -errno of transport_send_raw. */
int tp_evil_send_all(struct transport *t, uint32_t self, uint32_t nr_nodes);
void tp_evil_expected(uint64_t want[TRANSPORT_REJ_NR]);

#endif
