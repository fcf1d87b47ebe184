#!/bin/sh
# 2 processes over shared memory, node 1 stopped (SIGSTOP) mid-run: heartbeat timeout reported
exec "$(dirname "$0")/transport-run.sh" shm 2 hang
