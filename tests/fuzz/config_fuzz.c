// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target of the configuration reader: the file reader
 * (config/config_source.c + libconfig + config/config_file.c), the flags and
 * their --numa/--hmat specs (config/config_args.c, config_values.c) and the
 * validator (config/config_validate.c).
 *
 * Input: the text of a configuration file up to the first NUL byte (no
 * --config when it is empty), then a command line: arguments separated by
 * spaces or newlines (at most 62). The file is a memfd read through
 * /proc/self/fd/N, so it is a regular file as --config requires. Beyond "no
 * crash, no memory error, no undefined behaviour" (ASan, UBSan), an accepted
 * configuration must keep what the validator promises: 1..256 vCPUs, 1..64
 * dense nodes, node sizes multiples of 2 MiB with a sum that neither wraps
 * nor exceeds what one host maps, every vCPU in exactly one node, distances
 * 10 on the diagonal, 11..254 elsewhere and symmetric, HMAT entries between
 * existing nodes with an initiator that has vCPUs, and a memory layout that
 * memmap_build() accepts with exactly the configured RAM.
 *
 * Build: make fuzz-config (clang -fsanitize=fuzzer,address,undefined).
 * Run:   build/fuzz/config_fuzz -close_fd_mask=2 CORPUS_DIR tests/fuzz/config_corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"
#include "platform/memmap.h"

#define MAX_ARGS 64

/* libconfig 1.5 leaks its string buffer on some syntax errors (see
 * tests/unit/config_test_util.h): not ssivm's leak. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_accepted(const struct ssivm_config *cfg)
{
	uint64_t total = 0;
	struct memmap map;

	check(cfg->nr_vcpus >= 1 && cfg->nr_vcpus <= SSIVM_MAX_VCPUS);
	check(cfg->nr_nodes >= 1 && cfg->nr_nodes <= SSIVM_MAX_NODES);
	for (uint32_t n = 0; n < cfg->nr_nodes; n++) {
		check(cfg->nodes[n].id == n);
		check(cfg->nodes[n].mem_bytes && cfg->nodes[n].mem_bytes % (2ULL << 20) == 0);
		check(!__builtin_add_overflow(total, cfg->nodes[n].mem_bytes, &total));
		for (uint32_t m = 0; m < cfg->nr_nodes; m++) {
			uint8_t d = cfg->distance[n][m];

			check(n == m ? d == SSIVM_DIST_LOCAL : d >= 11 && d <= 254);
			check(d == cfg->distance[m][n]);
		}
	}
	check(total == config_total_mem(cfg) && total <= (1ULL << 46));
	for (uint32_t c = 0; c < cfg->nr_vcpus; c++) {
		int owners = 0;

		for (uint32_t n = 0; n < cfg->nr_nodes; n++)
			for (uint32_t i = 0; i < cfg->nodes[n].nr_cpus; i++)
				owners += cfg->nodes[n].cpus[i] == c;
		check(owners == 1 && config_node_of_cpu(cfg, c) >= 0);
	}
	for (uint32_t k = 0; k < cfg->nr_hmat; k++) {
		const struct hmat_entry *e = &cfg->hmat[k];

		check(e->initiator < cfg->nr_nodes && e->target < cfg->nr_nodes);
		check(cfg->nodes[e->initiator].nr_cpus > 0);
		check(e->read_latency_ns || e->write_latency_ns || e->read_bandwidth_mbs ||
		      e->write_bandwidth_mbs);
	}
	check(memmap_build(cfg, &map) == 0 && map.ram_bytes == total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t flen = nul ? (size_t)(nul - data) : size;
	char *line = NULL, *argv[MAX_ARGS + 1], path[64], *save = NULL, *tok;
	struct ssivm_config *cfg = malloc(sizeof(*cfg));
	int argc = 0, fd = -1;

	check(cfg != NULL);
	argv[argc++] = (char *)"fuzz";
	if (flen) {
		fd = memfd_create("config", MFD_CLOEXEC);
		check(fd >= 0 && write(fd, data, flen) == (ssize_t)flen);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		argv[argc++] = (char *)"--config";
		argv[argc++] = path;
	}
	if (nul) {
		line = strndup((const char *)nul + 1, size - flen - 1);
		check(line != NULL);
		for (tok = strtok_r(line, " \n", &save); tok && argc < MAX_ARGS;
		     tok = strtok_r(NULL, " \n", &save))
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	config_init(cfg);
	if (!config_parse_args(cfg, argc, argv, NULL) && !config_validate_for(cfg, 0))
		check_accepted(cfg);
	config_free(cfg);
	free(cfg);
	free(line);
	if (fd >= 0)
		close(fd);
	return 0;
}
