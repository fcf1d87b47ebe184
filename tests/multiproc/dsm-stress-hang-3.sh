#!/bin/sh
exec "$(dirname "$0")/dsm-stress.sh" hang 3 "$@"
