#!/bin/bash
# tests/linux/boot-time-bench.sh — bench/boot_time.sh works and tells the truth
# (e2e: three KVM sandbox sessions, about two minutes here):
#   --runs 1 on the real guest: exit 0, one line of figures per VMM (ssivm,
#     qemu, ssivm-1h, ssivm-2h: the guest on 1 and across 2 ssivm nodes) and
#     the ratio lines, all figures positive numbers;
#   --runs 1 --kernel <a text file>: both VMMs refuse it (non-zero exit);
#   --runs 1 --kernel <a multiboot kernel that halts forever> --timeout 15:
#     both VMMs boot it and it never powers off (killed after 15 s);
#   each time the script must report both runs as errors, print no figures
#   and exit non-zero.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/tmp"
out=$(mktemp "$BUILD/tmp/boot-time-bench.XXXXXX")
bad=$(mktemp "$BUILD/tmp/not-a-kernel.XXXXXX")
trap 'rm -f "$out" "$bad"' EXIT
fails=0
check() { # description, then a command that must succeed
	local what=$1; shift
	if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
num='[0-9]+(\.[0-9]+)?'

bench/boot_time.sh --runs 1 >"$out" 2>&1
rc=$?
sed 's/^/  | /' "$out"
if [ $rc = 77 ]; then
	tail -n1 "$out"
	exit 77
fi
check "boot_time.sh --runs 1 exited 0 (got $rc)" [ $rc = 0 ]
for v in ssivm qemu ssivm-1h ssivm-2h; do
	check "a line of figures for $v" grep -qE "^$v +$num +$num +$num\$" "$out"
done
check "the ratio line ssivm/qemu" grep -qE "^ratio ssivm/qemu: wall_init $num, uptime_init $num, wall_exit $num\$" "$out"
check "the ratio line 2 hosts / 1 host" \
	grep -qE "^ratio ssivm-2h/ssivm-1h: wall_init $num, uptime_init $num, wall_exit $num\$" "$out"
positive() { awk '/^(ssivm|qemu|ssivm-1h|ssivm-2h) / { for (i = 2; i <= 4; i++) if (!($i > 0)) exit 1 }
	/^ratio / { gsub(/,/, ""); if (!($4 > 0 && $6 > 0 && $8 > 0)) exit 1 }' "$out"; }
check "every figure and ratio is above 0" positive

# must_fail WHAT PATTERN ARGS...: boot_time.sh ARGS fails, each VMM's run is an
# error matching PATTERN, and nothing is timed
must_fail() {
	local what=$1 pat=$2 rc v
	shift 2
	bench/boot_time.sh --runs 1 "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/  | /' "$out"
	check "$what: exited non-zero, not 77 (got $rc)" test $rc != 0 -a $rc != 77
	for v in ssivm qemu ssivm-1h ssivm-2h; do
		check "$what: $v's run reported as an error" grep -qE "^boot_time: error: run 1 $v: $pat" "$out"
	done
	check "$what: no figures printed" bash -c "! grep -qE '^(ssivm|qemu|ssivm-1h|ssivm-2h|ratio) ' '$out'"
}
echo "this is not a kernel" >"$bad"
must_fail "a text file as kernel" "the guest never printed its /init line; the VMM exited with status [1-9]" \
	--kernel "$bad"

# multiboot v1 header (a.out kludge) loading at 1 MiB; entry: hlt; jmp back
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
load=$((0x100000)) flags=$((0x10000)) magic=$((0x1BADB002)) size=64
{
	le32 $magic; le32 $flags; le32 $(((-(magic + flags)) & 0xffffffff))
	le32 $load; le32 $load; le32 $((load + size)); le32 $((load + size)); le32 $((load + 32))
	printf '\xf4\xeb\xfd'
	head -c $((size - 35)) /dev/zero
} >"$bad"
must_fail "a kernel that halts forever" "no poweroff within 15 s" --kernel "$bad" --timeout 15

if [ $fails -gt 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "boot_time.sh: figures on a good run, errors on failed ones"
