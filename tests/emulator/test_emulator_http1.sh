#!/bin/sh
# Integration test of herald-emulator's HTTP/1.1 providers (FCM over
# HTTP/1.1 and the legacy /fcm/send, ADM, WNS, Baidu, MPNS): `init`, then
# `run` on ephemeral ports, driven by curl with requests shaped like the real
# clients', checked through the control API.  test_emulator.sh covers APNs and
# FCM v1 over HTTP/2.  Skips (exit 77) only when curl is missing.
set -u

. "${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/emulator/check_lib.sh"
emu_need curl

check_scratch emu-http1

dir="$tmp/emu"
"$emu" init "$dir" --project demo-project >"$tmp/init.out" || {
	echo "FAIL: init"
	exit 1
}
for p in GCM ADM WNS BAIDU; do
	grep -q -- "--platform $p" "$tmp/init.out" || fail "init prints how to create a $p application"
done
[ "$(stat -c %a "$dir/emulator.json")" = 600 ] || fail "emulator.json (shared secrets) is not 0600"
# conf KEY: a string from emulator.json (the keys used here are unique in it)
conf() {
	sed -n -E "s/.*\"$1\": \"([^\"]*)\".*/\1/p" "$dir/emulator.json"
}
server_key=$(conf server_key)
grep -q -- "$server_key" "$tmp/init.out" && fail "init prints the FCM server key"

emu_run "$dir"
fcm=$emu_fcm
ctl=$emu_ctl
echo "emulator: $emu_ports"

# req ARGS... : one request (HTTP/1.1 unless --http2 is given); status in $status,
# body in $tmp/body, headers in $tmp/hdrs, protocol in $proto.
req() {
	case " $* " in
	*" --http2 "*) ;;
	*) set -- --http1.1 "$@" ;;
	esac
	t0=$(date +%s%N)
	out=$(curl -sS --max-time 10 --cacert "$dir/ca.pem" -o "$tmp/body" -D "$tmp/hdrs" \
		-w '%{http_code} %{http_version}' "$@" 2>"$tmp/curl.err")
	status=${out% *}
	proto=${out#* }
	[ -n "${TIMING:-}" ] && echo "time $((($(date +%s%N) - t0) / 1000000)) ms: $*" >&2
}
has_header() { # NAME-AND-VALUE-PATTERN (case-insensitive, anchored at the line start)
	grep -qi "^$1" "$tmp/hdrs"
}
rules() { # JSON array
	curl -sS -X PUT --data-binary "$1" "http://127.0.0.1:$ctl/v1/rules" >"$tmp/rules.out" ||
		fail "PUT /v1/rules"
	grep -q '"error"' "$tmp/rules.out" && fail "rules refused: $(cat "$tmp/rules.out")"
}
count_of() { # PROVIDER: how many requests it received
	curl -sS "http://127.0.0.1:$ctl/v1/count" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"
}

# ---- FCM v1 over HTTP/1.1 (Google serves both on one host) ----
grant=urn:ietf:params:oauth:grant-type:jwt-bearer
assertion=$("$emu" jwt fcm -d "$dir" --aud "https://127.0.0.1:$fcm/token")
req --http1.1 --data-urlencode "grant_type=$grant" --data-urlencode "assertion=$assertion" \
	"https://127.0.0.1:$fcm/token"
expect 200 '"token_type":"Bearer"' "FCM OAuth2 token endpoint over HTTP/1.1"
[ "$proto" = 1.1 ] || fail "FCM answered over HTTP/$proto, want 1.1"
access=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
req --http1.1 -H "Authorization: Bearer $access" -H "Content-Type: application/json" \
	-d '{"message":{"token":"good-token","data":{"k":"v"}}}' \
	"https://127.0.0.1:$fcm/v1/projects/demo-project/messages:send"
expect 200 '"name":"projects/demo-project/messages/0:' "FCM v1 send over HTTP/1.1"

# ---- FCM legacy /fcm/send ----
legacy="https://127.0.0.1:$fcm/fcm/send"
rules '[{"provider":"fcm","token":"dead-token","reason":"UNREGISTERED"},
	{"provider":"fcm","token":"moved-token","canonical":"new-token"},
	{"provider":"fcm","token":"busy-token","status":503,"retry_after":7}]'
lreq() {
	req -H "Authorization: key=$server_key" -H "Content-Type: application/json" "$@"
}
lreq --http1.1 -d '{"to":"good-token","data":{"k":"v"},"time_to_live":60}' "$legacy"
expect 200 '"success":1,"failure":0,"canonical_ids":0,"results":\[{"message_id":"0:' \
	"legacy send over HTTP/1.1"
lreq --http2 -d '{"registration_ids":["good-token","dead-token","moved-token","bad token"]}' "$legacy"
expect 200 '"success":2,"failure":2,"canonical_ids":1,"results":\[{"message_id":"[^"]*"},{"error":"NotRegistered"},{"message_id":"[^"]*","registration_id":"new-token"},{"error":"InvalidRegistration"}\]' \
	"legacy multicast over HTTP/2: results in order, NotRegistered from a rule, canonical id"
