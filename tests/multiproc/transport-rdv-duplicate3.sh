#!/bin/sh
# a second node 2 while node 0 still waits for node 1 is refused naming both; a second node 1 after the join cannot listen and says so
exec "$(dirname "$0")/transport-rdv.sh" duplicate3
