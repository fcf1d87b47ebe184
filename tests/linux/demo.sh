#!/bin/bash
# tests/linux/demo.sh — the README's demo (scripts/demo) as a user runs it:
# it must end with status 0 and print what the guest saw of the topology the
# demo configures (one guest across 2 ssivm nodes: 2 CPUs online, NUMA node 0
# with CPUs 0-1 on host 0, node 1 memory-only on host 1, distances 10,20 /
# 20,10, SRAT, SLIT and HMAT among the ACPI tables), and both nodes' DSM
# figures (node 1, the home of NUMA node 1's RAM, served node 0's requests:
# the guest's RAM spans the nodes).
# Exit 77 (reason last) when neither KVM nor the KVM sandbox can run here.
set -u
cd "$(dirname "$0")/../.."
out=$(mktemp /tmp/ssivm-demo.XXXXXX)
trap 'rm -f "$out"' EXIT
scripts/demo >"$out" 2>&1
rc=$?
cat "$out"
if [ $rc = 77 ]; then
	echo "the demo could not run here: $(grep -v '^\s*$' "$out" | tail -n 1)"
	exit 77
fi
fail() {
	echo "FAIL: $*"
	exit 1
}
[ $rc = 0 ] || fail "scripts/demo exited $rc"
summary=$(sed -n '/^== what the guest saw/,$p' "$out")
[ -n "$summary" ] || fail "the demo printed no summary of what the guest saw"
grep -q 'CPUs:  *online=0-1 ' <<<"$summary" || fail "the guest did not report CPUs 0-1 online"
grep -q 'NUMA node:   id=0 cpulist=0-1 .*distance=10,20' <<<"$summary" || fail "node 0 missing or wrong"
grep -q 'NUMA node:   id=1 cpulist= .*distance=20,10' <<<"$summary" || fail "node 1 missing or wrong"
grep -qE '^  node 1: [0-9]+ DSM messages sent, [1-9][0-9]* received' <<<"$summary" ||
	fail "node 1 (the home of NUMA node 1's RAM) got no DSM request: the guest did not span the nodes"
grep -qE '^  node 0: faults [1-9]' <<<"$summary" || fail "no figures from node 0"
tables=$(sed -n 's/.*ACPI tables: //p' <<<"$summary")
for t in SRAT SLIT HMAT; do
	[[ ",$tables," == *",$t,"* ]] || fail "ACPI table $t not seen by the guest ($tables)"
done
grep -q '^== ssivm exited with status 0' "$out" || fail "no final status line"
echo "PASS: the demo booted one guest across two ssivm nodes and showed its two NUMA nodes"
