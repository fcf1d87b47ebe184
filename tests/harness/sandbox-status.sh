#!/bin/bash
# tests/harness/sandbox-status.sh — one rule for the KVM sandbox's status in
# every caller (scripts/kvm-sandbox --help): only "cannot run on this machine"
# (77) may become a skip; a command that never started or ran into the time
# limit is a failure. Fed to scripts/kvm-sandbox, scripts/with-kvm and the
# two tests that run themselves in the sandbox for netem
# (tests/multiproc/dsm-stress.sh, tests/multiproc/transport-run.sh):
#   - a sandbox asked for 1 TiB of RAM cannot run here: 77 and the reason,
#     from each of them, without starting QEMU;
#   - a sandbox given 1 s to start the command (--start-timeout) never
#     starts it: 125 from each (with-kvm retries that once, and says so);
#   - a command sleeping past --timeout 10: 124 and "timed out", not retried.
# One sandbox boot (the time-out case): about 20-40 s. Needs root (the two
# netem tests need it before they reach the sandbox). Exit 0 pass, 1 fail.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
[ "$(id -u)" = 0 ] || { echo "needs root (the netem tests check it before they use the sandbox)"; exit 77; }
fail=0 ncase=0
unset SSIVM_SANDBOX_NO_RETRY SSIVM_SANDBOX_TIMEOUT SSIVM_SANDBOX_START_TIMEOUT SSIVM_SANDBOX_MEM
export SSIVM_KVM=sandbox # with-kvm: the sandbox even where native KVM exists

# expect WHAT WANT_STATUS MAX_SECONDS PATTERN [NOT_PATTERN] -- CMD...
expect() {
	local what=$1 want=$2 max=$3 pat=$4 notpat=$5 t0 dt rc out
	shift 6
	ncase=$((ncase + 1))
	t0=$(date +%s)
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	dt=$(($(date +%s) - t0))
	if [ $rc != "$want" ] || ! grep -qE -- "$pat" <<<"$out" ||
		{ [ -n "$notpat" ] && grep -qE -- "$notpat" <<<"$out"; } || [ $dt -gt "$max" ]; then
		echo "FAIL: $what: exit $rc in ${dt}s (expected $want within ${max}s, output matching '$pat'${notpat:+, none matching '$notpat'}):"
		tail -n 15 <<<"$out" | sed 's/^/    | /'
		fail=1
	else
		echo "ok: $what: exit $rc in ${dt}s: $(grep -E -m1 -- "$pat" <<<"$out")"
	fi
}

netem_here=0
if modprobe -q sch_netem 2>/dev/null || grep -qw sch_netem /proc/modules 2>/dev/null; then
	netem_here=1
	echo "note: this kernel has sch_netem: the netem tests run here without the sandbox, so their sandbox path is not fed"
fi

# 1. cannot run on this machine: the only skip
big="env SSIVM_SANDBOX_MEM=1T"
expect "kvm-sandbox, 1 TiB asked" 77 10 "^kvm-sandbox: cannot run on this machine: .*needs --mem 1T" "" -- \
	$big scripts/kvm-sandbox true
expect "with-kvm, 1 TiB asked" 77 10 "with-kvm: no usable /dev/kvm here, and no KVM sandbox: kvm-sandbox: cannot run on this machine" "" -- \
	$big scripts/with-kvm true
if [ $netem_here = 0 ]; then
	expect "dsm-stress.sh netem, 1 TiB asked" 77 10 "kvm-sandbox: cannot run on this machine" "" -- \
		$big tests/multiproc/dsm-stress.sh netem 3
	expect "transport-run.sh netem, 1 TiB asked" 77 10 "kvm-sandbox: cannot run on this machine" "" -- \
		$big tests/multiproc/transport-run.sh netem 3 pingpong
fi

# 2. the command never started: a failure everywhere, never a skip
never="env SSIVM_SANDBOX_START_TIMEOUT=1"
expect "kvm-sandbox, command never started" 125 20 \
	"^kvm-sandbox: the sandbox did not start the command within 1s" "" -- $never scripts/kvm-sandbox true
expect "with-kvm, command never started (retried once)" 125 30 \
	"with-kvm: WARNING: the KVM sandbox failed before the command finished \(exit 125\); retrying once" "" -- \
	$never scripts/with-kvm true
expect "with-kvm, command never started, SSIVM_SANDBOX_NO_RETRY=1" 125 20 \
	"did not start the command within 1s" "retrying" -- $never SSIVM_SANDBOX_NO_RETRY=1 scripts/with-kvm true
if [ $netem_here = 0 ]; then
	expect "dsm-stress.sh netem, command never started" 125 20 "did not start the command within 1s" "" -- \
		$never tests/multiproc/dsm-stress.sh netem 3
	expect "transport-run.sh netem, command never started" 125 20 "did not start the command within 1s" "" -- \
		$never tests/multiproc/transport-run.sh netem 3 pingpong
fi

# 3. a command sleeping past the time limit: 124, not retried
expect "with-kvm, command sleeping past --timeout 10" 124 60 \
	"^kvm-sandbox: timed out after 10s \(the command (had started|never started)\)" "retrying" -- \
	env SSIVM_SANDBOX_TIMEOUT=10 scripts/with-kvm sleep 600

echo "sandbox-status: $ncase cases, $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
