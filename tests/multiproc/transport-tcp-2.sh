#!/bin/sh
# 2 nodes in network namespaces, UCX over TCP: all-to-all checked ping-pong with pages
exec "$(dirname "$0")/transport-run.sh" tcp 2 pingpong
