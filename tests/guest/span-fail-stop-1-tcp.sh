#!/bin/bash
# a node of the spanning test guest fails: stop-1-tcp
exec "$(dirname "$0")/span-node-fail.sh" stop 1 tcp
