#!/bin/bash
# the test guest across hosts: shm-2
exec "$(dirname "$0")/span-testguest.sh" shm 2
