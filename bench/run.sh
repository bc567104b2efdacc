#!/bin/sh
# Publish acknowledgement benchmark: the same load against heraldd with
# durability "full" (fsync per group commit) and "process", in one run, so
# the figures can be quoted as a ratio on a shared, noisy machine.
#   sh bench/run.sh [N] [WINDOW]        (from the build directory)
set -eu
n=${1:-20000}
window=${2:-64}
build=${HERALD_BUILDDIR:-.}
. "$(dirname "$0")/heraldd_lib.sh"
tmp=$(mktemp -d)
cleanup() { heraldd_stop; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

run() {
	dir=$tmp/$1
	mkdir -p "$dir"
	cat >"$dir/herald.conf" <<CONF
state: { dir = "$dir"; durability = "$1"; };
socket: { path = "$dir/heraldd.sock"; };
log_level = "warning";
CONF
	heraldd_start "$dir"
	printf '%-8s ' "$1"
	"$build/bench/bench_publish" "$dir/heraldd.sock" "$n" "$window"
	heraldd_stop
}
run full
run process
