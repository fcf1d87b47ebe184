#!/bin/bash
# tests/multiproc/transport-rdv.sh SCENARIO — hostile and mistaken input on
# the rendezvous port (docs/transport.md, "Rendezvous"). Three network
# namespaces (scripts/netns-cluster, names tp-rdv-*): a cluster of two tp-node
# processes, node 0 in host 0 and node 1 in host 1 (UCX over TCP), and host 2,
# a stranger. tp-hello-evil plays the hostile client.
#
#   badhello   from node 1's host: the 25-byte version-1 hello of issue 10
#              (which aborted node 0 inside UCX), a 1-byte worker address, a
#              worker address of UCX format 2, a wrong checksum, an HTTP
#              request. Node 0 refuses each, names the connection, counts it
#              per reason, and then joins the real node 1.
#   silent     eight silent connections from the stranger hold node 0's port
#              while node 1 connects: node 0 joins node 1 at once (connect
#              timeout 4 s: sequential 2 s waits would have taken 16), and
#              counts and names the eight when their deadlines pass.
#   nodecount  a forged hello claiming node 1 of a cluster of 3, one with tls
#              shm, then a real node 1 configured for 3 nodes: each is refused
#              with what differs (the misconfigured node fails at once, exit
#              2), and node 0 still joins the real node 1.
#   stranger   a well-formed hello claiming node 1 from the stranger's IP:
#              refused (not node 1's IP), node 1 joins.
#   duplicate  two node-1 processes start together: one joins, the other is
#              refused with "node 1 is claimed by two processes: A and B";
#              then a third node 1 starts after the cluster formed and is told
#              the same (not "node 0 did not show up").
#   duplicate3 a cluster of three (host 2 is node 2): while node 0 still waits
#              for node 1, a second node-2 process is refused ("... A
#              (connected first) and B"); after the join a second node 1
#              cannot listen on node 1's address and says so.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail. Everything it starts
# (processes, namespaces) is removed on exit, also on failure.
set -u
scenario=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
node_bin=$build/bin/tp-node
evil_bin=$build/bin/tp-hello-evil
tag=tp-rdv-$$
logdir=$(mktemp -d "${TMPDIR:-/tmp}/$tag.XXXX")
pids=()
nc=$root/scripts/netns-cluster

skip() {
	echo "$*"
	exit 77
}

cleanup() {
	exec 2>/dev/null
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$nc" down "$tag" >/dev/null 2>&1
	rm -rf "$logdir"
}
trap cleanup EXIT

