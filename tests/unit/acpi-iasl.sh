#!/bin/bash
# tests/unit/acpi-iasl.sh — `ssivm acpi-dump` for the example configurations
# (and a 256-vCPU one), every table decoded by Debian's `iasl -d` with no error
# or warning, and the decoded fields compared with the configuration:
# SRAT proximity domains and ranges, SLIT entries, HMAT latencies and
# bandwidths, MADT entry counts, FADT registers, the DSDT's \_S5 and PCI0,
# the MCFG.
# iasl 20200925 (Debian 12) cannot decode an RSDP file: the RSDP is checked
# here byte by byte instead. Exit 0 pass, 1 fail, 77 iasl missing.
set -u
build=${SSIVM_BUILD:-build}
ssivm=$build/ssivm
here=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v iasl >/dev/null; then
	echo "iasl not found: install Debian's acpica-tools"
	exit 77
fi
if [ ! -x "$ssivm" ]; then
	echo "FAIL: $ssivm is missing (make first)"
	exit 1
fi
tmp=$(mktemp -d /tmp/ssivm-acpi-iasl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# expect NAME GOT WANT
expect() {
	if [ "$2" == "$3" ]; then
		echo "ok   $1"
	else
		fail "$1"
		echo "     want: $(echo "$3" | tr '\n' '|')"
		echo "     got:  $(echo "$2" | tr '\n' '|')"
	fi
}

# Value of "Key : value" lines of a .dsl (offset prefix stripped), in order.
field() {
	sed -n 's/^\[[^]]*\] *//; s/^ *//; s/^'"$2"' *: \([^ ]*\).*/\1/p' "$1"
}

# dump DIR ARGS...: acpi-dump into DIR, then iasl -d every table but the RSDP.
dump() {
	local dir=$1 f log
	shift
	mkdir -p "$dir"
	if ! "$ssivm" acpi-dump --output "$dir" "$@" >"$dir/dump.log" 2>&1; then
		fail "ssivm acpi-dump $*"
		cat "$dir/dump.log"
		return 1
	fi
	for f in xsdt facs dsdt facp apic srat slit hmat mcfg; do
		[ -s "$dir/$f.dat" ] || { fail "$dir/$f.dat not written"; continue; }
		log=$dir/$f.iasl.log
		if ! (cd "$dir" && iasl -d "$f.dat") >"$log" 2>&1; then
			fail "iasl -d $f.dat exited non-zero"
			cat "$log"
		elif grep -qiE 'error|warning' "$log" "$dir/$f.dsl"; then
			fail "iasl -d $f.dat reported:"
			grep -iE 'error|warning' "$log" "$dir/$f.dsl"
		elif ! grep -q "$(echo "$f" | tr a-z A-Z)" "$dir/$f.dsl"; then
			fail "$f.dsl does not name its table"
		fi
	done
	echo "ok   dumped and decoded: $*"
}

# SRAT memory affinity as "domain base length" lines (hex, as iasl prints them).
srat_memory() {
	awk -F' : ' '/Memory Affinity/ {m = 1; next}
		m && /Proximity Domain/ {d = $2}
		m && /Base Address/ {b = $2}
		m && /Address Length/ {print d, b, $2; m = 0}' "$1" | sed 's/ *$//'
}

# SRAT processor affinity as "apic-id domain" lines (decimal).
srat_cpus() {
	awk -F' : ' '/Local APIC\/SAPIC Affinity/ {t = 0; next}
		/x2APIC Affinity/ {t = 2; next}
		/Proximity Domain Low/ {d = $2}
		/Proximity Domain  *:/ && t == 2 {d = $2}
		/Apic ID/ {print $2, d}' "$1" |
		while read -r id dom; do echo "$((16#$id)) $((16#$dom))"; done
}

# HMAT SLLBI entries as "datatype initiator target value" (ns or MB/s), zeros left out.
hmat_entries() {
	local type= base= ni= nt= ini=() tgt=() n=0 key val v
	while IFS='|' read -r key val; do
		case $key in
		"Data Type") type=$((16#$val)); ini=(); tgt=(); n=0 ;;
		"Initiator Proximity Domains #") ni=$((16#$val)) ;;
		"Target Proximity Domains #") nt=$((16#$val)) ;;
		"Entry Base Unit") base=$((16#$val)) ;;
		"Initiator Proximity Domain List") ini+=($((16#$val))) ;;
		"Target Proximity Domain List") tgt+=($((16#$val))) ;;
		"Entry")
			v=$((16#$val * base))
			[ "$type" -le 2 ] && v=$((v / 1000))
			[ "$v" -ne 0 ] && echo "$type ${ini[$((n / nt))]} ${tgt[$((n % nt))]} $v"
			n=$((n + 1)) ;;
		esac
	done < <(sed -n 's/^\[[^]]*\] *//; s/^ *\([^:]*[^ ]\) *: \([0-9A-Fa-f]*\).*/\1|\2/p' "$1")
}

madt_counts() {
	sed -n 's/^\[[^]]*\] *//; s/^ *Subtable Type : [0-9A-F]* \[\(.*\)\]/\1/p' "$1" | sort | uniq -c |
		sed 's/^ *//'
}

# RSDP: signature, revision 2, both checksums, XSDT pointer = where the XSDT went
check_rsdp() {
	local dir=$1 bytes sum20=0 sum36=0 i xsdt
	read -r -a bytes < <(od -An -v -tu1 "$dir/rsdp.dat" | tr -s ' \n' ' ')
	expect "RSDP signature" "$(head -c 8 "$dir/rsdp.dat")" "RSD PTR "
	expect "RSDP size and revision" "${#bytes[@]} ${bytes[15]}" "36 2"
	for i in $(seq 0 35); do
		[ "$i" -lt 20 ] && sum20=$((sum20 + bytes[i]))
		sum36=$((sum36 + bytes[i]))
	done
	expect "RSDP checksums" "$((sum20 % 256)) $((sum36 % 256))" "0 0"
	xsdt=0
	for i in $(seq 31 -1 24); do xsdt=$((xsdt * 256 + bytes[i])); done
	expect "RSDP -> XSDT" "$(printf '0x%05x' "$xsdt")" \
		"$(sed -n 's/^XSDT .* at \(0x[0-9a-f]*\) .*/\1/p' "$dir/dump.log")"
}

# --- two nodes, 2 vCPUs, read and write figures ------------------------------
d=$tmp/two
if dump "$d" --config "$here/examples/two-node.cfg"; then
	check_rsdp "$d"
	expect "two-node SRAT memory" "$(srat_memory "$d/srat.dsl")" \
"00000000 0000000000000000 0000000020000000
00000001 0000000020000000 0000000020000000"
	expect "two-node SRAT cpus" "$(srat_cpus "$d/srat.dsl")" "0 0
1 1"
	expect "two-node SLIT" "$(sed -n 's/.*Locality *[0-9]* : //p' "$d/slit.dsl")" "0A 14
14 0A"
	expect "two-node HMAT" "$(hmat_entries "$d/hmat.dsl" | sort -n)" \
"1 0 0 100
1 0 1 2500
1 1 0 2500
1 1 1 100
2 0 0 120
2 0 1 3000
2 1 0 3000
2 1 1 120
4 0 0 20000
4 0 1 1000
4 1 0 1000
4 1 1 20000
5 0 0 16000
5 0 1 800
5 1 0 800
5 1 1 16000"
	expect "two-node MADT" "$(madt_counts "$d/apic.dsl")" "1 I/O APIC
2 Interrupt Source Override
1 Local APIC NMI
2 Processor Local APIC"
	expect "FADT PM1a event/control, SCI" \
		"$(field "$d/facp.dsl" 'PM1A Event Block Address') $(field "$d/facp.dsl" 'PM1A Control Block Address') $(field "$d/facp.dsl" 'SCI Interrupt')" \
		"00000600 00000604 0009"
	expect "FADT reset register" "$(field "$d/facp.dsl" 'Reset Register Supported (V2)') $(field "$d/facp.dsl" 'Value to cause reset') $(sed -n '/Reset Register :/,/Address/p' "$d/facp.dsl" | field /dev/stdin Address)" \
		"1 06 0000000000000CF9"
	expect "FADT PM timer absent, revision 6" "$(field "$d/facp.dsl" 'PM Timer Block Address') $(field "$d/facp.dsl" Revision)" "00000000 06"
	expect "DSDT \\_S5 and COM1" \
		"$(grep -c 'Name (\\_S5, Package (0x04)' "$d/dsdt.dsl") $(grep -A4 '_S5' "$d/dsdt.dsl" | grep -c '0x05,') $(grep -c 'EisaId ("PNP0501")' "$d/dsdt.dsl")" \
		"1 2 1"
	expect "DSDT PCI0: PNP0A08/PNP0A03, bus 0, I/O and the BAR window" \
		"$(grep -c 'EisaId ("PNP0A08")' "$d/dsdt.dsl") $(grep -c 'EisaId ("PNP0A03")' "$d/dsdt.dsl") $(grep -A3 WordBusNumber "$d/dsdt.dsl" | grep -c '0x0000,.*Range M') $(grep -A3 DWordMemory "$d/dsdt.dsl" | sed -n 's/ *\(0x[0-9A-F]*\),.*Range M.*/\1/p' | tr '\n' ' ')" \
		"1 1 2 0xC0000000 0xDFFFFFFF "
	expect "MCFG: ECAM of segment 0, bus 0" \
		"$(field "$d/mcfg.dsl" 'Base Address') $(field "$d/mcfg.dsl" 'Segment Group Number') $(field "$d/mcfg.dsl" 'Start Bus Number') $(field "$d/mcfg.dsl" 'End Bus Number')" \
		"00000000E0000000 0000 00 00"
fi

# --- four nodes, one memory-only, node 2 across the hole, read figures -------
d=$tmp/four
if dump "$d" --config "$here/examples/four-node.cfg"; then
	expect "four-node SRAT memory" "$(srat_memory "$d/srat.dsl")" \
"00000000 0000000000000000 0000000040000000
00000001 0000000040000000 0000000040000000
00000002 0000000080000000 0000000040000000
00000002 0000000100000000 0000000020000000
00000003 0000000120000000 0000000080000000"
	expect "four-node SRAT cpus" "$(srat_cpus "$d/srat.dsl" | tr '\n' ' ')" "0 0 1 0 2 1 3 1 4 2 5 2 "
	expect "four-node SLIT" "$(sed -n 's/.*Locality *[0-9]* : //p' "$d/slit.dsl")" "0A 10 20 28
10 0A 10 28
20 10 0A 28
28 28 28 0A"
	expect "four-node HMAT" "$(hmat_entries "$d/hmat.dsl" | sort -n | tr '\n' ' ')" \
		"1 0 0 90 1 0 3 1200 1 1 3 1200 1 2 3 900 4 0 0 24576 4 0 3 4096 4 1 3 4096 4 2 3 6144 "
	expect "four-node HMAT memory-only node 3 has no initiator" \
		"$(field "$d/hmat.dsl" 'Processor Proximity Domain Valid' | tr '\n' ' ')" "1 1 1 0 "
	expect "four-node MADT local APICs" "$(madt_counts "$d/apic.dsl" | grep 'Processor Local APIC$')" "6 Processor Local APIC"
fi

# --- flags only: 256 vCPUs need an x2APIC entry for APIC ID 255 -------------
d=$tmp/big
if dump "$d" --vcpus 256 --numa id=0,cpus=0-127,memory=1G --numa id=1,cpus=128-255,memory=1G,distances=0@30; then
	expect "256 vCPUs MADT" "$(madt_counts "$d/apic.dsl")" "1 I/O APIC
2 Interrupt Source Override
1 Local APIC NMI
1 Local x2APIC NMI
255 Processor Local APIC
1 Processor Local x2APIC"
	expect "256 vCPUs SRAT cpu domains" "$(srat_cpus "$d/srat.dsl" | sed -n '1p;128p;129p;256p' | tr '\n' ' ')" "0 0 127 0 128 1 255 1 "
	expect "256 vCPUs SLIT mirrored" "$(sed -n 's/.*Locality *[0-9]* : //p' "$d/slit.dsl" | tr '\n' ' ')" "0A 1E 1E 0A "
fi

# --- a configuration acpi-dump must refuse, with its message ------------------
out=$("$ssivm" acpi-dump --output "$tmp" --numa id=0,cpus=0-1,memory=1G --numa id=1,cpus=1,memory=1G 2>&1)
rc=$?
expect "refused configuration exits 2" "$rc" 2
expect "refused configuration names the problem" "$(echo "$out" | grep -c 'numa node 1: cpu 1 is already in node 0')" 1

echo
if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
