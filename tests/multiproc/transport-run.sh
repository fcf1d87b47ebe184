#!/bin/bash
# tests/multiproc/transport-run.sh FABRIC N SCENARIO — multi-process transport tests.
#
#   FABRIC    tcp: every node in its own network namespace (scripts/netns-cluster,
#                  names tp-*), UCX over TCP on the veth;
#             netem: the same with `tc netem` delay 1 ms, jitter 0.2 ms on every
#                  link; runs itself inside scripts/kvm-sandbox when this
#                  kernel has no sch_netem;
#             shm: every node a process on this host, UCX over shared memory.
#   N         number of nodes (2..8).
#   SCENARIO  pingpong  all-to-all checked pings with pages (tp-node)
#             evil      node 0 sends malformed messages to all, then pings; the
#                       others must reject and count exactly those, and go on
#             kill      node N-1 is killed (SIGKILL) mid-run; the others must
#                       report "node N-1: ..." and exit 3 (peer down), no hang
#             hang      node N-1 is stopped (SIGSTOP) mid-run; the others must
#                       report "node N-1: no heartbeat for ..." and exit 3
# Exit 0 pass, 77 skip (reason on the last line), 1 fail. Everything it starts
# (processes, namespaces) is removed on exit, also on failure.
set -u
fabric=$1 n=$2 scenario=$3
tls=$fabric
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
node_bin=$build/bin/tp-node
tag=tp-$scenario$n-$$
tag=${tag:0:20}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/$tag.XXXX")
pids=()

skip() {
	echo "$*"
	exit 77
}

stopped_pid=
cleanup() {
	exec 2>/dev/null # no job-control chatter about the processes killed here
	[ -n "$stopped_pid" ] && kill -KILL "$stopped_pid" 2>/dev/null
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$tls" = tcp ]; then
		"$root/scripts/netns-cluster" down "$tag" >/dev/null 2>&1
	fi
	rm -rf "$logdir"
}
trap cleanup EXIT

[ -x "$node_bin" ] || skip "tp-node not built ($node_bin): run make first"
netem=()
if [ "$fabric" = netem ]; then
	tls=tcp netem=(--delay 1 --jitter 0.2)
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	if ! modprobe -q sch_netem 2>/dev/null && ! grep -qw sch_netem /proc/modules 2>/dev/null; then
		if [ -n "${SSIVM_TP_IN_SANDBOX:-}" ]; then
			echo "FAIL: no sch_netem inside the KVM sandbox either (its modules come from build/kernel: run scripts/setup)"
			exit 1
		fi
		echo "no sch_netem here: running inside the KVM sandbox"
		trap - EXIT
		rm -rf "$logdir"
		# the sandbox's status is the verdict: 77 only when it cannot run on
		# this machine; 124 (time-out) and 125 (froze, never started) fail
		SSIVM_TP_IN_SANDBOX=1 SSIVM_BUILD=$build exec "$root/scripts/kvm-sandbox" \
			--timeout "${SSIVM_SANDBOX_TIMEOUT:-600}" "$0" "$@"
	fi
	modprobe -q veth 2>/dev/null
	modprobe -q bridge 2>/dev/null
fi
if [ "$tls" = tcp ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	ip netns list >/dev/null 2>&1 || skip "ip netns is not available"
	out=$("$root/scripts/netns-cluster" up "$tag" "$n" "${netem[@]}" 2>&1) ||
		skip "cannot create namespaces: $out"
	addrs=
	for ((i = 0; i < n; i++)); do
		addrs+="$("$root/scripts/netns-cluster" addr "$tag" "$i"):7400,"
	done
else
	[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm for UCX shared memory"
	# n consecutive ports nobody listens on (other tests run at the same time)
	for ((try = 0; try < 50; try++)); do
		base=$((20000 + RANDOM % 20000))
		busy=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' |
			awk -v b="$base" -v n="$n" '$1 >= b && $1 < b + n' | wc -l)
		[ "$busy" = 0 ] && break
	done
	addrs=
	for ((i = 0; i < n; i++)); do
		addrs+="127.0.0.1:$((base + i)),"
	done
fi
addrs=${addrs%,}

# Nodes block adaptively (-b), as the DSM does: on a loaded 2-core machine
# busy-polling nodes starve each other. Timeouts are generous where a false
# "peer down" would be a failure; kill/hang use large counts so that the
# victim dies mid-run.
count=2000 hb=200 timeout=5000 maxs=60
case $scenario in
kill) count=100000000 hb=100 timeout=3000 ;;
hang) count=100000000 hb=100 timeout=1500 ;;
pingpong | evil) [ "$fabric" = netem ] && count=500 ;;
*)
	echo "unknown scenario '$scenario'"
	exit 2
	;;
