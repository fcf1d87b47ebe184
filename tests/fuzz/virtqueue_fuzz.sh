#!/bin/bash
# tests/fuzz/virtqueue_fuzz.sh — 15 s of libFuzzer over the split-virtqueue
# walker (tests/fuzz/virtqueue_fuzz.c); see tests/fuzz/run-fuzz.sh.
exec "$(dirname "$0")/run-fuzz.sh" virtqueue_fuzz 15 65539
