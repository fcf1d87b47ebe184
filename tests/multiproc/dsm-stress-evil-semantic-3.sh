#!/bin/sh
# well-formed INV/FWD/DONE from a node that is no home, aimed at the hot pages
DSM_EVIL_ARGS="--semantic --pages 16" exec "$(dirname "$0")/dsm-stress.sh" evil 3 "$@"
