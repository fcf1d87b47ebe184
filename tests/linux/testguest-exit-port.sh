#!/bin/bash
# tests/linux/testguest-exit-port.sh — the exit port 0xf4 (devices/debug_exit.c)
# as `ssivm run` reports it: the test guest writes v (its exit=N option) and
# ssivm exits with ((v << 1) | 1) & 0xff, the status QEMU's isa-debug-exit
# gives; the log names exactly that status (not the unmasked one), and a
# write of 0 or 0x80 (status 1, the status of a VMM error too) is logged as
# the guest's. Through scripts/with-kvm (native KVM or the KVM sandbox).
. "$(dirname "$0")/../guest/lib.sh"
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
need_testguest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0 SSIVM_LOG=info
for v in 0 128 5 200; do
	out=$tmp/$v.out
	timeout 60 "$build/ssivm" run --memory 16M --kernel "$build/guest/testguest.elf" \
		--cmdline "tests=multiboot exit=$v" >"$out" 2>&1 </dev/null
	rc=$?
	sed "s/^/  [exit=$v] /" "$out"
	want=$(((v << 1 | 1) & 255))
	hex=$(printf '0x%x' "$v")
	check "exit=$v: ssivm exit status $rc = ((v << 1) | 1) & 0xff = $want" [ "$rc" -eq "$want" ]
	check "exit=$v: the exit port's log line says status $want" \
		grep -q "wrote $hex to the exit port 0xf4: ssivm exits with status $want " "$out"
	check "exit=$v: the last line says status $want" grep -q "ssivm run exits with status $want\$" "$out"
	if [ "$want" = 1 ]; then
		check "exit=$v: the log says status 1 came from the guest, not a VMM error" \
			grep -q "which is also the status of a VMM error; this one is the guest's" "$out"
	fi
	check_guest_done "$out" 1
done
finish
