#!/bin/bash
# a node of the spanning test guest fails: kill-1-shm
exec "$(dirname "$0")/span-node-fail.sh" kill 1 shm
