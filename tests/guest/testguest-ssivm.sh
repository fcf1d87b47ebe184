#!/bin/bash
# tests/guest/testguest-ssivm.sh — the test guest on ssivm (through
# scripts/with-kvm: native KVM or the KVM sandbox): memory, LAPIC timer
# interrupts and INIT/SIPI + an IPI round trip between two vCPUs, for each
# interrupt-controller mode given in $SSIVM_IRQCHIPS (`ssivm run --irqchip`;
# default: kernel — tests/guest/irq-modes-ssivm.sh covers split and user).
. "$(dirname "$0")/lib.sh"
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
need_testguest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0
for mode in ${SSIVM_IRQCHIPS:-kernel}; do
	exitv=$((RANDOM % 100 + 2))
	out=$tmp/$mode.out
	t0=$(date +%s%N)
	timeout 120 "$build/ssivm" run --irqchip "$mode" --vcpus 2 --memory 64M \
		--kernel "$build/guest/testguest.elf" \
		--cmdline "tests=ipi,timer,mem cpus=2 timerms=2 exit=$exitv" >"$out" 2>&1 </dev/null
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	sed "s/^/  [$mode] /" "$out"
	want=$(((exitv << 1 | 1) & 255))
	check "irqchip $mode: ssivm exit status $rc = ($exitv << 1) | 1 (in $ms ms)" [ "$rc" -eq "$want" ]
	check_guest_done "$out" 3
done
finish