[ "$proto" = 2 ] || fail "legacy over --http2 answered over HTTP/$proto"
req -H "Authorization: key=wrong" -H "Content-Type: application/json" -d '{"to":"t"}' "$legacy"
expect 401 '<TITLE>Unauthorized</TITLE>' "legacy with a wrong server key: 401 (HTML)"
req -H "Content-Type: application/json" -d '{"to":"t"}' "$legacy"
expect 401 'Unauthorized' "legacy without a server key"
lreq -d '{"to":' "$legacy"
expect 400 'JSON_PARSING_ERROR' "legacy malformed JSON: 400"
lreq -d '{}' "$legacy"
expect 200 '"error":"MissingRegistration"' "legacy MissingRegistration"
lreq -d '{"to":"t","time_to_live":2419201}' "$legacy"
expect 200 '"error":"InvalidTtl"' "legacy InvalidTtl"
lreq -d '{"to":"t","data":{"google.x":"v"}}' "$legacy"
expect 200 '"error":"InvalidDataKey"' "legacy InvalidDataKey"
lreq -d "{\"to\":\"t\",\"data\":{\"k\":\"$(head -c 4100 /dev/zero | tr '\0' x)\"}}" "$legacy"
expect 200 '"error":"MessageTooBig"' "legacy MessageTooBig (and Expect: 100-continue over HTTP/1.1)"
lreq -d '{"to":"/topics/news","data":{"k":"v"}}' "$legacy"
expect 200 '{"message_id":[0-9]*}' "legacy topic send"
lreq -d '{"to":"busy-token"}' "$legacy"
if [ "$status" = 503 ] && has_header 'retry-after: 7'; then
	ok "legacy 503 with Retry-After from a rule"
else
	fail "legacy 503 rule: $status"
fi
lreq -H "Transfer-Encoding: chunked" -d '{"to":"t"}' "$legacy"
[ "$status" = 411 ] && ok "HTTP/1.1 chunked bodies refused (411)" || fail "chunked: $status"
n=$(count_of fcm-legacy)
[ "$n" -ge 14 ] || fail "fcm-legacy count $n"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=fcm-legacy&token=dead-token")
echo "$out" | grep -q '"reason":"NotRegistered"' && echo "$out" | grep -q '"authorization":"key=' ||
	fail "legacy inspection by token: $out"

# ---- ADM ----
adm="https://127.0.0.1:$(emu_port adm)"
adm_id=$(conf client_id)
adm_secret=$(conf client_secret)
req --data-urlencode grant_type=client_credentials --data-urlencode scope=messaging:push \
	--data-urlencode "client_id=$adm_id" --data-urlencode "client_secret=$adm_secret" \
	-H "Content-Type: application/x-www-form-urlencoded;charset=UTF-8" "$adm/auth/O2/token"
expect 200 '"expires_in":3600,"scope":"messaging:push","token_type":"bearer"' "ADM token endpoint"
has_header 'x-amzn-requestid: ' || fail "ADM token answer without x-amzn-RequestId"
adm_token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
req --data-urlencode grant_type=client_credentials --data-urlencode scope=messaging:push \
	--data-urlencode "client_id=$adm_id" --data-urlencode "client_secret=wrong" "$adm/auth/O2/token"
expect 401 '"error":"invalid_client"' "ADM token endpoint, wrong client secret"
req --data-urlencode grant_type=client_credentials --data-urlencode scope=profile \
	--data-urlencode "client_id=$adm_id" --data-urlencode "client_secret=$adm_secret" "$adm/auth/O2/token"
expect 400 '"error":"invalid_scope"' "ADM token endpoint, scope other than messaging:push"
req --data-urlencode grant_type=password --data-urlencode scope=messaging:push \
	--data-urlencode "client_id=$adm_id" --data-urlencode "client_secret=$adm_secret" "$adm/auth/O2/token"
expect 400 '"error":"unsupported_grant_type"' "ADM token endpoint, wrong grant type"
rules '[{"provider":"adm","token":"amzn1.adm-registration.v3.gone","status":400,"reason":"Unregistered"},
	{"provider":"adm","token":"amzn1.adm-registration.v3.old","canonical":"amzn1.adm-registration.v3.new"},
	{"provider":"adm","token":"amzn1.adm-registration.v3.busy","status":429,"retry_after":9},
	{"provider":"adm","token":"amzn1.adm-registration.v3.down","status":503,"retry_after":4},
	{"provider":"adm","token":"amzn1.adm-registration.v3.slow","delay_ms":300}]'
