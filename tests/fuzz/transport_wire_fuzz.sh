#!/bin/bash
# tests/fuzz/transport_wire_fuzz.sh — 25 s of libFuzzer over the transport wire
# decoder (tests/fuzz/transport_wire_fuzz.c); see tests/fuzz/run-fuzz.sh.
exec "$(dirname "$0")/run-fuzz.sh" transport_wire_fuzz 25 5300
