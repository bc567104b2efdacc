#!/bin/sh
# Integration test of herald-emulator: `init`, then `run` on ephemeral ports,
# driven by `curl --http2` with requests shaped like real APNs and FCM v1
# clients send, and checked through the control API and its sub-commands.
# Skips (exit 77) only when curl, or curl's HTTP/2 support, is missing.
set -u

. "${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/emulator/check_lib.sh"
emu_need_h2curl

check_scratch emu-test

dir="$tmp/emu"
"$emu" init "$dir" --bundle-id com.example.test --project demo-project >"$tmp/init.out" || {
	echo "FAIL: init"
	exit 1
}
grep -q -- "--platform APNS" "$tmp/init.out" || fail "init prints how to create an APNs application"
for f in ca-key.pem server-key.pem apns-key.p8 apns-cert-key.pem fcm-service-account.json; do
	mode=$(stat -c %a "$dir/$f")
	[ "$mode" = 600 ] || fail "$f has mode $mode, want 600"
done
grep -q "BEGIN PRIVATE KEY" "$dir/apns-key.p8" || fail "apns-key.p8 is PKCS#8"
"$emu" init "$dir" >/dev/null 2>&1 && fail "init refuses to overwrite without --force"

emu_run "$dir"
apns=$emu_apns
fcm=$emu_fcm
ctl=$emu_ctl
echo "emulator: $emu_ports"

# req NAME ARGS... : one HTTP/2 request; status in $status, body in $tmp/body, headers in $tmp/hdrs.
req() {
	status=$(curl -sS --http2 --max-time 10 --cacert "$dir/ca.pem" -o "$tmp/body" \
		-D "$tmp/hdrs" -w '%{http_code}' "$@" 2>"$tmp/curl.err")
}

# ---- APNs, token auth ----
dev=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
jwt=$("$emu" jwt apns -d "$dir")
url="https://127.0.0.1:$apns/3/device/$dev"
apns_req() {
	req -H "authorization: bearer $jwt" -H "apns-topic: com.example.test" \
		-H "apns-push-type: alert" -H "content-type: application/json" "$@"
}
apns_req -H "apns-id: 123e4567-e89b-12d3-a456-426614174000" -H "apns-priority: 10" \
	-H "apns-expiration: 0" -d '{"aps":{"alert":"hello"}}' "$url"
if [ "$status" = 200 ] && grep -qi '^apns-id: 123e4567-e89b-12d3-a456-426614174000' "$tmp/hdrs" &&
	[ ! -s "$tmp/body" ]; then
	ok "APNs token auth: 200, apns-id echoed, no body"
else
	fail "APNs good request: $status $(cat "$tmp/body" "$tmp/curl.err")"
fi
req -H "authorization: bearer $jwt" -d '{"aps":{}}' "$url"
expect 400 '{"reason":"MissingTopic"}' "APNs MissingTopic"
req -H "apns-topic: com.example.test" -d '{"aps":{}}' "$url"
expect 403 '"MissingProviderToken"' "APNs MissingProviderToken"
forged=$(echo "$jwt" | sed -E 's/.{4}$/AAAA/')
[ "$forged" != "$jwt" ] || forged=$(echo "$jwt" | sed -E 's/.{4}$/BBBB/')
req -H "authorization: bearer $forged" -H "apns-topic: com.example.test" -d '{"aps":{}}' "$url"
expect 403 '"InvalidProviderToken"' "APNs forged provider token"
stale=$("$emu" jwt apns -d "$dir" --iat $(($(date +%s) - 3700)))
req -H "authorization: bearer $stale" -H "apns-topic: com.example.test" -d '{"aps":{}}' "$url"
expect 403 '"ExpiredProviderToken"' "APNs stale iat"
apns_req -d '{"aps":{}}' "https://127.0.0.1:$apns/3/device/xyz"
expect 400 '"BadDeviceToken"' "APNs BadDeviceToken"
apns_req -H "apns-priority: 7" -d '{"aps":{}}' "$url"
expect 400 '"BadPriority"' "APNs BadPriority"
apns_req -d "{\"aps\":{\"alert\":\"$(head -c 4100 /dev/zero | tr '\0' x)\"}}" "$url"
expect 413 '"PayloadTooLarge"' "APNs PayloadTooLarge"
apns_req -X GET "$url"
expect 405 '"MethodNotAllowed"' "APNs MethodNotAllowed"
if curl -sS --http1.1 --max-time 10 --cacert "$dir/ca.pem" -o /dev/null -d x "$url" 2>/dev/null; then
	fail "APNs must refuse HTTP/1.1 (no ALPN h2)"
else
	ok "APNs refuses clients that do not offer h2"
