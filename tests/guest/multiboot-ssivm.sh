#!/bin/bash
# tests/guest/multiboot-ssivm.sh — a multiboot kernel (the test guest, as ELF32
# and as a flat a.out-kludge image) boots on ssivm with a command line and
# four modules given the way QEMU's -initrd takes them (docs/multiboot.md):
# --initrd (module 0, its path as string), then "FILE ARGS,FILE ARGS" from
# --module (ELF run) or from the configuration file's `modules` (a.out run),
# with arguments, a ",," escape in a file name and in an argument, a module
# larger than a page and an empty one. The guest prints every module (length,
# string, FNV-1a) and checks their layout; the test compares them and the
# command line with what it passed, and checks that ssivm ended through the
# exit port 0xf4 with the status the guest chose from its command line.
# Then modules that do not fit in guest RAM are refused with exit status 2
# and a message naming the module.
. "$(dirname "$0")/lib.sh"
if [ -z "${SSIVM_IN_KVM:-}" ]; then
	SSIVM_IN_KVM=1 exec "$root/scripts/with-kvm" "$0" "$@"
fi
[ -x "$build/ssivm" ] || { echo "FAIL: $build/ssivm not built (make)"; exit 1; }
# the modules must be visible inside the KVM sandbox: keep them in the build tree
mkdir -p "$build/tmp"
tmp=$(mktemp -d "$build/tmp/mb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SSIVM_SERIAL_INPUT=0
mod0=$tmp/module0.bin
mod1=$tmp/mod,1.bin
mod2=$tmp/mod2.txt
mod3=$tmp/empty.bin
{
	printf 'multiboot module 0 %s\n' "$(date +%s%N)"
	head -c 3000 /dev/urandom
} >"$mod0"
head -c 1500 /dev/urandom >"$mod1"
for i in $(seq 1 100); do printf 'line %03d of module 2, %s\n' "$i" "$RANDOM"; done >"$mod2"
: >"$mod3"
esc1=${mod1//,/,,}
# what QEMU's -initrd would take after "$mod0,", and the strings the guest must see
spec="$esc1 arg=1 two=2,,3,$mod2 --verbose x=y,$mod3"
str1="$mod1 arg=1 two=2,3" str2="$mod2 --verbose x=y" str3="$mod3"
for img in testguest.elf testguest-aout.bin; do
	[ -f "$build/guest/$img" ] || { fail "$build/guest/$img not built (make)"; continue; }
	exitv=$((RANDOM % 120 + 1))
	cmdline="tests=multiboot exit=$exitv modules=4"
	out=$tmp/$img.out
	if [ "$img" = testguest.elf ]; then
		how="--module"
		timeout 60 "$build/ssivm" run --vcpus 1 --memory 32M --kernel "$build/guest/$img" \
			--initrd "$mod0" --module "$spec" --cmdline "$cmdline" >"$out" 2>&1 </dev/null
	else
		how="the file's modules"
		cat >"$tmp/mb.cfg" <<-CFG
			memory = "32M";
			kernel = "$build/guest/$img";
			initrd = "$mod0";
			modules = [ "$esc1 arg=1 two=2,,3", "$mod2 --verbose x=y,$mod3" ];
			cmdline = "$cmdline";
		CFG
		timeout 60 "$build/ssivm" run --config "$tmp/mb.cfg" >"$out" 2>&1 </dev/null
	fi
	rc=$?
	grep -v '^# mb mmap' "$out" | sed "s/^/  [$img] /"
	want=$(((exitv << 1 | 1) & 255))
	check "$img ($how): ssivm exit status $rc = ($exitv << 1) | 1" [ "$rc" -eq "$want" ]
	check_multiboot "$out" "$build/guest/$img $cmdline" "$mod0" "$mod0" "$mod1" "$str1" \
		"$mod2" "$str2" "$mod3" "$str3"
	check "$img: the loader is ssivm" grep -qx '# mb loader "ssivm"' "$out"
	check_guest_done "$out" 1
done

# Modules that do not fit: refused with status 2 and the module named.
# expect_refused NAME MESSAGE-REGEX MODULE-SPEC
expect_refused() {
	local out rc
	out=$(timeout 60 "$build/ssivm" run --memory 32M --kernel "$build/guest/testguest.elf" \
		--module "$3" --cmdline "tests=multiboot" 2>&1 </dev/null)
	rc=$?
	echo "$out" | sed "s/^/  [$1] /"
	check "$1: exit status $rc = 2" [ "$rc" -eq 2 ]
	check "$1: message /$2/" grep -Eq -- "$2" <<<"$out"
}
truncate -s 40M "$tmp/big40"
truncate -s 31M "$tmp/big31"
expect_refused "modules larger than RAM" \
	"module 1 '$tmp/big40 y': the modules up to it take $((41943040 + $(stat -c %s "$mod2"))) bytes, more than the guest's 32 MiB of RAM" \
	"$mod2 x,$tmp/big40 y"
expect_refused "module past the end of RAM" \
	"multiboot: module 1 \('$tmp/big31 z=1', 32505856 bytes\) does not fit in guest RAM below 4 GiB" \
	"$mod0,$tmp/big31 z=1"
finish
