#!/bin/bash
# tests/harness/runner-rules.sh — scripts/run-tests reports what it must:
# each rule fed the case it exists for, in a scratch list and expected set.
#   - a cmocka binary with a skipped case (exit 0) is a skip, not a pass, and a
#     failure when its expected line gives it no reason to skip;
#   - a test exiting 77 without such a reason fails; with needs=sandbox on a
#     machine where the sandbox cannot run (SSIVM_SANDBOX_MEM=1T) it is an
#     allowed skip, unless SSIVM_TEST_NO_SKIP=1;
#   - a test removed from the list, a test not in the expected set, a test in
#     another layer's list, a duplicate, an unknown need: failures, each
#     message saying what to do;
#   - a layer whose every test skipped fails;
#   - a clean run passes and prints its counts (and the summary file line).
# Every case runs the real scripts/run-tests; about 2 s. Exit 0 pass, 1 fail.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
skipbin=$build/bin/harness-cmocka-skip
[ -x "$skipbin" ] || { echo "FAIL: $skipbin not built (make)"; exit 1; }
t=$(mktemp -d /tmp/runner-rules.XXXXXX)
trap 'rm -rf "$t"' EXIT
fail=0 ncase=0

printf '#!/bin/sh\necho "all good"\nexit 0\n' >"$t/pass.sh"
printf '#!/bin/sh\necho "some output"\necho "no frobnicator here"\nexit 77\n' >"$t/skip.sh"
printf '#!/bin/sh\necho "it broke"\nexit 3\n' >"$t/broken.sh"
chmod +x "$t"/*.sh

# case NAME WANT_STATUS LIST_LINES EXPECTED_FILES... -- then the output is in $out
# LIST_LINES: "layer:name:cmd;..." ; each EXPECTED_FILE "layer=line|line|..."
run() {
	local list=$t/list exp=$t/expected
	rm -rf "$exp" "$t/logs" "$t/summary"
	mkdir -p "$exp"
	tr ';' '\n' <<<"$1" >"$list"
	shift
	for e in "$@"; do
		tr '|' '\n' <<<"${e#*=}" >"$exp/${e%%=*}.list"
	done
	out=$(cd "$root" && LOGDIR=$t/logs SSIVM_BUILD=$t/build SSIVM_TEST_EXPECTED=$exp \
		SSIVM_SUMMARY_FILE=$t/summary SSIVM_TEST_TARGET=harness \
		scripts/run-tests "$list" ${layers:-unit} 2>&1)
	status=$?
}

# check WHAT WANT_STATUS LINE... : the status, and each LINE (a grep -E pattern) in the output
check() {
	local what=$1 want=$2 p ok=1
	shift 2
	ncase=$((ncase + 1))
	[ "$status" = "$want" ] || ok=0
	for p in "$@"; do grep -qE -- "$p" <<<"$out" || { ok=0; echo "  missing: $p"; }; done
	if [ $ok = 1 ]; then
		echo "ok: $what"
	else
		echo "FAIL: $what (exit $status, expected $want); run-tests said:"
		sed 's/^/    | /' <<<"$out"
		fail=1
	fi
}
absent() { # absent PATTERN: not in the output
	if grep -qE -- "$1" <<<"$out"; then
		echo "FAIL: '$1' should not be in the output:"
		sed 's/^/    | /' <<<"$out"
		fail=1
	fi
}

unset SSIVM_TEST_FILTER SSIVM_TEST_NO_SKIP
export SSIVM_SANDBOX_MEM=4G

# 1. a cmocka case that called skip(): exit 0, but not a pass
run "unit:cm:$skipbin;unit:ok:$t/pass.sh" "unit=cm|ok"
check "a cmocka binary with a skipped case and no needs= fails" 1 \
	"^FAIL unit +cm .*skipped, in part: 1 of 2 cases skipped: case_skipped — not allowed: .*unit.list:1 gives it no needs=" \
	"^unit: 2 expected, 2 ran: 1 passed, 1 failed, 0 skipped$"
absent "^PASS unit +cm "

# 2. a skip with a reason the machine really has: the sandbox cannot run with
#    1 TiB of RAM asked for
SSIVM_SANDBOX_MEM=1T run "unit:cm:$skipbin;unit:sk:$t/skip.sh;unit:ok:$t/pass.sh" \
	"unit=cm needs=sandbox|sk needs=root,sandbox|ok"
check "skips allowed by needs= the machine lacks are counted as skips" 0 \
	"^SKIP unit +cm .*\(in part: 1 of 2 cases skipped: case_skipped; allowed: it needs sandbox, which this machine lacks\)" \
	"^SKIP unit +sk .*\(no frobnicator here; allowed: it needs .*sandbox" \
	"^unit: 3 expected, 3 ran: 1 passed, 0 failed, 2 skipped$" "^skipped: cm sk$"
SSIVM_SANDBOX_MEM=1T SSIVM_TEST_NO_SKIP=1 run "unit:sk:$t/skip.sh;unit:ok:$t/pass.sh" \
	"unit=sk needs=sandbox|ok"
check "SSIVM_TEST_NO_SKIP=1 makes an allowed skip a failure" 1 \
	"^FAIL unit +sk .*not allowed: SSIVM_TEST_NO_SKIP=1"

# 3. a plain exit 77 with no reason in the expected set; and one whose need
#    the machine has
run "unit:sk:$t/skip.sh;unit:ok:$t/pass.sh" "unit=sk|ok"
check "exit 77 with no needs= fails, naming the test's reason" 1 \
	"^FAIL unit +sk .*\(skipped, no frobnicator here — not allowed: .* it must run everywhere"
# a need this machine has, whatever it is
if [ "$(id -u)" = 0 ]; then had=root
elif ! SSIVM_KVM=native scripts/with-kvm --check >/dev/null 2>&1; then had=no-native-kvm
else had=kvm; fi
run "unit:sk:$t/skip.sh;unit:ok:$t/pass.sh" "unit=sk needs=$had|ok"
check "exit 77 though the machine has what it needs ($had) fails" 1 \
	"^FAIL unit +sk .*not allowed: .*unit.list:1 lets it skip only without $had, and this machine has them"

# 4. a test dropped from the list
run "unit:ok:$t/pass.sh" "unit=gone|ok"
check "an expected test missing from the list fails, saying what to do" 1 \
	"run-tests: FAIL: test 'gone' is expected \(.*unit.list:1\) but not in TEST_LIST: it was dropped from a module.mk or renamed. Restore its TEST_LIST entry" \
	"^unit: 2 expected, 1 ran: 1 passed, 0 failed, 0 skipped; 1 expected but not run$"
grep -qx "harness 2 1 1 0 0 1 1" "$t/summary" || { echo "FAIL: summary line: $(cat "$t/summary")"; fail=1; }

# 5. a test nobody expects, one in another layer's list, a duplicate, an unknown need
run "unit:ok:$t/pass.sh;unit:newcomer:$t/pass.sh" "unit=ok"
check "a test in the list but not expected fails, saying which line to add" 1 \
	"run-tests: FAIL: test 'newcomer' \(layer unit\) is in TEST_LIST but not expected: add the line 'newcomer' to .*/unit.list" \
	"^unit: 1 expected, 2 ran: 2 passed, 0 failed, 0 skipped; 1 ran but not expected$"
