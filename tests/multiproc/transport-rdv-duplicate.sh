#!/bin/sh
# two processes claim node 1, then a third after the join: the losers are told who holds node 1
exec "$(dirname "$0")/transport-rdv.sh" duplicate
