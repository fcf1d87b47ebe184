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
#   hang    as tcp with --peer-timeout-ms 2000 (DSM_HANG_TIMEOUT_MS); node N-1 is
#           stopped (SIGSTOP) mid-run, not killed: the others must see its
#           heartbeats stop, name it and exit 3 within 10 s; resumed
#           (SIGCONT) after that, it must find them gone and exit 3 too; nobody
#           may log CHECK FAILED
#   hangshm as hang, over shared memory
#   lostwrite, staleread, stall   over shared memory, negative tests: node N-1
#           runs with dsm-node --inject lost-write|stale-read|stall and the
#           checks must catch it. lostwrite: every node reports the lost
#           entry in the final image and exits 1; staleread: node N-1 reports
#           a stale read and exits 1, the others pass; stall: node N-1 skips
#           the last barrier and stays alive, node 0 must time out naming it
#           (--barrier-timeout-ms 4000) and exit 4, the others exit 3 or 4
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

if [ "$mode" = netem ] && ! modprobe -q sch_netem 2>/dev/null && ! grep -qw sch_netem /proc/modules 2>/dev/null; then
	if [ -n "${SSIVM_DSM_IN_SANDBOX:-}" ]; then
		echo "FAIL: no sch_netem inside the KVM sandbox either (its modules come from build/kernel: run scripts/setup)"
		exit 1
	fi
	# The sandbox's status is the verdict: 77 only when it cannot run on
	# this machine at all; a time-out (124), a sandbox that froze or never
	# started the command (125) is a failure (scripts/kvm-sandbox --help).
	echo "no sch_netem here: running inside the KVM sandbox"
	SSIVM_DSM_IN_SANDBOX=1 SSIVM_BUILD=$build exec "$here/scripts/kvm-sandbox" \
		--timeout "${SSIVM_SANDBOX_TIMEOUT:-600}" "$0" "$@"
fi

cleanup() {
	# a stopped node (hang) gets SIGCONT first, so that nothing stays stopped
	for p in ${pids[@]+"${pids[@]}"}; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	[ "$net" = ns ] && "$here/scripts/netns-cluster" down "$name" >/dev/null 2>&1
	[ -n "${DSM_STRESS_KEEP:-}" ] && echo "logs kept in $logdir" || rm -rf "$logdir"
}
trap cleanup EXIT
logdir=$(mktemp -d /tmp/dsm-stress.XXXXXX)
pids=()
net=ns
base_port=$((20000 + ($$ % 20000)))
case $mode in
shm | killshm | hangshm | lostwrite | staleread | stall) net=none tls=shm ;;
tcp | kill | hang | netem | evil) tls=tcp ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
case $mode in
kill* | hang* | lostwrite | staleread | stall)
	[ "$n" -ge 2 ] || { echo "mode $mode needs at least 2 nodes"; exit 2; } ;;
