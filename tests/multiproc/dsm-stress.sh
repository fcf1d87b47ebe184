#!/bin/bash
# tests/multiproc/dsm-stress.sh MODE N [SECONDS] [THREADS] — DSM stress cluster.
#
# Starts N dsm-node processes (tests/multiproc/dsm_node.c) that share one
# region through the DSM runtime and hammer it with checked reads, writes,
# atomic increments and whole-page writes; passes when every node exits 0
# (every check passed, final image right).
#   tcp     each node in its own network namespace (scripts/netns-cluster), UCX over TCP
#   shm     all nodes in this namespace, UCX over shared memory
#   netem   as tcp with `tc netem` delay 1 ms, jitter 0.2 ms on every link; needs
#           sch_netem, so it runs itself inside scripts/kvm-sandbox when the host lacks it
#   kill    as tcp; node N-1 is killed (SIGKILL) mid-run: every other node must
#           report it by id and stop with status 3 within a bounded time
#   killshm as kill, over shared memory
#   evil    as tcp; node N-1 is tests/multiproc/dsm_evil.c, a member that sends
#           the others garbage DSM messages: they must reject and count them
#           (bad messages > 0 in their metrics) and still pass every check
# Environment: DSM_STRESS_POLICY (dsm-node --policy), DSM_STRESS_SPIN_US.
# Exit 77 (with the reason last) when it cannot run here.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${SSIVM_BUILD:-$here/build}
node_bin=$build/bin/dsm-node
mode=${1:?mode}
n=${2:?nodes}
secs=${3:-3}
threads=${4:-2}
name=dsm-$mode$n-$$
skip() {
	echo "$*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, userfaultfd)"
[ -x "$node_bin" ] || skip "$node_bin not built (make $node_bin)"
if [ -r /proc/sys/vm/unprivileged_userfaultfd ] && ! grep -q userfaultfd /proc/kallsyms 2>/dev/null; then
	: # kallsyms may be hidden; dsm-node itself exits 77 without userfaultfd
fi

if [ "$mode" = netem ] && [ -z "${DSM_IN_SANDBOX:-}" ]; then
	if ! modprobe -q sch_netem 2>/dev/null && ! grep -qw sch_netem /proc/modules 2>/dev/null; then
		sb=$here/scripts/kvm-sandbox
		[ -x "$sb" ] || skip "no sch_netem in this kernel and no scripts/kvm-sandbox to run the netem variant"
		echo "no sch_netem here: running inside the KVM sandbox"
		DSM_IN_SANDBOX=1 SSIVM_BUILD=$build "$sb" --timeout 600 "$0" "$@"
		rc=$?
		[ $rc = 125 ] && skip "the KVM sandbox could not run (exit 125), netem variant not run"
		exit $rc
	fi
fi

cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do kill -9 "$p" 2>/dev/null; done
	[ "$net" = ns ] && "$here/scripts/netns-cluster" down "$name" >/dev/null 2>&1
	[ -n "${DSM_STRESS_KEEP:-}" ] && echo "logs kept in $logdir" || rm -rf "$logdir"
}
trap cleanup EXIT
logdir=$(mktemp -d /tmp/dsm-stress.XXXXXX)
pids=()
net=ns
base_port=$((20000 + ($$ % 20000)))
case $mode in
shm | killshm) net=none tls=shm ;;
tcp | kill | netem | evil) tls=tcp ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac

if [ $net = ns ]; then
	[ "$mode" = netem ] && { modprobe -q veth; modprobe -q bridge; modprobe -q sch_netem; } 2>/dev/null
	ip netns add "$name-probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "$name-probe"
	extra=()
	[ "$mode" = netem ] && extra=(--delay 1 --jitter 0.2)
	"$here/scripts/netns-cluster" up "$name" "$n" "${extra[@]}" || exit 1
	addrs=$(for ((i = 0; i < n; i++)); do printf '%s:%d,' "$("$here/scripts/netns-cluster" addr "$name" $i)" 7400; done)
else
	addrs=$(for ((i = 0; i < n; i++)); do printf '127.0.0.1:%d,' $((base_port + i)); done)
fi
addrs=${addrs%,}