esac

start_node() {
	local i=$1
	shift
	local cmd=("$node_bin" -i "$i" -n "$addrs" -t "$tls" -c "$count" -H "$hb" -T "$timeout"
		-C 20000 -x "$maxs" -b "$@")
	if [ "$tls" = tcp ]; then
		cmd=("$root/scripts/netns-cluster" exec "$tag" "$i" "${cmd[@]}")
	fi
	timeout -k 5 $((maxs + 30)) "${cmd[@]}" >"$logdir/node$i.log" 2>&1 &
	pids[$i]=$!
}

show_logs() {
	for ((i = 0; i < n; i++)); do
		echo "---- node $i"
		tail -n 40 "$logdir/node$i.log"
	done
}

fail() {
	show_logs
	echo "FAIL: $*"
	exit 1
}

echo "transport $fabric: $n nodes, scenario $scenario, addresses $addrs"
t0=$(date +%s%N)
for ((i = 0; i < n; i++)); do
	args=()
	if [ "$scenario" = evil ]; then
		if [ "$i" = 0 ]; then args=(-m evil); else args=(-E 0); fi
	fi
	start_node "$i" "${args[@]}"
done

victim=$((n - 1))
if [ "$scenario" = kill ] || [ "$scenario" = hang ]; then
	# wait until every node is connected, let traffic flow a little, then strike
	for ((k = 0; k < 300; k++)); do
		c=$(cat "$logdir"/node*.log 2>/dev/null | grep -c ': connected to ')
		[ "$c" -ge "$n" ] && break
		sleep 0.1
	done
	[ "$c" -ge "$n" ] || fail "only $c of $n nodes connected within 30 s"
	sleep 0.5
	kill -0 "${pids[$victim]}" 2>/dev/null || fail "node $victim ended before it was struck"
	# the node is the child of `timeout` (ip netns exec replaces itself by tp-node)
	victim_pid=$(pgrep -P "${pids[$victim]}" -x tp-node)
	[ -n "$victim_pid" ] || fail "cannot find node $victim's process"
	if [ "$scenario" = kill ]; then
		disown "${pids[$victim]}" 2>/dev/null # no job-control chatter about it
		kill -KILL "$victim_pid"
	else
		kill -STOP "$victim_pid"
		stopped_pid=$victim_pid
	fi
	t_strike=$(date +%s%N)
fi

rcs=()
for ((i = 0; i < n; i++)); do
	if { [ "$scenario" = kill ] || [ "$scenario" = hang ]; } && [ "$i" = "$victim" ]; then
		continue
	fi
	wait "${pids[$i]}"
	rcs[$i]=$?
done
ms=$((($(date +%s%N) - t0) / 1000000))

case $scenario in
pingpong | evil)
	for ((i = 0; i < n; i++)); do
		[ "${rcs[$i]}" = 0 ] || fail "node $i exited with ${rcs[$i]}"
		grep -q "^tp-node $i: OK" "$logdir/node$i.log" || fail "node $i did not report OK"
	done
	if [ "$scenario" = evil ]; then
		for ((i = 1; i < n; i++)); do
			grep -q "^rejected node=$i reason=" "$logdir/node$i.log" || fail "node $i counted no rejections"
		done
		grep "^rejected node=1 " "$logdir/node1.log"
	fi
	grep -h '^stats' "$logdir"/node*.log
	echo "PASS: $n nodes over $fabric, scenario $scenario, ${ms} ms"
	;;
kill | hang)
	detect_ms=$((($(date +%s%N) - t_strike) / 1000000))
	want="node $victim: "
	[ "$scenario" = hang ] && want="node $victim: no heartbeat for "
	for ((i = 0; i < n - 1; i++)); do
		[ "${rcs[$i]}" = 3 ] || fail "node $i exited with ${rcs[$i]}, expected 3 (peer down)"
		grep -q "peer down: $want" "$logdir/node$i.log" || fail "node $i did not report '$want...'"
		grep -h "peer down: node $victim" "$logdir/node$i.log" | head -n 1
	done
	echo "PASS: $((n - 1)) survivors over $fabric reported node $victim ($scenario) and stopped within ${detect_ms} ms"
	;;
esac
exit 0
