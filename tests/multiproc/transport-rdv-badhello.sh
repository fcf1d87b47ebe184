#!/bin/sh
# the 25-byte hello of issue 10 and other bad hellos from node 1's host: refused, named, counted; node 0 then joins node 1
exec "$(dirname "$0")/transport-rdv.sh" badhello