send_adm() { # REGISTRATION-ID BODY [CURL-ARGS...]
	id=$1 body=$2
	shift 2
	req -H "Authorization: Bearer $adm_token" -H "Content-Type: application/json" \
		-H "Accept: application/json" \
		-H "X-Amzn-Type-Version: com.amazon.device.messaging.ADMMessage@1.0" \
		-H "X-Amzn-Accept-Type: com.amazon.device.messaging.ADMSendResult@1.0" \
		-d "$body" "$@" "$adm/messaging/registrations/$id/messages"
}
reg=amzn1.adm-registration.v3.good
send_adm $reg '{"data":{"message":"your message"},"consolidationKey":"c","expiresAfter":86400,"md5":"qzF+HgArKZjJrpfcTbiFxg=="}'
expect 200 "{\"registrationID\":\"$reg\"}" "ADM send with the md5 from pigeon's doctest"
has_header 'x-amzn-data-md5: qzF+HgArKZjJrpfcTbiFxg==' || fail "ADM X-Amzn-Data-md5"
has_header 'x-amzn-requestid: ' || fail "ADM send without x-amzn-RequestId"
send_adm $reg '{"data":{"b":"2","a":"1"}}' --http2
expect 200 "registrationID" "ADM send over HTTP/2"
[ "$proto" = 2 ] || fail "ADM --http2 answered over HTTP/$proto"
send_adm $reg '{"data":{"a":"1"},"md5":"1B2M2Y8AsgTpgAmY7PhCfg=="}'
expect 400 '{"reason":"InvalidChecksum"}' "ADM wrong md5: InvalidChecksum"
send_adm $reg '{"data":{"n":1}}'
expect 400 '{"reason":"InvalidData"}' "ADM non-string data: InvalidData"
send_adm $reg '{"data":{"a":"1"},"consolidationKey":"'"$(head -c 65 /dev/zero | tr '\0' k)"'"}'
expect 400 '{"reason":"InvalidConsolidationKey"}' "ADM consolidationKey over 64: InvalidConsolidationKey"
send_adm $reg '{"data":{"a":"1"},"expiresAfter":10}'
expect 400 '{"reason":"InvalidExpiration"}' "ADM expiresAfter below 60: InvalidExpiration"
send_adm $reg "{\"data\":{\"a\":\"$(head -c 6200 /dev/zero | tr '\0' x)\"}}"
expect 413 '{"reason":"MessageTooLarge"}' "ADM body over 6144 bytes: 413 MessageTooLarge"
req -H "Authorization: Bearer $adm_token" -H "X-Amzn-Type-Version: com.amazon.device.messaging.ADMMessage@2.0" \
	-H "X-Amzn-Accept-Type: com.amazon.device.messaging.ADMSendResult@1.0" \
	-d '{"data":{"a":"1"}}' "$adm/messaging/registrations/$reg/messages"
expect 400 '{"reason":"InvalidType"}' "ADM wrong X-Amzn-Type-Version: InvalidType"
adm_token_saved=$adm_token
adm_token="Atc|forged"
send_adm $reg '{"data":{"a":"1"}}'
expect 401 '{"reason":"AccessTokenExpired"}' "ADM unknown access token: 401 AccessTokenExpired"
adm_token=$adm_token_saved
curl -sS -X POST "http://127.0.0.1:$ctl/v1/adm/revoke" | grep -q '"revoked":true' || fail "POST /v1/adm/revoke"
send_adm $reg '{"data":{"a":"1"}}'
expect 401 '{"reason":"AccessTokenExpired"}' "ADM token revoked through the control API: 401 AccessTokenExpired"
req --data-urlencode grant_type=client_credentials --data-urlencode scope=messaging:push \
	--data-urlencode "client_id=$adm_id" --data-urlencode "client_secret=$adm_secret" "$adm/auth/O2/token"
adm_token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
send_adm amzn1.adm-registration.v3.gone '{"data":{"a":"1"}}'
expect 400 '{"reason":"Unregistered"}' "ADM Unregistered from a rule"
send_adm 'amzn1.adm-registration.v3.bad%25id' '{"data":{"a":"1"}}'
expect 400 '{"reason":"InvalidRegistrationId"}' "ADM malformed registration id: InvalidRegistrationId"
send_adm amzn1.adm-registration.v3.old '{"data":{"a":"1"}}'
expect 200 '{"registrationID":"amzn1.adm-registration.v3.new"}' "ADM canonical registration id from a rule"
send_adm amzn1.adm-registration.v3.busy '{"data":{"a":"1"}}'
[ "$status" = 429 ] && has_header 'retry-after: 9' && grep -q MaxRateExceeded "$tmp/body" &&
	ok "ADM 429 MaxRateExceeded with Retry-After" || fail "ADM 429 rule: $status"
send_adm amzn1.adm-registration.v3.down '{"data":{"a":"1"}}'
[ "$status" = 503 ] && has_header 'retry-after: 4' && ok "ADM 503 with Retry-After" ||
	fail "ADM 503 rule: $status"
