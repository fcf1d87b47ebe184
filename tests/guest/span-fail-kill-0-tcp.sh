#!/bin/bash
# a node of the spanning test guest fails: kill-0-tcp
exec "$(dirname "$0")/span-node-fail.sh" kill 0 tcp
