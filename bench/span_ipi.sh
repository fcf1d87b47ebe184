#!/bin/bash
# bench/span_ipi.sh [--rounds N] — what crossing hosts costs a guest's IPIs
# and port I/O, in one run on one machine: the test guest's IPI ping-pong
# (guest/testguest/smp.c: BSP -> AP -> BSP, fixed IPIs, N rounds per AP,
# timed by the guest's TSC) on
#   1host      one ssivm process, split irqchip (the same LAPIC path as a
#              spanning guest, no proxy), 2 vCPUs: the floor
#   2host-shm  vCPU 1 on host 1 of a local cluster, UCX shared memory
#   2host-tcp  the same in network namespaces, TCP over veth
# and, from the 2-host runs, the control channel's forwarded port-I/O round
# trip (vCPU 1's console writes and UART reads served on node 0), beside the
# vCPU exits of the same accesses on node 0 (local: no round trip). TSC
# cycles are turned into µs with the TSC frequency every node runs at (its
# log). Natively where /dev/kvm works, else inside the KVM sandbox (one
# session for all three).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
BUILD=${BUILD:-build}
rounds=200
inside=0
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--inside) inside=1; shift ;;
	*) echo "usage: bench/span_ipi.sh [--rounds N]" >&2; exit 2 ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "span_ipi: --rounds $rounds: expected a number >= 1" >&2; exit 2; }
if [ $inside = 0 ]; then
	make -s -j2 "$BUILD/ssivm" "$BUILD/guest/testguest.elf" >/dev/null || exit 1
	echo "command: bench/span_ipi.sh --rounds $rounds"
	exec scripts/with-kvm "$0" --inside --rounds "$rounds"
fi
tg=$BUILD/guest/testguest.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0 SSIVM_LOG=info
cmdline="tests=ipi,span cpus=2 ipirounds=$rounds spanrounds=20 bounceticks=3 exit=5"
fails=0
run() { # NAME ARGS...
	local name=$1
	shift
	timeout 280 "$BUILD/ssivm" run "$@" --kernel "$tg" --cmdline "$cmdline" >"$tmp/$name.out" 2>&1 </dev/null
	local rc=$?
	if [ $rc != 11 ] || ! grep -q "testguest: done 2 passed 0 failed" "$tmp/$name.out"; then
		echo "span_ipi: error: $name: ssivm exited $rc (not 11, the guest's exit=5) or the guest failed; its output:" >&2
		tail -n 30 "$tmp/$name.out" >&2
		for l in "$tmp/${name#2host-}"/node1.log; do
			[ -f "$l" ] && { echo "span_ipi: node 1's log:" >&2; grep -E "error|warn" "$l" | head -n 20 >&2; }
		done
		fails=$((fails + 1))
	fi
}
run 1host --irqchip split --numa id=0,cpus=0,memory=32M --numa id=1,cpus=1,memory=16M
run 2host-shm --numa id=0,cpus=0,memory=32M,host=0 --numa id=1,cpus=1,memory=16M,host=1 \
	--fabric shm --log-dir "$tmp/shm"
run 2host-tcp --numa id=0,cpus=0,memory=32M,host=0 --numa id=1,cpus=1,memory=16M,host=1 \
	--fabric tcp --log-dir "$tmp/tcp"
[ $fails = 0 ] || { echo "span_ipi: error: $fails failed run(s); nothing timed"; exit 1; }
khz=$(sed -n 's/.*guest time: TSC \([0-9]*\) kHz.*/\1/p' "$tmp/2host-shm.out" | head -n1)
[ -n "$khz" ] || { echo "span_ipi: error: no TSC frequency in node 0's log"; exit 1; }
kvm=native; grep -qw "sbrun=[^ ]*" /proc/cmdline && kvm="inside the KVM sandbox (nested KVM under QEMU TCG)"
echo "span_ipi: $(date -u +%Y-%m-%dT%H:%MZ), $rounds IPI round trips per run, TSC $khz kHz, $kvm"
printf '%-10s %12s %12s %12s %22s\n' run ipi_med_us ipi_min_us ipi_max_us forwarded_pio_mean_us
for n in 1host 2host-shm 2host-tcp; do
	read -r med min max < <(sed -n 's/^# ipi round trip median \([0-9]*\) TSC cycles (min \([0-9]*\) max \([0-9]*\),.*/\1 \2 \3/p' "$tmp/$n.out")
	pio=-
	if [ "$n" != 1host ]; then
		log=$tmp/${n#2host-}/node1.log
		pio=$(sed -n 's/.*control channel: [0-9]* accesses forwarded (mean round trip \([0-9.]*\) us).*/\1/p' "$log" | head -n1)
	fi
	awk -v n="$n" -v a="$med" -v b="$min" -v c="$max" -v k="$khz" -v p="${pio:--}" \
		'BEGIN { printf "%-10s %12.1f %12.1f %12.1f %22s\n", n, a / k * 1000, b / k * 1000, c / k * 1000, p }'
	eval "med_${n//-/_}=$med"
done
awk -v a="$med_2host_shm" -v b="$med_2host_tcp" -v f="$med_1host" \
	'BEGIN { printf "ratio to 1host (median): 2host-shm %.1f, 2host-tcp %.1f\n", a / f, b / f }'
