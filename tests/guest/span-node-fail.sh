#!/bin/bash
# tests/guest/span-node-fail.sh HOW NODE FABRIC — a node of a running spanning
# guest fails, and every other node stops, naming it.
#
# The test guest runs across 2 hosts of a local cluster (`ssivm run` without
# --node), in its long coherence test (both vCPUs writing shared pages, so
# each node holds pages the other needs). When vCPU 1 runs on host 1, node
# NODE's process is sent SIGKILL (HOW kill: the process is gone, its
# connections close) or SIGSTOP (HOW stop: it is alive but silent; only the
# heartbeat finds it). Checks: ssivm exits with status 1 (a VMM error, not
# the guest's), the surviving node says which node failed and why within
# the time the failure needs to be seen (kill: at once; stop: the peer
# timeout, 1500 ms here) plus a margin, and no node reports a zero or stale
# page served.
. "$(dirname "$0")/lib.sh"
how=${1:-kill} victim=${2:-1} fabric=${3:-shm}
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
need_testguest
mkdir -p "$build/tmp"
tmp=$(mktemp -d "$build/tmp/span-fail.XXXXXX")
trap 'pkill -KILL -f -- "--log-dir $tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0
survivor=$((1 - victim))
timeout -k 20 -s TERM 120 "$build/ssivm" run --numa id=0,cpus=0,memory=32M,host=0 \
	--numa id=1,cpus=1,memory=16M,host=1 --fabric "$fabric" --log-dir "$tmp" \
	--kernel "$build/guest/testguest.elf" \
	--cmdline "tests=ipi,span cpus=2 spanrounds=1000000" \
	>"$tmp/out" 2>&1 </dev/null &
ssivm=$!
# node 0's log is on ssivm's stderr (and node0.log); node 1's in node1.log
up=0
for ((i = 0; i < 1200; i++)); do
	if grep -q "proxy of vCPU 1: online" "$tmp/out" 2>/dev/null; then
		up=1
		break
	fi
	kill -0 $ssivm 2>/dev/null || break
	sleep 0.1
done
check "vCPU 1 runs on host 1 (node 0's proxy of it is online)" [ $up = 1 ]
sleep 2 # in the coherence test: pages go back and forth
pid=$(pgrep -f -- "--log-dir $tmp .*--node $victim( |\$)" | head -n1)
check "node $victim's process found" [ -n "$pid" ]
sig=KILL
[ "$how" = stop ] && sig=STOP
t0=$(date +%s%N)
[ -n "$pid" ] && kill -$sig "$pid"
# when the survivor said so: its "stopping:" line (or the DSM's failure)
said=
for ((i = 0; i < 300; i++)); do
	if grep -qE "stopping: node $victim|memory failed on node $survivor: .*node $victim" \
		"$tmp/node$survivor.log" 2>/dev/null; then
		said=$((($(date +%s%N) - t0) / 1000000))
		break
	fi
	kill -0 $ssivm 2>/dev/null || break
	sleep 0.1
done
# a launcher still there 30 s after the failure: say where it waits
for ((i = 0; i < 300; i++)); do
	kill -0 $ssivm 2>/dev/null || break
	sleep 0.1
done
if kill -0 $ssivm 2>/dev/null; then
	l=
	for q in $(pgrep -f -- "^$build/ssivm run .*--log-dir $tmp"); do
		grep -qa -- "--node" /proc/$q/cmdline 2>/dev/null || l=$q # not a node: the launcher
	done
	echo "# ssivm still running 30 s after the failure; launcher $l, its threads and fds:"
	for t in /proc/$l/task/*; do echo "#   thread ${t##*/} $(cat $t/comm 2>/dev/null) wchan $(cat $t/wchan 2>/dev/null)"; done
	ls -l /proc/$l/fd 2>/dev/null | sed 's/^/#   /'
	ps -eo pid,ppid,stat,wchan:32,args | grep -E -- "--log-dir $tmp|ip netns" | grep -v grep | sed 's/^/#   /'
fi
wait $ssivm
rc=$?
[ $rc = 124 ] || [ $rc = 137 ] && echo "FAIL: ssivm did not end within 120 s (status $rc); the nodes' processes:" && ps -eo pid,stat,wchan:32,args | grep -- "--log-dir $tmp" | grep -v grep
ms=$((($(date +%s%N) - t0) / 1000000))
cat "$tmp/out"
echo "---- node $survivor's log"
tr -d '\000' <"$tmp/node$survivor.log"
echo "# SIG$sig to node $victim: node $survivor said so after ${said:-(never)} ms; ssivm ended after $ms ms with status $rc"
limit=2000
[ "$how" = stop ] && limit=6000
check "ssivm exits with status 1 (rc $rc)" [ "$rc" = 1 ]
check "node $survivor names node $victim as the failure within $limit ms (${said:-never})" \
	[ -n "$said" ] && [ "${said:-99999}" -le $limit ]
check "ssivm ends within 30 s of the failure ($ms ms)" [ $ms -le 30000 ]
check "no node served a zero or stale page" \
	bash -c "! grep -hi 'stale page served\|zero page served' '$tmp'/out '$tmp'/node*.log"
finish
