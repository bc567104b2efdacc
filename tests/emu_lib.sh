# Shell helper for the tests and benchmarks that run herald-emulator
# (sourced by tests/emulator/check_lib.sh, tests/integration/e2e_lib.sh,
# tests/plugins/test_emulator_replay.sh and bench/e2e.sh, emulator.sh and
# http2.sh).
#
# emu_need TOOL...   exits 77 (SKIP, with a TAP "1..0 # SKIP" line) unless
#                    every TOOL is installed.
# emu_need_h2curl    the same unless curl is installed with HTTP/2 support.
# emu_init DIR [ARG...]
#                    creates the emulator's credentials in DIR
#                    (herald-emulator init DIR ARG...; its output discarded).
# emu_run DIR [ARG...]
#                    runs it on DIR with every port ephemeral (and ARG...),
#                    its output in DIR/run.out and DIR/run.err, and waits
#                    (10 s at most) until it listens; sets emu_pid, emu_ports
#                    (its "ports ..." line), emu_apns, emu_fcm and emu_ctl.
# emu_start DIR      emu_init DIR, then emu_run DIR.
# emu_port NAME      one port of emu_ports (apns, fcm, control, adm, wns,
#                    baidu, mpns).
# emu_stop           stops it (call it from the EXIT trap); safe under set -e.
# On failure emu_init and emu_run print "Bail out!" with the emulator's errors
# and exit 1.
#
# POSIX sh.

: "${HERALD_BUILDDIR:?HERALD_BUILDDIR must name the build directory (make check sets it)}"
emu_pid=

emu_need() {
	for emu_tool in "$@"; do
		if ! command -v "$emu_tool" >/dev/null 2>&1; then
			echo "1..0 # SKIP $emu_tool is not installed; install it to run this test"
			exit 77
		fi
	done
}

emu_need_h2curl() {
	emu_need curl
	if ! curl --version | grep -q HTTP2; then
		echo "1..0 # SKIP this curl has no HTTP/2 support"
		exit 77
	fi
}

emu_init() {
	emu_d=$1
	shift
	"$HERALD_BUILDDIR/herald-emulator" init "$emu_d" "$@" >/dev/null || {
		echo "Bail out! herald-emulator init $emu_d failed"
		exit 1
	}
}

emu_run() {
	emu_d=$1
	shift
	"$HERALD_BUILDDIR/herald-emulator" run -d "$emu_d" --apns-port 0 --fcm-port 0 \
		--control-port 0 --adm-port 0 --wns-port 0 --baidu-port 0 --mpns-port 0 "$@" \
		>"$emu_d/run.out" 2>"$emu_d/run.err" &
	emu_pid=$!
	emu_i=0
	while ! grep -q '^ports ' "$emu_d/run.out" 2>/dev/null; do
		if ! kill -0 "$emu_pid" 2>/dev/null || [ $emu_i -ge 200 ]; then
			echo "Bail out! herald-emulator did not start"
			sed 's/^/# /' "$emu_d/run.err"
			exit 1
		fi
		sleep 0.05
		emu_i=$((emu_i + 1))
	done
	emu_ports=$(grep '^ports ' "$emu_d/run.out")
	emu_apns=$(emu_port apns)
	emu_fcm=$(emu_port fcm)
	emu_ctl=$(emu_port control)
}

emu_start() {
	emu_init "$1"
	emu_run "$1"
}

emu_port() {
	echo "$emu_ports" | sed -E "s/.* $1=([0-9]+).*/\1/"
}

emu_stop() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null || :
		wait "$emu_pid" 2>/dev/null || :
		emu_pid=
	fi
}
