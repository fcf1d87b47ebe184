#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" killshm 3 "$@"
