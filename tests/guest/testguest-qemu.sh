#!/bin/bash
# tests/guest/testguest-qemu.sh — the test guest under plain QEMU (TCG, no
# KVM): shows that the guest itself is right, independently of ssivm. Both
# images (ELF32 and a.out kludge) boot with 2 CPUs, a command line and a
# modules with arguments (QEMU's -initrd "FILE ARGS,FILE ARGS", a ",,"
# escape), run multiboot,ipi,timer,mem and end through isa-debug-exit with
# the status they were told to choose.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || {
	echo "qemu-system-x86_64 is not installed (scripts/setup installs qemu-system-x86)"
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mod=$tmp/module.txt
printf 'module for the test guest, %s\n' "$(date +%s%N)" >"$mod"
mod2=$tmp/second.bin
head -c 5000 /dev/urandom >"$mod2"
for img in testguest.elf testguest-aout.bin; do
	[ -f "$build/guest/$img" ] || { fail "$build/guest/$img not built (make)"; continue; }
	exitv=$((RANDOM % 100 + 2))
	cmdline="tests=multiboot,ipi,timer,mem exit=$exitv modules=2 cpus=2 timerms=2"
	out=$tmp/$img.out
	timeout 120 qemu-system-x86_64 -accel tcg -m 64M -smp 2 -display none -monitor none \
		-nodefaults -no-reboot -serial "file:$out" -kernel "$build/guest/$img" \
		-append "$cmdline" -initrd "$mod modarg=1,$mod2 list=a,,b" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null
	rc=$?
	grep -v '^# mb mmap' "$out" | sed "s/^/  [$img] /"
	want=$(((exitv << 1 | 1) & 255))
	check "$img: QEMU exit status $rc = ($exitv << 1) | 1" [ "$rc" -eq "$want" ]
	check_multiboot "$out" "$build/guest/$img $cmdline" "$mod" "$mod modarg=1" \
		"$mod2" "$mod2 list=a,b"
	check_guest_done "$out" 4
done
finish
