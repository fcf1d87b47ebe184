#!/bin/bash
# tests/linux/boot-pvh.sh — boot-numa.sh with the ELF vmlinux through the PVH entry.
exec "$(dirname "$0")/boot-numa.sh" --pvh
