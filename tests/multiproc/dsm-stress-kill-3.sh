#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" kill 3 "$@"
