#!/bin/sh
# The DSM protocol simulator, long run (layer e2e).
set -e
bin="${SSIVM_BUILD:-build}/bin/dsm-sim"
"$bin" --seeds 1-50000
"$bin" --seeds 1000001-1010000 --reorder --ops 120
"$bin" --seeds 2000001-2005000 --nodes 5 --ops 200 --junk 100
"$bin" --seeds 3000001-3000500 --pages 256 --ops 500
