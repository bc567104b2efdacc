# Shell helpers for the end-to-end tests: heraldd delivering through the
# provider drivers to herald-emulator.  Sourced after cli_lib.sh.
#
# e2e_start          runs `herald-emulator init` and `run` on ephemeral ports
#                    in the test's directory, then heraldd (cli_daemon_start)
#                    with the built drivers and a drivers group that sends to
#                    the emulator and trusts its CA.
# emu_requests P [T] the emulator's record of provider P (and token T) as JSON;
#                    emu_count P [T] how many; emu_wait P N [T] waits for N.
# emu_rules JSON     replaces the emulator's per-token rules.
#
# POSIX sh.

EMULATOR="$HERALD_BUILDDIR/herald-emulator"
emu_pid=
emu_dir=

e2e_cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null
		wait "$emu_pid" 2>/dev/null
		emu_pid=
	fi
	cli_cleanup
}

# e2e_port NAME: the port the emulator printed for NAME.
e2e_port() {
	sed -n "s/^ports .*$1=\([0-9]*\).*/\1/p" "$emu_dir/run.out"
}

e2e_start() {
	if ! command -v curl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
		echo "1..0 # SKIP curl and jq are needed to read herald-emulator's control API"
		exit 77
	fi
	emu_base=$(mktemp -d "${TMPDIR:-/tmp}/herald-e2e.XXXXXX") || exit 1
	emu_dir="$emu_base/emu"
	trap 'e2e_cleanup; rm -rf "$emu_base"' EXIT
	"$EMULATOR" init "$emu_dir" --bundle-id com.example.herald >"$emu_base/init.out" ||
		{ echo "Bail out! herald-emulator init failed"; exit 1; }
	"$EMULATOR" run -d "$emu_dir" --apns-port 0 --fcm-port 0 --control-port 0 --adm-port 0 \
		--wns-port 0 --baidu-port 0 --mpns-port 0 >"$emu_dir/run.out" 2>"$emu_dir/run.err" &
	emu_pid=$!
	i=0
	until grep -q '^ports ' "$emu_dir/run.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$emu_pid" 2>/dev/null; then
			echo "Bail out! herald-emulator did not start"
			sed 's/^/# /' "$emu_dir/run.err"
			exit 1
		fi
		sleep 0.05
	done
	emu_control="http://127.0.0.1:$(e2e_port control)"
	cli_extra_conf="drivers: {
	dirs = [\"$HERALD_BUILDDIR/plugins/.libs\"];
	ca_file = \"$emu_dir/ca.pem\";
	apns = { url = \"https://127.0.0.1:$(e2e_port apns)\"; };
	fcm = { url = \"https://127.0.0.1:$(e2e_port fcm)\"; };
	adm = { url = \"https://127.0.0.1:$(e2e_port adm)\";
		token_url = \"https://127.0.0.1:$(e2e_port adm)/auth/O2/token\"; };
	wns = { token_url = \"https://127.0.0.1:$(e2e_port wns)/accesstoken.srf\"; };
	baidu = { url = \"https://127.0.0.1:$(e2e_port baidu)\"; };
};
${e2e_extra_conf:-}"
	cli_daemon_start
}

# emu_secret PATH: a value of the emulator's emulator.json (jq path).
emu_secret() {
	jq -r "$1" "$emu_dir/emulator.json"
}

emu_requests() {
	curl -sf "$emu_control/v1/requests?provider=$1${2:+&token=$2}"
}

emu_count() {
	emu_requests "$@" | jq '.requests | length'
}

# emu_wait PROVIDER N [TOKEN]: wait up to 10 s until N requests arrived; 0 if they did.
emu_wait() {
	i=0
	while [ "$(emu_count "$1" "${3:-}")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

emu_rules() {
	curl -sf -X PUT --data "$1" "$emu_control/v1/rules" >/dev/null
}

emu_reset() {
	curl -sf -X POST "$emu_control/v1/reset" >/dev/null
}
