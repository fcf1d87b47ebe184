#!/bin/sh
# negative test: node 2 loses its writes to one data page on purpose; passes only if the checks catch it
exec "$(dirname "$0")/dsm-stress.sh" lostwrite 3 "$@"