fi

# ---- APNs, certificate auth ----
req --cert "$dir/apns-cert.pem" --key "$dir/apns-cert-key.pem" -d '{"aps":{}}' "$url"
expect 200 '' "APNs certificate auth without apns-topic (the certificate's topic)"
req --cert "$dir/apns-cert.pem" --key "$dir/apns-cert-key.pem" -H "apns-topic: com.other.app" \
	-d '{"aps":{}}' "$url"
expect 400 '"TopicDisallowed"' "APNs certificate auth, topic not covered"
# A certificate the emulator's CA did not sign (self-signed, same topic) fails the handshake.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/UID=com.example.test/CN=Apple Push Services: com.example.test" \
	-keyout "$tmp/rogue-key.pem" -out "$tmp/rogue.pem" >/dev/null 2>&1; then
	req --cert "$tmp/rogue.pem" --key "$tmp/rogue-key.pem" -d '{"aps":{}}' "$url"
	[ "$status" = 000 ] && ok "APNs refuses a client certificate its CA did not sign" ||
		fail "APNs accepted a self-signed client certificate: $status"
else
	fail "openssl cannot make a self-signed certificate"
fi
# Certificates the CA signed for one environment (Apple's extension OIDs, §1.6); this
# emulator is production.
env_cert() { # NAME OID
	printf 'extendedKeyUsage=clientAuth\n%s=ASN1:NULL\n' "$2" >"$tmp/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/UID=com.example.test/CN=Apple Push Services: com.example.test" \
		-keyout "$tmp/$1-key.pem" -out "$tmp/$1.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$tmp/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
			-CAcreateserial -CAserial "$tmp/ca.srl" -days 1 -extfile "$tmp/$1.ext" \
			-out "$tmp/$1.pem" >/dev/null 2>&1
}
if env_cert dev 1.2.840.113635.100.6.3.1 && env_cert prod 1.2.840.113635.100.6.3.2; then
	req --cert "$tmp/dev.pem" --key "$tmp/dev-key.pem" -d '{"aps":{}}' "$url"
	expect 403 '{"reason":"BadCertificateEnvironment"}' \
		"APNs development certificate on the production emulator: BadCertificateEnvironment"
	req --cert "$tmp/prod.pem" --key "$tmp/prod-key.pem" -d '{"aps":{}}' "$url"
	expect 200 '' "APNs production certificate on the production emulator"
else
	fail "openssl cannot sign an environment certificate with the emulator's CA"
fi

# ---- scripted outcomes ----
dead=1111111111111111111111111111111111111111111111111111111111111111
busy=2222222222222222222222222222222222222222222222222222222222222222
cat >"$tmp/rules.json" <<EOF
{"rules": [
 {"provider": "apns", "token": "$dead", "status": 410, "timestamp": 1700000000000},
 {"provider": "apns", "token": "$busy", "status": 429, "retry_after": 30},
 {"provider": "fcm", "token": "dead-fcm-token", "reason": "UNREGISTERED"},
 {"provider": "fcm", "token": "busy-fcm-token", "status": 503, "retry_after": 12},
 {"provider": "fcm", "token": "quota-fcm-token", "status": 429, "retry_after": 60},
 {"provider": "fcm", "token": "other-sender-token", "reason": "SENDER_ID_MISMATCH"}
]}
EOF
"$emu" rules -d "$dir" "$tmp/rules.json" >/dev/null || fail "rules sub-command"
apns_req -d '{"aps":{}}' "https://127.0.0.1:$apns/3/device/$dead"
expect 410 '{"reason":"Unregistered","timestamp":1700000000000}' "APNs 410 with timestamp from a rule"
apns_req -d '{"aps":{}}' "https://127.0.0.1:$apns/3/device/$busy"
if [ "$status" = 429 ] && grep -qi '^retry-after: 30' "$tmp/hdrs"; then
	ok "APNs 429 with Retry-After from a rule"
else
	fail "APNs 429 rule: $status"
fi

# ---- FCM: OAuth2 token endpoint ----
grant=urn:ietf:params:oauth:grant-type:jwt-bearer
assertion=$("$emu" jwt fcm -d "$dir" --aud "https://127.0.0.1:$fcm/token")
req --data-urlencode "grant_type=$grant" --data-urlencode "assertion=$assertion" \
	"https://127.0.0.1:$fcm/token"
expect 200 '"token_type":"Bearer"' "FCM OAuth2 token endpoint"
access=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
forged=$(echo "$assertion" | sed -E 's/.{4}$/AAAA/')
[ "$forged" != "$assertion" ] || forged=$(echo "$assertion" | sed -E 's/.{4}$/BBBB/')
req --data-urlencode "grant_type=$grant" --data-urlencode "assertion=$forged" \
	"https://127.0.0.1:$fcm/token"
