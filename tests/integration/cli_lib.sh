# Shell helpers for the herald CLI integration test (sourced by test_cli.sh).
#
# cli_daemon_start  runs the real heraldd from $HERALD_BUILDDIR on a fresh
#                   temporary directory (config, state, socket; plus the
#                   settings in $cli_extra_conf, if set) and waits until it
#                   answers; an EXIT trap stops it and removes the
#                   directory, so the daemon never outlives the test.
# cli ARGS...       runs the herald CLI against it; sets $rc, $out, $err.
# ok / fail / check / is / like / has / unlike / status_is: TAP results;
#                   cli_done prints the plan and sets the exit status.
#
# POSIX sh.

: "${HERALD_BUILDDIR:?HERALD_BUILDDIR must name the build directory (make check sets it)}"
HERALD="$HERALD_BUILDDIR/herald"
HERALDD="$HERALD_BUILDDIR/heraldd"

cli_tests=0
cli_failed=0
cli_dir=
cli_pid=

# ---- TAP ----

ok() {
	cli_tests=$((cli_tests + 1))
	echo "ok $cli_tests - $1"
}

fail() {
	cli_tests=$((cli_tests + 1))
	cli_failed=$((cli_failed + 1))
	echo "not ok $cli_tests - $1"
	# What the last CLI run said, to see why without re-running.
	printf '#   last: herald %s\n#   status %s\n' "$cli_last" "$rc"
	printf '%s\n' "$out" | head -20 | sed 's/^/#   stdout: /'
	printf '%s\n' "$err" | head -20 | sed 's/^/#   stderr: /'
}

# check DESC COMMAND...: ok if the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# is ACTUAL EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		fail "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

# like TEXT GREP_ERE DESC / has TEXT FIXED_STRING DESC / unlike TEXT FIXED_STRING DESC
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok "$3"; else fail "$3 (no match for /$2/)"; fi
}
has() {
	if printf '%s\n' "$1" | grep -Fq -- "$2"; then ok "$3"; else fail "$3 (no '$2')"; fi
}
unlike() {
	if printf '%s\n' "$1" | grep -Fq -- "$2"; then fail "$3"; else ok "$3"; fi
}

# status_is N DESC: the last CLI run exited with N.
status_is() {
	if [ "$rc" = "$1" ]; then ok "$2"; else fail "$2 (exit status $rc, expected $1)"; fi
}

cli_done() {
	echo "1..$cli_tests"
	if [ "$cli_failed" -ne 0 ]; then
		echo "# $cli_failed of $cli_tests failed"
		exit 1
	fi
	exit 0
}

# ---- running the CLI ----

# cli ARGS...: run herald against the test daemon; $rc, $out, $err.
cli() {
	cli_last="$*"
	"$HERALD" --socket "$cli_dir/heraldd.sock" "$@" >"$cli_dir/out" 2>"$cli_dir/err"
	rc=$?
	out=$(cat "$cli_dir/out")
	err=$(cat "$cli_dir/err")
}

# cli_in INPUT ARGS...: the same with INPUT on standard input.
cli_in() {
	input=$1
	shift
	cli_last="$*"
	printf '%s' "$input" | "$HERALD" --socket "$cli_dir/heraldd.sock" "$@" \
		>"$cli_dir/out" 2>"$cli_dir/err"
	rc=$?
	out=$(cat "$cli_dir/out")
	err=$(cat "$cli_dir/err")
}

# ---- the daemon ----

cli_cleanup() {
	if [ -n "$cli_pid" ]; then
		kill "$cli_pid" 2>/dev/null
		wait "$cli_pid" 2>/dev/null
		cli_pid=
	fi
	[ -n "$cli_dir" ] && rm -rf "$cli_dir"
}

cli_daemon_start() {
	cli_dir=$(mktemp -d "${TMPDIR:-/tmp}/herald-cli.XXXXXX") || exit 1
	trap cli_cleanup EXIT
	trap 'exit 1' INT TERM HUP PIPE
	cat >"$cli_dir/herald.conf" <<EOF
region = "us-east-1";
account = "000000000000";
log_level = "info";
state: { dir = "$cli_dir/state"; durability = "process"; };
socket: { path = "$cli_dir/heraldd.sock"; };
${cli_extra_conf:-}
EOF
	mkdir "$cli_dir/state" || exit 1
	"$HERALDD" -c "$cli_dir/herald.conf" 2>"$cli_dir/heraldd.log" &
	cli_pid=$!
	# Wait until the daemon answers (up to 10 s), or died trying.
	i=0
	until "$HERALD" --socket "$cli_dir/heraldd.sock" call ListTopics >/dev/null 2>&1; do
		if ! kill -0 "$cli_pid" 2>/dev/null; then
			echo "Bail out! heraldd exited at start; its log:"
			sed 's/^/# /' "$cli_dir/heraldd.log"
			cli_pid=
			exit 1
		fi
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "Bail out! heraldd did not answer on $cli_dir/heraldd.sock within 10 s"
			sed 's/^/# /' "$cli_dir/heraldd.log"
			exit 1
		fi
		sleep 0.05
	done
}
