#!/bin/sh
# 3 namespaced nodes over TCP with netem delay 1 ms +- 0.2 ms on every link (KVM sandbox when no sch_netem here)
exec "$(dirname "$0")/transport-run.sh" netem 3 pingpong
