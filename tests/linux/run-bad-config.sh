#!/bin/bash
# tests/linux/run-bad-config.sh — `ssivm run` and `ssivm acpi-dump` on
# configurations that used to be read wrong or destroy a file: integers of
# 2^31 and more in the file, sizes whose sum wraps or that no host maps, a
# directory or a huge file as --config or @include, repeated keys and flags,
# a serial log that is one of the inputs. Each is refused with exit status 2
# and a message naming the key, file and line, before /dev/kvm is opened,
# and no file changes (checksums before and after each case). Needs no KVM.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
ssivm=$BUILD/ssivm
tmp=$(mktemp -d /tmp/ssivm-badconfig.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

sums() { find "$tmp" -type f -exec md5sum {} + | sort; }

# expect NAME EXPECTED-MESSAGE-REGEX SUBCOMMAND ARGS...
expect() {
	local name=$1 re=$2; shift 2
	local out rc before
	before=$(sums)
	out=$(timeout 20 "$ssivm" "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc != 2 ]; then
		fail "$name: exit status $rc, expected 2"; echo "$out" | sed 's/^/    /'
	elif ! grep -Eq -- "$re" <<<"$out"; then
		fail "$name: message does not match /$re/:"; echo "$out" | sed 's/^/    /'
	elif grep -q "/dev/kvm" <<<"$out"; then
		fail "$name: /dev/kvm was opened before the configuration was checked"
	elif [ "$before" != "$(sums)" ]; then
		fail "$name: a file changed"; diff <(echo "$before") <(sums) | sed 's/^/    /'
	else
		echo "ok:   $name: $(head -n1 <<<"$out")"
	fi
}

kernel=$tmp/k.elf
cp "$BUILD/guest/testguest.elf" "$kernel" || { echo "FAIL: $BUILD/guest/testguest.elf not built (make)"; exit 1; }
printf 'initrd\n' >"$tmp/initrd"
printf 'module\n' >"$tmp/mod"
run() { echo run --memory 32M --kernel "$kernel"; }

# 64-bit integers: read whole (4.25 GiB), refused when they do not fit the field
printf 'memory = 4563402752;\n' >"$tmp/mem.cfg"
mkdir "$tmp/acpi"
if "$ssivm" acpi-dump --config "$tmp/mem.cfg" --output "$tmp/acpi" >/dev/null; then
	# SRAT memory affinity entries (type 1, 40 bytes): length at +16
	srat=$tmp/acpi/srat.dat total=0 off=48
	size=$(stat -c %s "$srat")
	while [ "$off" -lt "$size" ]; do
		read -r type len < <(od -An -j "$off" -N 2 -tu1 "$srat")
		[ "$type" = 1 ] && total=$((total + $(od -An -j $((off + 16)) -N 8 -tu8 "$srat")))
		off=$((off + len))
	done
	[ "$total" = 4563402752 ] && echo "ok:   memory = 4563402752: the SRAT describes $total bytes" ||
		fail "memory = 4563402752: the SRAT describes $total bytes"
else
	fail "acpi-dump of memory = 4563402752 failed"
fi
rm -rf "$tmp/acpi"
printf '# two lines first\n\nvcpus = 4294967298;\n' >"$tmp/vcpus.cfg"
expect "vcpus = 2^32 + 2" "$tmp/vcpus.cfg:3: vcpus = 4294967298 is out of range 0..4294967295" \
	$(run) --config "$tmp/vcpus.cfg"
printf 'hmat = ( { initiator = 0; target = 0;\n  read_bandwidth_mbs = 5000000000; } );\n' >"$tmp/bw.cfg"
expect "HMAT bandwidth 5000000000 MB/s" "$tmp/bw.cfg:2: hmat 0->0: read_bandwidth_mbs = 5000000000 is out of range 1..4294967295" \
	$(run) --config "$tmp/bw.cfg"
printf 'memory = 99999999999999999999;\n' >"$tmp/huge.cfg"
expect "a number beyond 64 bits" "$tmp/huge.cfg:1: memory: 99999999999999999999 does not fit in 64 bits" \
	$(run) --config "$tmp/huge.cfg"
printf 'memory = 0xC0000000;\n' >"$tmp/hex.cfg" # 3 GiB, negative as a 32-bit int
"$ssivm" acpi-dump --config "$tmp/hex.cfg" --output "$tmp" >/dev/null 2>&1 && rm -f "$tmp"/*.dat &&
	echo "ok:   memory = 0xC0000000 is read as 3 GiB" || fail "memory = 0xC0000000 refused"

# sizes: a sum past 2^64, more than a host maps, a KVM memory slot holds
expect "NUMA sizes adding up past 2^64" "the NUMA nodes add up to more than 2\^64 bytes \(node 1" \
	run --kernel "$kernel" --numa id=0,memory=8192P --numa id=1,memory=8192P
expect "more than a host process maps" "total memory 100T is more than one host process can map \(64T\)" \
	run --kernel "$kernel" --memory 100T
expect "a node larger than a KVM memory slot" "numa node 0: .* more than one KVM memory slot holds" \
	run --kernel "$kernel" --memory 16T
(ulimit -v 2000000 && expect "more than RLIMIT_AS" "its address-space limit \(RLIMIT_AS, ulimit -v\)" \
	run --kernel "$kernel" --memory 4G && exit $fails) || fails=$((fails + 1))

# the file itself: a directory, a FIFO, @include of a directory, too big, too many keys
expect "--config of a directory" "config file '$tmp': is a directory, not a file" $(run) --config "$tmp"
mkfifo "$tmp/fifo"
expect "--config of a FIFO" "config file '$tmp/fifo': not a regular file" $(run) --config "$tmp/fifo"
printf 'vcpus = 1;\n@include "/tmp"\n' >"$tmp/incdir.cfg"
expect "@include of a directory" "$tmp/incdir.cfg:2: config file '/tmp': is a directory" \
	$(run) --config "$tmp/incdir.cfg"
printf 'numa = ( { id = 0; cpus = "0";\n  memory = "1G"; nodekey = 1; } );\n' >"$tmp/inner.cfg"
printf 'vcpus = 1;\n\n@include "inner.cfg"\n' >"$tmp/outer.cfg"
expect "an error inside an @include" "$tmp/inner.cfg:2: numa node 0: unknown key 'nodekey'" \
	$(run) --config "$tmp/outer.cfg"
printf '@include "loop.cfg"\n' >"$tmp/loop.cfg"
expect "@include of itself" "$tmp/loop.cfg:1: @include '$tmp/loop.cfg': that file is being read already" \
	$(run) --config "$tmp/loop.cfg"
head -c $((2 << 20)) /dev/zero | tr '\0' '#' >"$tmp/big.cfg"
t0=$(date +%s)
expect "a 2 MiB file" "config file '$tmp/big.cfg': 2097152 bytes; the configuration files may hold 1024 KiB together" \
	$(run) --config "$tmp/big.cfg"
[ $(($(date +%s) - t0)) -le 5 ] || fail "a 2 MiB file took $(($(date +%s) - t0)) s to refuse"
rm -f "$tmp/big.cfg"
for i in $(seq 300); do echo "k$i = 1;"; done >"$tmp/keys.cfg"
expect "300 keys in one group" "$tmp/keys.cfg:257: more than 256 settings in one group" \
	$(run) --config "$tmp/keys.cfg"

# flags: ids, repeated keys and flags
expect "--numa id=2^32-1" "numa node id 4294967295 is out of range 0..63" \
	$(run) --numa id=4294967295,memory=32M
expect "--numa memory twice" "'memory=' and 'mem=' are the same key, given twice" \
	$(run) --numa id=0,memory=16M,mem=32M
expect "--numa id twice" "'id=' is given twice" $(run) --numa id=0,id=0,memory=32M
expect "--hmat latency twice" "'latency' is given twice" \
	$(run) --hmat initiator=0,target=0,latency=10,latency=20
expect "--hmat read latency under two names" "'read-latency' and 'read_latency' both set the read latency" \
	$(run) --hmat initiator=0,target=0,read-latency=10,read_latency=20
expect "--hmat target twice" "'target=' is given twice" $(run) --hmat initiator=0,target=0,target=1,latency=1
expect "--numa distance twice" "distance 0->1 is given twice" \
	$(run) --numa id=0,memory=16M,distances=1@20:1@30 --numa id=1,memory=16M
expect "--vcpus twice" "--vcpus given twice \('1', '2'\)" $(run) --vcpus 1 --vcpus 2
expect "--kernel twice" "--kernel given twice" $(run) --kernel "$kernel"
expect "--irqchip twice" "--irqchip given twice" $(run) --irqchip kernel --irqchip split
expect "--output twice" "--output given twice" acpi-dump --output "$tmp" --output "$tmp"

# outputs that are inputs: refused, whatever the path (symbolic or hard link)
ln -s k.elf "$tmp/link.elf"
ln "$kernel" "$tmp/hard.elf"
printf 'vcpus = 1;\n' >"$tmp/inc.cfg"
printf '@include "inc.cfg"\n' >"$tmp/top.cfg"
expect "serial log = kernel" "serial-log '$kernel' is the kernel '$kernel' \(the same file\)" \
	$(run) --serial-log "$kernel"
expect "serial log = kernel through a symlink" "serial-log '$tmp/link.elf' is the kernel" \
	$(run) --serial-log "$tmp/link.elf"
expect "serial log = kernel through a hard link" "serial-log '$tmp/hard.elf' is the kernel" \
	$(run) --serial-log "$tmp/hard.elf"
expect "serial log = initrd" "serial-log '$tmp/initrd' is the initrd" \
	$(run) --initrd "$tmp/initrd" --serial-log "$tmp/initrd"
expect "serial log = module" "serial-log '$tmp/mod' is the module '$tmp/mod'" \
	$(run) --module "$tmp/mod arg" --serial-log "$tmp/mod"
expect "serial log = config file" "serial-log '$tmp/top.cfg' is the config file" \
	$(run) --config "$tmp/top.cfg" --serial-log "$tmp/top.cfg"
expect "serial log = an included config file" "serial-log '$tmp/inc.cfg' is the included config file '$tmp/inc.cfg'" \
	$(run) --config "$tmp/top.cfg" --serial-log "$tmp/inc.cfg"
expect "serial log = a directory" "serial-log '$tmp': is a directory" $(run) --serial-log "$tmp"
expect "serial log in a missing directory" "serial-log '$tmp/no/log': directory '$tmp/no' does not exist" \
	$(run) --serial-log "$tmp/no/log"
[ $fails = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all bad-configuration cases refused"