start=$(date +%s%N)
send_adm amzn1.adm-registration.v3.slow '{"data":{"a":"1"}}'
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$status" = 200 ] && [ "$elapsed" -ge 300 ] && ok "ADM delay_ms from a rule (${elapsed} ms)" ||
	fail "ADM delay rule: $status after $elapsed ms"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=adm&token=amzn1.adm-registration.v3.gone")
echo "$out" | grep -q '"reason":"Unregistered"' && echo "$out" | grep -q '"x-amzn-type-version"' ||
	fail "ADM inspection by registration id: $out"
[ "$(count_of adm-oauth)" = 5 ] || fail "adm-oauth count $(count_of adm-oauth)"

# ---- WNS ----
wns="https://127.0.0.1:$(emu_port wns)"
grep -q "channels like https://127.0.0.1:[0-9]*/?token=" "$tmp/init.out" ||
	fail "init prints an example WNS channel URI"
wns_sid=$(conf package_sid)
wns_secret=$(conf secret)
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$wns_sid" \
	--data-urlencode "client_secret=$wns_secret" --data-urlencode scope=notify.windows.com \
	"$wns/accesstoken.srf"
expect 200 '"token_type":"bearer","expires_in":86400' "WNS token endpoint"
has_header 'cache-control: no-store' || fail "WNS token answer without Cache-Control: no-store"
wns_token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$wns_sid" \
	--data-urlencode "client_secret=nope" --data-urlencode scope=notify.windows.com \
	"$wns/accesstoken.srf"
expect 400 '"error":"invalid_client"' "WNS token endpoint, wrong secret: 400 invalid_client"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$wns_sid" \
	--data-urlencode "client_secret=$wns_secret" --data-urlencode scope=graph.windows.net \
	"$wns/accesstoken.srf"
expect 400 '"error":"invalid_scope"' "WNS token endpoint, wrong scope"
rules '[{"provider":"wns","token":"gone","status":410},
	{"provider":"wns","token":"unknown","status":404},
	{"provider":"wns","token":"throttled","reason":"channelthrottled"},
	{"provider":"wns","token":"busy","status":406,"retry_after":60}]'
toast='<toast><visual><binding template="ToastGeneric"><text>Hi</text></binding></visual></toast>'
wns_send() { # CHANNEL TYPE CONTENT-TYPE BODY [CURL-ARGS...]
	ch=$1 type=$2 ct=$3 body=$4
	shift 4
	req -H "Authorization: Bearer $wns_token" -H "X-WNS-Type: $type" -H "Content-Type: $ct" \
		--data-binary "$body" "$@" "$wns/?token=$ch"
}
wns_send AwYAAAD1 wns/toast text/xml "$toast" -H "X-WNS-RequestForStatus: true" -H "MS-CV: abc.1"
if [ "$status" = 200 ] && has_header 'x-wns-status: received' &&
	has_header 'x-wns-notificationstatus: received' && has_header 'x-wns-msg-id: [0-9a-f]\{16\}' &&
	has_header 'x-wns-debug-trace: ' && has_header 'ms-cv: abc.1' &&
	has_header 'x-wns-deviceconnectionstatus: connected'; then
	ok "WNS toast: 200 with both status spellings, msg id, debug trace, MS-CV echoed, device status"
else
	fail "WNS toast: $status $(cat "$tmp/hdrs")"
fi
wns_send AwYAAAD1 wns/tile "text/xml; charset=utf-8" '<?xml version="1.0"?><tile><visual/></tile>' \
	-H "X-WNS-Tag: score1" -H "X-WNS-TTL: 600" -H "X-WNS-Cache-Policy: cache" --http2
[ "$status" = 200 ] && [ "$proto" = 2 ] && ok "WNS tile over HTTP/2" || fail "WNS tile: $status/$proto"
wns_send AwYAAAD1 wns/badge text/xml '<badge value="7"/>'
expect 200 '' "WNS badge"
wns_send AwYAAAD1 wns/raw application/octet-stream 'raw bytes' -H "X-WNS-Cache-Policy: no-cache"
expect 200 '' "WNS raw"
wns_send AwYAAAD1 wns/raw text/xml 'raw bytes'
[ "$status" = 400 ] && has_header 'x-wns-error-description: Content-Type' &&
	ok "WNS raw with text/xml: 400" || fail "WNS raw content type: $status"
