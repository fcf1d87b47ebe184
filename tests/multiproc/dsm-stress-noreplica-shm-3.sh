#!/bin/sh
# reads take exclusive ownership, untouched pages start at their home: every
# access by another node moves the page (the shared-flag exit race showed here)
DSM_STRESS_POLICY=${DSM_STRESS_POLICY:-replication=0,first_touch=0} exec "$(dirname "$0")/dsm-stress.sh" shm 3 "$@"
