#!/bin/sh
# a misbehaving peer (node 0) among 3 namespaced nodes over TCP: malformed messages rejected and counted exactly
exec "$(dirname "$0")/transport-run.sh" tcp 3 evil
