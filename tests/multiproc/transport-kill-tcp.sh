#!/bin/sh
# 3 namespaced nodes over TCP, node 2 killed mid-run: the others report it and stop
exec "$(dirname "$0")/transport-run.sh" tcp 3 kill