expect 400 '"invalid_grant"' "FCM OAuth2 forged assertion"
req --data-urlencode "grant_type=client_credentials" "https://127.0.0.1:$fcm/token"
expect 400 '"unsupported_grant_type"' "FCM OAuth2 wrong grant type"

# ---- FCM: send ----
send="https://127.0.0.1:$fcm/v1/projects/demo-project/messages:send"
fcm_req() {
	req -H "Authorization: Bearer $access" -H "Content-Type: application/json" "$@"
}
fcm_req -d '{"message":{"token":"good-fcm-token","data":{"k":"v"},"android":{"ttl":"60s","priority":"high"}}}' "$send"
expect 200 '"name":"projects/demo-project/messages/0:' "FCM send"
req -H "Content-Type: application/json" -d '{"message":{"token":"t"}}' "$send"
expect 401 '"UNAUTHENTICATED"' "FCM without an access token"
req -H "Authorization: Bearer ya29.forged" -d '{"message":{"token":"t"}}' "$send"
expect 401 'Request had invalid authentication credentials' "FCM with an unknown access token"
fcm_req -d '{"message":{"token":"t","data":{"n":12}}}' "$send"
expect 400 "Invalid value at 'message.data\[0\].value' (TYPE_STRING), 12" "FCM non-string data value"
fcm_req -d '{"message":{"token":"dead-fcm-token"}}' "$send"
expect 404 '"errorCode":"UNREGISTERED"' "FCM UNREGISTERED from a rule"
fcm_req -d '{"message":{"token":"busy-fcm-token"}}' "$send"
if [ "$status" = 503 ] && grep -qi '^retry-after: 12' "$tmp/hdrs"; then
	ok "FCM 503 with Retry-After from a rule"
else
	fail "FCM 503 rule: $status"
fi
fcm_req -d '{"message":{"token":"quota-fcm-token"}}' "$send"
if [ "$status" = 429 ] && grep -qi '^retry-after: 60' "$tmp/hdrs" &&
	grep -q '"status":"RESOURCE_EXHAUSTED"' "$tmp/body" && grep -q '"errorCode":"QUOTA_EXCEEDED"' "$tmp/body"; then
	ok "FCM 429 RESOURCE_EXHAUSTED/QUOTA_EXCEEDED with Retry-After from a rule"
else
	fail "FCM 429 rule: $status $(cat "$tmp/body")"
fi
fcm_req -d '{"message":{"token":"other-sender-token"}}' "$send"
if [ "$status" = 403 ] && grep -q '"status":"PERMISSION_DENIED"' "$tmp/body" &&
	grep -q '"errorCode":"SENDER_ID_MISMATCH"' "$tmp/body"; then
	ok "FCM token of another project: 403 PERMISSION_DENIED/SENDER_ID_MISMATCH from a rule"
else
	fail "FCM SENDER_ID_MISMATCH rule: $status $(cat "$tmp/body")"
fi
fcm_req -d '{"message":{"token":"t"}}' "https://127.0.0.1:$fcm/v1/projects/other/messages:send"
expect 403 '"PERMISSION_DENIED"' "FCM send to another project"
fcm_req -d '{"message":{"token":"t"},"validate_only":true}' "$send"
expect 200 'messages/fake_message_id' "FCM validate_only"

# ---- inspection ----
out=$("$emu" count -d "$dir")
echo "$out" | grep -q '"apns":15' || fail "count apns: $out"
echo "$out" | grep -q '"fcm":10' || fail "count fcm: $out"
echo "$out" | grep -q '"oauth":3' || fail "count oauth: $out"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=apns&token=$dead")
echo "$out" | grep -q '"apns-topic":"com.example.test"' && echo "$out" | grep -q '"status":410' ||
	fail "requests by token: $out"
out=$("$emu" requests -d "$dir" --provider fcm --token good-fcm-token)
echo "$out" | grep -q '"body":"{\\"message\\"' || fail "requests keep bodies: $out"
"$emu" reset -d "$dir" >/dev/null || fail "reset sub-command"
"$emu" count --control-port "$ctl" | grep -q '"total":0' || fail "count after reset"
[ $failures -eq 0 ] && ok "inspection API"

# ---- clean stop ----
kill "$emu_pid"
wait "$emu_pid"
rc=$?
emu_pid=
[ $rc -eq 0 ] || fail "the emulator exited with $rc on SIGTERM"
[ ! -e "$dir/run.json" ] || fail "run.json left behind"

check_done "all emulator integration checks passed"