fail() {
	for f in "$logdir"/*.log; do
		echo "---- $(basename "$f")"
		tail -n 30 "$f"
	done
	echo "FAIL: $scenario: $*"
	exit 1
}

case $scenario in badhello | silent | nodecount | stranger | duplicate | duplicate3) ;; *)
	echo "usage: transport-rdv.sh badhello|silent|nodecount|stranger|duplicate|duplicate3"
	exit 2
	;;
esac
[ -x "$node_bin" ] && [ -x "$evil_bin" ] || skip "tp-node or tp-hello-evil not built: run make first"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
ip netns list >/dev/null 2>&1 || skip "ip netns is not available"
out=$("$nc" up "$tag" 3 2>&1) || skip "cannot create namespaces: $out"
ip0=$("$nc" addr "$tag" 0) ip1=$("$nc" addr "$tag" 1) ip2=$("$nc" addr "$tag" 2)
addrs=$ip0:7400,$ip1:7400
[ "$scenario" = duplicate3 ] && addrs=$addrs,$ip2:7400

# start_node NAME HOST ARGS...: tp-node in host HOST, output in NAME.log
start_node() {
	local name=$1 host=$2
	shift 2
	timeout -k 5 60 "$nc" exec "$tag" "$host" "$node_bin" -n "$addrs" -t tcp -c 300 -H 200 \
		-T 5000 -x 30 -b "$@" >"$logdir/$name.log" 2>&1 &
	pids+=($!)
	eval "pid_$name=$!"
}

# evil HOST MODE ARGS...: one run of tp-hello-evil against node 0, output appended to evil.log
evil() {
	local host=$1 mode=$2
	shift 2
	"$nc" exec "$tag" "$host" "$evil_bin" -a "$ip0:7400" -m "$mode" "$@" >>"$logdir/evil.log" 2>&1 ||
		fail "tp-hello-evil -m $mode failed"
}

# expect_answer MODE TEXT: tp-hello-evil saw TEXT for MODE (a fixed string)
expect_answer() {
	grep -F "tp-hello-evil: $1 from " "$logdir/evil.log" | grep -qF ": $2" ||
		fail "tp-hello-evil $1: expected the answer '$2'"
}

# named MODE TEXT: node 0's log names each connection of MODE with TEXT
named() {
	local who n=0
	for who in $(grep -F "tp-hello-evil: $1: sent " "$logdir/evil.log" | awk '{print $NF}'); do
		grep -F "a connection from $who" "$logdir/node0.log" | grep -qF "$2" ||
			fail "node 0 did not log '$2' for the $1 connection from $who"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || fail "no $1 connection was made"
}

# counted NAME REASON COUNT: NAME's counters say COUNT hellos refused for REASON
counted() {
	local got
	got=$(sed -n "s/^hello_rejected node=[0-9]* reason=[0-9]* count=\([0-9]*\) ($2)$/\1/p" \
		"$logdir/$1.log")
	[ "${got:-0}" = "$3" ] || fail "$1 counted ${got:-0} hellos refused as '$2', expected $3"
}

# total NAME COUNT
total() {
	grep -q "^hellos_rejected node=[0-9]* total=$2\$" "$logdir/$1.log" ||
		fail "$1: expected $2 refused hellos in all, got: $(grep '^hellos_rejected' "$logdir/$1.log")"
}

# joined NAME...: each process exited 0 after its checked ping-pong
joined() {
	local n
	for n in "$@"; do
		eval "wait \$pid_$n"
		local rc=$?
		[ $rc = 0 ] || fail "$n exited with $rc"
		grep -q "^tp-node [0-9]: OK" "$logdir/$n.log" || fail "$n did not report OK"
	done
}

alive() {
	kill -0 "$pid_node0" 2>/dev/null || fail "node 0 is gone: $(tail -n 3 "$logdir/node0.log")"
}

echo "transport rendezvous: scenario $scenario, nodes $addrs, stranger $ip2"
t0=$(date +%s%N)
case $scenario in
badhello)
	start_node node0 0 -i 0 -C 15000
	for m in v1-25 short-addr bad-format bad-crc junk; do
		evil 1 "$m"
		alive
	done
	expect_answer v1-25 "refused (other rendezvous version): it speaks rendezvous version 1, node 0 speaks 2"
	expect_answer short-addr "closed without an answer"
	expect_answer bad-format "refused (bad UCX worker address): its UCX worker address has an unknown format 2"
	expect_answer bad-crc "closed without an answer"
	expect_answer junk "closed without an answer"
	named v1-25 "sent a hello that does not fit (it speaks rendezvous version 1, node 0 speaks 2), refused"
	named short-addr "sent a bad hello (UCX worker address of 1 bytes (expected 16..65536)), ignored"
	named bad-format "claiming node 1 sent a hello that does not fit (its UCX worker address has an unknown format 2"
	named bad-crc "sent a bad hello (checksum mismatch"
	named junk "sent a bad hello (not a hello: starts with 47 45 54 20), ignored"
	start_node node1 1 -i 1 -C 15000
	joined node0 node1
	counted node0 "other rendezvous version" 1
	counted node0 "bad UCX worker address" 2
	counted node0 "checksum mismatch" 1
	counted node0 "not a hello" 1
	total node0 5
	total node1 0
	;;
silent)
	start_node node0 0 -i 0 -C 4000 -D 2500
	"$nc" exec "$tag" 2 "$evil_bin" -a "$ip0:7400" -m silent -k 8 -s 3000 -w 5000 \
		>"$logdir/evil.log" 2>&1 &
	pids+=($!)
	evil_pid=$!
	for ((k = 0; k < 100; k++)); do
		[ "$(grep -c ': sent 0 bytes from ' "$logdir/evil.log")" = 8 ] && break
		sleep 0.05
	done
	[ "$(grep -c ': sent 0 bytes from ' "$logdir/evil.log")" = 8 ] || fail "the 8 silent connections were not made"
	start_node node1 1 -i 1 -C 4000 -D 2500
	joined node0 node1
	wait "$evil_pid"
	grep -q "did not connect" "$logdir/node0.log" && fail "node 0 blamed node 1"
	named silent "sent no whole hello within 2000 ms (0 bytes), closed"
	[ "$(grep -c 'silent from .*: closed without an answer' "$logdir/evil.log")" = 8 ] ||
		fail "node 0 did not close the 8 silent connections"
	counted node0 "no hello in time" 8
	total node0 8
	;;
nodecount)
	start_node node0 0 -i 0 -C 15000
	evil 1 nr-nodes
	evil 1 tls-shm
	alive
	expect_answer nr-nodes "refused (other cluster size): it says the cluster has 3 nodes, node 0 says 2"
	expect_answer tls-shm "refused (other tls setting): it uses tls shm, node 0 uses tcp"
	named nr-nodes "claiming node 1 sent a hello that does not fit (it says the cluster has 3 nodes, node 0 says 2), refused"
	named tls-shm "claiming node 1 sent a hello that does not fit (it uses tls shm, node 0 uses tcp), refused"
	# a real node 1 configured for three nodes: refused at once, exit 2
	timeout 20 "$nc" exec "$tag" 1 "$node_bin" -n "$addrs,$ip2:7400" -t tcp -i 1 -C 15000 \
		>"$logdir/node1-of-3.log" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "node 1 of a 3-node cluster exited with $rc, expected 2"
	grep -qF "node 0 ($ip0:7400) refused our hello: it says the cluster has 3 nodes, node 0 says 2" \
		"$logdir/node1-of-3.log" || fail "node 1 of 3 did not say why node 0 refused it"
	alive
	start_node node1 1 -i 1 -C 15000
	joined node0 node1
	counted node0 "other cluster size" 2
	counted node0 "other tls setting" 1
	total node0 3
	;;
stranger)
	start_node node0 0 -i 0 -C 15000
	evil 2 valid
	alive
	expect_answer valid "refused (not from the claimed node's IP): it does not come from node 1's IP ($ip1:7400)"
	named valid "claiming node 1: it does not come from node 1's IP ($ip1:7400)"
	start_node node1 1 -i 1 -C 15000
	joined node0 node1
	counted node0 "not from the claimed node's IP" 1
	total node0 1
	;;
duplicate)
	start_node a 1 -i 1 -C 15000 -D 3000
	start_node b 1 -i 1 -C 15000 -D 3000
	sleep 0.3
	start_node node0 0 -i 0 -C 15000 -D 3000
	# exactly one of a and b joins; the other is told who holds node 1
	loser=
	for ((k = 0; k < 200; k++)); do
		for n in a b; do
			if grep -q "refused our hello" "$logdir/$n.log"; then loser=$n; fi
		done
		[ -n "$loser" ] && break
		sleep 0.05
	done
	[ -n "$loser" ] || fail "neither node-1 process was refused"
	winner=a
	[ "$loser" = a ] && winner=b
	eval "wait \$pid_$loser"
	rc=$?
	[ $rc = 2 ] || fail "the refused node 1 ($loser) exited with $rc, expected 2"
	pat="node 0 ($ip0:7400) refused our hello: node 1 is claimed by two processes: $ip1:"
	grep -F "$pat" "$logdir/$loser.log" | grep -q " and $ip1:[0-9]*\$" ||
		fail "$loser did not name both node-1 processes"
	grep -q "did not show up" "$logdir/$loser.log" && fail "$loser blamed node 0"
	# a third node 1 after the cluster formed
	for ((k = 0; k < 100; k++)); do
		grep -q ": connected to 1 nodes" "$logdir/node0.log" && break
		sleep 0.05
	done
	timeout 20 "$nc" exec "$tag" 1 "$node_bin" -n "$addrs" -t tcp -i 1 -C 5000 >"$logdir/late.log" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "the late node 1 exited with $rc, expected 2"
	grep -F "$pat" "$logdir/late.log" | grep -q "(in the cluster since it formed) and $ip1:[0-9]*\$" ||
		fail "the late node 1 was not told who holds node 1"
	grep -q "did not show up" "$logdir/late.log" && fail "the late node 1 blamed node 0"
	joined node0 "$winner"
	counted node0 "node claimed twice" 2
	total node0 2
	;;
duplicate3)
	start_node node0 0 -i 0 -C 15000 -D 2000
	start_node a 2 -i 2 -C 15000 -D 2000
	# node 0 took a's hello (an established side socket) and still waits for node 1
	for ((k = 0; k < 100; k++)); do
		[ -n "$("$nc" exec "$tag" 0 ss -Htn state established '( sport = :7400 )')" ] && break
		sleep 0.05
	done
	timeout 20 "$nc" exec "$tag" 2 "$node_bin" -n "$addrs" -t tcp -i 2 -C 5000 >"$logdir/b.log" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "the second node 2 exited with $rc, expected 2"
	grep -F "node 0 ($ip0:7400) refused our hello: node 2 is claimed by two processes: $ip2:" \
		"$logdir/b.log" | grep -q "(connected first) and $ip2:[0-9]*\$" ||
		fail "the second node 2 was not told who holds node 2"
	alive
	start_node node1 1 -i 1 -C 15000 -D 2000
	for ((k = 0; k < 100; k++)); do
		grep -q ": connected to 2 nodes" "$logdir/node1.log" && break
		sleep 0.05
	done
	timeout 20 "$nc" exec "$tag" 1 "$node_bin" -n "$addrs" -t tcp -i 1 -C 5000 >"$logdir/c.log" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "the second node 1 exited with $rc, expected 2"
	grep -qF "node 1 cannot listen on $ip1:7400: Address already in use (another process there: node claimed twice?)" \
		"$logdir/c.log" || fail "the second node 1 did not say why it cannot join"
	joined node0 node1 a
	counted node0 "node claimed twice" 1
	total node0 1
	total node1 0
	;;
esac
ms=$((($(date +%s%N) - t0) / 1000000))
grep -h "rendezvous:" "$logdir/node0.log" | head -n 8
grep -h "^tp-hello-evil: .* from " "$logdir"/evil.log 2>/dev/null | head -n 8
grep -h "refused our hello" "$logdir"/*.log | head -n 3
echo "PASS: $scenario, ${ms} ms"
exit 0
