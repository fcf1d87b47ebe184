#!/bin/bash
# tests/fuzz/transport_hello_fuzz_long.sh — the rendezvous hello decoder's
# fuzzer for 120 s (make check-e2e); see tests/fuzz/run-fuzz.sh.
exec "$(dirname "$0")/run-fuzz.sh" transport_hello_fuzz 120 70000
