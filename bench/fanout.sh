#!/bin/sh
# Topic fan-out benchmark: heraldd with the scripted test driver, one topic
# of N subscribers (default 100,000; 1,000,000 with --million), one publish;
# prints the fan-out rate and heraldd's RSS before and after, and its peak.
#   sh bench/fanout.sh [--million] [N]        (from the build directory, after make check)
set -eu
n=100000
if [ "${1:-}" = "--million" ]; then n=1000000; shift; fi
n=${1:-$n}
build=${HERALD_BUILDDIR:-.}
. "$(dirname "$0")/heraldd_lib.sh"
tmp=$(mktemp -d)
cleanup() { heraldd_stop; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

[ -f "$build/tests/drivers/.libs/scripted.so" ] || {
	echo "bench/fanout.sh: build the test drivers first (make check TESTS=)" >&2; exit 1; }
mkdir -p "$tmp/drivers"
cp "$build/tests/drivers/.libs/scripted.so" "$tmp/drivers/"
cat >"$tmp/herald.conf" <<CONF
state: { dir = "$tmp/state"; durability = "full"; };
socket: { path = "$tmp/heraldd.sock"; };
drivers: { dirs = ["$tmp/drivers"]; };
log_level = "warning";
CONF
heraldd_start "$tmp"
"$build/bench/bench_fanout" "$tmp/heraldd.sock" "$hpid" "$n"
heraldd_stop
