#!/bin/sh
# 3 processes over shared memory, node 2 killed mid-run: the others report it and stop
exec "$(dirname "$0")/transport-run.sh" shm 3 kill
