# Shell helper for the benchmarks that run heraldd (sourced by bench/run.sh,
# bench/fanout.sh and bench/e2e.sh, which set $build, the build directory).
#
# heraldd_start DIR  runs $build/heraldd -c DIR/herald.conf (its log in
#                    DIR/heraldd.log) and waits (10 s at most) until its
#                    socket DIR/heraldd.sock exists; sets hpid.  On failure it
#                    prints the log on standard error and exits 1.
# heraldd_stop       stops it (call it from the EXIT trap too); safe under
#                    set -e.
#
# POSIX sh.

hpid=

heraldd_start() {
	"$build/heraldd" -c "$1/herald.conf" 2>"$1/heraldd.log" &
	hpid=$!
	hd_i=0
	until [ -S "$1/heraldd.sock" ]; do
		hd_i=$((hd_i + 1))
		[ $hd_i -lt 100 ] || { cat "$1/heraldd.log" >&2; exit 1; }
		sleep 0.1
	done
}

heraldd_stop() {
	if [ -n "$hpid" ]; then
		kill "$hpid" 2>/dev/null || :
		wait "$hpid" 2>/dev/null || :
		hpid=
	fi
}
