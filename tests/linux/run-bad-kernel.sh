#!/bin/bash
# tests/linux/run-bad-kernel.sh — `ssivm run` refuses what it cannot boot (a
# file that is not a kernel, a truncated or lying image, a command line
# longer than the kernel takes, modules or a kernel that do not fit the
# guest's RAM) with a message naming the file and the problem, exit status
# 2, before it opens /dev/kvm (so this test needs no KVM), and without
# changing any file (checksums before and after each case).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
ssivm=$BUILD/ssivm
tmp=$(mktemp -d /tmp/ssivm-badkernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
MEM=64M

sums() { find "$tmp" -type f -exec md5sum {} + | sort; }

# expect NAME EXPECTED-MESSAGE-REGEX ssivm-run-args...  (guest RAM: $MEM)
expect() {
	local name=$1 re=$2; shift 2
	local out rc before
	before=$(sums)
	out=$(timeout 20 "$ssivm" run --memory "$MEM" "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc != 2 ]; then
		echo "FAIL: $name: exit status $rc, expected 2"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1))
	elif ! grep -Eq -- "$re" <<<"$out"; then
		echo "FAIL: $name: message does not match /$re/:"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1))
	elif grep -q "/dev/kvm" <<<"$out"; then
		echo "FAIL: $name: /dev/kvm was opened before the inputs were checked"; fails=$((fails + 1))
	elif [ "$before" != "$(sums)" ]; then
		echo "FAIL: $name: a file changed"; diff <(echo "$before") <(sums) | sed 's/^/    /'; fails=$((fails + 1))
	else
		echo "ok:   $name: $(head -n1 <<<"$out")"
	fi
}

printf 'hello, this is not a kernel\n' >"$tmp/text"
: >"$tmp/empty"
long=$(head -c 2048 /dev/zero | tr '\0' x)
expect "missing file" "kernel '?$tmp/nope'?: .*(no such file|cannot open)" --kernel "$tmp/nope"
expect "text file" "kernel $tmp/text: not a kernel ssivm can boot.*bzImage" --kernel "$tmp/text"
expect "empty file" "kernel $tmp/empty" --kernel "$tmp/empty"
expect "ELF without PVH note" "ELF file without a PVH entry note" --kernel /bin/true
expect "no kernel given" "kernel"

# An ELF vmlinux with a PVH note, built here (as, ld): its command line has
# the same limit as a bzImage's (x86 Linux keeps 2047 bytes)
cat >"$tmp/pvh.S" <<-'EOF'
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long 0x200000
	.text
	.globl _start
_start:
	hlt
EOF
if cc -c "$tmp/pvh.S" -o "$tmp/pvh.o" && ld -N -Ttext=0x200000 -e _start -o "$tmp/pvh.elf" "$tmp/pvh.o" 2>/dev/null; then
	rm -f "$tmp/pvh.o" "$tmp/pvh.S"
	expect "PVH command line of 2048 bytes" \
		"kernel $tmp/pvh.elf \(ELF \(PVH\)\): the command line has 2048 bytes, more than the 2047 the kernel takes" \
		--kernel "$tmp/pvh.elf" --cmdline "$long"
	MEM=2M expect "PVH segment outside RAM" "kernel $tmp/pvh.elf: ELF segment 0 at 0x200000.*not in guest RAM" \
		--kernel "$tmp/pvh.elf"
else
	echo "FAIL: cannot build a PVH ELF with cc and ld"; fails=$((fails + 1))
fi

