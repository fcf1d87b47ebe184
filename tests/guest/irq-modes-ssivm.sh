#!/bin/bash
# tests/guest/irq-modes-ssivm.sh — the test guest's SMP, timer and memory tests
# under each interrupt-controller model of irq/irq.h (in-kernel, split with
# the userspace IOAPIC, userspace LAPIC + IOAPIC), on ssivm's VM code through
# scripts/with-kvm (bench/irq_bench -c).
. "$(dirname "$0")/lib.sh"
[ -x "$build/bin/irq_bench" ] && [ -f "$build/guest/testguest.elf" ] || {
	echo "FAIL: $build/bin/irq_bench or $build/guest/testguest.elf not built (make)"
	exit 1
}
cd "$root" || exit 1
exec scripts/with-kvm "$build/bin/irq_bench" -g "$build/guest/testguest.elf" \
	-m kernel,split,user -c "tests=ipi,timer,mem cpus=2 memlimit=16 timerms=5"