run "unit:ok:$t/pass.sh;unit:moved:$t/pass.sh" "unit=ok" "multiproc=moved"
check "a test in another layer's expected list fails" 1 \
	"test 'moved' is in TEST_LIST as layer unit, but .*multiproc.list:1 expects it in layer multiproc"
run "unit:ok:$t/pass.sh;unit:ok:$t/broken.sh" "unit=ok"
check "a test registered twice fails" 1 "test 'ok' is registered twice in TEST_LIST"
run "unit:ok:$t/pass.sh" "unit=ok needs=wings"
check "an unknown need fails" 1 "unit.list:1: test 'ok' needs 'wings', which run-tests does not know"

# 6. a layer whose every test skipped (allowed, one by one) still fails
SSIVM_SANDBOX_MEM=1T layers="unit multiproc" run "unit:ok:$t/pass.sh;multiproc:sk:$t/skip.sh" \
	"unit=ok" "multiproc=sk needs=sandbox"
check "a layer that skipped every test fails" 1 "^SKIP multiproc +sk " \
	"run-tests: FAIL: layer multiproc: none of its 1 tests ran to a verdict"

# 7. a real failure is still a failure; a clean run passes with its counts
run "unit:ok:$t/pass.sh;unit:bad:$t/broken.sh" "unit=bad|ok"
check "a failing test fails the run" 1 "^FAIL unit +bad .*\(exit 3\)" "    \| it broke"
run "unit:ok:$t/pass.sh;unit:ok2:$t/pass.sh" "unit=ok|ok2   # a comment|# only a comment"
check "a clean run passes and prints its counts" 0 "^PASS unit +ok " \
	"^unit: 2 expected, 2 ran: 2 passed, 0 failed, 0 skipped$" "^2 passed, 0 failed, 0 skipped$"
grep -qx "harness 2 2 2 0 0 0 0" "$t/summary" || { echo "FAIL: summary line: $(cat "$t/summary")"; fail=1; }
SSIVM_TEST_FILTER='^ok2$' run "unit:ok:$t/pass.sh;unit:ok2:$t/pass.sh" "unit=ok|ok2"
check "a filter expects only the tests it selects" 0 "^unit: 1 expected, 1 ran: 1 passed"

echo "runner-rules: $ncase cases, $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
