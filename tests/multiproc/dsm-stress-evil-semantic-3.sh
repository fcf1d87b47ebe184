#!/bin/sh
# well-formed INV/FWD/GRANT/HOME_MOVE/DONE from a node that is no home, on real pages
DSM_EVIL_ARGS="--semantic --pages 16" exec "$(dirname "$0")/dsm-stress.sh" evil 3 "$@"
