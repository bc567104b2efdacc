#!/bin/sh
# End-to-end benchmark: notifications/s from publish to herald-emulator, with
# the real heraldd and its apns and fcm drivers, on this machine:
#   direct  N_DIRECT endpoints, one publish each (pipelined through libherald);
#   topic   one publish to a topic of N_TOPIC subscribers, timed until the
#           emulator's control API (/v1/count) has received them all;
# beside h2load against the same emulator (APNs with a valid provider token,
# FCM HTTP v1 with an OAuth2 access token: the floor of the HTTP/2 path) in
# the same run, so that every figure reads as a ratio to its floor.  Each run
# has its own heraldd; its peak RSS (VmHWM, setup included) is printed.
#   sh bench/e2e.sh [N_DIRECT] [N_TOPIC]     (from the build directory;
#                                             defaults 20000 and 100000)
# DURABILITY=full (default) or process; DURABILITY="full process" runs both.
# Needs h2load (Debian package nghttp2-client), jq and curl; installs nothing.
set -eu
n_direct=${1:-20000}
n_topic=${2:-100000}
durabilities=${DURABILITY:-full}
build=$(cd "${HERALD_BUILDDIR:-.}" && pwd)
HERALD_BUILDDIR=$build
. "$(dirname "$0")/../tests/emu_lib.sh"
. "$(dirname "$0")/heraldd_lib.sh"
for tool in h2load jq curl; do
	command -v "$tool" >/dev/null 2>&1 || {
		case $tool in
		h2load) pkg=nghttp2-client ;;
		*) pkg=$tool ;;
		esac
		echo "bench/e2e.sh: $tool not found (Debian: apt-get install $pkg)" >&2
		exit 77
	}
done
for f in heraldd herald-emulator bench/bench_e2e plugins/apns/.libs/apns.so \
	plugins/fcm/.libs/fcm.so; do
	[ -e "$build/$f" ] || { echo "bench/e2e.sh: $build/$f missing: run make first" >&2; exit 1; }
done
tmp=$(mktemp -d)
cleanup() {
	heraldd_stop
	emu_stop
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The emulator, with its own credentials, on ephemeral ports.
E=$tmp/emu
emu_init "$E"
emu_run "$E" --log-level warning
apns=$emu_apns
fcm=$emu_fcm
ctl=$emu_ctl

# The applications' arguments (CreatePlatformApplication), from the emulator's credentials.
jq -n --arg kid "$(jq -r '.apns.keys[0].key_id' "$E/emulator.json")" \
	--arg team "$(jq -r '.apns.keys[0].team_id' "$E/emulator.json")" \
	--arg bundle "$(jq -r .apns.bundle_id "$E/emulator.json")" --rawfile key "$E/apns-key.p8" \
	'{Name: "bench-apns", Platform: "APNS", Attributes: {PlatformPrincipal: $kid,
	  PlatformCredential: $key, ApplePlatformTeamID: $team, ApplePlatformBundleID: $bundle}}' \
	>"$tmp/app-apns.json"
jq -n --rawfile sa "$E/fcm-service-account.json" \
	'{Name: "bench-fcm", Platform: "GCM", Attributes: {PlatformCredential: $sa}}' \
	>"$tmp/app-fcm.json"

# h2load: one connection, 100 streams (heraldd's pool is free to open more).
# Prints req/s; every answer must be 2xx but the streams refused before the
# first success raises APNs' limit of one (at most 99).
h2floor() {
	n=$1
	shift
	h2load -c1 -m100 -t1 -n"$n" "$@" >"$tmp/h2load.out" 2>&1 || {
		cat "$tmp/h2load.out" >&2; exit 1; }
	ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$tmp/h2load.out")
	[ -n "$ok" ] && [ "$ok" -gt $((n - 100)) ] || {
		echo "bench/e2e.sh: h2load's requests failed:" >&2
		cat "$tmp/h2load.out" >&2; exit 1; }
	sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$tmp/h2load.out"
}
floor_n=$((n_topic > 200000 ? n_topic : 200000))
printf '{"aps":{"alert":"bench"}}' >"$tmp/apns-body.json"
floor_apns=$(h2floor "$floor_n" -d "$tmp/apns-body.json" \
	-H "authorization: bearer $("$build/herald-emulator" jwt apns -d "$E")" \
	-H "apns-topic: $(jq -r .apns.bundle_id "$E/emulator.json")" -H "apns-push-type: alert" \
	"https://127.0.0.1:$apns/3/device/$(printf '%064d' 0)")
access=$(curl -sS --cacert "$E/ca.pem" "https://127.0.0.1:$fcm/token" \
	--data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
	--data-urlencode "assertion=$("$build/herald-emulator" jwt fcm -d "$E" \
		--aud "https://127.0.0.1:$fcm/token")" | jq -r .access_token)
project=$(jq -r .project_id "$E/fcm-service-account.json")
printf '{"message":{"token":"bench-fcm-token","notification":{"body":"bench"}}}' \
	>"$tmp/fcm-body.json"
floor_fcm=$(h2floor "$floor_n" -d "$tmp/fcm-body.json" -H "authorization: Bearer $access" \
	-H "content-type: application/json" \
	"https://127.0.0.1:$fcm/v1/projects/$project/messages:send")

# run DURABILITY PROVIDER MODE N: a fresh heraldd, one bench_e2e line.
run() {
	dir=$tmp/heraldd-$1-$2-$3
	mkdir -p "$dir"
	cat >"$dir/herald.conf" <<CONF
log_level = "warning";
state: { dir = "$dir"; durability = "$1"; };
socket: { path = "$dir/heraldd.sock"; };
drivers: {
  dirs = ["$build/plugins/apns/.libs", "$build/plugins/fcm/.libs"];
  ca_file = "$E/ca.pem";
  apns = { url = "https://127.0.0.1:$apns"; };
  fcm = { url = "https://127.0.0.1:$fcm"; token_url = "https://127.0.0.1:$fcm/token"; };
};
CONF
	heraldd_start "$dir"
	line=$("$build/bench/bench_e2e" "$dir/heraldd.sock" "$hpid" "$ctl" "$2" "$3" "$4" \
		"$tmp/app-$2.json") || { tail -20 "$dir/heraldd.log" >&2; exit 1; }
	heraldd_stop
	rate=$(echo "$line" | sed -n 's/.* rate=\([0-9]*\)\/s.*/\1/p')
	hwm=$(echo "$line" | sed -n 's/.* hwm_kib=\([0-9]*\).*/\1/p')
	failed=$(echo "$line" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
	[ "$2" = apns ] && floor=$floor_apns || floor=$floor_fcm
	printf '%-7s %-4s %-6s %7s %9s/s  ratio %.2f  peak RSS %6s MiB  failed %s\n' "$1" "$2" \
		"$3" "$4" "$rate" "$(echo "$rate / $floor" | bc -l)" "$((hwm / 1024))" "$failed"
	echo "$line" >>"$tmp/lines"
}

printf 'floor: h2load -c1 -m100 -n%s against the same emulator\n' "$floor_n"
printf '  APNs %10.0f req/s\n  FCM  %10.0f req/s\n' "$floor_apns" "$floor_fcm"
printf '%-7s %-4s %-6s %7s %11s  %s\n' durabl. prov mode n notif./s 'ratio to the floor'
for dur in $durabilities; do
	for prov in apns fcm; do
		run "$dur" "$prov" direct "$n_direct"
		run "$dur" "$prov" topic "$n_topic"
	done
done
echo "bench_e2e lines:"
cat "$tmp/lines"
