#!/bin/bash
# tests/linux/boot-numa.sh — the Debian kernel boots on ssivm with 2 vCPUs and
# 2 NUMA nodes of different sizes and a non-default distance; from the guest's
# console (guest/tools/init.sh prints "SSIVM-CHECK ..." lines) check:
#   node0/node1 exist with the configured CPUs, memory (within what the kernel
#   keeps for itself) and distances; SRAT, SLIT, HMAT in /sys/firmware/acpi/
#   tables; both CPUs online; over 90% of MemFree touched and read back
#   correct; the guest powers off and ssivm exits 0.
# Runs through scripts/with-kvm (native KVM or the KVM sandbox); exits 77 with
# the reason when neither exists.
#   --pvh   boot the ELF vmlinux through its PVH entry instead of the bzImage,
#           without the memory touch, ending with `reboot -f`: the reset
#           (ACPI RESET_REG, port 0xCF9) must end ssivm with status 4
#           (tests/linux/boot-pvh.sh)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/tmp"
# in the build directory: the KVM sandbox shares it (its /tmp is its own)
log=$(mktemp "$BUILD/tmp/boot-numa.XXXXXX")
trap 'rm -f "$log" "$log.serial"' EXIT

mem0=192 mem1=128 dist=25
kernel=$BUILD/guest/vmlinuz memtouch=92 end=poweroff want_rc=0
scripts/mkguest >/dev/null || { echo "FAIL: scripts/mkguest failed"; exit 1; }
if [ "${1:-}" = --pvh ]; then
	kernel=$BUILD/guest/vmlinux memtouch=0 end=reboot want_rc=4
	[ -e "$kernel" ] || { echo "no $kernel (scripts/mkguest could not unpack the kernel: xz missing?)"; exit 77; }
fi
SSIVM_SERIAL_INPUT=0 scripts/with-kvm "$BUILD/ssivm" run \
	--numa id=0,cpus=0,memory=${mem0}M,distances=1@$dist \
	--numa id=1,cpus=1,memory=${mem1}M \
	--hmat initiator=0,target=1,latency=200ns,bandwidth=5G \
	--kernel "$kernel" --initrd "$BUILD/guest/initrd.img" \
	--cmdline "console=ttyS0 quiet panic=-1 ssivm.memtouch=$memtouch ssivm.end=$end" --serial-log "$log.serial" >"$log" 2>&1
rc=$?
cat "$log"
if [ $rc = 77 ]; then
	tail -n1 "$log"
	exit 77
fi

fails=0
check() { # description, then a command that must succeed
	local what=$1; shift
	if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
line() { grep -a "^SSIVM-CHECK $1 " "$log.serial" | tr -d '\r' | head -n1; }
field() { line "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
node_field() { grep -a "^SSIVM-CHECK node id=$1 " "$log.serial" | tr -d '\r' | tr ' ' '\n' | sed -n "s/^$2=//p"; }
between() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

check "ssivm exited $want_rc after the guest's $end -f (got $rc)" [ $rc = $want_rc ]
check "the serial log holds the guest's console" grep -aq "SSIVM-CHECK init" "$log.serial"
check "guest reached the end of /init" grep -aq "^SSIVM-CHECK done" "$log.serial"
check "nodes 0 and 1 exist (got '$(field nodes list)')" [ "$(field nodes list)" = "0,1" ]
check "node0 cpulist is 0 (got '$(node_field 0 cpulist)')" [ "$(node_field 0 cpulist)" = 0 ]
check "node1 cpulist is 1 (got '$(node_field 1 cpulist)')" [ "$(node_field 1 cpulist)" = 1 ]
# A node's MemTotal is its RAM minus what the kernel reserved in it early:
# node 0 the kernel image, node 1 (top of RAM) the 64 MiB swiotlb bounce
# buffer and the initramfs. Allow 80 MiB per node, never more than configured.
kb0=$(node_field 0 memtotal_kb) kb1=$(node_field 1 memtotal_kb)
check "node0 MemTotal $kb0 kB within [${mem0} MiB - 80 MiB, ${mem0} MiB]" between "$kb0" $(((mem0 - 80) * 1024)) $((mem0 * 1024))
check "node1 MemTotal $kb1 kB within [${mem1} MiB - 80 MiB, ${mem1} MiB]" between "$kb1" $(((mem1 - 80) * 1024)) $((mem1 * 1024))
check "node0 distances 10,$dist (got '$(node_field 0 distance)')" [ "$(node_field 0 distance)" = "10,$dist" ]
check "node1 distances $dist,10 (got '$(node_field 1 distance)')" [ "$(node_field 1 distance)" = "$dist,10" ]
tables=",$(field acpi tables),"
for t in SRAT SLIT HMAT; do
	check "$t in /sys/firmware/acpi/tables ($tables)" grep -q ",$t," <<<"$tables"
done
check "both CPUs online (got '$(field cpus online)')" [ "$(field cpus online)" = "0-1" ]
pct=$(field memtouch percent)
[ $memtouch = 0 ] || check "memtouch read its pattern back (result=$(field memtouch result), errors=$(field memtouch errors))" \
	[ "$(field memtouch result)" = ok ]
[ $memtouch = 0 ] || check "memtouch touched over 90% of MemFree (got $pct%)" awk -v p="${pct:-0}" 'BEGIN { exit !(p > 90) }'
if [ $fails -gt 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed (guest /init at $(field init uptime) s of uptime)"