wns_send AwYAAAD1 wns/toast application/octet-stream "$toast"
expect 400 '' "WNS toast with application/octet-stream: 400"
wns_send AwYAAAD1 wns/popup text/xml "$toast"
expect 400 '' "WNS unknown X-WNS-Type: 400"
wns_send AwYAAAD1 wns/toast text/xml "$toast" -H "X-WNS-Cache-Policy: cache"
expect 400 '' "WNS cache policy on a toast: 400"
wns_send AwYAAAD1 wns/tile text/xml '<tile/>' -H "X-WNS-Tag: 12345678901234567"
expect 400 '' "WNS X-WNS-Tag over 16 characters: 400"
wns_send AwYAAAD1 wns/tile text/xml '<tile/>' -H "X-WNS-TTL: soon"
expect 400 '' "WNS non-numeric X-WNS-TTL: 400"
wns_send AwYAAAD1 wns/tile text/xml "$toast"
expect 400 '' "WNS tile with a toast payload: 400"
wns_send AwYAAAD1 wns/raw application/octet-stream "$(head -c 5001 /dev/zero | tr '\0' r)"
expect 413 '' "WNS payload over 5000 bytes: 413"
req -H "Authorization: Bearer forged" -H "X-WNS-Type: wns/toast" -H "Content-Type: text/xml" \
	--data-binary "$toast" "$wns/?token=AwYAAAD1"
expect 401 '' "WNS unknown access token: 401"
req -H "X-WNS-Type: wns/toast" -H "Content-Type: text/xml" --data-binary "$toast" "$wns/?token=AwYAAAD1"
expect 401 '' "WNS without an access token: 401"
curl -sS -X POST "http://127.0.0.1:$ctl/v1/wns/revoke" | grep -q '"revoked":true' || fail "POST /v1/wns/revoke"
wns_send AwYAAAD1 wns/badge text/xml '<badge value="1"/>'
expect 401 '' "WNS token revoked through the control API: 401"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$wns_sid" \
	--data-urlencode "client_secret=$wns_secret" --data-urlencode scope=notify.windows.com \
	"$wns/accesstoken.srf"
wns_token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
wns_send gone wns/toast text/xml "$toast"
expect 410 '' "WNS expired channel from a rule: 410"
wns_send unknown wns/toast text/xml "$toast"
expect 404 '' "WNS unknown channel from a rule: 404"
wns_send throttled wns/toast text/xml "$toast"
[ "$status" = 200 ] && has_header 'x-wns-status: channelthrottled' &&
	has_header 'x-wns-notificationstatus: channelthrottled' && ok "WNS 200 channelthrottled from a rule" ||
	fail "WNS channelthrottled: $status"
wns_send busy wns/toast text/xml "$toast"
[ "$status" = 406 ] && has_header 'retry-after: 60' && ok "WNS 406 with Retry-After from a rule" ||
	fail "WNS 406 rule: $status"
req -H "Authorization: Bearer $wns_token" -X GET "$wns/?token=AwYAAAD1"
expect 405 '' "WNS GET: 405"
req -H "Authorization: Bearer $wns_token" -X DELETE -H "X-WNS-Match: type:wns/toast;all" "$wns/?token=AwYAAAD1"
expect 200 '' "WNS DELETE with X-WNS-Match"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=wns&token=gone")
echo "$out" | grep -q '"status":410' && echo "$out" | grep -q '"x-wns-type":"wns/toast"' ||
	fail "WNS inspection by channel: $out"
[ "$(count_of wns-oauth)" = 4 ] || fail "wns-oauth count $(count_of wns-oauth)"
# Microsoft Entra's token endpoint (Windows App SDK apps): toast and raw only.  init gives the
# Entra app its own tenant, client id and secret, and prints the ids (not the secret).
entra_tenant=$(conf entra_tenant_id)
entra_id=$(conf entra_client_id)
entra_secret=$(conf entra_client_secret)
[ -n "$entra_tenant" ] && [ -n "$entra_id" ] && [ -n "$entra_secret" ] ||
	fail "emulator.json has no wns.entra_tenant_id, entra_client_id and entra_client_secret"
grep -q -- "$entra_tenant" "$tmp/init.out" && grep -q -- "$entra_id" "$tmp/init.out" &&
	ok "init prints the WNS Entra tenant and client id" ||
	fail "init does not print the WNS Entra tenant and client id"
grep -q -- "$entra_secret" "$tmp/init.out" && fail "init prints the WNS Entra client secret"
entra_url="$wns/$entra_tenant/oauth2/v2.0/token"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$entra_id" \
	--data-urlencode "client_secret=$entra_secret" \
	--data-urlencode scope=https://wns.windows.com/.default "$entra_url"
expect 200 '"token_type":"Bearer","expires_in":3599' "WNS Entra token endpoint"
has_header 'cache-control: no-store' || fail "Entra token answer without Cache-Control: no-store"
entra_token=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' "$tmp/body")
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$entra_id" \
	--data-urlencode "client_secret=nope" \
	--data-urlencode scope=https://wns.windows.com/.default "$entra_url"
expect 401 '"error":"invalid_client"' "WNS Entra token endpoint, wrong secret: 401 invalid_client"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$wns_sid" \
	--data-urlencode "client_secret=$wns_secret" \
	--data-urlencode scope=https://wns.windows.com/.default "$entra_url"
