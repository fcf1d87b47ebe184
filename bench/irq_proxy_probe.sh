#!/bin/bash
# bench/irq_proxy_probe.sh — candidate (d) of docs/irq.md, through scripts/with-kvm.
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SSIVM_BUILD:-build}
cd "$here" || exit 1
echo "command: scripts/with-kvm $build/bin/irq_proxy_probe"
exec scripts/with-kvm "$build/bin/irq_proxy_probe"
