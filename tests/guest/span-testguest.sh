#!/bin/bash
# tests/guest/span-testguest.sh FABRIC NODES — the test guest spanning NODES
# hosts of a local cluster (`ssivm run` without --node: one process per host;
# FABRIC tcp: each in its own network namespace joined by veth, shm: shared
# memory), one vCPU per host, RAM split unequally (the last host's node is
# smaller). It runs `ipi` (INIT/SIPI to every AP across hosts, an IPI round
# trip) and `span` (coherence with lost-write/stale-read/torn-page/lost-
# increment checks on every CPU, fixed/NMI/broadcast IPIs, LAPIC timer
# interrupts on each AP, console and UART I/O from the APs), then the last
# AP, on the last host, writes the exit port. Checks: the guest's verdict,
# ssivm's status is the guest's (from a remote vCPU), every node exited with
# it, and each node's log names what crossed hosts.
. "$(dirname "$0")/lib.sh"
fabric=${1:-shm} nodes=${2:-2}
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
need_testguest
tmp=$(mktemp -d "$build/tmp/span-tg.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0
numa=()
for ((k = 0; k < nodes; k++)); do
	mem=32M
	[ $k = $((nodes - 1)) ] && mem=16M
	numa+=(--numa "id=$k,cpus=$k,memory=$mem,host=$k")
done
exitv=$((RANDOM % 100 + 2))
for try in 1 2; do
	t0=$(date +%s%N)
	timeout -s TERM 280 "$build/ssivm" run "${numa[@]}" --fabric "$fabric" --log-dir "$tmp" \
		--kernel "$build/guest/testguest.elf" \
		--cmdline "tests=ipi,span cpus=$nodes exit=$exitv exitcpu=$((nodes - 1)) spanrounds=100" \
		>"$tmp/out" 2>&1 </dev/null
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	cat "$tmp/out"
	# The KVM sandbox's nested-SVM defect (docs/kvm-sandbox.md): a vCPU left
	# at the sandbox kernel's RIP after VMRUN (page offset 0x20c). Only that
	# exact signature is retried, once, and said loudly; anything else fails.
	if [ $try = 1 ] && [ -n "${SSIVM_SANDBOX:-$(grep -ws sbrun /proc/cmdline)}" ] &&
		grep -qE "vCPU [0-9]+: rip ffffffffc0[0-9a-f]{3}20c " "$tmp/out" "$tmp"/node*.log; then
		echo "WARNING: a vCPU stopped at the KVM sandbox kernel's own RIP after VMRUN (its nested-SVM defect, docs/kvm-sandbox.md); retrying once"
		continue
	fi
	break
done
for ((k = 1; k < nodes; k++)); do
	echo "---- node $k's log"
	tr -d '\000' <"$tmp/node$k.log"
done
want=$(((exitv << 1 | 1) & 255))
check "ssivm exit status $rc = the guest's ($exitv << 1) | 1, in $ms ms" [ "$rc" -eq "$want" ]
check_guest_done "$tmp/out" 2
check "CPU $((nodes - 1)) (host $((nodes - 1))) wrote the exit port" \
	grep -q "vCPU $((nodes - 1)) wrote 0x$(printf %x $exitv) to the exit port" "$tmp/out"
for ((k = 1; k < nodes; k++)); do
	check "node $k ended with the guest's status" grep -q "the guest ended .*status $want" "$tmp/node$k.log"
	check "node $k started vCPU $k on its SIPI from node 0" grep -q "node $k: every node is ready" "$tmp/node$k.log"
done
check "node 0 forwarded INIT and SIPI to every other host" \
	[ "$(grep -c 'SIPI 0x.* forwarded to node' "$tmp/out")" -ge $((nodes - 1)) ]
check "no node refused a control message" bash -c "! grep -h 'refused a' '$tmp'/out '$tmp'/node*.log"
finish
