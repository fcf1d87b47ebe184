#!/bin/sh
# 3 processes on this host, UCX over shared memory: all-to-all checked ping-pong with pages
exec "$(dirname "$0")/transport-run.sh" shm 3 pingpong
