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
tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
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
"$build/heraldd" -c "$tmp/herald.conf" 2>"$tmp/heraldd.log" &
pid=$!
i=0
until [ -S "$tmp/heraldd.sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/heraldd.log"; exit 1; }
	sleep 0.1
done
"$build/bench/bench_fanout" "$tmp/heraldd.sock" "$pid" "$n"
kill "$pid"; wait "$pid" || true; pid=
