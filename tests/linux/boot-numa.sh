#!/bin/bash
# tests/linux/boot-numa.sh — the Debian kernel boots on ssivm with 2 vCPUs and
# 2 NUMA nodes of different sizes and a non-default distance; from the guest's
# console (guest/tools/init.sh prints "SSIVM-CHECK ..." lines) check:
#   node0/node1 exist with the configured CPUs, memory (within what the kernel
#   keeps for itself) and distances; SRAT, SLIT, HMAT in /sys/firmware/acpi/
#   tables; both CPUs online; memtouch wrote and read back correct over 90%
#   of the MemFree it measured before allocating, and held it resident; the
#   guest powers off and ssivm exits 0; the PCI host bridge shows up
#   ("PCI host bridge to bus 0000:00", no "PCI: Fatal", ECAM in use).
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
# A node's MemTotal is its RAM minus what the kernel reserved in it for good
# (measured with memblock=debug on Debian's 6.1 kernel, 192 + 128 MiB; there
# is no swiotlb below 4 GiB of RAM):
# - the kernel's own image where it sits (KASLR puts it in either node; the
#   guest reports its ranges from /proc/iomem): about 42 MiB, all in one node;
# - struct page for every page of the node: 64 bytes per 4 KiB, 1/64 of it;
# - node 0 only: the first 1 MiB, which x86 Linux always reserves;
# - the rest, allowed 8 MiB per node (measured over 4 bzImage and 1 PVH boots:
#   0.5-2.5 MiB in the node without the kernel image, 3.5-4.5 MiB in the one
#   with it): NODE_DATA, per-CPU areas, early page tables, the printk buffer,
#   the part of the kernel image /proc/iomem does not list.
# So MemTotal must lie in [RAM - slack, RAM] with slack computed per node.
kranges=$(field kernel-image ranges)
ranges_ok() { grep -qE '^[0-9a-f]+-[0-9a-f]+(,[0-9a-f]+-[0-9a-f]+)*$' <<<"$kranges"; }
check "the guest reported its kernel image's ranges (got '$kranges')" ranges_ok
ranges_ok || kranges= # then no node is allowed the image's size: the node holding it fails too
kernel_kb_in() { # START_MIB END_MIB -> kB of the kernel image inside [START, END)
	local lo=$(($1 << 20)) hi=$(($2 << 20)) sum=0 r s e
	for r in ${kranges//,/ }; do
		s=$((16#${r%-*})) e=$((16#${r#*-} + 1))
		[ $s -lt $lo ] && s=$lo
		[ $e -gt $hi ] && e=$hi
		[ $e -gt $s ] && sum=$((sum + e - s))
	done
	echo $((sum / 1024))
}
slack0=$(( $(kernel_kb_in 0 $mem0) + mem0 * 1024 / 64 + 1024 + 8192 ))
slack1=$(( $(kernel_kb_in $mem0 $((mem0 + mem1))) + mem1 * 1024 / 64 + 8192 ))
kb0=$(node_field 0 memtotal_kb) kb1=$(node_field 1 memtotal_kb)
check "node0 MemTotal $kb0 kB within [${mem0} MiB - $slack0 kB, ${mem0} MiB]" between "$kb0" $((mem0 * 1024 - slack0)) $((mem0 * 1024))
check "node1 MemTotal $kb1 kB within [${mem1} MiB - $slack1 kB, ${mem1} MiB]" between "$kb1" $((mem1 * 1024 - slack1)) $((mem1 * 1024))
check "node0 distances 10,$dist (got '$(node_field 0 distance)')" [ "$(node_field 0 distance)" = "10,$dist" ]
check "node1 distances $dist,10 (got '$(node_field 1 distance)')" [ "$(node_field 1 distance)" = "$dist,10" ]
tables=",$(field acpi tables),"
for t in SRAT SLIT HMAT MCFG; do
	check "$t in /sys/firmware/acpi/tables ($tables)" grep -q ",$t," <<<"$tables"
done
# PCI (devices/pci.h): the kernel found the host bridge through ACPI, uses
# the MCFG's ECAM (reserved in e820), and the bus holds the bridge at 00:00.0
pcidevs=$(field pci devices)
check "Linux shows 'PCI host bridge to bus 0000:00' (got $(field pci host-bridge))" [ "$(field pci host-bridge)" = 1 ]
check "no 'PCI: Fatal' (got $(field pci fatal))" [ "$(field pci fatal)" = 0 ]
check "the MCFG's ECAM is reserved and used (got $(field pci mmconfig))" [ "$(field pci mmconfig)" -ge 1 ]
check "the bus scan found the host bridge 1b36:0008 at 00:00.0 (got '$pcidevs')" grep -q '^00:00.0=1b36:0008' <<<"$pcidevs"
# one bad access is Linux's own type-1 probe (a byte write to 0xCFB)
check "ssivm counted at most 1 bad PCI config access (got '$(grep -a 'ssivm info: PCI:' "$log")')" \
	grep -aqE 'PCI: .* [01] bad accesses' "$log"
check "both CPUs online (got '$(field cpus online)')" [ "$(field cpus online)" = "0-1" ]
# memtouch's own measurements: MemFree before it allocated, the bytes it read
# back correct, its resident set while it held them (guest/tools/memtouch.c)
if [ $memtouch != 0 ]; then
	mt_free=$(field memtouch memfree_kb) mt_req=$(field memtouch requested_bytes)
	mt_ok=$(field memtouch verified_bytes) mt_rss=$(field memtouch rss_kb)
	mt_all_read_back() {
		[ "$(field memtouch result)" = ok ] && [ "$(field memtouch errors)" = 0 ] &&
			[ -n "$mt_ok" ] && [ "$mt_ok" = "$mt_req" ]
	}
	check "memtouch read every word back (result=$(field memtouch result), errors=$(field memtouch errors), $mt_ok of $mt_req bytes$(line memtouch-exit | sed 's/^SSIVM-CHECK / /'))" \
		mt_all_read_back
	check "memtouch verified over 90% of the MemFree it measured ($mt_ok bytes of ${mt_free:-?} kB)" \
		awk -v v="${mt_ok:-0}" -v f="${mt_free:-0}" 'BEGIN { exit !(f > 0 && v > 0.9 * f * 1024) }'
	check "the memory memtouch verified was resident (VmRSS ${mt_rss:-?} kB)" \
		awk -v v="${mt_ok:-0}" -v r="${mt_rss:-0}" 'BEGIN { exit !(v > 0 && r * 1024 >= v) }'
fi
if [ $fails -gt 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed (guest /init at $(field init uptime) s of uptime)"
