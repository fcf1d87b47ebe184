#!/bin/sh
# 4 nodes in network namespaces, UCX over TCP: all-to-all checked ping-pong with pages
exec "$(dirname "$0")/transport-run.sh" tcp 4 pingpong
