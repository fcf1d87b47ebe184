#!/bin/bash
# tests/multiproc/transport-args.sh — the transport test programs refuse bad
# numbers: junk, a sign, a suffix, overflow, out of range. Each must exit 2
# with a message naming the option, before doing anything else.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${SSIVM_BUILD:-build}
case $build in /*) ;; *) build=$here/../../$build ;; esac
node=$build/bin/tp-node evil=$build/bin/tp-hello-evil
[ -x "$node" ] && [ -x "$evil" ] || { echo "tp-node or tp-hello-evil not built: run make first"; exit 77; }
n=0
check() { # EXPECTED-TEXT CMD...
	local want=$1 out rc
	shift
	out=$(timeout 10 "$@" 2>&1 </dev/null)
	rc=$?
	[ $rc = 2 ] || { echo "FAIL: '$*' exited with $rc, expected 2: $out"; exit 1; }
	grep -qF -- "$want" <<<"$out" || { echo "FAIL: '$*' said '$out', expected '$want'"; exit 1; }
	n=$((n + 1))
}
a=127.0.0.1:1
for v in abc -1 +5 " 5" 5x 0x10 99999999999999999999 4294967296 ""; do
	check "tp-node: -c '$v': expected a whole number in 1..1000000000" "$node" -i 0 -n $a -c "$v"
done
check "tp-node: -i '64': expected a whole number in 0..63" "$node" -i 64 -n $a
check "tp-node: -i '-1'" "$node" -i -1 -n $a
check "tp-node: -w '0'" "$node" -i 0 -n $a -w 0
check "tp-node: -C '3600001'" "$node" -i 0 -n $a -C 3600001
check "tp-node: -x '1e3'" "$node" -i 0 -n $a -x 1e3
check "tp-node: -D '-5'" "$node" -i 0 -n $a -D -5
check "tp-node: -n: more than 64 node addresses" "$node" -i 0 -n "$(printf "$a,%.0s" {1..65})"
check "usage: tp-node" "$node" -i 0 -n $a extra
check "tp-hello-evil: -a '99999': expected a whole number in 1..65535" "$evil" -a 127.0.0.1:99999 -m junk
check "tp-hello-evil: -k '65'" "$evil" -a $a -m silent -k 65
check "tp-hello-evil: -s 'x'" "$evil" -a $a -m silent -s x
check "usage: tp-hello-evil" "$evil" -a $a -m nosuchmode
echo "PASS: $n bad arguments refused with exit 2 and a message"
