#!/bin/bash
# tests/fuzz/config_fuzz.sh — a bounded libFuzzer run of the configuration
# reader (tests/fuzz/config_fuzz.c: file, flags, validator) over a copy of the
# seed corpus. SSIVM_FUZZ_SECONDS (default 8) bounds it; config_fuzz_long.sh
# (make check-e2e) runs it longer. Skips (77) when clang or its libFuzzer
# runtime is missing. A crash or a broken promise fails the test; the
# reproducer is left in the log directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SSIVM_BUILD:-build}
secs=${SSIVM_FUZZ_SECONDS:-8}
cd "$root" || exit 1
command -v clang >/dev/null 2>&1 || { echo "clang is not installed (needed for libFuzzer)"; exit 77; }
if ! out=$(make -s BUILD="$build" fuzz-config 2>&1); then
	echo "$out" | tail -n 5
	if echo "$out" | grep -q -e 'fuzzer' -e 'libclang_rt'; then
		echo "clang's libFuzzer runtime is missing (Debian: libclang-rt-14-dev)"
		exit 77
	fi
	echo "FAIL: building the fuzz target failed"
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/config-fuzz.XXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
logdir=${LOGDIR:-$build/test-logs}
mkdir -p "$logdir"
# -close_fd_mask=2: the reader's messages (every refusal prints one) stay out
# of the log; libFuzzer's own report still shows
"$build/fuzz/config_fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-max_len=8192 -close_fd_mask=2 -print_final_stats=1 \
	-artifact_prefix="$logdir/config-fuzz-" "$work/corpus" tests/fuzz/config_corpus 2>&1 |
	grep -v '^#[0-9]*	\(NEW\|REDUCE\|pulse\)'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { echo "FAIL: the fuzzer found a problem (exit $rc)"; exit 1; }
echo "PASS: $secs s of fuzzing, $(ls "$work/corpus" | wc -l) corpus entries, no crash"
