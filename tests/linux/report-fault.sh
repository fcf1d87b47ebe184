#!/bin/bash
# tests/linux/report-fault.sh — something the VMM cannot handle is reported,
# not hidden: a tiny multiboot kernel (built here: header with the a.out
# kludge, then `ud2` with no IDT) triple-faults; ssivm must exit 1 with a
# report naming the vCPU, the exit reason (KVM_EXIT_SHUTDOWN), RIP and the
# registers. Through scripts/with-kvm; 77 when there is no KVM at all.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/tmp"
img=$(mktemp "$BUILD/tmp/fault.XXXXXX")
trap 'rm -f "$img" "$img.out"' EXIT

le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
load=$((0x100000)) flags=$((0x10000)) magic=$((0x1BADB002))
size=64
{
	le32 $magic; le32 $flags; le32 $(((-(magic + flags)) & 0xffffffff))
	le32 $load                     # header_addr (header at the image start)
	le32 $load                     # load_addr
	le32 $((load + size))          # load_end_addr
	le32 $((load + size))          # bss_end_addr
	le32 $((load + 32))            # entry_addr
	printf '\x0f\x0b'              # entry: ud2 -> #UD, no IDT -> #DF -> shutdown
	head -c $((size - 34)) /dev/zero
} >"$img"

SSIVM_SERIAL_INPUT=0 scripts/with-kvm "$BUILD/ssivm" run --memory 16M --kernel "$img" >"$img.out" 2>&1
rc=$?
cat "$img.out"
[ $rc = 77 ] && { tail -n1 "$img.out"; exit 77; }
fails=0
check() { if grep -q -- "$1" "$img.out"; then echo "ok:   report has '$1'"; else echo "FAIL: report lacks '$1'"; fails=$((fails + 1)); fi; }
[ $rc = 1 ] && echo "ok:   exit status 1" || { echo "FAIL: exit status $rc, expected 1"; fails=$((fails + 1)); }
check "vCPU 0: KVM_EXIT_SHUTDOWN"
check "vCPU 0: rip "
check "code: "
check "vCPU 0: rax "
check "cr0 "
[ $fails = 0 ] || exit 1
echo "the triple fault was reported"
