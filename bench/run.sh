#!/bin/sh
# Publish acknowledgement benchmark: the same load against heraldd with
# durability "full" (fsync per group commit) and "process", in one run, so
# the figures can be quoted as a ratio on a shared, noisy machine.
#   sh bench/run.sh [N] [WINDOW]        (from the build directory)
set -eu
n=${1:-20000}
window=${2:-64}
build=${HERALD_BUILDDIR:-.}
tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

run() {
	dir=$tmp/$1
	mkdir -p "$dir"
	cat >"$dir/herald.conf" <<CONF
state: { dir = "$dir"; durability = "$1"; };
socket: { path = "$dir/heraldd.sock"; };
log_level = "warning";
CONF
	"$build/heraldd" -c "$dir/herald.conf" 2>"$dir/heraldd.log" &
	pid=$!
	i=0
	until [ -S "$dir/heraldd.sock" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { cat "$dir/heraldd.log"; exit 1; }
		sleep 0.1
	done
	printf '%-8s ' "$1"
	"$build/bench/bench_publish" "$dir/heraldd.sock" "$n" "$window"
	kill "$pid"; wait "$pid" || true; pid=
}
run full
run process
