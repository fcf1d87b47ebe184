#!/bin/bash
# tests/sandbox/sandbox-selftest.sh — the KVM sandbox gives a command what
# docs/kvm-sandbox.md says it does. Inside (tests/sandbox/sandbox-inside.sh):
# root, the caller's working directory, /dev/kvm with svm and nested paging,
# 2 CPUs and 4 GiB, /proc, /sys, a tmpfs /tmp, /dev/fd, /dev/shm, /dev/pts,
# loopback up, modprobe veth/tun/sch_netem from the extracted kernel,
# /dev/net/tun, automatic module loading, the host's root and its programs,
# the environment that is passed and one that is not. Here, afterwards: the
# command's exit status came back, its output came back, the file it wrote
# in the checkout is here, and what it wrote over the host's root is not.
# Prints the time from starting scripts/kvm-sandbox to the command's first
# output line, and to the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
here=$PWD
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "native KVM here: the sandbox is not needed (checked where there is no /dev/kvm)"
	exit 77
fi
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing"; exit 77; }
mkdir -p build/sandbox
mark=$here/build/sandbox/selftest.$$
hostfile=$(mktemp /var/tmp/ssivm-sbtest.XXXXXX)
token=sbtest-$$-$RANDOM$RANDOM
out=$(mktemp build/sandbox/selftest-out.XXXXXX)
trap 'rm -f "$mark" "$hostfile" "$out"' EXIT
echo "$token" >"$hostfile"
status=$((3 + RANDOM % 70)) # not 0, 1 (a failed check), 77 or 125

# the environment under test: passed prefixes, and one that must not pass
export SSIVM_SBTEST_ENV='two words, $dollar "quotes" and a
newline' CI=sbtest-ci TERM=sbtest-term NOT_PASSED_SBTEST=leak
for v in UCX ASAN UBSAN LSAN; do export "${v}_SBTEST_ENV=value-of-${v}_SBTEST_ENV"; done
export HOME=${HOME:-/root}
unset SSIVM_SANDBOX_MEM SSIVM_SANDBOX_SMP # the defaults are under test

now_ms() { echo $(($(date +%s%N) / 1000000)); }
cd tests/sandbox # a working directory other than the checkout's root
t0=$(now_ms) t_start=
while IFS= read -r line; do
	line=${line%$'\r'}
	[ -z "$t_start" ] && [ "$line" = "sbtest: started" ] && t_start=$(now_ms)
	printf '%s\n' "$line" | tee -a "$here/$out"
done < <(../../scripts/kvm-sandbox ./sandbox-inside.sh "$status" "$here" "$PWD" "$hostfile" "$token" \
	"$mark" "$SSIVM_SBTEST_ENV" "$PATH" "$HOME" 2>&1
	echo "sbtest-exit $?")
t_end=$(now_ms)
cd "$here"
rc=$(sed -n 's/^sbtest-exit //p' "$out" | tail -n1)

fails=0
check() { # description, then a command that must succeed
	local what=$1; shift
	if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
check "the command's exit status $status came back (got ${rc:-none})" test "${rc:-none}" = "$status"
check "the command's output came back" grep -q '^sbtest: all inside checks passed' "$out"
check "every check inside passed" bash -c "! grep -q '^FAIL: ' '$out'"
check "the file the command wrote in the checkout is on the host" test "$(cat "$mark" 2>/dev/null)" = "$token"
check "the host file the command overwrote is unchanged on the host" test "$(cat "$hostfile")" = "$token"
check "the file the command created under /usr is not on the host" test ! -e "/usr/sbtest.$token"
if [ -n "$t_start" ]; then
	awk -v s=$((t_start - t0)) -v e=$((t_end - t0)) \
		'BEGIN { printf "sandbox: command started %.1f s after scripts/kvm-sandbox was run; whole run %.1f s\n", s / 1000, e / 1000 }'
else
	echo "sandbox: the command never printed its first line"
fi
if [ $fails -gt 0 ]; then
	echo "FAIL: $fails check(s) failed"
	exit 1
fi
echo "sandbox self-test passed"