# multiboot kernels (the test guest) and modules (--module, QEMU's -initrd syntax)
mb=$BUILD/guest/testguest.elf aout=$BUILD/guest/testguest-aout.bin
if [ -f "$mb" ] && [ -f "$aout" ]; then
	cp "$mb" "$tmp/mb.elf"
	head -c 6000 "$mb" >"$tmp/mb-cut.elf"
	expect "truncated multiboot ELF" "multiboot: ELF segment .* do not fit the image of 6000 bytes.*|kernel $tmp/mb-cut.elf \(multiboot\): cannot be loaded" \
		--kernel "$tmp/mb-cut.elf"
	head -c 8192 "$aout" >"$tmp/aout-cut.bin"
	expect "truncated multiboot a.out" "multiboot: a.out load_end_addr" --kernel "$tmp/aout-cut.bin"
	# the checksum word after the magic and flags, made wrong
	off=$(LC_ALL=C grep -obUaP '\x02\xb0\xad\x1b' "$tmp/mb.elf" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || { echo "FAIL: no multiboot magic found in $mb"; fails=$((fails + 1)); off=0; }
	cp "$tmp/mb.elf" "$tmp/mb-sum.elf"
	printf '\x55' | dd of="$tmp/mb-sum.elf" bs=1 seek=$((off + 8)) conv=notrunc status=none
	expect "multiboot bad checksum" "kernel $tmp/mb-sum.elf: the multiboot header at offset $off has a bad checksum" \
		--kernel "$tmp/mb-sum.elf"
	expect "missing module file" "module 1 '$tmp/nope.bin': no such file" \
		--kernel "$tmp/mb.elf" --module "$tmp/text a=1,$tmp/nope.bin b=2"
	expect "module without a file name" "starts with a space: the file name comes first" \
		--kernel "$tmp/mb.elf" --module "$tmp/text, $tmp/text"
	many=$tmp/text
	for i in $(seq 64); do many="$many,$tmp/text $i"; done
	expect "65 modules" "more than 64 modules" --kernel "$tmp/mb.elf" --module "$many"
	truncate -s 40M "$tmp/big40"
	truncate -s 31M "$tmp/big31"
	MEM=32M expect "modules larger than RAM" "module 1 '$tmp/big40 y': the modules up to it take [0-9]+ bytes, more than the guest's 32 MiB of RAM" \
		--kernel "$tmp/mb.elf" --module "$tmp/text x,$tmp/big40 y"
	MEM=32M expect "module past the end of RAM" "multiboot: module 1 \('$tmp/big31 z=1', 32505856 bytes\) does not fit in guest RAM below 4 GiB" \
		--kernel "$tmp/mb.elf" --module "$tmp/text,$tmp/big31 z=1"
	rm -f "$tmp/big40" "$tmp/big31"
else
	echo "FAIL: $mb or $aout not built (make)"; fails=$((fails + 1))
fi

if [ -e "$BUILD/kernel/vmlinuz" ]; then
	k=$(readlink -f "$BUILD/kernel/vmlinuz")
	cp "$k" "$tmp/vmlinuz"
	expect "modules for a Linux kernel" "modules .* are for multiboot kernels; a Linux kernel takes one --initrd" \
		--kernel "$tmp/vmlinuz" --module "$tmp/text x"
	MEM=256M expect "bzImage command line longer than cmdline_size" \
		"kernel $tmp/vmlinuz \(bzImage\): the command line has 2048 bytes, more than the 2047 the kernel takes \(cmdline_size" \
		--kernel "$tmp/vmlinuz" --cmdline "$long"
	MEM=16M expect "RAM too small for the kernel" "kernel $tmp/vmlinuz: needs 0x[0-9a-f]+ bytes of RAM \(init_size\) from 0x1000000" \
		--kernel "$tmp/vmlinuz"
	head -c 4000000 "$k" >"$tmp/truncated"
	expect "truncated bzImage" "truncated" --kernel "$tmp/truncated"
	head -c 600 "$k" >"$tmp/header-only"
	expect "bzImage header only" "not a usable bzImage" --kernel "$tmp/header-only"
	# a fake bzImage: the real header, boot protocol set to 2.01
	cp "$k" "$tmp/old"
	printf '\x01\x02' | dd of="$tmp/old" bs=1 seek=$((0x206)) conv=notrunc status=none
	expect "boot protocol too old" "older than 2.12" --kernel "$tmp/old"
else
	echo "FAIL: no Debian kernel in $BUILD/kernel (scripts/setup --kernel)"; fails=$((fails + 1))
fi
[ $fails = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all bad-kernel cases refused"