expect 401 '"error":"invalid_client"' "WNS Entra token endpoint, the package SID: 401 invalid_client"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$entra_id" \
	--data-urlencode "client_secret=$entra_secret" \
	--data-urlencode scope=https://wns.windows.com/.default \
	"$wns/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
expect 400 '"error":"invalid_request"' "WNS Entra token endpoint, another tenant: 400 invalid_request"
req --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$entra_id" \
	--data-urlencode "client_secret=$entra_secret" --data-urlencode scope=notify.windows.com \
	"$entra_url"
expect 400 '"error":"invalid_scope"' "WNS Entra token endpoint, the classic scope: 400 invalid_scope"
req -H "Authorization: Bearer $entra_token" -H "X-WNS-Type: wns/toast" -H "Content-Type: text/xml" \
	--data-binary "$toast" "$wns/?token=AwYAAAD1"
[ "$status" = 200 ] && has_header 'x-wns-status: received' && ok "WNS toast with an Entra token" ||
	fail "WNS toast with an Entra token: $status"
req -H "Authorization: Bearer $entra_token" -H "X-WNS-Type: wns/tile" -H "Content-Type: text/xml" \
	--data-binary '<tile><visual/></tile>' "$wns/?token=AwYAAAD1"
expect 400 '' "WNS tile with an Entra token: 400 (toast and raw only)"

# ---- Baidu v3 ----
baidu_port=$(emu_port baidu)
baidu_url="https://127.0.0.1:$baidu_port/rest/3.0/push/single_device"
baidu_key=$(conf api_key)
baidu_secret=$(conf secret_key)
# jenc STRING: Java URLEncoder encoding (providers.md §6.3 step 4)
jenc() {
	printf '%s' "$1" | od -An -v -tu1 | awk '{ for (i = 1; i <= NF; i++) { c = $i
		if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
		    c == 45 || c == 95 || c == 46) printf "%c", c
		else if (c == 32) printf "+"
		else printf "%%%02X", c } }'
}
# baidu_send URL-SIGNED SECRET NAME=VALUE... (names in byte order): sign and POST to $baidu_url
baidu_send() {
	signed_url=$1 secret=$2
	shift 2
	base="POST$signed_url" body=
	for kv in "$@"; do
		base="$base$kv"
		body="$body$(jenc "${kv%%=*}")=$(jenc "${kv#*=}")&"
	done
	sign=$(jenc "$base$secret" | md5sum | cut -c1-32)
	req -H "Content-Type: application/x-www-form-urlencoded;charset=utf-8" \
		-H "User-Agent: BCCS_SDK/3.0 (Linux) sh/1 (Baidu Push Server SDK V3.0.0)" \
		--data-binary "${body}sign=$sign" "${post_url:-$baidu_url}"
}
now=$(date +%s)
msg='{"title":"Hi","description":"你好 world"}'
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	device_type=3 "msg=$msg" msg_expires=3600 msg_type=1 "timestamp=$now"
expect 200 '"response_params":{"msg_id":"[0-9]*","send_time":' "Baidu push/single_device, signed (UTF-8 and spaces in msg)"
baidu_send "http://127.0.0.1:$baidu_port/rest/3.0/push/single_device" "$baidu_secret" \
	"apikey=$baidu_key" channel_id=3812345678901234567 "msg=hello" "timestamp=$now"
[ "$status" = 401 ] && grep -q '"error_code":30603,"error_msg":"Authentication Failed"' "$tmp/body" &&
	ok "Baidu signature over another URL (http://): 401 30603" || fail "Baidu wrong URL: $status $(cat "$tmp/body")"
post_url="http://127.0.0.1:$baidu_port/rest/3.0/push/single_device"
baidu_send "$post_url" "$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	"msg=hello" "timestamp=$now"
[ "$status" = 200 ] && [ "$proto" = 1.1 ] &&
	ok "Baidu over plain HTTP on the same port, signed for its http:// URL" ||
	fail "Baidu plain HTTP: $status $(cat "$tmp/body" "$tmp/curl.err")"
post_url=
baidu_send "$baidu_url" "0000$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	"msg=hello" "timestamp=$now"
expect 401 '"error_code":30603' "Baidu forged signature (wrong secret): 30603"
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	"msg=hello" "timestamp=$((now - 3600))"
expect 401 '"error_code":30606' "Baidu stale timestamp: 30606"
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	"expires=$((now - 1))" "msg=hello" "timestamp=$now"
expect 401 '"error_code":30606' "Baidu expires in the past: 30606"
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" "msg=hello" "timestamp=$now"
expect 400 '"error_code":30602,"error_msg":"Request Params Not Valid"' "Baidu without channel_id: 30602"
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=3812345678901234567 \
	device_type=4 "msg=hello" "timestamp=$now"
expect 400 '"error_code":30602' "Baidu iOS without deploy_status: 30602"
rules '[{"provider":"baidu","token":"1111","reason":"30608"},
	{"provider":"baidu","token":"2222","status":503,"retry_after":5}]'
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=1111 "msg=hello" "timestamp=$now"
expect 400 '"error_code":30608,"error_msg":"Bind Relation Not Found"' "Baidu unbound channel from a rule: 30608"
baidu_send "$baidu_url" "$baidu_secret" "apikey=$baidu_key" channel_id=2222 "msg=hello" "timestamp=$now"
[ "$status" = 503 ] && has_header 'retry-after: 5' && grep -q '"error_code":30600' "$tmp/body" &&
	ok "Baidu 503 30600 with Retry-After from a rule" || fail "Baidu 503 rule: $status"
