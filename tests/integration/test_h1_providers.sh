#!/bin/sh
# End to end through heraldd and herald-emulator for ADM, WNS, MPNS and Baidu
# (issue 6): applications and endpoints made with the CLI, direct publishes
# and one publish to a topic mixing the four, the exact requests checked in
# the emulator's inspection API, and every outcome path: dead token,
# canonical token, throttling, token refresh, credential error, rejected
# payload.  The real drivers (plugins/NAME/.libs) talk to the emulator on
# ephemeral ports; everything lives in a temporary directory and stops with
# the test.  Skips (exit 77) only when jq is missing.
set -u

: "${HERALD_BUILDDIR:?HERALD_BUILDDIR must name the build directory (make check sets it)}"
. "${HERALD_SRCDIR:-$HERALD_BUILDDIR}/tests/integration/e2e_lib.sh"
emu_need jq curl

EMU="$HERALD_BUILDDIR/herald-emulator"
e2e_start h1
ADM_PORT=$(emu_port adm) WNS_PORT=$(emu_port wns)
BAIDU_PORT=$(emu_port baidu) MPNS_PORT=$(emu_port mpns)
CONTROL=http://127.0.0.1:$emu_ctl
J="$E/emulator.json"

cli_extra_conf=$(e2e_drivers adm wns mpns baidu)
e2e_daemon_start

# requests PROVIDER [TOKEN]: the emulator's records, as a JSON array.
requests() {
	if [ $# -gt 1 ]; then
		"$EMU" requests -d "$E" --provider "$1" --token "$2" | jq -c '.requests'
	else
		"$EMU" requests -d "$E" --provider "$1" | jq -c '.requests'
	fi
}
# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	n=$(($1 * 20))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		n=$((n - 1))
		sleep 0.05
	done
	return 1
}
# seen PROVIDER TOKEN STATUS: the emulator answered STATUS to a request for TOKEN.
seen() {
	[ "$(requests "$1" "$2" | jq "[.[] | select(.status == $3)] | length")" -gt 0 ]
}
# attr ENDPOINT_ARN NAME: one endpoint attribute.
attr() {
	"$HERALD" --socket "$cli_dir/heraldd.sock" endpoint get --arn "$1" | jq -r ".Attributes.$2"
}
attr_is() {
	[ "$(attr "$1" "$2")" = "$3" ]
}
# stat APP_ARN FIELD: one of the application's delivery counters (herald stats).
stat() {
	"$HERALD" --socket "$cli_dir/heraldd.sock" --output json stats |
		jq -r --arg a "$1" ".Applications[] | select(.PlatformApplicationArn == \$a) | .$2"
}
retried() {
	[ "$(stat "$1" Retried)" -ge 1 ]
}
# app VAR PLATFORM NAME PRINCIPAL CREDENTIAL: VAR = the new application's ARN.
app() {
	cli --output text app create --platform "$2" --name "$3" --attr "PlatformPrincipal=$4" \
		--attr "PlatformCredential=$5"
	status_is 0 "CreatePlatformApplication $2 ($3)"
	eval "$1=\$out"
}

# ---- applications, endpoints, scripted outcomes ----

app ADM ADM emu-adm "$(jq -r .adm.client_id "$J")" "$(jq -r .adm.client_secret "$J")"
app WNS WNS emu-wns "$(jq -r .wns.package_sid "$J")" "$(jq -r .wns.secret "$J")"
app BAIDU BAIDU emu-baidu "$(jq -r .baidu.api_key "$J")" "$(jq -r .baidu.secret_key "$J")"
app MPNS MPNS emu-mpns "@$E/mpns-cert.pem" "@$E/mpns-cert-key.pem"

reg=amzn1.adm-registration.v3
wns_ch="https://127.0.0.1:$WNS_PORT/?token="
mpns_ch="https://127.0.0.1:$MPNS_PORT/unthrottledthirdparty/01.00/"
curl -s -X PUT "$CONTROL/v1/rules" --data-binary @- >/dev/null <<EOF
[
 {"provider":"adm","token":"$reg.dead","status":400,"reason":"Unregistered"},
 {"provider":"adm","token":"$reg.canon","canonical":"$reg.newid"},
 {"provider":"adm","token":"$reg.slow","status":429,"retry_after":30},
 {"provider":"wns","token":"gone","status":410},
 {"provider":"wns","token":"busy","status":406,"retry_after":30},
 {"provider":"baidu","token":"111","status":400,"reason":"30608"},
 {"provider":"baidu","token":"222","status":503,"retry_after":30},
 {"provider":"mpns","token":"dead","status":404},
 {"provider":"mpns","token":"full","reason":"QueueFull"}
]
EOF

