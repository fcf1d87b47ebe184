#!/bin/bash
# tests/linux/run-bad-kernel.sh — `ssivm run` refuses what is not a bootable
# kernel, with a message naming the file and the problem, exit status 2, and
# before it opens /dev/kvm (so this test needs no KVM).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
ssivm=$BUILD/ssivm
tmp=$(mktemp -d /tmp/ssivm-badkernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect NAME EXPECTED-MESSAGE-REGEX ssivm-run-args...
expect() {
	local name=$1 re=$2; shift 2
	local out rc
	out=$("$ssivm" run --memory 64M "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc != 2 ]; then
		echo "FAIL: $name: exit status $rc, expected 2"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1))
	elif ! grep -Eq -- "$re" <<<"$out"; then
		echo "FAIL: $name: message does not match /$re/:"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1))
	elif grep -q "/dev/kvm" <<<"$out"; then
		echo "FAIL: $name: /dev/kvm was opened before the image was checked"; fails=$((fails + 1))
	else
		echo "ok:   $name: $(head -n1 <<<"$out")"
	fi
}

printf 'hello, this is not a kernel\n' >"$tmp/text"
: >"$tmp/empty"
expect "missing file" "kernel '?$tmp/nope'?: .*(no such file|cannot open)" --kernel "$tmp/nope"
expect "text file" "kernel $tmp/text: not a kernel ssivm can boot.*bzImage" --kernel "$tmp/text"
expect "empty file" "kernel $tmp/empty" --kernel "$tmp/empty"
expect "ELF without PVH note" "ELF file without a PVH entry note" --kernel /bin/true
expect "no kernel given" "kernel" 
# multiboot modules (--module, QEMU's -initrd syntax): refused before /dev/kvm
mb=$BUILD/guest/testguest.elf
if [ -f "$mb" ]; then
	expect "missing module file" "module 1 '$tmp/nope.bin': no such file" \
		--kernel "$mb" --module "$tmp/text a=1,$tmp/nope.bin b=2"
	expect "module without a file name" "starts with a space: the file name comes first" \
		--kernel "$mb" --module "$tmp/text, $tmp/text"
	many=$tmp/text
	for i in $(seq 64); do many="$many,$tmp/text $i"; done
	expect "65 modules" "more than 64 modules" --kernel "$mb" --module "$many"
else
	echo "note: $mb not built (make): module cases not run"
fi
if [ -e "$BUILD/kernel/vmlinuz" ]; then
	expect "modules for a Linux kernel" "modules .* are for multiboot kernels; a Linux kernel takes one --initrd" \
		--kernel "$BUILD/kernel/vmlinuz" --module "$tmp/text x"
	k=$(readlink -f "$BUILD/kernel/vmlinuz")
	head -c 4000000 "$k" >"$tmp/truncated"
	expect "truncated bzImage" "truncated" --kernel "$tmp/truncated"
	head -c 600 "$k" >"$tmp/header-only"
	expect "bzImage header only" "not a usable bzImage" --kernel "$tmp/header-only"
	# a fake bzImage: the real header, boot protocol set to 2.01
	cp "$k" "$tmp/old"
	printf '\x01\x02' | dd of="$tmp/old" bs=1 seek=$((0x206)) conv=notrunc status=none
	expect "boot protocol too old" "older than 2.12" --kernel "$tmp/old"
else
	echo "note: no Debian kernel in $BUILD/kernel (scripts/setup --kernel): truncated-image cases not run"
fi
[ $fails = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all bad-kernel cases refused"
