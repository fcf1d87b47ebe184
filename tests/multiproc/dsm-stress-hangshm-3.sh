#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" hangshm 3 "$@"
