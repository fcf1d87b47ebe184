#!/bin/bash
# tests/guest/span-metrics-shm-2.sh — the metrics of a guest across 2 hosts
# of a local cluster (shm fabric; `--metrics-http 127.0.0.1:P`: node 0 on P,
# node 1 on P + 1). While the test guest runs `ipi`, `span` (coherence
# across hosts, IPIs, console I/O from the AP) and then idles, each node's
# endpoint is scraped and checked by promtool; node 1 shows remote DSM faults
# of its vCPU 1, forwarded I/O and interrupts; `ssivm top --nodes 2` under
# tmux shows both nodes, and q ends it. Layer span (see tests/guest/module.mk).
. "$(dirname "$0")/lib.sh"
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
need_testguest
for t in curl promtool tmux; do
	command -v $t >/dev/null || { echo "FAIL: $t missing (scripts/setup installs it)"; exit 1; }
done
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	tmux -S "$tmp/tmux" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip link set lo up 2>/dev/null
export SSIVM_SERIAL_INPUT=0
port=$((19600 + 2 * (RANDOM % 200)))
timeout -s TERM 280 "$build/ssivm" run --numa id=0,cpus=0,memory=32M,host=0 \
	--numa id=1,cpus=1,memory=16M,host=1 --fabric shm --log-dir "$tmp" \
	--kernel "$build/guest/testguest.elf" --metrics-http 127.0.0.1:$port \
	--cmdline "tests=ipi,span,idle cpus=2 spanrounds=100 idlems=30000 exit=21" \
	>"$tmp/out" 2>&1 </dev/null &
pid=$!

# wait until the span test is over (the guest idles on node 0 then)
done_span=0
for _ in $(seq 1 400); do
	grep -q '^ok span' "$tmp/out" && { done_span=1; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
check "the guest passed its span test while the nodes serve metrics" [ $done_span = 1 ]
for k in 0 1; do
	code=$(curl -s -o "$tmp/m$k" -w '%{http_code}' "http://127.0.0.1:$((port + k))/metrics")
	check "node $k: GET /metrics on port $((port + k)): 200 (got $code)" [ "$code" = 200 ]
	if promtool check metrics <"$tmp/m$k" >"$tmp/lint$k" 2>&1; then
		pass "node $k: promtool check metrics: $(grep -vc '^#' "$tmp/m$k") samples, no problem"
	else
		sed 's/^/  promtool: /' "$tmp/lint$k"
		fail "node $k: promtool check metrics"
	fi
	grep -E '^ssivm_(dsm_faults_(local|remote|home)_total|dsm_remote_miss_ratio|io_forwarded_total|irq_forwarded_total|dsm_vcpu_faults_total)' \
		"$tmp/m$k" | sed "s/^/  node $k: /"
done
val() { awk -v k="$2" 'index($0, k) == 1 { s += $NF } END { printf "%d", s }' "$1"; }
check "node 1: remote DSM faults" [ "$(val "$tmp/m1" 'ssivm_dsm_faults_remote_total{node="1"}')" -gt 0 ]
check "node 1: remote faults of its vCPU 1" \
	[ "$(val "$tmp/m1" 'ssivm_dsm_vcpu_faults_total{node="1",vcpu="1",where="remote"}')" -gt 0 ]
stall=$(awk '/^ssivm_dsm_vcpu_stall_seconds_total\{node="1",vcpu="1"\}/ { print $NF }' "$tmp/m1")
check "node 1: stall time of its vCPU 1 (${stall:-none} s)" awk -v s="${stall:-0}" 'BEGIN { exit !(s > 0) }'
check "node 1: I/O forwarded to node 0" [ "$(val "$tmp/m1" 'ssivm_io_forwarded_total{node="1",')" -gt 0 ]
check "node 0: served the forwarded I/O" [ "$(val "$tmp/m0" 'ssivm_io_served_total{node="0",')" -gt 0 ]
check "node 0: IPIs to node 1's vCPU caught by its proxy" \
	[ "$(val "$tmp/m0" 'ssivm_ipi_proxy_captured_total{node="0"}')" -gt 0 ]
check "node 1: a hot page listed" grep -q '^ssivm_dsm_hot_page_faults{node="1",offset="0x' "$tmp/m1"

export TERM=xterm
tmux -S "$tmp/tmux" new-session -d -s top -x 170 -y 50 "$build/ssivm top --nodes 2 127.0.0.1:$port"
sleep 4
tmux -S "$tmp/tmux" capture-pane -p -t top >"$tmp/screen" 2>&1
grep -v '^ *$' "$tmp/screen" | sed 's/^/  | /'
check "top: 2 nodes" grep -q "ssivm top: 2 node(s)" "$tmp/screen"
check "top: node 0 and node 1" sh -c "grep -q '^node 0  127.0.0.1:$port ' '$tmp/screen' && grep -q '^node 1  127.0.0.1:$((port + 1)) ' '$tmp/screen'"
check "top: the DSM line with the remote miss ratio" grep -q "DSM faults/s .* remote miss ratio" "$tmp/screen"
check "top: the hottest pages" grep -q "hottest pages (remote faults): 0x" "$tmp/screen"
tmux -S "$tmp/tmux" send-keys -t top q
gone=0
for _ in $(seq 1 20); do
	tmux -S "$tmp/tmux" has-session -t top 2>/dev/null || { gone=1; break; }
	sleep 0.25
done
check "top: q quits" [ $gone = 1 ]

wait "$pid"
rc=$?
pid=
tail -15 "$tmp/out" | sed 's/^/  [node 0] /'
tr -d '\000' <"$tmp/node1.log" | tail -25 | sed 's/^/  [node 1] /'
check "ssivm exit status $rc = (21 << 1) | 1" [ "$rc" -eq 43 ]
check_guest_done "$tmp/out" 3
finish
