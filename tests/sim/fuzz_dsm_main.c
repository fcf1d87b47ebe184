// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/sim/fuzz_dsm_main.c — seeded driver of the DSM message fuzz target
 * (fuzz_dsm_recv.c), for machines and runs without libFuzzer (make check):
 *
 *   dsm-fuzz [N]          N inputs (default 20000) of 1-8 records, each a
 *                         real message of the scenario with 0-3 bytes
 *                         mutated; the same N gives the same inputs
 *   dsm-fuzz --hex HEX    one input, as a violation report prints it
 *
 * Exit 0 when every input passed the oracle, 1 at the first violation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"
#include "tests/sim/fuzz_dsm.h"

#define REC DSM_FUZZ_REC

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	/* xorshift64 */
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int replay(const char *hex)
{
	static uint8_t in[REC * 64];
	size_t n = 0, len = strlen(hex);
	char byte[5] = "0x"; /* each pair of digits, read as 0xHH */
	uint64_t v;

	if (len % 2 || len / 2 > sizeof(in)) {
		fprintf(stderr,
			"dsm-fuzz: --hex wants an even number of hexadecimal digits, at most %zu "
			"(got %zu)\n",
			2 * sizeof(in), len);
		return 2;
	}
	for (; *hex; hex += 2) {
		memcpy(byte + 2, hex, 2);
		if (num_parse_u64(byte, 0, 255, &v)) {
			fprintf(stderr,
				"dsm-fuzz: --hex: '%s' at offset %zu is not a hexadecimal byte\n",
				byte + 2, 2 * n);
			return 2;
		}
		in[n++] = (uint8_t)v;
	}
	LLVMFuzzerTestOneInput(in, n);
	printf("dsm-fuzz: input of %zu bytes passed\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long iters = 20000;
	uint8_t samples[64][DSM_MSG_SIZE];
	uint8_t in[REC * 8];
	unsigned nsamples;

	if (argc > 1 && !strcmp(argv[1], "--hex")) {
		if (argc != 3) {
			fprintf(stderr, "usage: dsm-fuzz --hex HEX\n");
			return 2;
		}
		return replay(argv[2]);
	}
	if (argc > 2) {
		fprintf(stderr, "usage: dsm-fuzz [ITERATIONS] | dsm-fuzz --hex HEX\n");
		return 2;
	}
	if (argc > 1)
		iters =
		    (unsigned long)num_flag_u64("dsm-fuzz", "ITERATIONS", argv[1], 1, 1000000000);
	nsamples = dsm_fuzz_samples(samples, 64);
	if (!nsamples) {
		fprintf(stderr, "dsm-fuzz: the scenario sent no message\n");
		return 1;
	}
	for (unsigned long it = 0; it < iters; it++) {
		unsigned recs = 1 + (unsigned)(next() % 8);

		for (unsigned k = 0; k < recs; k++) {
			uint8_t *r = in + k * REC;
			r[0] = (uint8_t)next();
			r[1] = (uint8_t)next();
			r[2] = (uint8_t)(next() & 0xfd); /* mostly with a good CRC */
			if (next() % 16 == 0)
				r[2] |= 2;
			memcpy(r + 3, samples[next() % nsamples], REC - 3);
			for (unsigned f = next() % 4; f; f--) {
				unsigned at = 3 + (unsigned)(next() % (REC - 3));
				r[at] = next() % 2 ? (uint8_t)next()
						   : r[at] ^ (uint8_t)(1u << (next() % 8));
			}
		}
		LLVMFuzzerTestOneInput(in, recs * REC);
	}
	dsm_fuzz_report();
	return 0;
}
