#!/bin/bash
# tests/guest/multiboot-ssivm.sh — a multiboot kernel (the test guest, as ELF32
# and as a flat a.out-kludge image) boots on ssivm with a command line and a
# module, prints both (the test compares them with what it passed: command
# line, module length, string and FNV-1a), and ends ssivm through the exit
# port 0xf4 with a status it chose from its command line.
. "$(dirname "$0")/lib.sh"
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
[ -x "$build/ssivm" ] || { echo "FAIL: $build/ssivm not built (make)"; exit 1; }
# the module must be visible inside the KVM sandbox: keep it in the build tree
mkdir -p "$build/tmp"
tmp=$(mktemp -d "$build/tmp/mb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0
mod=$tmp/module.bin
{
	printf 'multiboot module %s\n' "$(date +%s%N)"
	head -c 3000 /dev/urandom
} >"$mod"
for img in testguest.elf testguest-aout.bin; do
	[ -f "$build/guest/$img" ] || { fail "$build/guest/$img not built (make)"; continue; }
	exitv=$((RANDOM % 120 + 1))
	cmdline="tests=multiboot exit=$exitv modules=1"
	out=$tmp/$img.out
	timeout 60 "$build/ssivm" run --vcpus 1 --memory 32M --kernel "$build/guest/$img" \
		--initrd "$mod" --cmdline "$cmdline" >"$out" 2>&1 </dev/null
	rc=$?
	grep -v '^# mb mmap' "$out" | sed "s/^/  [$img] /"
	want=$(((exitv << 1 | 1) & 255))
	check "$img: ssivm exit status $rc = ($exitv << 1) | 1" [ "$rc" -eq "$want" ]
	check_multiboot "$out" "$build/guest/$img $cmdline" "$mod" "$mod"
	check "$img: the loader is ssivm" grep -qx '# mb loader "ssivm"' "$out"
	check_guest_done "$out" 1
done
finish
