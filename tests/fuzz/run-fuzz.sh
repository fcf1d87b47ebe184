#!/bin/bash
# tests/fuzz/run-fuzz.sh NAME SECONDS MAX_LEN — a bounded libFuzzer run of
# build/fuzz/NAME (tests/fuzz/NAME.c) over a copy of its seed corpus
# tests/fuzz/NAME's corpus directory (NAME with _fuzz replaced by _corpus).
# SSIVM_FUZZ_SECONDS overrides SECONDS. Skips (77) when clang or its
# libFuzzer runtime is missing. A crash or a broken promise fails the test;
# the reproducer is left in the log directory.
set -u
name=$1 secs=${SSIVM_FUZZ_SECONDS:-$2} max_len=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SSIVM_BUILD:-build}
seeds=tests/fuzz/${name%_fuzz}_corpus
cd "$root" || exit 1
command -v clang >/dev/null 2>&1 || { echo "clang is not installed (needed for libFuzzer)"; exit 77; }
if ! out=$(make -s BUILD="$build" "$build/fuzz/$name" 2>&1); then
	echo "$out" | tail -n 5
	if echo "$out" | grep -q -e 'fuzzer' -e 'libclang_rt'; then
		echo "clang's libFuzzer runtime is missing (Debian: libclang-rt-14-dev)"
		exit 77
	fi
	echo "FAIL: building the fuzz target $name failed"
	exit 1
fi
[ -d "$seeds" ] || { echo "FAIL: no seed corpus $seeds"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
logdir=${LOGDIR:-$build/test-logs}
mkdir -p "$logdir"
"$build/fuzz/$name" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
	-max_len="$max_len" -print_final_stats=1 -artifact_prefix="$logdir/$name-" \
	"$work/corpus" "$seeds" 2>&1 | grep -v '^#[0-9]*	\(NEW\|REDUCE\|pulse\)'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { echo "FAIL: the fuzzer found a problem (exit $rc)"; exit 1; }
echo "PASS: $secs s of fuzzing $name, $(ls "$work/corpus" | wc -l) corpus entries, no crash"
