#!/bin/bash
# tests/guest/lib.sh — helpers for the guest-layer tests of the test guest.
# Sourced; sets $root and $build; every check prints "PASS ..." or "FAIL ..."
# and counts failures in $fails.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
fails=0

pass() { echo "PASS $*"; }
# need_testguest: ends the test (FAIL, exit 1) unless ssivm and the test guest are built
need_testguest() {
	[ -x "$build/ssivm" ] && [ -f "$build/guest/testguest.elf" ] && return 0
	echo "FAIL: $build/ssivm or $build/guest/testguest.elf not built (make)"
	exit 1
}
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# FNV-1a (32-bit) of a file, as the test guest prints it.
fnv1a() {
	local h=2166136261 b
	for b in $(od -An -v -tu1 "$1"); do
		h=$(((h ^ b) * 16777619 & 0xffffffff))
	done
	printf '0x%08x' "$h"
}

# The guest's "# mb ..." lines match what was passed, module by module:
# check_multiboot OUTPUT_FILE CMDLINE MODULE_FILE MODULE_STRING [MODULE_FILE MODULE_STRING]...
check_multiboot() {
	local out=$1 cmdline=$2 i=0 len sum
	shift 2
	check "the guest saw the command line" grep -qF "# mb cmdline \"$cmdline\"" "$out"
	check "the guest saw $(($# / 2)) module(s)" grep -qx "# mb modules $(($# / 2))" "$out"
	while [ $# -ge 2 ]; do
		len=$(stat -c %s "$1")
		sum=$(fnv1a "$1")
		check "module $i: length $len, string \"$2\", fnv1a $sum" \
			grep -qF "# mb module $i len $len string \"$2\" fnv1a $sum " "$out"
		i=$((i + 1))
		shift 2
	done
	check "the multiboot test passed" grep -q '^ok multiboot' "$out"
}

# Every test of the guest passed: check_guest_done OUTPUT_FILE N_TESTS
check_guest_done() {
	check "the guest reports $2 passed, 0 failed" grep -qx "testguest: done $2 passed 0 failed" "$1"
	if grep -q '^not ok' "$1"; then
		grep '^not ok' "$1"
		fail "the guest reported failures"
	fi
}

finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
