#!/bin/bash
# tests/sandbox/sandbox-inside.sh — the part of sandbox-selftest.sh that runs
# INSIDE the KVM sandbox (scripts/kvm-sandbox runs it). Checks what
# docs/kvm-sandbox.md says a command finds there, one "ok:"/"FAIL:" line each.
#   sandbox-inside.sh STATUS CHECKOUT CWD HOSTFILE TOKEN MARK ENV_VALUE PATH HOME
# STATUS: the exit status to end with when every check passed (else 1);
# CHECKOUT: the checkout's path on the host; CWD: the host's working directory;
# HOSTFILE: a file of the host's root outside the checkout that holds TOKEN;
# MARK: a path in the checkout to write TOKEN to; ENV_VALUE, PATH, HOME: what
# SSIVM_SBTEST_ENV, PATH and HOME held on the host. The host side checks
# afterwards what must come back (or must not).
echo "sbtest: started"
status=$1 checkout=$2 cwd=$3 hostfile=$4 token=$5 mark=$6 env_value=$7 host_path=$8 host_home=$9
fails=0
check() { # description, then a command that must succeed
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then echo "ok:   $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
kver=$(uname -r)

# who, where, what machine
check "runs as root (uid $(id -u))" test "$(id -u)" = 0
check "runs in the caller's working directory $cwd (got $PWD)" test "$PWD" = "$cwd"
check "/dev/kvm is a character device that opens read-write" bash -c 'exec 3<>/dev/kvm'
check "the CPU shows svm" grep -qw svm /proc/cpuinfo
check "kvm_amd loaded with nested paging (npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null))" \
	grep -qE '^(Y|1)$' /sys/module/kvm_amd/parameters/npt
check "2 CPUs by default (got $(nproc))" test "$(nproc)" = 2
memkb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
check "4 GiB by default (MemTotal $memkb kB)" test "${memkb:-0}" -gt $((3500 * 1024)) -a "${memkb:-0}" -le $((4096 * 1024))

# file systems and devices
check "/proc is mounted" test -r /proc/self/status
check "/sys is sysfs" test "$(stat -f -c %T /sys)" = sysfs
check "/tmp is a writable tmpfs" bash -c 'test "$(stat -f -c %T /tmp)" = tmpfs && echo t >/tmp/sbtest.$$ && rm /tmp/sbtest.$$'
check "/dev/fd works (bash process substitution)" bash -c 'test "$(cat <(echo fd-ok))" = fd-ok'
check "/dev/stdin, /dev/stdout, /dev/stderr exist" test -e /dev/stdin -a -e /dev/stdout -a -e /dev/stderr
check "/dev/shm is a writable tmpfs" bash -c 'test "$(stat -f -c %T /dev/shm)" = tmpfs &&
	echo shm-ok >/dev/shm/sbtest.$$ && test "$(cat /dev/shm/sbtest.$$)" = shm-ok && rm /dev/shm/sbtest.$$'
pts=$(script -qec tty /dev/null </dev/null 2>/dev/null | tr -d '\r')
check "/dev/pts gives a terminal (script(1) ran on '$pts')" grep -qE '^/dev/pts/[0-9]+$' <<<"$pts"
check "loopback is up" bash -c 'ip -o link show lo | grep -qE "[<,]UP[,>]"'

# the kernel's modules, from the checkout's extracted kernel
check "/lib/modules/$kver is the extracted kernel's ($checkout/build/kernel/...)" \
	test "$(readlink -f /lib/modules/$kver)" = "$(readlink -f "$checkout/build/kernel/root/lib/modules/$kver")"
for m in veth tun sch_netem; do
	check "modprobe $m loads it" bash -c "modprobe $m && test -d /sys/module/$m"
done
check "/dev/net/tun opens after loading tun" bash -c 'exec 4<>/dev/net/tun'
check "a tap device can be created on /dev/net/tun" bash -c 'ip tuntap add dev sbtap0 mode tap && ip link show sbtap0'
check "a veth pair can be created" ip link add sbt0 type veth peer name sbt1
check "modprobe -r sch_netem unloads it" bash -c 'modprobe -r sch_netem && ! test -d /sys/module/sch_netem'
check "tc qdisc ... netem loads sch_netem by itself (automatic module loading)" \
	bash -c 'tc qdisc add dev sbt0 root netem delay 1ms && test -d /sys/module/sch_netem'

# the host's root: there, read-only underneath, writes vanish
check "the host's root is visible (its $hostfile holds the token)" test "$(cat "$hostfile" 2>/dev/null)" = "$token"
check "host programs are there (qemu-system-x86_64, ucx_info)" bash -c 'command -v qemu-system-x86_64 && command -v ucx_info'
check "writing over a host file succeeds inside" bash -c "echo changed-inside >'$hostfile' && test \"\$(cat '$hostfile')\" = changed-inside"
check "creating a file under /usr succeeds inside" touch "/usr/sbtest.$token"

# the checkout: writable, results go back
check "the checkout is writable ($mark)" bash -c "echo '$token' >'$mark'"

# the environment
check "SSIVM_* passed in unchanged" test "${SSIVM_SBTEST_ENV-unset}" = "$env_value"
for v in UCX ASAN UBSAN LSAN; do
	n=${v}_SBTEST_ENV
	check "$n passed in" test "${!n-unset}" = "value-of-$n"
done
check "CI passed in (got '${CI-unset}')" test "${CI-unset}" = sbtest-ci
check "TERM passed in (got '${TERM-unset}')" test "${TERM-unset}" = sbtest-term
check "PATH passed in" test "$PATH" = "$host_path"
check "HOME passed in (got '${HOME-unset}')" test "${HOME-unset}" = "$host_home"
check "other variables are not passed (NOT_PASSED_SBTEST is unset)" test -z "${NOT_PASSED_SBTEST+x}"

if [ $fails -gt 0 ]; then
	echo "sbtest: $fails check(s) failed inside"
	exit 1
fi
echo "sbtest: all inside checks passed; exiting with $status"
exit "$status"
