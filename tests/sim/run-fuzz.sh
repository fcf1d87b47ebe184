#!/bin/sh
# Seeded fuzzing of the DSM message input path (see tests/sim/fuzz_dsm_recv.c).
set -e
build="${SSIVM_BUILD:-build}"
case "$build" in
*asan*) n=10000 ;;
*) n=50000 ;;
esac
exec "$build/bin/dsm-fuzz" "$n"
