#!/bin/sh
# herald-emulator's APNs path against a static-file HTTP/2 server, with the
# same h2load load on the same machine, so the figure reads as a ratio:
#   - herald-emulator: POST /3/device/TOKEN over TLS h2 with a valid provider
#     token, every header rule checked, the request recorded;
#   - nghttpd (nghttp2-server) serving a small static file over TLS h2, to
#     the same request (headers and body: HPACK never indexes authorization,
#     so decoding it costs every request) and to a bare GET.
#   sh bench/emulator.sh [N] [STREAMS]    (from the build directory; N = 300000, STREAMS = 100)
# Needs h2load (nghttp2-client) and nghttpd (nghttp2-server); exits 77 without them.
set -eu
n=${1:-300000}
m=${2:-100}
build=${HERALD_BUILDDIR:-.}
HERALD_BUILDDIR=$build
. "$(dirname "$0")/../tests/emu_lib.sh"
for tool in h2load nghttpd jq; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench/emulator.sh: $tool not found" >&2; exit 77; }
done
tmp=$(mktemp -d)
npid=
cleanup() {
	emu_stop
	[ -z "$npid" ] || kill "$npid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The emulator, with its own credentials, on ephemeral ports.
emu_init "$tmp/emu"
emu_run "$tmp/emu" --log-level warning
apns_port=$emu_apns
topic=$(jq -r .apns.bundle_id "$tmp/emu/emulator.json")
jwt=$("$build/herald-emulator" jwt apns -d "$tmp/emu")
token=$(printf '%064d' 0 | tr 0 a)
printf '{"aps":{"alert":"benchmark"}}' >"$tmp/payload.json"

# h2load's summary line: "finished in 1.23s, 243902.44 req/s, ...".  Every answer must be 2xx.
# APNs allows one stream until the first success, so the streams h2load opens
# before that SETTINGS arrives are refused (at most STREAMS - 1 of them).
load() {
	h2load -c1 -m"$m" -t1 -n"$n" "$@" >"$tmp/h2load.out" 2>&1 || {
		cat "$tmp/h2load.out" >&2; exit 1; }
	ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx, 0 3xx, 0 4xx, 0 5xx$/\1/p' "$tmp/h2load.out")
	[ -n "$ok" ] && [ "$ok" -gt $((n - m)) ] || {
		echo "bench/emulator.sh: requests failed:" >&2
		cat "$tmp/h2load.out" >&2; exit 1; }
	sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$tmp/h2load.out"
}

emu=$(load -d "$tmp/payload.json" -H "authorization: bearer $jwt" -H "apns-topic: $topic" \
	-H "apns-push-type: alert" "https://127.0.0.1:$apns_port/3/device/$token")
emu_stop

# nghttpd takes no port 0: try a few ports in the ephemeral range.
mkdir "$tmp/www"
printf '{"aps":{"alert":"benchmark"}}' >"$tmp/www/index.json"
tries=0
while :; do
	port=$((40000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
	nghttpd -d "$tmp/www" "$port" "$tmp/emu/server-key.pem" "$tmp/emu/server.pem" \
		>"$tmp/nghttpd.log" 2>&1 &
	npid=$!
	sleep 0.3
	kill -0 "$npid" 2>/dev/null && break
	npid=
	tries=$((tries + 1))
	[ $tries -lt 10 ] || { cat "$tmp/nghttpd.log" >&2; exit 1; }
done
ref=$(load -d "$tmp/payload.json" -H "authorization: bearer $jwt" -H "apns-topic: $topic" \
	-H "apns-push-type: alert" "https://127.0.0.1:$port/index.json")
bare=$(load "https://127.0.0.1:$port/index.json")

printf 'herald-emulator APNs            %10.0f req/s  (h2load -c1 -m%s -t1 -n%s, TLS)\n' \
	"$emu" "$m" "$n"
printf 'nghttpd, the same request       %10.0f req/s  (ratio %.2f)\n' "$ref" \
	"$(echo "$emu / $ref" | bc -l)"
printf 'nghttpd, GET without headers    %10.0f req/s  (ratio %.2f)\n' "$bare" \
	"$(echo "$emu / $bare" | bc -l)"
