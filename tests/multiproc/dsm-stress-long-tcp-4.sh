#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" tcp 4 30 "$@"
