#!/bin/bash
# bench/irq_bench.sh [irq_bench options] — the interrupt-controller figures
# (docs/irq.md), through scripts/with-kvm (native KVM or the KVM sandbox).
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SSIVM_BUILD:-build}
cd "$here" || exit 1
echo "command: scripts/with-kvm $build/bin/irq_bench -g $build/guest/testguest.elf $*"
exec scripts/with-kvm "$build/bin/irq_bench" -g "$build/guest/testguest.elf" "$@"
