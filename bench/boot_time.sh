#!/bin/bash
# bench/boot_time.sh [--runs N] — Linux boot time to the guest's /init on
# ssivm beside Debian's QEMU booting the same kernel and initramfs with the
# same topology (2 vCPUs, 2 NUMA nodes of 192 + 128 MiB, distance 25), in one
# run on the same machine: natively where /dev/kvm works, else both inside
# the KVM sandbox (scripts/with-kvm). Runs alternate between the VMMs.
# Also a guest across 2 ssivm nodes beside the same topology on one:
#   ssivm-1h  one ssivm process; node 0: vCPUs 0-1, 192 MiB; node 1: 128 MiB,
#             no vCPU
#   ssivm-2h  the same guest with node 1 on host 1: a local cluster of 2
#             ssivm processes in network namespaces, TCP over veth (node 1's
#             RAM is served through the DSM); figures include starting both
#             processes, the namespaces and the rendezvous
# (both vCPUs on host 0: a vCPU on host 1 does not boot Linux reliably in the
# KVM sandbox yet, docs/cluster.md), with the ratio ssivm-2h / ssivm-1h.
#
# Figures per VMM, median of N runs (default 3):
#   wall_init   wall clock from starting the VMM process to the guest's
#               "SSIVM-CHECK init" console line (first thing /init prints)
#   uptime_init the guest kernel's own uptime at that moment
#   wall_exit   wall clock until the VMM exited after the guest's poweroff -f
# and the ratio ssivm / QEMU of each. QEMU's figures include its firmware
# (SeaBIOS + the linuxboot option ROM); ssivm has none.
#   --kernel FILE   boot FILE instead of build/guest/vmlinuz
#   --timeout S     give up on a VMM run after S seconds (default 240)
# A run counts only when the guest printed its /init line and the VMM then
# exited with status 0 (the guest's poweroff) within the time limit;
# otherwise the run is reported as an error, nothing is timed, and the
# script exits 1. Exits 77 when there is neither KVM nor the KVM sandbox.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
BUILD=${BUILD:-build}
runs=3
inside=0
k=$BUILD/guest/vmlinuz
run_timeout=240
usage() { echo "usage: bench/boot_time.sh [--runs N] [--kernel FILE] [--timeout S]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
	--kernel) [ $# -ge 2 ] || usage; k=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; run_timeout=$2; shift 2 ;;
	--inside) inside=1; shift ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "boot_time: --runs $runs: expected a number >= 1" >&2; exit 2; }
[[ $run_timeout =~ ^[1-9][0-9]*$ ]] || { echo "boot_time: --timeout $run_timeout: expected seconds >= 1" >&2; exit 2; }
if [ $inside = 0 ]; then
	scripts/mkguest >/dev/null || exit 1
	# the sandbox must outlive every run: 4 VMMs per run, plus its own boot
	export SSIVM_SANDBOX_TIMEOUT=$((4 * runs * (run_timeout + 10) + 120))
	exec scripts/with-kvm "$0" --inside --runs "$runs" --kernel "$k" --timeout "$run_timeout"
fi

i=$BUILD/guest/initrd.img
append="console=ttyS0 quiet panic=-1 ssivm.memtouch=0"
ssivm_cmd=("$BUILD/ssivm" run --numa id=0,cpus=0,memory=192M,distances=1@25
	--numa id=1,cpus=1,memory=128M --kernel "$k" --initrd "$i" --cmdline "$append")
qemu_cmd=(qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 320M
	-object memory-backend-ram,id=m0,size=192M -object memory-backend-ram,id=m1,size=128M
	-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1
	-numa dist,src=0,dst=1,val=25 -kernel "$k" -initrd "$i" -append "$append"
	-nographic -nodefaults -serial stdio -no-reboot)
span_logs=$(mktemp -d "${TMPDIR:-/tmp}/boot-time-logs.XXXXXX")
trap 'rm -rf "$span_logs"' EXIT
ssivm_1h_cmd=("$BUILD/ssivm" run --numa id=0,cpus=0-1,memory=192M,distances=1@25
	--numa id=1,memory=128M --kernel "$k" --initrd "$i" --cmdline "$append")
