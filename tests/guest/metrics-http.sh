#!/bin/bash
# tests/guest/metrics-http.sh — the Prometheus endpoint and `ssivm top` on a
# running 1-node VM (the test guest, 2 vCPUs, --irqchip user so that its
# halts and LAPIC accesses exit to ssivm): curl scrapes /metrics and
# promtool checks every line of it; other paths and methods answer 404, a
# malformed request 400; the exit counters grow between two scrapes; then
# `ssivm top` runs under tmux and its screen shows the node and its vCPUs,
# and `q` ends it. Through scripts/with-kvm (native KVM or the KVM sandbox).
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
port=$((19100 + RANDOM % 500))
url=http://127.0.0.1:$port
timeout 300 "$build/ssivm" run --irqchip user --vcpus 2 --memory 64M \
	--kernel "$build/guest/testguest.elf" --metrics-http 127.0.0.1:$port \
	--cmdline "tests=ipi,idle cpus=2 idlems=25000 exit=21" >"$tmp/out" 2>&1 </dev/null &
pid=$!

up=0
for _ in $(seq 1 120); do
	curl -sf -o /dev/null "$url/metrics" && { up=1; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
check "the endpoint answers while the guest runs" [ $up = 1 ]

code=$(curl -s -o "$tmp/m1" -w '%{http_code}' "$url/metrics")
check "GET /metrics: 200 (got $code)" [ "$code" = 200 ]
check "curl saw Content-Type text/plain; version=0.0.4" \
	sh -c "curl -sI -X GET '$url/metrics' | grep -qi '^Content-Type: text/plain; version=0.0.4'"
echo "  $(wc -l <"$tmp/m1") lines, $(grep -vc '^#' "$tmp/m1") samples"
if promtool check metrics <"$tmp/m1" >"$tmp/lint" 2>&1; then
	pass "promtool check metrics: every line parses, no lint problem"
else
	sed 's/^/  promtool: /' "$tmp/lint"
	fail "promtool check metrics"
fi
for v in 0 1; do
	check "vCPU $v: exits by kind are served" \
		grep -q "^ssivm_vcpu_exits_total{node=\"0\",vcpu=\"$v\",kind=\"hlt\"} " "$tmp/m1"
done
check "ssivm_vcpus is 2" grep -qx 'ssivm_vcpus{node="0"} 2' "$tmp/m1"
check "a 1-node VM serves no DSM metrics" sh -c "! grep -q '^ssivm_dsm_' '$tmp/m1'"
sleep 2
curl -s -o "$tmp/m2" "$url/metrics"
sum() { awk -v k="$2" 'index($0, k) == 1 { s += $NF } END { printf "%d", s }' "$1"; }
e1=$(sum "$tmp/m1" 'ssivm_vcpu_exits_total{node="0",vcpu="0"')
e2=$(sum "$tmp/m2" 'ssivm_vcpu_exits_total{node="0",vcpu="0"')
check "vCPU 0's exits grow between two scrapes 2 s apart ($e1 -> $e2)" [ "$e2" -gt "$e1" ]

code=$(curl -s -o /dev/null -w '%{http_code}' "$url/")
check "GET /: 404 (got $code)" [ "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")
check "POST /metrics: 404 (got $code)" [ "$code" = 404 ]
bad=$(exec 3<>/dev/tcp/127.0.0.1/$port && printf 'not http\r\n\r\n' >&3 && head -c 12 <&3)
check "a malformed request: 400 (got '$bad')" [ "$bad" = "HTTP/1.1 400" ]

# ssivm top under tmux: read its screen, then press q
export TERM=xterm
tmux -S "$tmp/tmux" new-session -d -s top -x 160 -y 40 "$build/ssivm top 127.0.0.1:$port"
sleep 4
tmux -S "$tmp/tmux" capture-pane -p -t top >"$tmp/screen" 2>&1
grep -v '^ *$' "$tmp/screen" | sed 's/^/  | /'
check "top: the title names 1 node" grep -q "ssivm top: 1 node(s), every 1.0 s, q quits" "$tmp/screen"
check "top: node 0 and its endpoint" grep -q "^node 0  127.0.0.1:$port   vCPUs 2" "$tmp/screen"
check "top: a row per vCPU" sh -c "grep -Eq '^  0 +[0-9]' '$tmp/screen' && grep -Eq '^  1 +[0-9]' '$tmp/screen'"
row=$(grep -E '^  0 +[0-9]' "$tmp/screen" | awk '{print $2}')
check "top: vCPU 0 exits/s > 0 (${row:-none})" [ "${row:-0}" -gt 0 ]
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
sed 's/^/  [guest] /' "$tmp/out" | tail -20
check "ssivm exit status $rc = (21 << 1) | 1" [ "$rc" -eq 43 ]
check_guest_done "$tmp/out" 2
finish
