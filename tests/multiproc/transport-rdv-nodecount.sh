#!/bin/sh
# forged hellos with another node count or tls, and a node 1 configured for 3 nodes: refused with what differs; node 0 joins the real node 1
exec "$(dirname "$0")/transport-rdv.sh" nodecount
