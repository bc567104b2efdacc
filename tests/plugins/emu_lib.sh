# Shell helper for the tests that run the drivers against herald-emulator
# (sourced by tests/plugins/test_emulator_replay.sh and
# tests/integration/test_e2e_apns.sh).
#
# emu_start DIR  creates the emulator's credentials in DIR (herald-emulator
#                init), runs it on ephemeral ports and waits until it
#                listens; sets emu_pid, emu_apns, emu_fcm and emu_ctl (ports).
#                On failure it prints "Bail out!" with the emulator's errors
#                and exits 1.
# emu_stop       stops it (call it from the test's EXIT trap).
#
# POSIX sh.

: "${HERALD_BUILDDIR:?HERALD_BUILDDIR must name the build directory (make check sets it)}"
emu_pid=

emu_start() {
	"$HERALD_BUILDDIR/herald-emulator" init "$1" >/dev/null || {
		echo "Bail out! herald-emulator init $1 failed"
		exit 1
	}
	"$HERALD_BUILDDIR/herald-emulator" run -d "$1" --apns-port 0 --fcm-port 0 \
		--control-port 0 --adm-port 0 --wns-port 0 --baidu-port 0 --mpns-port 0 \
		>"$1/run.out" 2>"$1/run.err" &
	emu_pid=$!
	emu_i=0
	while ! grep -q '^ports ' "$1/run.out" 2>/dev/null; do
		if ! kill -0 "$emu_pid" 2>/dev/null || [ $emu_i -ge 200 ]; then
			echo "Bail out! herald-emulator did not start"
			sed 's/^/# /' "$1/run.err"
			exit 1
		fi
		sleep 0.05
		emu_i=$((emu_i + 1))
	done
	emu_ports=$(grep '^ports ' "$1/run.out")
	emu_apns=$(echo "$emu_ports" | sed -E 's/.*apns=([0-9]+).*/\1/')
	emu_fcm=$(echo "$emu_ports" | sed -E 's/.*fcm=([0-9]+).*/\1/')
	emu_ctl=$(echo "$emu_ports" | sed -E 's/.*control=([0-9]+).*/\1/')
}

emu_stop() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null
		wait "$emu_pid" 2>/dev/null
		emu_pid=
	fi
}
