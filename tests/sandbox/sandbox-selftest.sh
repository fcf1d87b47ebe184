#!/bin/bash
# The KVM sandbox itself: a working /dev/kvm inside, CMD's exit status and
# output come back, the checkout is writable, host tools and modules are there.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "native KVM here: the sandbox is not needed (checked where there is no /dev/kvm)"
	exit 77
fi
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing"; exit 77; }
mark=build/sandbox/selftest.$$
out=$(scripts/kvm-sandbox bash -c "
	[ -c /dev/kvm ] || { echo 'no /dev/kvm inside'; exit 10; }
	grep -qw svm /proc/cpuinfo || { echo 'no svm inside'; exit 11; }
	exec 3<>/dev/kvm || exit 12
	echo written > $mark
	ip link add sbt0 type veth peer name sbt1 || exit 13
	tc qdisc add dev sbt0 root netem delay 1ms || exit 14
	[ -d /dev/shm ] && [ -e /dev/fd/0 ] && [ -e /dev/net/tun ] || exit 15
	command -v ucx_info >/dev/null || exit 16
	echo sandbox-ok
	exit 42" 2>&1)
rc=$?
echo "$out"
[ $rc = 42 ] || { echo "FAIL: expected the command's status 42, got $rc"; exit 1; }
grep -q '^sandbox-ok' <<<"$out" || { echo "FAIL: command output did not come back"; exit 1; }
[ "$(cat $mark 2>/dev/null)" = written ] || { echo "FAIL: checkout not writable from inside"; exit 1; }
rm -f $mark
echo "sandbox self-test passed"
