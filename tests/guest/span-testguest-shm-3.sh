#!/bin/bash
# the test guest across hosts: shm-3
exec "$(dirname "$0")/span-testguest.sh" shm 3
