#!/bin/sh
# The DSM protocol simulator as a `make check` test: thousands of seeds,
# per-pair FIFO network and a reordering network, with bad input injected.
set -e
bin="${SSIVM_BUILD:-build}/bin/dsm-sim"
"$bin" --seeds 1-1500 --fifo
"$bin" --seeds 100001-100800 --reorder
"$bin" --seeds 200001-200300 --nodes 5 --ops 60
