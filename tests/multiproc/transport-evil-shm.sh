#!/bin/sh
# a misbehaving peer (node 0) among 2 processes over shared memory: malformed messages rejected and counted exactly
exec "$(dirname "$0")/transport-run.sh" shm 2 evil
