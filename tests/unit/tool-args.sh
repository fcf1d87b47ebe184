#!/bin/bash
# tests/unit/tool-args.sh — the test tools and benchmarks refuse bad numbers.
#
# Feeds each numeric flag of dsm-node, dsm-evil, dsm-sim, dsm-fuzz,
# dsm-proto-cost, dsm-fault-bench and irq_bench junk, a negative value, an
# overflow and an out-of-range value (common/num.h): each must exit 2 at once
# with one line naming the program, the flag and the value, and start nothing.
# A few good values must still be taken (the runs are short). Exit 0 pass, 1 fail.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/bin
fail=0 n=0

# refused PROG "ARGS..." "EXPECTED MESSAGE LINE"
refused() {
	local prog=$1 args=$2 want=$3 out rc t0 ms
	n=$((n + 1))
	t0=$(date +%s%N)
	# shellcheck disable=SC2086  # ARGS is a list of words
	out=$(timeout 10 "$bin/$prog" $args 2>&1 </dev/null)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ $rc != 2 ]; then
		echo "FAIL: $prog $args: exit $rc, expected 2; output:"
		printf '%s\n' "$out" | head -n 5 | sed 's/^/    /'
		fail=1
	elif ! grep -qxF -- "$want" <<<"$out"; then
		echo "FAIL: $prog $args: no line '$want'; output:"
		printf '%s\n' "$out" | head -n 5 | sed 's/^/    /'
		fail=1
	elif [ $ms -gt 2000 ]; then
		echo "FAIL: $prog $args: took ${ms} ms to refuse (it started something?)"
		fail=1
	else
		echo "ok: $prog $args -> $want"
	fi
}

# taken PROG "ARGS..." : a good value, exit 0
taken() {
	local prog=$1 args=$2 out rc
	n=$((n + 1))
	# shellcheck disable=SC2086
	out=$(timeout 60 "$bin/$prog" $args 2>&1 </dev/null)
	rc=$?
	if [ $rc != 0 ]; then
		echo "FAIL: $prog $args: exit $rc, expected 0 (a good value); output:"
		printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
		fail=1
	else
		echo "ok: $prog $args taken"
	fi
}

for p in dsm-node dsm-evil dsm-sim dsm-fuzz dsm-proto-cost dsm-fault-bench irq_bench; do
	[ -x "$bin/$p" ] || { echo "FAIL: $bin/$p not built (make)"; exit 1; }
done

A="--addrs 127.0.0.1:1,127.0.0.1:2"
# dsm-node: the two cases of issue 10 first
refused dsm-node "--node 0 --nodes 2 $A --pages 99999999999999" \
	"dsm-node: --pages '99999999999999': out of range (expected 256..262144)"
refused dsm-node "--node 0 --nodes 2 $A --seconds -1" \
	"dsm-node: --seconds '-1': not a number (expected 0..86400)"
refused dsm-node "--node 0 --nodes 2 $A --pages 255" "dsm-node: --pages '255': out of range (expected 256..262144)"
refused dsm-node "--node 0 --nodes 2 $A --threads 3x" "dsm-node: --threads '3x': not a number (expected 1..4)"
refused dsm-node "--node 0 --nodes 2 $A --threads 0" "dsm-node: --threads '0': out of range (expected 1..4)"
refused dsm-node "--node abc --nodes 2 $A" "dsm-node: --node 'abc': not a number (expected 0..7)"
refused dsm-node "--node 0 --nodes 18446744073709551618 $A" \
	"dsm-node: --nodes '18446744073709551618': out of range (expected 1..8)"
refused dsm-node "--node 0 --nodes 2 $A --seed -3" \
	"dsm-node: --seed '-3': not a number (expected 0..18446744073709551615)"
refused dsm-node "--node 0 --nodes 2 $A --spin-us 1e3" "dsm-node: --spin-us '1e3': not a number (expected 0..1000000)"
refused dsm-node "--node 0 --nodes 2 $A --peer-timeout-ms 4294967296" \
	"dsm-node: --peer-timeout-ms '4294967296': out of range (expected 0..3600000)"
refused dsm-node "--node 0 --nodes 2 $A --barrier-timeout-ms 99" \
	"dsm-node: --barrier-timeout-ms '99': out of range (expected 100..3600000)"
refused dsm-node "--node 0 --nodes 2 $A --evil-node -1" "dsm-node: --evil-node '-1': not a number (expected 0..7)"
refused dsm-node "--node 0 --nodes 2 $A --evil-node 5" "dsm-node: --evil-node 5: not a node of 2"
refused dsm-node "--node 2 --nodes 2 $A" "dsm-node: --node 2: not a node of --nodes 2 (0..1)"