run_secs=$secs
case $mode in kill*) run_secs=$((secs + 30)) ;; esac
start=$(date +%s)
for ((i = 0; i < n; i++)); do
	cmd=("$node_bin" --node $i --nodes "$n" --addrs "$addrs" --tls "$tls" --threads "$threads"
		--seconds "$run_secs" --seed $((start + i)) --spin-us "${DSM_STRESS_SPIN_US:-50}"
		--metrics "$logdir/node$i.sock")
	[ -n "${DSM_STRESS_POLICY:-}" ] && cmd+=(--policy "$DSM_STRESS_POLICY")
	if [ "$mode" = evil ]; then
		cmd+=(--evil-node $((n - 1)))
		[ $i = $((n - 1)) ] && cmd=("$build/bin/dsm-evil" --node $i --nodes "$n" --addrs "$addrs"
			--tls "$tls" --seconds $((secs + 1)) ${DSM_EVIL_ARGS:-})
	fi
	if [ $net = ns ]; then
		ip netns exec "$name-$i" "${cmd[@]}" >"$logdir/node$i.log" 2>&1 &
	else
		"${cmd[@]}" >"$logdir/node$i.log" 2>&1 &
	fi
	pids+=($!)
done

fail=0
case $mode in
kill*)
	victim=$((n - 1))
	sleep "$secs"
	for ((i = 0; i < n; i++)); do
		kill -0 "${pids[$i]}" 2>/dev/null && continue
		echo "FAIL: node $i ended before the kill:"; tail -n 20 "$logdir/node$i.log"; exit 1
	done
	# the metrics endpoint answers while the node runs
	"$build/ssivm" stats "$logdir/node0.sock" || { echo "FAIL: ssivm stats on node 0's socket"; fail=1; }
	kill -9 "${pids[$victim]}"
	t0=$(date +%s)
	wait "${pids[$victim]}" 2>/dev/null
	for ((i = 0; i < n - 1; i++)); do
		wait "${pids[$i]}"
		rc=$?
		dt=$(($(date +%s) - t0))
		if [ $rc != 3 ]; then
			echo "FAIL: node $i exited $rc after node $victim was killed (expected 3, DSM failure):"
			grep -v '^ *[0-9]* *0x\|^ *[0-9]*  */' "$logdir/node$i.log" | tail -n 12
			fail=1
		elif named=$(sed -n 's/.*DSM failed: [^0-9]*node \([0-9]*\).*/\1/p' "$logdir/node$i.log" | head -n1)
			[ -z "$named" ] || [ "$named" = "$i" ] || [ "$named" -ge "$n" ]; then
			# it must name the killed node, or another survivor (all of which
			# stop too: a cascade where that node had named the victim)
			echo "FAIL: node $i stopped but named neither node $victim nor a survivor"
			fail=1
		elif grep -q "CHECK FAILED" "$logdir/node$i.log"; then
			echo "FAIL: node $i saw wrong data before it stopped:"
			grep -m5 "CHECK FAILED" "$logdir/node$i.log"
			fail=1
		elif [ $dt -gt 20 ]; then
			echo "FAIL: node $i took ${dt}s to stop after node $victim was killed"
			fail=1
		else
			echo "node $i stopped after ${dt}s: $(grep -m1 'DSM failed' "$logdir/node$i.log")"
			[ "$named" = "$victim" ] && named_victim=1
		fi
	done
	[ -n "${named_victim:-}" ] || [ $fail = 1 ] || { echo "FAIL: no node named node $victim"; fail=1; }
	;;
*)
	for ((i = 0; i < n; i++)); do
		wait "${pids[$i]}"
		rc=$?
		[ $rc = 77 ] && skip "$(tail -n1 "$logdir/node$i.log")"
		if [ $rc != 0 ]; then
			echo "FAIL: node $i exited $rc:"
			tail -n 12 "$logdir/node$i.log"
			fail=1
		fi
	done
	if [ "$mode" = evil ]; then
		grep -h "dsm-evil: sent" "$logdir/node$((n - 1)).log"
		for ((i = 0; i < n - 1; i++)); do
			bad=$(sed -n "s/^node $i: .*bad messages \([0-9]*\).*/\1/p" "$logdir/node$i.log" | tail -n1)
			if [ -z "$bad" ] || [ "$bad" = 0 ]; then
				echo "FAIL: node $i counted no rejected message from the misbehaving node"
				fail=1
			fi
		done
	fi
	;;
esac
pids=()
for ((i = 0; i < n; i++)); do
	echo "---- node $i"
	grep -E "CHECK FAILED|error|warning: transport|PASS|FAIL|run over|^node $i:" "$logdir/node$i.log" | head -n 40
done
echo "dsm-stress $mode, $n nodes, ${secs}s, $threads threads/node: $([ $fail = 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - start))s"
exit $fail
