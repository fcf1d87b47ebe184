#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" netem 3 "$@"
