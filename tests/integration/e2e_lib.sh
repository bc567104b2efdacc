# Shell helper for the end-to-end tests (the real heraldd and its drivers
# against herald-emulator): test_e2e_*.sh and test_h1_providers.sh.  Sources
# cli_lib.sh (TAP, heraldd, the CLI) and tests/emu_lib.sh (the emulator).
#
# e2e_start NAME     $edir: a fresh temporary directory (herald-NAME.XXXXXX);
#                    herald-emulator started in $E ($edir/emu, see emu_start);
#                    an EXIT trap (e2e_cleanup) stops heraldd and the emulator
#                    and removes the directories; an interrupt exits 1.
#                    E2E_KEEP_LOG=FILE keeps heraldd's log there.
# e2e_drivers NAME...
#                    prints heraldd's drivers section loading the named
#                    bundled drivers (apns fcm adm wns mpns baidu) from the
#                    build tree, each pointed at the emulator (for
#                    $cli_extra_conf).
# e2e_daemon_start   cli_daemon_start (with $cli_extra_conf), keeping
#                    e2e_cleanup as the EXIT trap.
# endpoint VAR APP_ARN TOKEN [ATTR...]
#                    creates an endpoint with the CLI (a TAP check that it
#                    succeeded); VAR = its ARN.
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

e2e_drivers() {
	e2e_dirs=
	for e2e_d in "$@"; do
		e2e_dirs="$e2e_dirs${e2e_dirs:+, }\"$HERALD_BUILDDIR/plugins/$e2e_d/.libs\""
	done
	printf 'drivers: {\n  dirs = [%s];\n  ca_file = "%s";\n' "$e2e_dirs" "$E/ca.pem"
	for e2e_d in "$@"; do
		e2e_p=$(emu_port "$e2e_d")
		case $e2e_d in
		apns) printf '  apns = { url = "https://127.0.0.1:%s"; };\n' "$e2e_p" ;;
		fcm)
			printf '  fcm = { url = "https://127.0.0.1:%s"; token_url = "https://127.0.0.1:%s/token"; };\n' \
				"$e2e_p" "$e2e_p"
			;;
		adm)
			printf '  adm = { url = "https://127.0.0.1:%s"; token_url = "https://127.0.0.1:%s/auth/O2/token"; };\n' \
				"$e2e_p" "$e2e_p"
			;;
		wns)
			printf '  wns = { token_url = "https://127.0.0.1:%s/accesstoken.srf"; hosts = "127.0.0.1"; };\n' \
				"$e2e_p"
			;;
		mpns) printf '  mpns = { hosts = "127.0.0.1"; };\n' ;;
		baidu) printf '  baidu = { url = "http://127.0.0.1:%s"; };\n' "$e2e_p" ;;
		esac
	done
	printf '};\n'
}

e2e_daemon_start() {
	cli_daemon_start
	trap e2e_cleanup EXIT
}

endpoint() {
	var=$1 app_arn=$2 token=$3
	shift 3
	cli --output text endpoint create --app-arn "$app_arn" --token "$token" "$@"
	status_is 0 "CreatePlatformEndpoint $token"
	eval "$var=\$out"
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
