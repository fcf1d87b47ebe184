#!/bin/bash
# tests/multiproc/dsm-edge.sh — the DSM runtime's edge cases (build/bin/dsm-edge):
# a page discarded behind the protocol's back while held exclusive (reads
# zero, no endless fault) and while held read-only (the node fails, the
# reader never returns), and a reader blocked when the DSM fails and stops
# (it faults, never sees a zero page). Root (userfaultfd); 77 otherwise.
set -u
cd "$(dirname "$0")/../.."
bin=${SSIVM_BUILD:-build}/bin/dsm-edge
rc=0
for c in lost-exclusive lost-shared failstop; do
	echo "== dsm-edge $c"
	UCX_ERROR_SIGNALS= timeout -k 5 60 "$bin" "$c"
	r=$?
	[ $r = 77 ] && exit 77
	[ $r = 0 ] || { echo "FAIL: dsm-edge $c exited $r"; rc=1; }
done
exit $rc