# --metrics: only a stale socket may be replaced; the file is left as it was
tmp=$(mktemp -d /tmp/tool-args.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "precious" >"$tmp/file"
mkdir "$tmp/dir"
ln -s "$tmp/file" "$tmp/link"
refused dsm-node "--node 0 --nodes 1 --addrs 127.0.0.1:1 --metrics $tmp/file" \
	"dsm-node: --metrics $tmp/file: a regular file (File exists); only a stale socket is replaced"
refused dsm-node "--node 0 --nodes 1 --addrs 127.0.0.1:1 --metrics $tmp/dir" \
	"dsm-node: --metrics $tmp/dir: a directory (File exists); only a stale socket is replaced"
refused dsm-node "--node 0 --nodes 1 --addrs 127.0.0.1:1 --metrics $tmp/link" \
	"dsm-node: --metrics $tmp/link: a symbolic link (File exists); only a stale socket is replaced"
if [ "$(cat "$tmp/file")" != precious ] || [ ! -d "$tmp/dir" ] || [ ! -L "$tmp/link" ]; then
	echo "FAIL: dsm-node --metrics changed what was at the path"
	fail=1
fi

refused dsm-evil "--node 1 --nodes 2 $A --seconds -1" "dsm-evil: --seconds '-1': not a number (expected 0..86400)"
refused dsm-evil "--node 1 --nodes 2 $A --pages 0" "dsm-evil: --pages '0': out of range (expected 1..262144)"
refused dsm-evil "--node 1 --nodes 2 $A --rate 99999999999999999999" \
	"dsm-evil: --rate '99999999999999999999': out of range (expected 1..1000000)"
refused dsm-evil "--node 1 --nodes 1 $A" "dsm-evil: --nodes '1': out of range (expected 2..8)"
refused dsm-evil "--node 3 --nodes 2 $A" "dsm-evil: --node 3: not a node of --nodes 2 (0..1)"

refused dsm-sim "--seeds 1-x" "dsm-sim: --seeds (last) 'x': not a number (expected 1..18446744073709551614)"
refused dsm-sim "--seeds 5-3" "dsm-sim: --seeds (last) '3': out of range (expected 5..18446744073709551614)"
refused dsm-sim "--seeds -5" "dsm-sim: --seeds '-5': not a number (expected 0..18446744073709551614)"
refused dsm-sim "--seeds 1--5" "dsm-sim: --seeds (last) '-5': not a number (expected 1..18446744073709551614)"
refused dsm-sim "--seeds 1-2 --nodes 6" "dsm-sim: --nodes '6': out of range (expected 2..5)"
refused dsm-sim "--seeds 1-2 --pages 257" "dsm-sim: --pages '257': out of range (expected 1..256)"
refused dsm-sim "--seeds 1-2 --ops -1" "dsm-sim: --ops '-1': not a number (expected 0..1000000)"
refused dsm-sim "--seeds 1-2 --junk 501" "dsm-sim: --junk '501': out of range (expected 0..500)"

refused dsm-fuzz "-1" "dsm-fuzz: ITERATIONS '-1': not a number (expected 1..1000000000)"
refused dsm-fuzz "10x" "dsm-fuzz: ITERATIONS '10x': not a number (expected 1..1000000000)"
refused dsm-fuzz "--hex 0g" "dsm-fuzz: --hex: '0g' at offset 0 is not a hexadecimal byte"
refused dsm-fuzz "--hex abc" \
	"dsm-fuzz: --hex wants an even number of hexadecimal digits, at most 5120 (got 3)"
refused dsm-proto-cost "99999999999" \
	"dsm-proto-cost: ITERATIONS '99999999999': out of range (expected 1..100000000)"

B="--node 0 --nodes 2 $A"
refused dsm-fault-bench "$B --pages 65537" "dsm-fault-bench: --pages '65537': out of range (expected 1..65536)"
refused dsm-fault-bench "$B --par-threads 17" "dsm-fault-bench: --par-threads '17': out of range (expected 1..16)"
refused dsm-fault-bench "$B --floor-faults -1" \
	"dsm-fault-bench: --floor-faults '-1': not a number (expected 1..10000000)"
refused dsm-fault-bench "$B --rtt-iters ten" "dsm-fault-bench: --rtt-iters 'ten': not a number (expected 1..10000000)"
refused dsm-fault-bench "--node 0 --nodes 2 --addrs 127.0.0.1:65000,127.0.0.1:2" \
	"dsm-fault-bench: --addrs: node 0's address '127.0.0.1:65000': expected IP:PORT with a port of 1..64534 (its transport floor uses PORT + 1000 and PORT + 1001)"

refused irq_bench "-d 99" "irq_bench: -d '99': out of range (expected 100..600000)"
refused irq_bench "-r 0x" "irq_bench: -r '0x': not a number (expected 1..256)"
refused irq_bench "-n 10" "irq_bench: -n '10': out of range (expected 1..9)"

# good values are still taken
taken dsm-sim "--seeds 7-8 --nodes 2 --pages 0x4 --ops 10 --junk 0"
taken dsm-fuzz "100"
taken dsm-fuzz "--hex 00ff"
taken dsm-proto-cost "10"

echo "tool-args: $n cases, $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
