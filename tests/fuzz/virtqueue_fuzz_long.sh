#!/bin/bash
# tests/fuzz/virtqueue_fuzz_long.sh — the virtqueue walker's fuzzer for 120 s
# (make check-e2e); see tests/fuzz/run-fuzz.sh.
exec "$(dirname "$0")/run-fuzz.sh" virtqueue_fuzz 120 65539
