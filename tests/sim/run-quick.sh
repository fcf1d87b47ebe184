#!/bin/sh
# The DSM protocol simulator as a `make check` test (layer unit): thousands
# of seeds over a per-pair FIFO network and over a reordering one, with bad
# input injected. Under the sanitizer build (SSIVM_BUILD=build-asan, about 5x
# slower) a third of the seeds.
set -e
build="${SSIVM_BUILD:-build}"
bin="$build/bin/dsm-sim"
if [ ! -x "$bin" ]; then
	echo "dsm-sim not built ($bin): run make first"
	exit 1
fi
case "$build" in
*asan*) n=3 ;;
*) n=1 ;;
esac
"$bin" --seeds 1-$((1500 / n)) --fifo
"$bin" --seeds 100001-$((100000 + 800 / n)) --reorder
"$bin" --seeds 200001-$((200000 + 300 / n)) --nodes 5 --ops 60
"$bin" --seeds 300001-$((300000 + 30 / n)) --pages 64 --nodes 3 --ops 300