esac
victim=$((n - 1))
hang_ms=${DSM_HANG_TIMEOUT_MS:-2000}

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
case $mode in kill* | hang*) run_secs=$((secs + 30)) ;; esac
start=$(date +%s)
for ((i = 0; i < n; i++)); do
	cmd=("$node_bin" --node $i --nodes "$n" --addrs "$addrs" --tls "$tls" --threads "$threads"
		--seconds "$run_secs" --seed $((start + i)) --spin-us "${DSM_STRESS_SPIN_US:-50}"
		--metrics "$logdir/node$i.sock")
	[ -n "${DSM_STRESS_POLICY:-}" ] && cmd+=(--policy "$DSM_STRESS_POLICY")
	case $mode in
	hang*) cmd+=(--peer-timeout-ms "$hang_ms") ;;
	stall) cmd+=(--barrier-timeout-ms 4000) ;;
	esac
	if [ $i = $victim ]; then
		case $mode in
		lostwrite) cmd+=(--inject lost-write) ;;
		staleread) cmd+=(--inject stale-read) ;;
		stall) cmd+=(--inject stall) ;;
		esac
	fi
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
bad() {
	echo "FAIL: $*"
	fail=1
}
# log lines of node $1 without the metrics tables
excerpt() { grep -v '^ *[0-9]* *0x\|^ *[0-9]*  */' "$logdir/node$1.log" | tail -n "${2:-12}"; }
case $mode in
kill* | hang*)
	sleep "$secs"
	for ((i = 0; i < n; i++)); do
		kill -0 "${pids[$i]}" 2>/dev/null && continue
		echo "FAIL: node $i ended before node $victim was struck:"; excerpt $i 20; exit 1
	done
	# the metrics endpoint answers while the node runs
	"$build/ssivm" stats "$logdir/node0.sock" || bad "ssivm stats on node 0's socket"
	if [ "${mode#kill}" != "$mode" ]; then
		kill -9 "${pids[$victim]}"
		what=killed limit=20
		wait "${pids[$victim]}" 2>/dev/null
	else
		kill -STOP "${pids[$victim]}"
		what=stopped limit=$((hang_ms / 1000 + 8))
	fi
	t0=$(date +%s)
	for ((i = 0; i < n - 1; i++)); do
		wait "${pids[$i]}"
		rc=$?
		dt=$(($(date +%s) - t0))
		named=$(sed -n 's/.*DSM failed: [^0-9]*node \([0-9]*\).*/\1/p' "$logdir/node$i.log" | head -n1)
		if [ $rc != 3 ]; then
			bad "node $i exited $rc after node $victim was $what (expected 3, DSM failure):"
			excerpt $i
		elif [ -z "$named" ] || [ "$named" = "$i" ] || [ "$named" -ge "$n" ]; then
			# it must name the struck node, or another survivor (all of which
			# stop too: a cascade where that node had named the victim)
			bad "node $i stopped but named neither node $victim nor a survivor"
		elif grep -q "CHECK FAILED" "$logdir/node$i.log"; then
			bad "node $i saw wrong data before it stopped:"
			grep -m5 "CHECK FAILED" "$logdir/node$i.log"
		elif [ $dt -gt $limit ]; then
			bad "node $i took ${dt}s to stop after node $victim was $what (limit ${limit}s)"
		else
			echo "node $i stopped after ${dt}s: $(grep -m1 'DSM failed' "$logdir/node$i.log")"
			[ "$named" = "$victim" ] && named_victim=1
			# a stopped node is found by its missing heartbeats
			grep -q "DSM failed: node $victim: no heartbeat for " "$logdir/node$i.log" && by_heartbeat=1
		fi
	done
	[ -n "${named_victim:-}" ] || [ $fail = 1 ] || bad "no node named node $victim"
	if [ $what = stopped ]; then
		[ -n "${by_heartbeat:-}" ] || [ $fail = 1 ] ||
			bad "no node reported node $victim's heartbeats missing ('node $victim: no heartbeat for')"
		# resumed, it must find the others gone and stop, never go on
		kill -CONT "${pids[$victim]}"
		for ((k = 0; k < 150; k++)); do
			kill -0 "${pids[$victim]}" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "${pids[$victim]}" 2>/dev/null; then
			bad "node $victim, resumed, was still running 15 s later:"
			excerpt $victim
		else
			wait "${pids[$victim]}"
			rc=$?
			if [ $rc != 3 ]; then
				bad "node $victim exited $rc once resumed (expected 3: its peers are gone):"
				excerpt $victim
			elif grep -q "CHECK FAILED" "$logdir/node$victim.log"; then
				bad "node $victim saw wrong data once resumed:"
				grep -m5 "CHECK FAILED" "$logdir/node$victim.log"
			else
				echo "node $victim, resumed, stopped: $(grep -m1 'DSM failed' "$logdir/node$victim.log")"
			fi
		fi
	fi
	;;
