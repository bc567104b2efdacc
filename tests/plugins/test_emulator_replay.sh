#!/bin/sh
# The APNs and FCM drivers' requests against the real herald-emulator, before
# heraldd drives them: driver_request_* builds a request with the driver (on
# the fake host, with the emulator's credentials), curl sends it to the
# emulator exactly as built (HTTP/2, or HTTP/1.1 for the legacy FCM API), and
# the emulator's answer goes back to the driver, whose outcome is checked.
# The emulator enforces Apple's and Google's rules (token JWTs, headers,
# payload limits, message schema), so a request it accepts is one they accept.
# Skips (exit 77) only when curl with HTTP/2, or jq, is missing.
set -u

HERALD_BUILDDIR=${HERALD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HERALD_SRCDIR=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$HERALD_SRCDIR/tests/emu_lib.sh"
builddir=$HERALD_BUILDDIR
emu="$builddir/herald-emulator"
apns_req="$builddir/tests/plugins/driver_request_apns"
fcm_req="$builddir/tests/plugins/driver_request_fcm"

emu_need_h2curl
emu_need jq

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-replay.XXXXXX") || exit 99
cleanup() {
	emu_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tests=0
failed=0
ok() {
	tests=$((tests + 1))
	echo "ok $tests - $1"
}
fail() {
	tests=$((tests + 1))
	failed=$((failed + 1))
	echo "not ok $tests - $1"
}
is() { # ACTUAL EXPECTED DESC
	if [ "$1" = "$2" ]; then ok "$3"; else
		fail "$3"
		echo "#   got:      $1"
		echo "#   expected: $2"
	fi
}

dir="$tmp/emu"
emu_start "$dir"
apns=$emu_apns
fcm=$emu_fcm
ctl=$emu_ctl

# drive TOOL CURL_OPTS MODE URL TOKEN PAYLOAD [PUSH_TYPE]: build the request with the
# driver, send it with curl, hand the answer back; the outcome line in $outcome
# ("KIND invalid_since_ms retry_after_ms [canonical]"), the HTTP status in $status.
drive() {
	tool=$1 copts=$2 mode=$3 url=$4 token=$5 payload=$6 ptype=${7:-}
	status=none
	rm -f "$tmp/body"
	if ! "$tool" "$dir" "$mode" "$url" "$token" "$payload" "$ptype" >"$tmp/req" 2>"$tmp/req.err"; then
		outcome="error: $(cat "$tmp/req.err")"
		return
	fi
	if [ "$(head -1 "$tmp/req")" != "-X" ]; then # refused without a request
		outcome=$(cat "$tmp/req")
		return
	fi
	# one argument per line: read them back into "$@" (values hold no newline)
	set --
	while IFS= read -r line; do set -- "$@" "$line"; done <"$tmp/req"
	# shellcheck disable=SC2086
	status=$(curl -sS --max-time 10 --cacert "$dir/ca.pem" $copts -D "$tmp/hdrs" \
		-o "$tmp/body" -w '%{http_code}' "$@" 2>"$tmp/curl.err")
	retry=$(tr -d '\r' <"$tmp/hdrs" | sed -n 's/^retry-after: *//Ip' | head -1)
	outcome=$("$tool" "$dir" "$mode" "$url" "$token" "$payload" "$ptype" "$status" \
		"$tmp/body" $retry 2>&1)
}

rules() {
	printf '%s' "$1" | curl -sS -X PUT --data-binary @- "http://127.0.0.1:$ctl/v1/rules" >/dev/null
}

record() { # PROVIDER TOKEN JQ: a field of the newest request the emulator received for TOKEN
	curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=$1&token=$2" | jq -r "$3"
}

T=$(printf 'a1b2c3d4e5f6%052d' 7)
DEAD=$(printf 'dead0000%056d' 1)
BUSY=$(printf 'b0b0%060d' 2)
BADTOK=$(printf 'bad00000%056d' 3)
A="https://127.0.0.1:$apns"
rules '{"rules":[
 {"provider":"apns","token":"'"$DEAD"'","status":410,"reason":"Unregistered","timestamp":1700000000123},
 {"provider":"apns","token":"'"$BUSY"'","status":429,"reason":"TooManyRequests","retry_after":7},
 {"provider":"apns","token":"'"$BADTOK"'","status":400,"reason":"BadDeviceToken"},
 {"provider":"fcm","token":"gone-token","reason":"UNREGISTERED"},
 {"provider":"fcm","token":"busy-token","status":503,"reason":"UNAVAILABLE","retry_after":5},
 {"provider":"fcm","token":"moved-token","canonical":"new-canonical-token"}]}'

# --- APNs, token authentication ------------------------------------------------------------
H2=--http2
drive "$apns_req" "$H2" apns-token "$A" "$T" '{"aps":{"alert":"hi"}}'
is "$status $outcome" "200 DELIVERED -1 -1" "APNs token auth: an alert is accepted"
is "$(record apns "$T" '.requests[-1].headers["apns-push-type"]')" alert "push type alert"
is "$(record apns "$T" '.requests[-1].headers["apns-topic"]')" com.example.herald \
	"the topic is the bundle id"