req -X GET "$baidu_url"
expect 405 '"error_code":30601' "Baidu GET: 30601"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=baidu&token=1111")
echo "$out" | grep -q '"reason":"30608"' && echo "$out" | grep -q 'user-agent":"BCCS_SDK/3.0' ||
	fail "Baidu inspection by channel: $out"

# ---- MPNS ----
mpns="https://127.0.0.1:$(emu_port mpns)"
grep -q -- "--platform MPNS" "$tmp/init.out" || fail "init prints how to create an MPNS application"
[ "$(stat -c %a "$dir/mpns-cert-key.pem")" = 600 ] || fail "mpns-cert-key.pem is not 0600"
mtoast='<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Bold</wp:Text1><wp:Text2>Normal</wp:Text2></wp:Toast></wp:Notification>'
mtile='<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Tile><wp:Count>3</wp:Count><wp:Title>T</wp:Title></wp:Tile></wp:Notification>'
mpns_statuses() { # NOTIFICATION DEVICE SUBSCRIPTION ("-" = absent)
	for pair in "x-notificationstatus:$1" "x-deviceconnectionstatus:$2" "x-subscriptionstatus:$3"; do
		name=${pair%%:*} value=${pair#*:}
		if [ "$value" = - ]; then
			has_header "$name:" && return 1
		else
			has_header "$name: $value" || return 1
		fi
	done
	return 0
}
uuid=123e4567-e89b-12d3-a456-426614174000
req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	-H "X-MessageID: $uuid" --data-binary "$mtoast" "$mpns/throttledthirdparty/01.00/CH1"
[ "$status" = 200 ] && mpns_statuses Received Connected Active && has_header "x-messageid: $uuid" &&
	ok "MPNS toast: 200 Received/Connected/Active, X-MessageID echoed" || fail "MPNS toast: $status $(cat "$tmp/hdrs")"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 11" -H "X-WindowsPhone-Target: token" \
	--data-binary "$mtile" --http2 "$mpns/throttledthirdparty/01.00/CH1"
[ "$status" = 200 ] && [ "$proto" = 2 ] && ok "MPNS tile (class 11) over HTTP/2" || fail "MPNS tile: $status"
req -H "Content-Type: application/octet-stream" -H "X-NotificationClass: 23" --data-binary 'raw' \
	"$mpns/throttledthirdparty/01.00/CH1"
expect 200 '' "MPNS raw (class 23, no target)"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: token" \
	--data-binary "$mtoast" "$mpns/throttledthirdparty/01.00/CH1"
[ "$status" = 400 ] && mpns_statuses - - - && ok "MPNS toast with target token: 400" || fail "MPNS target: $status"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 4" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$mpns/throttledthirdparty/01.00/CH1"
expect 400 '' "MPNS X-NotificationClass 4: 400"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 3" -H "X-WindowsPhone-Target: toast" \
	--data-binary 'raw' "$mpns/throttledthirdparty/01.00/CH1"
expect 400 '' "MPNS raw with a target: 400"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 1" -H "X-WindowsPhone-Target: token" \
	--data-binary "$mtoast" "$mpns/throttledthirdparty/01.00/CH1"
expect 400 '' "MPNS tile class with a toast payload: 400"
req -H "Content-Type: application/octet-stream" -H "X-NotificationClass: 3" \
	--data-binary "$(head -c 3073 /dev/zero | tr '\0' r)" "$mpns/throttledthirdparty/01.00/CH1"
expect 400 '' "MPNS payload over 3 KB: 400"
req -H "Content-Type: application/octet-stream" -H "X-NotificationClass: 3" \
	-H "X-Padding: $(head -c 700 /dev/zero | tr '\0' p)" --data-binary raw "$mpns/throttledthirdparty/01.00/CH1"
expect 200 '' "MPNS raw with about 850 bytes of headers: 200"
req -H "Content-Type: application/octet-stream" -H "X-NotificationClass: 3" \
	-H "X-Padding: $(head -c 1000 /dev/zero | tr '\0' p)" --data-binary raw "$mpns/throttledthirdparty/01.00/CH1"
[ "$status" = 400 ] && mpns_statuses - - - && ok "MPNS over 1 KB of headers: 400" ||
	fail "MPNS 1 KB header limit: $status"
req -X GET "$mpns/throttledthirdparty/01.00/CH1"
expect 405 '' "MPNS GET: 405"
plain="http://127.0.0.1:$(emu_port mpns)"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$plain/throttledthirdparty/01.00/CH1"
[ "$status" = 200 ] && mpns_statuses Received Connected Active &&
	ok "MPNS unauthenticated channel over plain http://" || fail "MPNS plain HTTP: $status"
req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$plain/unthrottledthirdparty/01.00/CH1"
expect 403 '' "MPNS authenticated channel over plain http://: 403"
# Authenticated mode
req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$mpns/unthrottledthirdparty/01.00/CH2"
expect 403 '' "MPNS authenticated channel without a client certificate: 403"
req --cert "$dir/apns-cert.pem" --key "$dir/apns-cert-key.pem" -H "Content-Type: text/xml" \
	-H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$mpns/unthrottledthirdparty/01.00/CH2"
expect 403 '' "MPNS authenticated channel with another service's certificate: 403"
req --cert "$dir/mpns-cert.pem" --key "$dir/mpns-cert-key.pem" -H "Content-Type: text/xml" \
	-H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
	--data-binary "$mtoast" "$mpns/unthrottledthirdparty/01.00/CH2"
[ "$status" = 200 ] && mpns_statuses Received Connected Active &&
	ok "MPNS authenticated channel with init's client certificate: 200" || fail "MPNS authenticated: $status"
rules '[{"provider":"mpns","token":"EXPIRED","status":404},
	{"provider":"mpns","token":"INACTIVE","status":412},
	{"provider":"mpns","token":"FULL","reason":"QueueFull"},
	{"provider":"mpns","token":"OFF","reason":"Suppressed"},
	{"provider":"mpns","token":"AWAY","reason":"TempDisconnected"},
	{"provider":"mpns","token":"CAPPED","status":406},
	{"provider":"mpns","token":"DOWN","status":503,"retry_after":300}]'
