#!/bin/sh
# 3 nodes in network namespaces, UCX over TCP: all-to-all checked ping-pong with pages
exec "$(dirname "$0")/transport-run.sh" tcp 3 pingpong
