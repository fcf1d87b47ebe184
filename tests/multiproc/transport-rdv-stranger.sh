#!/bin/sh
# a well-formed hello claiming node 1 from another host's IP: refused; node 0 joins the real node 1
exec "$(dirname "$0")/transport-rdv.sh" stranger