mpns_rule() { # CHANNEL STATUS NOTIFICATION DEVICE SUBSCRIPTION
	req -H "Content-Type: text/xml" -H "X-NotificationClass: 2" -H "X-WindowsPhone-Target: toast" \
		--data-binary "$mtoast" "$mpns/throttledthirdparty/01.00/$1"
	[ "$status" = "$2" ] && mpns_statuses "$3" "$4" "$5" && ok "MPNS $2 $3/$4/$5 from a rule" ||
		fail "MPNS rule $1: $status $(tr '\r\n' '  ' <"$tmp/hdrs")"
}
mpns_rule EXPIRED 404 Dropped - Expired
mpns_rule INACTIVE 412 Dropped InActive -
mpns_rule FULL 200 QueueFull Connected Active
mpns_rule OFF 200 Suppressed Connected Active
mpns_rule AWAY 200 Received TempDisconnected Active
mpns_rule CAPPED 406 Dropped - Active
mpns_rule DOWN 503 - - -
has_header 'retry-after: 300' || fail "MPNS 503 rule without Retry-After"
out=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=mpns&token=EXPIRED")
echo "$out" | grep -q '"status":404' && echo "$out" | grep -q '"x-notificationclass":"2"' ||
	fail "MPNS inspection by channel: $out"
# The unauthenticated daily cap (providers.md §5.2: 500 per subscription per day): the 501st
# raw notification to one throttled channel is 406 Dropped/Active; an authenticated channel
# has no cap.  One curl, one kept-alive connection.
codes=$(curl -sS --http1.1 --max-time 60 --cacert "$dir/ca.pem" -o /dev/null -w '%{http_code}\n' \
	-H "Content-Type: application/octet-stream" -H "X-NotificationClass: 3" --data-binary raw \
	$(seq 1 501 | sed "s|.*|$mpns/throttledthirdparty/01.00/CAPTEST|"))
[ "$(echo "$codes" | head -n 500 | grep -c '^200$')" = 500 ] && [ "$(echo "$codes" | tail -n 1)" = 406 ] &&
	ok "MPNS unauthenticated daily cap: 500 accepted, the 501st 406" ||
	fail "MPNS daily cap: $(echo "$codes" | sort | uniq -c | tr '\n' ' ')"
req -H "Content-Type: application/octet-stream" -H "X-NotificationClass: 3" --data-binary raw \
	"$mpns/throttledthirdparty/01.00/CAPTEST"
[ "$status" = 406 ] && mpns_statuses Dropped - Active && ok "MPNS over the daily cap: 406 Dropped/Active" ||
	fail "MPNS over the daily cap: $status"

# ---- clean stop ----
kill "$emu_pid"
wait "$emu_pid"
rc=$?
emu_pid=
[ $rc -eq 0 ] || fail "the emulator exited with $rc on SIGTERM"

check_done "all HTTP/1.1 provider checks passed"
