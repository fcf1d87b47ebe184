#!/bin/sh
# eight silent connections hold node 0's rendezvous port: node 0 joins node 1 at once, then names and counts the eight
exec "$(dirname "$0")/transport-rdv.sh" silent
