#!/bin/sh
# guest/tools/init.sh — /init of the ssivm check initramfs (scripts/mkguest).
# Prints what the guest sees of its machine as "SSIVM-CHECK ..." lines on the
# console, then powers off. Kernel command line options:
#   ssivm.memtouch=PERCENT  (default 92; 0 skips the memory touch)
#   ssivm.faultbench=ARGS   run /bin/faultbench with ARGS, '+' between arguments
#                           (e.g. --pages+4096+first:0:0+first:0:1+raw:0,1)
#   ssivm.shell=1           drop into a shell instead of powering off
#   ssivm.end=reboot        end with `reboot -f` (a reset) instead of `poweroff -f`
#   ssivm.kallsyms=PREFIX   print the kernel's symbols whose address starts with PREFIX
#                           ("SSIVM-KSYM addr type name"; "all" for every one): a
#                           System.map for reading vCPU reports and hot pages
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
# without a /dev/console in the archive the kernel gave us no stdio
[ -t 1 ] || exec </dev/console >/dev/console 2>&1
echo "SSIVM-CHECK init uptime=$(/bin/busybox cut -d' ' -f1 /proc/uptime)"
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys

memtouch=92
shell=0
faultbench=
end=poweroff
for a in $(cat /proc/cmdline); do
	case $a in
	ssivm.memtouch=*) memtouch=${a#ssivm.memtouch=} ;;
	ssivm.shell=*) shell=${a#ssivm.shell=} ;;
	ssivm.faultbench=*) faultbench=$(echo "${a#ssivm.faultbench=}" | tr '+' ' ') ;;
	ssivm.end=reboot) end=reboot ;;
	ssivm.kallsyms=all) sed 's/^/SSIVM-KSYM /' /proc/kallsyms ;;
	ssivm.kallsyms=*) grep "^${a#ssivm.kallsyms=}" /proc/kallsyms | sed 's/^/SSIVM-KSYM /' ;;
	esac
done

echo "SSIVM-CHECK kernel release=$(uname -r)"
echo "SSIVM-CHECK cpus online=$(cat /sys/devices/system/cpu/online) possible=$(cat /sys/devices/system/cpu/possible) count=$(grep -c ^processor /proc/cpuinfo)"
echo "SSIVM-CHECK meminfo memtotal_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo) memfree_kb=$(awk '/^MemFree:/{print $2}' /proc/meminfo)"
nodes=
for d in /sys/devices/system/node/node*; do
	[ -d "$d" ] || continue
	n=${d##*node}
	nodes="$nodes $n"
	echo "SSIVM-CHECK node id=$n cpulist=$(cat $d/cpulist) memtotal_kb=$(awk '/MemTotal:/{print $4}' $d/meminfo) distance=$(cat $d/distance | tr ' ' ',')"
done
echo "SSIVM-CHECK nodes list=$(echo $nodes | tr ' ' ',')"
# where the kernel's own image (code, rodata, data, bss) sits in guest-physical
# memory: the node that holds it has that much less MemTotal
echo "SSIVM-CHECK kernel-image ranges=$(awk '/: Kernel (code|rodata|data|bss)$/ {print $1}' /proc/iomem | tr '\n' ',' | sed 's/,$//')"
echo "SSIVM-CHECK acpi tables=$(ls /sys/firmware/acpi/tables 2>/dev/null | grep -v '^dynamic$' | tr '\n' ',' | sed 's/,$//')"
# PCI: the kernel's view of the host bridge (dmesg) and the devices it found
pcidevs=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/vendor" ] || continue
	v=$(cat $d/vendor) i=$(cat $d/device)
	pcidevs="$pcidevs,${d##*/0000:}=${v#0x}:${i#0x}"
done
echo "SSIVM-CHECK pci host-bridge=$(dmesg | grep -c 'PCI host bridge to bus 0000:00') fatal=$(dmesg | grep -c 'PCI: Fatal') mmconfig=$(dmesg | grep -c 'MMCONFIG.*reserved') devices=${pcidevs#,}"
if [ "$memtouch" != 0 ]; then
	# killed (e.g. by the OOM killer) it prints no memtouch line: say so
	/bin/memtouch "$memtouch" || echo "SSIVM-CHECK memtouch-exit status=$?"
fi
if [ -n "$faultbench" ]; then
	# shellcheck disable=SC2086 # the arguments are split on purpose
	/bin/faultbench $faultbench || echo "SSIVM-CHECK faultbench-exit status=$?"
fi
echo "SSIVM-CHECK done uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ "$shell" = 1 ]; then
	exec sh
fi
$end -f
# not reached unless it failed
echo "SSIVM-CHECK $end failed"
sleep 5