endpoint E_ADM "$ADM" "$reg.dev1"
endpoint E_WNS "$WNS" "${wns_ch}dev1"
endpoint E_BAIDU "$BAIDU" 3812345678901234567 --attr ChannelId=3812345678901234567 \
	--attr UserId=alice
endpoint E_MPNS "$MPNS" "${mpns_ch}dev1"

# ---- direct publishes: each provider's exact request ----

for e in "$E_ADM" "$E_WNS" "$E_BAIDU" "$E_MPNS"; do
	cli publish --target-arn "$e" --message "Hello"
	status_is 0 "Publish to $e"
done
check "ADM delivered" wait_for 10 seen adm "$reg.dev1" 200
check "WNS delivered" wait_for 10 seen wns dev1 200
check "Baidu delivered (the emulator recomputed the signature)" \
	wait_for 10 seen baidu 3812345678901234567 200
check "MPNS delivered on the authenticated channel (client certificate)" \
	wait_for 10 seen mpns dev1 200
r=$(requests adm "$reg.dev1" | jq -c '.[0]')
is "$(printf '%s' "$r" | jq -r '.headers["x-amzn-type-version"]')" \
	com.amazon.device.messaging.ADMMessage@1.0 "ADM X-Amzn-Type-Version"
is "$(printf '%s' "$r" | jq -r '.headers["x-amzn-accept-type"]')" \
	com.amazon.device.messaging.ADMSendResult@1.0 "ADM X-Amzn-Accept-Type"
like "$(printf '%s' "$r" | jq -r '.headers.authorization')" '^Bearer Atc\|' "ADM bearer token"
is "$(printf '%s' "$r" | jq -r '.body | fromjson | .data.default')" Hello "ADM data of the default"
like "$(printf '%s' "$r" | jq -r '.body | fromjson | .md5')" '^[A-Za-z0-9+/]{22}==$' "ADM md5"
is "$(requests adm-oauth | jq -r '.[0].body' | tr '&' '\n' | grep '^scope=')" \
	"scope=messaging%3Apush" "ADM token request scope"
r=$(requests wns dev1 | jq -c '.[0]')
is "$(printf '%s' "$r" | jq -r '.headers["x-wns-type"]')" wns/raw "WNS text is raw"
is "$(printf '%s' "$r" | jq -r '.headers["content-type"]')" application/octet-stream \
	"WNS raw content type"
r=$(requests baidu 3812345678901234567 | jq -r '.[0].body')
has "$r" "device_type=3" "Baidu device_type"
like "$r" "&sign=[0-9a-f]{32}$" "Baidu sign last"

# ---- a topic mixing the four platforms ----

cli --output text topic create --name mixed
T=$out
for e in "$E_ADM" "$E_WNS" "$E_BAIDU" "$E_MPNS"; do
	cli subscribe --topic-arn "$T" --endpoint "$e"
done
cli publish --topic-arn "$T" --message-structure json --message-attribute \
	AWS.SNS.MOBILE.BAIDU.MessageType=String:1 --message \
	'{"default":"news","ADM":"{\"data\":{\"headline\":\"adm\"}}","WNS":"<toast><visual><binding template=\"ToastGeneric\"><text>wns</text></binding></visual></toast>","BAIDU":"{\"title\":\"t\",\"description\":\"baidu\"}","MPNS":"<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Toast><wp:Text1>mpns</wp:Text1></wp:Toast></wp:Notification>"}'
status_is 0 "Publish to the mixed topic"
two() {
	[ "$(requests "$1" "$2" | jq "[.[] | select(.status == 200)] | length")" -ge 2 ]
}
check "topic: ADM got its message" wait_for 10 two adm "$reg.dev1"
check "topic: WNS got its message" wait_for 10 two wns dev1
check "topic: Baidu got its message" wait_for 10 two baidu 3812345678901234567
check "topic: MPNS got its message" wait_for 10 two mpns dev1
is "$(requests adm "$reg.dev1" | jq -r '.[1].body | fromjson | .data.headline')" adm \
	"topic: ADM data from the ADM key"
is "$(requests wns dev1 | jq -r '.[1].headers["x-wns-type"]')" wns/toast "topic: WNS toast"
has "$(requests baidu 3812345678901234567 | jq -r '.[1].body')" "msg_type=1" \
	"topic: Baidu notification (MessageType 1)"
