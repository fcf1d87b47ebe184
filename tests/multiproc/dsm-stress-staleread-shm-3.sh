#!/bin/sh
# negative test: node 2 reads stale data pages on purpose; passes only if its checks catch it
exec "$(dirname "$0")/dsm-stress.sh" staleread 3 "$@"