*)
	t0=$(date +%s)
	# the negative tests end on their own within a bound (a node that does
	# not is a failure, not a hang of the test)
	case $mode in lostwrite | staleread) limit=$((secs + 60)) ;; stall) limit=$((secs + 25)) ;; *) limit= ;; esac
	for ((k = 0; k < ${limit:-0} * 10; k++)); do
		alive=
		for ((i = 0; i < n; i++)); do kill -0 "${pids[$i]}" 2>/dev/null && alive+=" $i"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	if [ -n "$limit" ] && [ -n "$alive" ]; then
		for i in $alive; do
			bad "node $i still running ${limit}s after the start:"
			excerpt $i
			kill -CONT "${pids[$i]}" 2>/dev/null
			kill -9 "${pids[$i]}" 2>/dev/null
		done
	fi
	for ((i = 0; i < n; i++)); do
		wait "${pids[$i]}"
		rcs[$i]=$?
		[ ${rcs[$i]} = 77 ] && skip "$(tail -n1 "$logdir/node$i.log")"
	done
	dt=$(($(date +%s) - t0))
	case $mode in
	lostwrite)
		line=$(grep -m1 'FAULT INJECTION (--inject lost-write): writer' "$logdir/node$victim.log")
		w=$(sed -n 's/.*: writer \([0-9]*\) loses.* data page \([0-9]*\) .*/\1/p' <<<"$line")
		p=$(sed -n 's/.*: writer \([0-9]*\) loses.* data page \([0-9]*\) .*/\2/p' <<<"$line")
		if [ -z "$w" ] || [ -z "$p" ]; then
			bad "node $victim never injected its lost write:"
			excerpt $victim
		fi
		for ((i = 0; i < n && fail == 0; i++)); do
			if [ ${rcs[$i]} != 1 ]; then
				bad "node $i exited ${rcs[$i]}, expected 1 (the checks fail: writer $w lost its writes to data page $p):"
				excerpt $i
			elif ! grep -q "CHECK FAILED: final image: data page $p writer $w holds seq [0-9]*, its last write was seq [0-9]* (lost write)" "$logdir/node$i.log"; then
				bad "node $i's final-image check missed writer $w's lost writes to data page $p:"
				excerpt $i
			else
				echo "node $i caught it: $(grep -m1 "CHECK FAILED: final image: data page $p writer $w " "$logdir/node$i.log")"
			fi
		done
		;;
	staleread)
		grep -q 'FAULT INJECTION (--inject stale-read): reader' "$logdir/node$victim.log" ||
			{ bad "node $victim never injected its stale reads:"; excerpt $victim; }
		for ((i = 0; i < n && fail == 0; i++)); do
			if [ $i = $victim ]; then
				if [ ${rcs[$i]} != 1 ]; then
					bad "node $i exited ${rcs[$i]}, expected 1 (the checks fail: it read stale data on purpose):"
					excerpt $i
				elif ! grep -q 'CHECK FAILED: .*(stale read)' "$logdir/node$i.log"; then
					bad "node $i's checks missed its stale reads:"
					excerpt $i
				else
					echo "node $i caught it: $(grep -m1 'CHECK FAILED: .*(stale read)' "$logdir/node$i.log")"
				fi
			elif [ ${rcs[$i]} != 0 ] || grep -q 'CHECK FAILED' "$logdir/node$i.log"; then
				# their data was right: a failure here is a false alarm (or a real bug)
				bad "node $i exited ${rcs[$i]}, expected 0 (only node $victim read stale data):"
				excerpt $i
			fi
		done
		;;
	stall)
		want="barrier 1 (every node checked the final image) (page 1): node(s) $victim did not arrive within"
		grep -q 'FAULT INJECTION (--inject stall)' "$logdir/node$victim.log" ||
			{ bad "node $victim never reached its stall:"; excerpt $victim; }
		if [ ${rcs[0]} != 4 ] || ! grep -q "$want" "$logdir/node0.log"; then
			bad "node 0 exited ${rcs[0]}, expected 4 after '$want ...':"
			excerpt 0
		else
			echo "node 0: $(grep -m1 "$want" "$logdir/node0.log")"
		fi
		for ((i = 1; i < n; i++)); do
			# node 0 gone, they stop (3); or they wait out the verdict (4)
			case ${rcs[$i]} in
			3 | 4) ;;
			*) bad "node $i exited ${rcs[$i]}, expected 3 or 4 (node 0 gave up):"; excerpt $i ;;
			esac
			[ $i = $victim ] && [ ${rcs[$i]} != 3 ] && bad "node $victim, stalled, exited ${rcs[$i]}, expected 3 (node 0 is gone)"
		done
		if grep -q 'CHECK FAILED' "$logdir"/node*.log; then
			bad "a node logged CHECK FAILED (nothing was wrong with the data):"
			grep -m3 'CHECK FAILED' "$logdir"/node*.log
		fi
		;;
	*)
		for ((i = 0; i < n; i++)); do
			if [ ${rcs[$i]} != 0 ]; then
				bad "node $i exited ${rcs[$i]}:"
				tail -n 12 "$logdir/node$i.log"
			fi
		done
		;;
	esac
	if [ "$mode" = evil ]; then
		grep -h "dsm-evil: sent" "$logdir/node$((n - 1)).log"
		for ((i = 0; i < n - 1; i++)); do
			nbad=$(sed -n "s/^node $i: .*bad messages \([0-9]*\).*/\1/p" "$logdir/node$i.log" | tail -n1)
			if [ -z "$nbad" ] || [ "$nbad" = 0 ]; then
				bad "node $i counted no rejected message from the misbehaving node"
			fi
		done
	fi
	;;
esac
pids=()
for ((i = 0; i < n; i++)); do
	echo "---- node $i"
	grep -E "CHECK FAILED|error|warning: transport|INJECTION|PASS|FAIL|run over|^node $i:" "$logdir/node$i.log" | head -n 40
done
echo "dsm-stress $mode, $n nodes, ${secs}s, $threads threads/node: $([ $fail = 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - start))s"
exit $fail
