#!/bin/sh
# node 2 skips the last barrier but stays alive; node 0 must time out naming it
exec "$(dirname "$0")/dsm-stress.sh" stall 3 "$@"
