#!/bin/bash
# tests/fuzz/config_fuzz_long.sh — config_fuzz.sh for 180 s (make check-e2e).
SSIVM_FUZZ_SECONDS=${SSIVM_FUZZ_SECONDS:-180} exec "$(dirname "$0")/config_fuzz.sh"
