#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" shm 3 "$@"
