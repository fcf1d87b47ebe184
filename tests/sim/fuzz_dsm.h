/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/sim/fuzz_dsm.h — the DSM message fuzz target (fuzz_dsm_recv.c) as
 * its seeded driver (fuzz_dsm_main.c) sees it. Single-threaded.
 */
#ifndef SSIVM_TESTS_SIM_FUZZ_DSM_H
#define SSIVM_TESTS_SIM_FUZZ_DSM_H

#include <stddef.h>
#include <stdint.h>

#include "dsm/msg.h"

#define DSM_FUZZ_REC 40 /* bytes per record: to, from, flags, 37 message bytes */

/* One input (records of DSM_FUZZ_REC bytes). Returns 0; on a violation of
 * the oracle it prints it and the input, and exits 1 (aborts under
 * libFuzzer). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Up to max real messages of the scenario, encoded, as starting points for
 * a mutator; returns how many. Resets the counters of dsm_fuzz_report(). */
unsigned dsm_fuzz_samples(uint8_t (*out)[DSM_MSG_SIZE], unsigned max);

/* What the inputs so far exercised, on stdout. */
void dsm_fuzz_report(void);

#endif
