// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/tools/memtouch.c — runs inside the guest (static binary in the
 * initramfs). Allocates PERCENT (default 92) of MemFree, writes a pattern
 * that depends on every word's position, reads it all back, and prints one
 * parseable line:
 *   SSIVM-CHECK memtouch memfree_kb=N bytes=N percent=P.P errors=N write_ms=N verify_ms=N result=ok|FAIL
 * Exit status 0 only when every word read back correct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static long memfree_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t pattern(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;

	return x ^ (x >> 29) ^ 0x55AA55AA55AA55AAULL;
}

int main(int argc, char **argv)
{
	double percent = argc > 1 ? atof(argv[1]) : 92.0;
	long free_kb = memfree_kb();
	uint64_t bytes, words, errors = 0;
	uint64_t *p;
	double t0, t1, t2;

	if (free_kb <= 0 || percent <= 0 || percent > 100) {
		printf("SSIVM-CHECK memtouch result=FAIL reason=bad-meminfo-or-percent\n");
		return 1;
	}
	bytes = (uint64_t)((double)free_kb * 1024 * percent / 100.0) & ~4095ULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("SSIVM-CHECK memtouch memfree_kb=%ld bytes=%llu result=FAIL reason=mmap\n",
		       free_kb, (unsigned long long)bytes);
		return 1;
	}
	words = bytes / 8;
	t0 = now_ms();
	for (uint64_t i = 0; i < words; i++)
		p[i] = pattern(i);
	t1 = now_ms();
	for (uint64_t i = 0; i < words; i++)
		if (p[i] != pattern(i))
			errors++;
	t2 = now_ms();
	printf("SSIVM-CHECK memtouch memfree_kb=%ld bytes=%llu percent=%.1f errors=%llu "
	       "write_ms=%.0f verify_ms=%.0f result=%s\n",
	       free_kb, (unsigned long long)bytes, 100.0 * bytes / (free_kb * 1024.0),
	       (unsigned long long)errors, t1 - t0, t2 - t1, errors ? "FAIL" : "ok");
	munmap(p, bytes);
	return errors ? 1 : 0;
}
