#!/bin/bash
# bench/faultbench.sh [--fabric tcp|shm] [--vcpu-on-host1] [--pages N] [--rounds N]
#
# Remote page faults as the guest sees them: boots the Debian kernel with
# guest/tools/faultbench in its initramfs (scripts/mkguest) and prints the
# in-guest figures of each scenario (docs/faultbench.md) for
#   1host  one ssivm process, the same two NUMA nodes, no DSM: the floor of
#          the guest's own page fault and cache-line transfer
#   2host  node 0 (vCPUs) on host 0, node 1 on host 1 (memory only, or with
#          vCPU 1 under --vcpu-on-host1), over --fabric (default tcp): every
#          page of node 1 first touched by vCPU 0 is a remote DSM fault
# beside, from the same sandbox session: the 2-host run's own host-side
# fault service figures (each node's DSM summary at its end) and the host
# DSM benchmark's floors and medians on the same fabric (bench/dsm_fault.sh:
# bare userfaultfd round trip, transport round trip, remote read fault).
# Runs natively where /dev/kvm works, else in the KVM sandbox.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
BUILD=${BUILD:-build}
fabric=tcp onhost1=0 pages=4096 rounds=2000 inside=0 run_timeout=400
usage() { echo "usage: bench/faultbench.sh [--fabric tcp|shm] [--vcpu-on-host1] [--pages N] [--rounds N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--fabric) [ $# -ge 2 ] || usage; fabric=$2; shift 2 ;;
	--vcpu-on-host1) onhost1=1; shift ;;
	--pages) [ $# -ge 2 ] || usage; pages=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
	--inside) inside=1; shift ;;
	-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
case $fabric in tcp | shm) ;; *) echo "faultbench: --fabric $fabric: expected tcp or shm" >&2; exit 2 ;; esac
[[ $pages =~ ^[1-9][0-9]{0,5}$ ]] && [ "$pages" -le 40000 ] || { echo "faultbench: --pages $pages: expected 1..40000 (node 1 has 192 MiB)" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]{0,5}$ ]] || { echo "faultbench: --rounds $rounds: expected 1..999999" >&2; exit 2; }
if [ $inside = 0 ]; then
	make -j2 "$BUILD/ssivm" "$BUILD/bin/dsm-fault-bench" >/dev/null || exit 1
	scripts/mkguest >/dev/null || exit 1
	export SSIVM_SANDBOX_TIMEOUT=$((3 * run_timeout + 300))
	a=(--inside --fabric "$fabric" --pages "$pages" --rounds "$rounds")
	[ $onhost1 = 1 ] && a+=(--vcpu-on-host1)
	exec scripts/with-kvm "$0" "${a[@]}"
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/faultbench.XXXXXX")
trap 'rm -rf "$logs"' EXIT
# vCPU 0 on node 0 touches pages of both nodes; vCPUs 0 and 1 pass pages
# back and forth on node 0's memory
if [ $onhost1 = 1 ]; then
	n0cpus=0 n1cpus=,cpus=1
	scen="first:0:0+first:0:1+first:1:1+first:1:0+raw:0,1+war:0,1+waw:0,1+raw:1,0"
else
	n0cpus=0-1 n1cpus=
	scen="first:0:0+first:0:1+raw:0,1+war:0,1+waw:0,1"
fi
append="console=ttyS0 quiet panic=-1 ssivm.memtouch=0 ssivm.faultbench=--pages+$pages+--rounds+$rounds+$scen"
common=(--kernel "$BUILD/guest/vmlinuz" --initrd "$BUILD/guest/initrd.img" --cmdline "$append")
run1=("$BUILD/ssivm" run --numa "id=0,cpus=$n0cpus,memory=256M,distances=1@20"
	--numa "id=1$n1cpus,memory=192M" "${common[@]}")
run2=("$BUILD/ssivm" run --numa "id=0,cpus=$n0cpus,memory=256M,distances=1@20,host=0"
	--numa "id=1$n1cpus,memory=192M,host=1" --fabric "$fabric" --log-dir "$logs/nodes" "${common[@]}")

