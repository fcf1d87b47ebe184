#!/bin/bash
# the test guest across hosts: tcp-2
exec "$(dirname "$0")/span-testguest.sh" tcp 2
