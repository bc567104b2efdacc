#!/bin/sh
# herald-emulator's global faults through its command line: a --rules file
# with a "faults" member, and the `faults` sub-command (GET and PUT
# /v1/faults), checked with `curl --http2` against APNs.
# Skips (exit 77) only when curl, or curl's HTTP/2 support, is missing.
set -u

. "${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/emulator/check_lib.sh"
emu_need_h2curl

check_scratch faults-test

dir="$tmp/emu"
emu_init "$dir" --bundle-id com.example.test
cat >"$tmp/rules.json" <<JSON
{"faults": {"apns": {"error_rate": 1, "error_status": 503}}}
JSON
emu_run "$dir" --rules "$tmp/rules.json"
apns=$emu_apns
jwt=$("$emu" jwt apns -d "$dir")
url="https://127.0.0.1:$apns/3/device/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

send() { # answer status in $status, body in $tmp/body
	status=$(curl -sS --http2 --max-time 10 --cacert "$dir/ca.pem" -o "$tmp/body" -w '%{http_code}' \
		-H "authorization: bearer $jwt" -H "apns-topic: com.example.test" \
		-d '{"aps":{"alert":"hi"}}' "$url" 2>"$tmp/curl.err")
}

send
if [ "$status" = 503 ] && grep -q '{"reason":"ServiceUnavailable"}' "$tmp/body"; then
	ok "faults from the rules file: every request answered 503 ServiceUnavailable"
else
	fail "rules-file faults: got $status $(cat "$tmp/body" "$tmp/curl.err")"
fi
"$emu" faults -d "$dir" >"$tmp/faults.out" || fail "faults prints the faults"
grep -q '"error_status":503' "$tmp/faults.out" || fail "faults shows error_status: $(cat "$tmp/faults.out")"

echo '{"apns": {"throttle_rps": 1}}' | "$emu" faults -d "$dir" - >/dev/null || fail "faults -d DIR -"
send
first=$status
send
if [ "$first" = 200 ] && [ "$status" = 429 ] && grep -q '"TooManyRequests"' "$tmp/body"; then
	ok "faults replaced: throttled to 1 a second, the second request gets 429"
else
	fail "throttle: got $first then $status $(cat "$tmp/body")"
fi

if echo '{"apns": {"error_rate": 2}}' | "$emu" faults -d "$dir" - 2>"$tmp/err.out"; then
	fail "faults accepts error_rate 2"
elif grep -q 'error_rate' "$tmp/err.out"; then
	ok "faults refuses a bad value and names it"
else
	fail "faults error message: $(cat "$tmp/err.out")"
fi

echo '{}' | "$emu" faults -d "$dir" - >/dev/null || fail "faults {} clears"
send
[ "$status" = 200 ] && ok "faults cleared: 200" || fail "after clearing: $status $(cat "$tmp/body")"

check_done "emulator faults through the command line passed"
