#!/bin/sh
# home migration after 2 transactions in a row by one node, ping-pong guard on
DSM_STRESS_POLICY=${DSM_STRESS_POLICY:-migrate_after=2,pingpong_threshold=4,pingpong_window_ms=50,pin_ms=20,pin_hold_us=200} exec "$(dirname "$0")/dsm-stress.sh" shm 3 "$@"
