# Plain-text checks for herald-emulator's own shell tests (sourced by
# tests/emulator/test_*.sh).  Sets HERALD_BUILDDIR and HERALD_SRCDIR (the
# tree above the test when unset), sources tests/emu_lib.sh and names the
# emulator in $emu.
#
# check_scratch NAME  $tmp: a fresh temporary directory (herald-NAME.XXXXXX);
#                     at exit the emulator is stopped (emu_stop) and $tmp
#                     removed; an interrupt exits 1.
# ok TEXT / fail TEXT one check passed ("ok: TEXT") / failed ("FAIL: TEXT",
#                     counted in $failures).
# expect STATUS BODY_PATTERN TEXT
#                     checks the last request: HTTP status $status and a body
#                     ($tmp/body) matching the grep pattern (an empty pattern
#                     wants an empty body); a failure shows the body and
#                     $tmp/curl.err.
# check_done TEXT     exits 1 if a check failed (saying how many), otherwise
#                     prints TEXT and exits 0.
#
# POSIX sh.

HERALD_BUILDDIR=${HERALD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HERALD_SRCDIR=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$HERALD_SRCDIR/tests/emu_lib.sh"
emu="$HERALD_BUILDDIR/herald-emulator"
failures=0

check_cleanup() {
	emu_stop
	rm -rf "$tmp"
}

check_scratch() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-$1.XXXXXX") || exit 99
	trap check_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

ok() {
	echo "ok: $*"
}

expect() {
	if [ "$status" = "$1" ] && { [ -z "$2" ] && [ ! -s "$tmp/body" ] ||
		{ [ -n "$2" ] && grep -q -- "$2" "$tmp/body"; }; }; then
		ok "$3"
	else
		fail "$3: got $status $(cat "$tmp/body" "$tmp/curl.err")"
	fi
}

check_done() {
	if [ $failures -ne 0 ]; then
		echo "$failures failure(s)"
		exit 1
	fi
	echo "$1"
	exit 0
}
