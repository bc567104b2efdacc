# Shell helper for the end-to-end tests (the real heraldd and its drivers
# against herald-emulator): test_e2e_*.sh and test_h1_providers.sh.  Sources
# cli_lib.sh (TAP, heraldd, the CLI) and tests/emu_lib.sh (the emulator).
#
# e2e_start NAME     $edir: a fresh temporary directory (herald-NAME.XXXXXX);
#                    herald-emulator started in $E ($edir/emu, see emu_start);
#                    an EXIT trap (e2e_cleanup) stops heraldd and the emulator
#                    and removes the directories; an interrupt exits 1.
#                    E2E_KEEP_LOG=FILE keeps heraldd's log there.
# e2e_daemon_start   cli_daemon_start (with $cli_extra_conf), keeping
#                    e2e_cleanup as the EXIT trap.
# until_record PROVIDER TOKEN JQ_CONDITION
#                    waits (10 s at most) for a request the emulator received
#                    for TOKEN that satisfies the condition; the record in $rec.
#
# POSIX sh.

: "${HERALD_BUILDDIR:?HERALD_BUILDDIR must name the build directory (make check sets it)}"
. "${HERALD_SRCDIR:-$HERALD_BUILDDIR}/tests/integration/cli_lib.sh"
. "${HERALD_SRCDIR:-$HERALD_BUILDDIR}/tests/emu_lib.sh"
edir=

e2e_cleanup() {
	[ -n "${E2E_KEEP_LOG:-}" ] && [ -n "$cli_dir" ] && cp "$cli_dir/heraldd.log" "$E2E_KEEP_LOG"
	cli_cleanup
	emu_stop
	[ -n "$edir" ] && rm -rf "$edir"
}

e2e_start() {
	edir=$(mktemp -d "${TMPDIR:-/tmp}/herald-$1.XXXXXX") || exit 1
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM HUP PIPE
	E="$edir/emu"
	emu_start "$E"
}

e2e_daemon_start() {
	cli_daemon_start
	trap e2e_cleanup EXIT
}

until_record() {
	i=0
	while :; do
		rec=$(curl -sS "http://127.0.0.1:$emu_ctl/v1/requests?provider=$1&token=$2" |
			jq -c "[.requests[] | select($3)] | last // empty")
		[ -n "$rec" ] && return 0
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}
