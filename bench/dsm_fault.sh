#!/bin/bash
# bench/dsm_fault.sh [tcp|shm|all] [NODES] [SPIN_US...] — the DSM fault benchmark.
#
# Starts NODES (default 5) dsm-fault-bench processes: over TCP each in its own
# network namespace (scripts/netns-cluster), over shared memory all in this
# one. Node 0 prints the fault service times of remote read and write faults
# (0, 1, 3 copies to invalidate) beside the floors measured in the same run.
# With several SPIN_US values (default "50 0") it runs once per value.
# Extra flags for the nodes: DSM_BENCH_ARGS (e.g. "--pages 2000").
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SSIVM_BUILD:-$here/build}
bin=$build/bin/dsm-fault-bench
mode=${1:-all}
n=${2:-5}
shift $(($# >= 2 ? 2 : $#))
spins=("$@")
[ ${#spins[@]} -gt 0 ] || spins=(50 0)
[ "$(id -u)" = 0 ] || { echo "needs root (userfaultfd, namespaces)"; exit 77; }
[ -x "$bin" ] || { echo "$bin not built"; exit 77; }
name=dsm-bench-$$
cleanup() {
	"$here/scripts/netns-cluster" down "$name" >/dev/null 2>&1
	rm -rf "$logdir"
}
trap cleanup EXIT
logdir=$(mktemp -d /tmp/dsm-bench.XXXXXX)

run() { # tls spin
	local tls=$1 spin=$2 addrs pids=() i rc=0
	if [ "$tls" = tcp ]; then
		addrs=$(for ((i = 0; i < n; i++)); do printf '%s:7500,' "$("$here/scripts/netns-cluster" addr "$name" $i)"; done)
	else
		addrs=$(for ((i = 0; i < n; i++)); do printf '127.0.0.1:%d,' $((23000 + i)); done)
	fi
	addrs=${addrs%,}
	echo "== $bin --nodes $n --addrs $addrs --tls $tls --spin-us $spin ${DSM_BENCH_ARGS:-}"
	for ((i = 0; i < n; i++)); do
		local cmd=("$bin" --node $i --nodes "$n" --addrs "$addrs" --tls "$tls" --spin-us "$spin" ${DSM_BENCH_ARGS:-})
		if [ "$tls" = tcp ]; then
			ip netns exec "$name-$i" "${cmd[@]}" >"$logdir/$i.out" 2>"$logdir/$i.err" &
		else
			"${cmd[@]}" >"$logdir/$i.out" 2>"$logdir/$i.err" &
		fi
		pids+=($!)
	done
	# node 0 leaves last; if it failed, the others have nothing left to wait for
	wait "${pids[0]}" || { rc=1; echo "node 0 failed:"; tail -n 5 "$logdir/0.err"; kill -9 "${pids[@]:1}" 2>/dev/null; }
	for ((i = 1; i < n; i++)); do
		wait "${pids[$i]}" || { rc=1; echo "node $i failed:"; tail -n 5 "$logdir/$i.err"; }
	done
	cat "$logdir/0.out"
	grep -h "^node 1: \(fault service\|actions\)" "$logdir/1.err"
	return $rc
}

rc=0
if [ "$mode" = tcp ] || [ "$mode" = all ]; then
	"$here/scripts/netns-cluster" up "$name" "$n" || exit 1
	for s in "${spins[@]}"; do run tcp "$s" || rc=1; done
	"$here/scripts/netns-cluster" down "$name"
fi
if [ "$mode" = shm ] || [ "$mode" = all ]; then
	for s in "${spins[@]}"; do run shm "$s" || rc=1; done
fi
exit $rc
