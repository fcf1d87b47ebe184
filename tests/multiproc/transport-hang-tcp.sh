#!/bin/sh
# 3 namespaced nodes over TCP, node 2 stopped (SIGSTOP) mid-run: heartbeat timeout reported, others stop
exec "$(dirname "$0")/transport-run.sh" tcp 3 hang
