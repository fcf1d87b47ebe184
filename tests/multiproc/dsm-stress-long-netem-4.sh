#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" netem 4 20 "$@"
