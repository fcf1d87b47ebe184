#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" evil 3 "$@"
