#!/bin/bash
# tests/multiproc/dsm-fault-bench-smoke.sh — bench/dsm_fault.sh still runs:
# five nodes over shared memory, few faults, every scenario and floor must
# print its line (a broken benchmark is found here, not when figures are due).
# Exit 77 (reason last) when it cannot run here.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp /tmp/dsm-bench-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
DSM_BENCH_ARGS="--pages 200 --floor-faults 1000 --rtt-iters 500" \
	"$here/bench/dsm_fault.sh" shm 5 0 >"$out" 2>&1
rc=$?
cat "$out"
[ $rc = 77 ] && { tail -n 1 "$out"; exit 77; }
[ $rc = 0 ] || { echo "FAIL: bench/dsm_fault.sh exited $rc"; exit 1; }
for line in "floor: uffd round trip (busy)" "floor: uffd round trip (poll)" \
	"floor: uffd round trip (one CPU)" "floor: transport 4 KiB req/resp" \
	"floor: transport, blocking (epoll)" "floor: sum" "dsm read (" "dsm write-0 (" \
	"dsm write-1 (" "dsm write-3 (" "dsm read-par x4 (" "dsm write-par x4 ("; do
	grep -qF "$line" "$out" || { echo "FAIL: no '$line' line"; exit 1; }
done
echo "PASS: every scenario and floor reported"