one() { # name cmd...: the guest's console in $logs/NAME.out
	local name=$1 rc
	shift
	echo "== $name: ${*}" >&2
	SSIVM_SERIAL_INPUT=0 timeout -k 5 "$run_timeout" "$@" </dev/null >"$logs/$name.out" 2>"$logs/$name.err"
	rc=$?
	if ! grep -q '^SSIVM-FAULTBENCH scenario=' "$logs/$name.out" || grep -q 'SSIVM-FAULTBENCH FAILED\|faultbench-exit' "$logs/$name.out"; then
		echo "faultbench: error: the $name run gave no complete result (ssivm status $rc):" >&2
		grep -a 'SSIVM-FAULTBENCH\|faultbench\|Kernel panic' "$logs/$name.out" >&2
		tail -n 15 "$logs/$name.err" >&2
		return 1
	fi
	[ $rc = 0 ] || { echo "faultbench: error: the $name run ended with status $rc, not 0" >&2; return 1; }
}
fails=0
one 1host "${run1[@]}" || fails=$((fails + 1))
one 2host "${run2[@]}" || fails=$((fails + 1))
echo "== host DSM floors on the same fabric: bench/dsm_fault.sh $fabric 2 0" >&2
DSM_BENCH_ARGS=${DSM_BENCH_ARGS:---pages 2000} bench/dsm_fault.sh "$fabric" 2 0 >"$logs/dsm.out" 2>&1 || {
	echo "faultbench: error: bench/dsm_fault.sh failed:" >&2; tail -n 10 "$logs/dsm.out" >&2
	fails=$((fails + 1))
}

kvm=native; grep -qw "sbrun=[^ ]*" /proc/cmdline && kvm="inside the KVM sandbox (nested KVM under QEMU TCG)"
echo "faultbench: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(cat "$BUILD/kernel/version"), fabric $fabric, $kvm"
echo "in-guest figures (faultbench, TSC-timed, microseconds):"
printf '%-6s %-8s %-6s %-9s %-4s %8s %9s %9s %9s %9s %9s %12s\n' run scenario cpus cpu_nodes mem count \
	median p90 p99 p99.9 max touches/s
for r in 1host 2host; do
	sed -n 's/^SSIVM-FAULTBENCH scenario=//p' "$logs/$r.out" 2>/dev/null | tr -d '\r' |
		while read -r sc rest; do
			declare -A f=()
			for kv in $rest; do f[${kv%%=*}]=${kv#*=}; done
			printf '%-6s %-8s %-6s %-9s %-4s %8s %9s %9s %9s %9s %9s %12s\n' "$r" "$sc${f[sharers]/#0/}" \
				"${f[cpus]}" "${f[cpu_nodes]}" "${f[mem_node]}" "${f[count]}" "${f[median_us]}" \
				"${f[p90_us]}" "${f[p99_us]}" "${f[p999_us]}" "${f[max_us]}" "${f[touches_per_s]}"
		done
done
echo "host side of the 2host run (each node's DSM summary at its end):"
for k in 0 1; do
	grep -a "^ssivm\[node $k\] info: node $k: \|^ssivm\[node $k\] info:   " "$logs/nodes/node$k.log" 2>/dev/null |
		sed 's/^ssivm\[node [0-9]*\] info: /  /' | grep -v 'every node is ready\|of guest RAM on the DSM'
done
[ -s "$logs/nodes/node0.log" ] || grep -a "ssivm\[node 0\] info: node 0: \|ssivm\[node 0\] info:   " "$logs/2host.err" | sed 's/^ssivm\[node [0-9]*\] info: /  /' | grep -v 'every node is ready\|of guest RAM on the DSM'
echo "host DSM benchmark, same fabric, same session (bench/dsm_fault.sh $fabric 2 0):"
grep -v '^==' "$logs/dsm.out" | sed 's/^/  /'
[ $fails = 0 ] || { echo "faultbench: error: $fails part(s) failed (above)"; exit 1; }