ssivm_2h_cmd=("$BUILD/ssivm" run --numa id=0,cpus=0-1,memory=192M,distances=1@25,host=0
	--numa id=1,memory=128M,host=1 --fabric tcp --log-dir "$span_logs"
	--kernel "$k" --initrd "$i" --cmdline "$append")
vmms=(ssivm qemu ssivm-1h ssivm-2h)

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# one_run CMD... -> prints "wall_init uptime_init wall_exit status"
# (wall_init and uptime_init are -1 when the guest never printed its /init line)
one_run() {
	local t0 t_init=-1 up=-1 line rc=-1
	t0=$(now_ms)
	while IFS= read -r line; do
		case $line in
		*"SSIVM-CHECK init uptime="*)
			t_init=$(now_ms)
			up=${line##*uptime=}; up=${up%%[!0-9.]*} ;;
		"EXIT "*) rc=${line#EXIT } ;;
		esac
	done < <(SSIVM_SERIAL_INPUT=0 SSIVM_LOG=warn timeout -k 5 "$run_timeout" "$@" </dev/null 2>&1
		echo "EXIT $?")
	[ $t_init -ge 0 ] && t_init=$((t_init - t0))
	echo "$t_init ${up:--1} $(($(now_ms) - t0)) $rc"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# run_ok NAME RUN WALL_INIT UPTIME STATUS: a run counts only when the guest
# reached /init and the VMM then exited 0 (the guest powered off)
errors=()
run_ok() {
	if [ "$5" = 124 ] || [ "$5" = 137 ]; then
		errors+=("run $2 $1: no poweroff within ${run_timeout} s (killed; /init $([ "$3" -ge 0 ] && echo reached || echo never reached))")
	elif [ "$3" -lt 0 ] || ! [[ $4 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		errors+=("run $2 $1: the guest never printed its /init line; the VMM exited with status $5")
	elif [ "$5" != 0 ]; then
		errors+=("run $2 $1: the VMM exited with status $5, not 0 after the guest's poweroff")
	fi
}

declare -A wi up we
for r in $(seq 1 "$runs"); do
	for v in "${vmms[@]}"; do
		declare -n cmd="${v//-/_}_cmd"
		read -r a b c st < <(one_run "${cmd[@]}")
		unset -n cmd
		wi[$v]+="$a " up[$v]+="$b " we[$v]+="$c "
		printf 'run %s %-8s wall_init %s ms, uptime_init %s s, wall_exit %s ms, exit status %s\n' \
			"$r" "$v:" "$a" "$b" "$c" "$st" >&2
		run_ok "$v" "$r" "$a" "$b" "$st"
	done
done
if [ ${#errors[@]} -gt 0 ]; then
	printf 'boot_time: error: %s\n' "${errors[@]}"
	echo "boot_time: error: ${#errors[@]} failed run(s); nothing timed (re-run a VMM by hand to see why)"
	exit 1
fi
declare -A m_wi m_up m_we
for v in "${vmms[@]}"; do
	m_wi[$v]=$(printf '%s\n' ${wi[$v]} | median)
	m_up[$v]=$(printf '%s\n' ${up[$v]} | median)
	m_we[$v]=$(printf '%s\n' ${we[$v]} | median)
done
kvm=native; grep -qw "sbrun=[^ ]*" /proc/cmdline && kvm="inside the KVM sandbox (nested KVM under QEMU TCG)"
echo "boot_time: $(date -u +%Y-%m-%dT%H:%MZ), $runs runs each, kernel $(cat "$BUILD/kernel/version"), $kvm"
printf '%-8s %14s %16s %14s\n' vmm wall_init_ms uptime_init_s wall_exit_ms
for v in "${vmms[@]}"; do
	printf '%-8s %14s %16s %14s\n' "$v" "${m_wi[$v]}" "${m_up[$v]}" "${m_we[$v]}"
done
ratio() { # A B: the ratio line A/B
	awk -v n="$1/$2" -v a="${m_wi[$1]}" -v b="${m_wi[$2]}" -v c="${m_up[$1]}" -v d="${m_up[$2]}" \
		-v e="${m_we[$1]}" -v f="${m_we[$2]}" \
		'BEGIN { printf "ratio %s: wall_init %.2f, uptime_init %.2f, wall_exit %.2f\n", n, a / b, c / d, e / f }'
}
ratio ssivm qemu
ratio ssivm-2h ssivm-1h
