// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest/tools/memtouch.c — runs inside the guest (static binary in the
 * initramfs): does the guest's free RAM really hold what is written to it?
 *
 *   memtouch [PERCENT]   (default 92)
 *
 * 1. Reads MemFree and MemAvailable from /proc/meminfo, before allocating.
 * 2. Maps PERCENT of MemFree (anonymous, private) and writes every 64-bit
 *    word through a volatile pointer with a pattern that depends on the
 *    word's index and on a seed taken at run time (so neither the compiler
 *    nor a page that happens to hold an old pattern can satisfy the check).
 * 3. Measures what the kernel now backs: the process's VmRSS and MemFree
 *    again, while the memory is still held.
 * 4. Reads every word back through a volatile pointer, counts the words that
 *    hold their pattern (verified) and prints the first mismatches.
 * 5. Prints one parseable line; the percentage is verified bytes over the
 *    MemFree measured in step 1, not over what was asked for:
 *   SSIVM-CHECK memtouch memfree_kb=N memavailable_kb=N requested_bytes=N
 *       verified_bytes=N errors=N verified_pct_of_free=P.P rss_kb=N
 *       memfree_after_kb=N write_ms=N verify_ms=N result=ok|FAIL
 *    and on a mismatch also, before it, up to 8 lines
 *   SSIVM-CHECK memtouch-mismatch word=N offset=0xN expected=0xN got=0xN
 *    and after it "SSIVM-CHECK memtouch FAILED: ..." naming the reason.
 * Exit status 0 only when every word requested read back correct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPORTED 8

/* The value of @key (in kB) from /proc/meminfo ("MemFree", ...), or -1. */
static long meminfo_kb(const char *file, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long kb = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			kb = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t pattern(uint64_t seed, uint64_t i)
{
	uint64_t x = (i + seed) * 0x9E3779B97F4A7C15ULL;

	return x ^ (x >> 29) ^ 0x55AA55AA55AA55AAULL;
}

static void failed(const char *why)
{
	printf("SSIVM-CHECK memtouch FAILED: %s\n", why);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double percent = argc > 1 ? atof(argv[1]) : 92.0;
	long free_kb = meminfo_kb("/proc/meminfo", "MemFree");
	long avail_kb = meminfo_kb("/proc/meminfo", "MemAvailable");
	uint64_t bytes, words, errors = 0, verified = 0, seed;
	long rss_kb, free_after_kb;
	volatile uint64_t *p;
	struct timespec ts;
	double t0, t1, t2;
	char why[160];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (free_kb <= 0 || avail_kb < 0) {
		failed("no MemFree/MemAvailable in /proc/meminfo");
		return 1;
	}
	if (!(percent > 0 && percent <= 100)) {
		failed("PERCENT must be in (0, 100]");
		return 1;
	}
	bytes = (uint64_t)((double)free_kb * 1024 * percent / 100.0) & ~4095ULL;
	words = bytes / sizeof(uint64_t);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(why, sizeof(why), "mmap of %llu bytes (%.1f%% of MemFree %ld kB) failed",
			 (unsigned long long)bytes, percent, free_kb);
		failed(why);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);

	t0 = now_ms();
	for (uint64_t i = 0; i < words; i++)
		p[i] = pattern(seed, i);
	t1 = now_ms();
	rss_kb = meminfo_kb("/proc/self/status", "VmRSS");
	free_after_kb = meminfo_kb("/proc/meminfo", "MemFree");
	for (uint64_t i = 0; i < words; i++) {
		uint64_t want = pattern(seed, i), got = p[i];

		if (got == want) {
			verified++;
			continue;
		}
		if (errors++ < MAX_REPORTED)
			printf("SSIVM-CHECK memtouch-mismatch word=%llu offset=0x%llx "
			       "expected=0x%016llx got=0x%016llx\n",
			       (unsigned long long)i, (unsigned long long)(i * sizeof(uint64_t)),
			       (unsigned long long)want, (unsigned long long)got);
	}
	t2 = now_ms();
	verified *= sizeof(uint64_t);
	printf("SSIVM-CHECK memtouch memfree_kb=%ld memavailable_kb=%ld requested_bytes=%llu "
	       "verified_bytes=%llu errors=%llu verified_pct_of_free=%.1f rss_kb=%ld "
	       "memfree_after_kb=%ld write_ms=%.0f verify_ms=%.0f result=%s\n",
	       free_kb, avail_kb, (unsigned long long)bytes, (unsigned long long)verified,
	       (unsigned long long)errors, 100.0 * (double)verified / (free_kb * 1024.0), rss_kb,
	       free_after_kb, t1 - t0, t2 - t1, errors || verified != bytes ? "FAIL" : "ok");
	munmap((void *)p, bytes);
	if (errors) {
		snprintf(why, sizeof(why), "%llu of %llu words read back wrong",
			 (unsigned long long)errors, (unsigned long long)words);
		failed(why);
		return 1;
	}
	return 0;
}