r=$(requests mpns dev1 | jq -c '.[1].headers')
is "$(printf '%s' "$r" | jq -r '.["x-notificationclass"]')" 2 "topic: MPNS toast class"
is "$(printf '%s' "$r" | jq -r '.["x-windowsphone-target"]')" toast "topic: MPNS toast target"

# ---- outcome paths ----

endpoint D_ADM "$ADM" "$reg.dead"
endpoint C_ADM "$ADM" "$reg.canon"
endpoint S_ADM "$ADM" "$reg.slow"
endpoint D_WNS "$WNS" "${wns_ch}gone"
endpoint S_WNS "$WNS" "${wns_ch}busy"
endpoint D_BAIDU "$BAIDU" 111 --attr ChannelId=111 --attr UserId=bob
endpoint S_BAIDU "$BAIDU" 222 --attr ChannelId=222 --attr UserId=carol
endpoint D_MPNS "$MPNS" "${mpns_ch}dead"
endpoint S_MPNS "$MPNS" "${mpns_ch}full"
for e in "$D_ADM" "$C_ADM" "$S_ADM" "$D_WNS" "$S_WNS" "$D_BAIDU" "$S_BAIDU" "$D_MPNS" "$S_MPNS"; do
	cli publish --target-arn "$e" --message "outcome"
done
check "ADM Unregistered disables the endpoint" wait_for 10 attr_is "$D_ADM" Enabled false
check "WNS 410 disables the endpoint" wait_for 10 attr_is "$D_WNS" Enabled false
check "Baidu 30608 disables the endpoint" wait_for 10 attr_is "$D_BAIDU" Enabled false
check "MPNS 404 Expired disables the endpoint" wait_for 10 attr_is "$D_MPNS" Enabled false
check "ADM canonical registrationID replaces the token" \
	wait_for 10 attr_is "$C_ADM" Token "$reg.newid"
check "ADM 429: throttled" wait_for 10 seen adm "$reg.slow" 429
check "WNS 406: throttled" wait_for 10 seen wns busy 406
check "Baidu 503: throttled" wait_for 10 seen baidu 222 503
check "MPNS QueueFull: throttled" wait_for 10 seen mpns full 200
for e in "$S_ADM" "$S_WNS" "$S_BAIDU" "$S_MPNS"; do
	is "$(attr "$e" Enabled)" true "throttling keeps $e enabled"
done
for a in "$ADM" "$WNS" "$BAIDU" "$MPNS"; do
	check "throttling is a retry for $a" wait_for 10 retried "$a"
done

# Revoked access tokens: 401, one refresh, delivered.
curl -s -X POST "$CONTROL/v1/adm/revoke" >/dev/null
curl -s -X POST "$CONTROL/v1/wns/revoke" >/dev/null
"$EMU" reset -d "$E" >/dev/null
cli publish --target-arn "$E_ADM" --message "after revoke"
cli publish --target-arn "$E_WNS" --message "after revoke"
check "ADM: 401 then a fresh token delivers" wait_for 10 seen adm "$reg.dev1" 200
is "$(requests adm "$reg.dev1" | jq -c '[.[].status]')" "[401,200]" "ADM: exactly one resend"
check "WNS: 401 then a fresh token delivers" wait_for 10 seen wns dev1 200
is "$(requests wns dev1 | jq -c '[.[].status]')" "[401,200]" "WNS: exactly one resend"

# A wrong client secret: the token endpoint refuses, the application pauses.
app BAD ADM bad-adm nobody wrong-secret
endpoint E_BAD "$BAD" "$reg.x"
cli publish --target-arn "$E_BAD" --message "bad credentials"
paused() {
	grep -q "\[adm/bad-adm\] send .*credential_error" "$cli_dir/heraldd.log" &&
		grep -q "\[bad-adm\] credential error" "$cli_dir/heraldd.log"
}
check "credential error pauses the application" wait_for 10 paused
is "$(stat "$BAD" Paused)" true "stats: bad-adm paused"
unlike "$(cat "$cli_dir/heraldd.log")" wrong-secret "the client secret is never logged"
is "$(requests adm "$reg.x" | jq length)" 0 "nothing sent without a token"

# A payload ADM cannot carry: rejected, not retried, endpoint kept.
cli publish --target-arn "$E_ADM" --message-structure json \
	--message '{"default":"d","ADM":"{\"data\":{\"n\":1}}"}'
rejected() {
	grep -q "\[adm/emu-adm\] send .*payload_rejected" "$cli_dir/heraldd.log"
}
check "ADM non-string data is rejected" wait_for 10 rejected
is "$(attr "$E_ADM" Enabled)" true "a rejected payload keeps the endpoint"

cli_done
