#!/bin/bash
# tests/fuzz/transport_hello_fuzz.sh — 5 s of libFuzzer over the rendezvous
# hello decoder (tests/fuzz/transport_hello_fuzz.c); see tests/fuzz/run-fuzz.sh.
exec "$(dirname "$0")/run-fuzz.sh" transport_hello_fuzz 5 70000