drive "$apns_req" "$H2" apns-token "$A" "$T" '{"aps":{"content-available":1}}'
is "$status $outcome" "200 DELIVERED -1 -1" "a background push is accepted"
is "$(record apns "$T" '.requests[-1].headers | "\(.["apns-push-type"]) \(.["apns-priority"])"')" \
	"background 5" "inferred background, priority 5"
drive "$apns_req" "$H2" apns-token "$A" "$T" '{"aps":{"alert":"call"}}' voip
is "$status $outcome" "200 DELIVERED -1 -1" "a voip push is accepted"
is "$(record apns "$T" '.requests[-1].headers["apns-topic"]')" com.example.herald.voip \
	"voip goes to the .voip topic"
drive "$apns_req" "$H2" apns-token "$A" "$T" 'plain text from the default key'
is "$status $outcome" "200 DELIVERED -1 -1" "a text payload is sent as an alert"
drive "$apns_req" "$H2" apns-token "$A" "$DEAD" '{"aps":{"alert":"x"}}'
is "$status $outcome" "410 TOKEN_INVALID 1700000000123 -1" "410 Unregistered: dead, with its timestamp"
drive "$apns_req" "$H2" apns-token "$A" "$BADTOK" '{"aps":{"alert":"x"}}'
is "$status $outcome" "400 TOKEN_INVALID -1 -1" "400 BadDeviceToken: dead"
drive "$apns_req" "$H2" apns-token "$A" "$BUSY" '{"aps":{"alert":"x"}}'
is "$status $outcome" "429 RETRY -1 7000" "429 TooManyRequests: retry after Retry-After"
big=$(printf '{"aps":{},"p":"%04090d"}' 0)
before=$(curl -sS "http://127.0.0.1:$ctl/v1/count" | jq -r '.total')
drive "$apns_req" "$H2" apns-token "$A" "$T" "$big"
is "$status $outcome" "none PAYLOAD_REJECTED -1 -1" "4097 bytes: rejected without a request"
is "$(curl -sS "http://127.0.0.1:$ctl/v1/count" | jq -r '.total')" "$before" \
	"nothing reached the emulator"

# --- APNs, certificate authentication ------------------------------------------------------
CERT="--http2 --cert $dir/apns-cert.pem --key $dir/apns-cert-key.pem"
drive "$apns_req" "$CERT" apns-cert "$A" "$T" '{"aps":{"alert":"hi"}}'
is "$status $outcome" "200 DELIVERED -1 -1" "APNs certificate auth: accepted"
is "$(record apns "$T" '.requests[-1].headers.authorization // "none"')" none \
	"no authorization header with a certificate"

# --- FCM HTTP v1 -----------------------------------------------------------------------------
F="https://127.0.0.1:$fcm"
jwt=$("$emu" jwt fcm -d "$dir" --aud "$F/token")
ACCESS_TOKEN=$(curl -sS --http2 --cacert "$dir/ca.pem" "$F/token" \
	--data "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$jwt" |
	jq -r .access_token)
export ACCESS_TOKEN
drive "$fcm_req" "$H2" fcm "$F" good-token \
	'{"fcmV1Message":{"message":{"notification":{"title":"T","body":"B"},"data":{"k":"v"}}}}'
is "$status $outcome" "200 DELIVERED -1 -1" "FCM v1: an fcmV1Message is accepted"
is "$(record fcm good-token '.requests[-1].body | fromjson | .message.android.ttl')" 3600s \
	"android.ttl from the TTL"
drive "$fcm_req" "$H2" fcm "$F" good-token \
	'{"notification":{"title":"T","body":"B","icon":"i","badge":"2"},"data":{"n":1,"s":"x"},"collapse_key":"c","priority":"high","time_to_live":60}'
is "$status $outcome" "200 DELIVERED -1 -1" "FCM v1: the legacy SNS shape, translated, is accepted"
drive "$fcm_req" "$H2" fcm "$F" good-token 'hello'
is "$status $outcome" "200 DELIVERED -1 -1" "FCM v1: a text payload is accepted"
drive "$fcm_req" "$H2" fcm "$F" gone-token '{"data":{"a":"b"}}'
is "$status $outcome" "404 TOKEN_INVALID -1 -1" "UNREGISTERED: dead"
drive "$fcm_req" "$H2" fcm "$F" busy-token '{"data":{"a":"b"}}'
is "$status $outcome" "503 RETRY -1 5000" "UNAVAILABLE: retry after Retry-After"
drive "$fcm_req" "$H2" fcm "$F" 'bad/token' '{"data":{"a":"b"}}'
is "$status $outcome" "400 TOKEN_INVALID -1 -1" "an invalid registration token: dead"

# --- FCM legacy (HTTP/1.1) ---------------------------------------------------------------------
drive "$fcm_req" --http1.1 fcm-legacy "$F" good-token '{"notification":{"title":"T"},"data":{"n":"1"}}'
is "$status $outcome" "200 DELIVERED -1 -1" "FCM legacy: accepted"
drive "$fcm_req" --http1.1 fcm-legacy "$F" moved-token '{"data":{"n":"1"}}'
is "$status $outcome" "200 TOKEN_REPLACED -1 -1 new-canonical-token" "legacy canonical id: replaced"

echo "1..$tests"
[ "$failed" -eq 0 ] || {
	echo "# $failed of $tests failed"
	exit 1
}
exit 0
