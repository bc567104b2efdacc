#!/bin/sh
# End to end, all six SNS push platforms at once (issue 6's "Done when"):
# heraldd with the six bundled drivers against herald-emulator.  One topic
# has a subscriber on each of eight applications: APNS (token
# authentication), APNS_SANDBOX (certificate authentication), GCM with a
# service-account key (FCM HTTP v1) and GCM with a legacy server key, ADM,
# WNS, MPNS (authenticated, client certificate) and BAIDU (an endpoint with
# the ChannelId and UserId attributes SNS requires).
#
#  1. One publish with MessageStructure=json (a default plus every
#     platform's key) and the AWS.SNS.MOBILE.* attributes: the emulator's
#     inspection API shows the exact request each provider received: path,
#     the provider's own headers, body or form fields, the shape of the
#     authentication, and the TTL handed to each provider.
#  2. One publish of default text only: how each driver wraps the text; with
#     no TTL anywhere no provider is sent a TTL field (the push service's
#     default applies, reference/sns-docs/sns-ttl.md).
#  3. herald stats: every application delivered both; the delivery status
#     log (SuccessFeedbackSampleRate=100): one SUCCESS line per endpoint and
#     message, with the fields of SNS's delivery status records.
#  4. A message that waited (a 503 with Retry-After, then the retry): FCM,
#     v1 and legacy, gets what is left of its TTL, as SNS passes it.
#
# Skips (exit 77) only when curl or jq is missing.
set -u

. "$HERALD_SRCDIR/tests/integration/e2e_lib.sh"
emu_need curl jq

e2e_start six
J="$E/emulator.json"
ADM_PORT=$(emu_port adm) WNS_PORT=$(emu_port wns)
BAIDU_PORT=$(emu_port baidu) MPNS_PORT=$(emu_port mpns)
CTL="http://127.0.0.1:$emu_ctl"
STATUS_LOG="$edir/delivery.log"

cli_extra_conf="$(e2e_drivers apns fcm adm wns mpns baidu)
delivery: { status_log = \"$STATUS_LOG\"; min_delay_ms = 500; };"
e2e_daemon_start

cli --output json plugins list
for d in apns fcm adm wns mpns baidu; do
	has "$out" "\"$d\"" "heraldd loaded the $d driver"
done

# reqs PROVIDER TOKEN: the emulator's records for TOKEN, oldest first (a JSON array).
reqs() {
	curl -sS "$CTL/v1/requests?provider=$1&token=$2" | jq -c '.requests'
}
# until_n PROVIDER TOKEN N: wait (10 s at most) until the emulator answered
# 200 to N requests for TOKEN; the last one in $rec.
until_n() {
	i=0
	while :; do
		rec=$(reqs "$1" "$2" | jq -c --argjson n "$3" \
			'[.[] | select(.status == 200)] | if length >= $n then .[$n - 1] else empty end')
		[ -n "$rec" ] && return 0
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}
# h NAME: a header of $rec (names are lower case); b: its body.
h() {
	printf '%s' "$rec" | jq -r --arg n "$1" '.headers[$n] // "(absent)"'
}
b() {
	printf '%s' "$rec" | jq -r '.body'
}
# urldecode TEXT: a form value decoded ('+' is a space, %XX a byte).
urldecode() {
	printf '%s' "$1" | LC_ALL=C awk '
		BEGIN { for (i = 0; i < 256; i++) hex[sprintf("%02X", i)] = i }
		{
			s = $0; out = ""
			gsub(/\+/, " ", s)
			while ((i = index(s, "%")) > 0) {
				out = out substr(s, 1, i - 1) sprintf("%c", hex[toupper(substr(s, i + 1, 2))])
				s = substr(s, i + 3)
			}
			printf "%s", out s
		}'
}
# form NAME: a field of $rec's form body, decoded ("(absent)" if it has none).
form() {
	v=$(b | tr '&' '\n' | grep "^$1=") || { echo "(absent)"; return; }
	urldecode "${v#*=}"
}
# java_urlencode TEXT: Java URLEncoder's encoding (Baidu's signature): A-Z a-z 0-9 - _ .
# kept, space as '+', every other byte %XX (jq's @uri keeps more in some versions).
java_urlencode() {
	printf '%s' "$1" | jq -Rrs '@uri | gsub("%20"; "+") | gsub("!"; "%21") | gsub("[*]"; "%2A")
		| gsub("\u0027"; "%27") | gsub("[(]"; "%28") | gsub("[)]"; "%29") | gsub("~"; "%7E")'
}
# b64url_json PART: one part of a JWT, decoded.
b64url_json() {
	s=$(printf '%s' "$1" | tr '_-' '/+')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | base64 -d
}
# between VALUE LOW HIGH DESC: LOW <= VALUE <= HIGH (integers).
between() {
	case $1 in
	'' | *[!0-9]*) fail "$4 (not a number: '$1')" ;;
	*) if [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; then ok "$4"; else
		fail "$4 ($1 is not in $2..$3)"
	fi ;;
	esac
}
# app VAR PLATFORM NAME ATTR...: VAR = the new application's ARN.
app() {
	var=$1 plat=$2 name=$3
	shift 3
	cli --output text app create --platform "$plat" --name "$name" \
		--attr SuccessFeedbackSampleRate=100 "$@"
	status_is 0 "CreatePlatformApplication $plat ($name)"
	eval "$var=\$out"
}

# ---- eight applications, one endpoint each, one topic ----

bundle=$(jq -r .apns.bundle_id "$J")
app A_APNS APNS six-apns --attr PlatformPrincipal="$(jq -r '.apns.keys[0].key_id' "$J")" \
	--attr PlatformCredential=@"$E/apns-key.p8" \
	--attr ApplePlatformTeamID="$(jq -r '.apns.keys[0].team_id' "$J")" \
	--attr ApplePlatformBundleID="$bundle"
app A_SANDBOX APNS_SANDBOX six-sandbox --attr PlatformPrincipal=@"$E/apns-cert.pem" \
	--attr PlatformCredential=@"$E/apns-cert-key.pem"
app A_FCM GCM six-fcm --attr PlatformCredential=@"$E/fcm-service-account.json"
app A_LEGACY GCM six-legacy --attr PlatformCredential="$(jq -r .fcm.server_key "$J")"
app A_ADM ADM six-adm --attr PlatformPrincipal="$(jq -r .adm.client_id "$J")" \
	--attr PlatformCredential="$(jq -r .adm.client_secret "$J")"
app A_WNS WNS six-wns --attr PlatformPrincipal="$(jq -r .wns.package_sid "$J")" \
	--attr PlatformCredential="$(jq -r .wns.secret "$J")"
app A_MPNS MPNS six-mpns --attr PlatformPrincipal=@"$E/mpns-cert.pem" \
	--attr PlatformCredential=@"$E/mpns-cert-key.pem"
app A_BAIDU BAIDU six-baidu --attr PlatformPrincipal="$(jq -r .baidu.api_key "$J")" \
	--attr PlatformCredential="$(jq -r .baidu.secret_key "$J")"

T_APNS=$(printf '5e%062d' 1)
T_SANDBOX=$(printf '5b%062d' 2)
T_FCM=six-fcm-token
T_LEGACY=six-legacy-token
T_ADM=amzn1.adm-registration.v3.six
T_WNS=six
T_MPNS=six
T_BAIDU=3812345678901234567
endpoint E_APNS "$A_APNS" "$T_APNS"
endpoint E_SANDBOX "$A_SANDBOX" "$T_SANDBOX"
endpoint E_FCM "$A_FCM" "$T_FCM"
endpoint E_LEGACY "$A_LEGACY" "$T_LEGACY"
endpoint E_ADM "$A_ADM" "$T_ADM"
endpoint E_WNS "$A_WNS" "https://127.0.0.1:$WNS_PORT/?token=$T_WNS"
endpoint E_MPNS "$A_MPNS" "https://127.0.0.1:$MPNS_PORT/unthrottledthirdparty/01.00/$T_MPNS"
endpoint E_BAIDU "$A_BAIDU" "$T_BAIDU" --attr ChannelId="$T_BAIDU" --attr UserId=six-user
# SNS's rule for Baidu: ChannelId and UserId attributes, and the token is the ChannelId
cli endpoint create --app-arn "$A_BAIDU" --token 1234 --attr ChannelId=1234
like "$rc $err" '^[1-9].*UserId' "BAIDU: an endpoint without UserId is refused"
cli endpoint create --app-arn "$A_BAIDU" --token 1234 --attr ChannelId=5678 --attr UserId=u
like "$rc $err" '^[1-9].*ChannelId' "BAIDU: a token other than the ChannelId is refused"
cli --output json endpoint get --arn "$E_BAIDU"
is "$(printf '%s' "$out" | jq -c '.Attributes | [.ChannelId, .UserId, .Token]')" \
	"[\"$T_BAIDU\",\"six-user\",\"$T_BAIDU\"]" "BAIDU: the endpoint keeps ChannelId and UserId"
ENDPOINTS="$E_APNS $E_SANDBOX $E_FCM $E_LEGACY $E_ADM $E_WNS $E_MPNS $E_BAIDU"

cli --output text topic create --name six
topic=$out
for e in $ENDPOINTS; do
	cli subscribe --topic-arn "$topic" --protocol application --endpoint "$e"
	status_is 0 "subscribed $e"
done

# ---- 1. one message, each platform's own payload and attributes ----

msg=$(jq -cn \
	--arg apns '{"aps":{"content-available":1},"k":"apns"}' \
	--arg sandbox '{"aps":{"alert":{"title":"six","body":"sandbox"}}}' \
	--arg gcm '{"data":{"k":"gcm"},"notification":{"title":"six","body":"gcm"},"priority":"high","collapse_key":"six"}' \
	--arg adm '{"data":{"k":"adm"},"consolidationKey":"six"}' \
	--arg wns '<tile><visual><binding template="TileSmall"><text>wns</text></binding></visual></tile>' \
	--arg mpns '<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Tile><wp:Count>6</wp:Count><wp:Title>mpns</wp:Title></wp:Tile></wp:Notification>' \
	--arg baidu '{"title":"six","description":"baidu"}' \
	'{default:"six default",APNS:$apns,APNS_SANDBOX:$sandbox,GCM:$gcm,ADM:$adm,WNS:$wns,MPNS:$mpns,BAIDU:$baidu}')
t0=$(date +%s)
cli --output text publish --topic-arn "$topic" --message-structure json --message "$msg" \
	--message-attribute AWS.SNS.MOBILE.APNS.PUSH_TYPE=String:alert \
	--message-attribute AWS.SNS.MOBILE.APNS.PRIORITY=String:5 \
	--message-attribute AWS.SNS.MOBILE.APNS.COLLAPSE_ID=String:six-collapse \
	--message-attribute AWS.SNS.MOBILE.APNS.TTL=String:3600 \
	--message-attribute AWS.SNS.MOBILE.APNS_SANDBOX.TTL=String:0 \
	--message-attribute AWS.SNS.MOBILE.FCM.TTL=String:120 \
	--message-attribute AWS.SNS.MOBILE.ADM.TTL=String:600 \
	--message-attribute AWS.SNS.MOBILE.WNS.TTL=String:300 \
	--message-attribute AWS.SNS.MOBILE.WNS.Type=String:wns/tile \
	--message-attribute AWS.SNS.MOBILE.WNS.Tag=String:sixtag \
	--message-attribute AWS.SNS.MOBILE.WNS.Group=String:sixgroup \
	--message-attribute AWS.SNS.MOBILE.WNS.CachePolicy=String:no-cache \
	--message-attribute AWS.SNS.MOBILE.MPNS.Type=String:token \
	--message-attribute AWS.SNS.MOBILE.MPNS.NotificationClass=String:priority \
	--message-attribute AWS.SNS.MOBILE.BAIDU.MessageType=String:1 \
	--message-attribute AWS.SNS.MOBILE.BAIDU.DeployStatus=String:2 \
	--message-attribute AWS.SNS.MOBILE.BAIDU.TTL=String:900
status_is 0 "published one message to the six-platform topic"
M1=$out
t1=$(date +%s)


# -- APNs, token authentication: the APNS key; the attributes' headers
if until_n apns "$T_APNS" 1; then
	ok "APNS (token): delivered"
	is "$(h :path)" "/3/device/$T_APNS" "APNS: :path /3/device/TOKEN"
	jwt=$(h authorization)
	like "$jwt" '^bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$' \
		"APNS: authorization bearer JWT, raw R||S signature (86 characters)"
	jwt=${jwt#bearer }
	is "$(b64url_json "${jwt%%.*}" | jq -c '{alg, kid}')" \
		"{\"alg\":\"ES256\",\"kid\":\"$(jq -r '.apns.keys[0].key_id' "$J")\"}" \
		"APNS: JWT header ES256 with the signing key id"
	jwt=${jwt#*.}
	is "$(b64url_json "${jwt%%.*}" | jq -r '.iss')" "$(jq -r '.apns.keys[0].team_id' "$J")" \
		"APNS: JWT iss is the team id"
	is "$(h apns-push-type)" alert \
		"APNS: apns-push-type from PUSH_TYPE (not inferred from content-available)"
	is "$(h apns-priority)" 5 "APNS: apns-priority from PRIORITY"
	is "$(h apns-collapse-id)" six-collapse "APNS: apns-collapse-id from COLLAPSE_ID"
	is "$(h apns-topic)" "$bundle" "APNS: apns-topic is ApplePlatformBundleID"
	between "$(h apns-expiration)" $((t0 + 3600)) $((t1 + 3600)) \
		"APNS: apns-expiration is publish time + APNS.TTL (3600 s), Unix seconds"
	is "$(h apns-id)" "$M1" "APNS: apns-id is the SNS MessageId"
	is "$(b)" "$(printf '%s' "$msg" | jq -r .APNS)" "APNS: the body is the APNS key, exactly"
else
	fail "APNS (token): delivered"
fi

# -- APNs, certificate authentication (sandbox): the APNS_SANDBOX key, TTL 0
if until_n apns "$T_SANDBOX" 1; then
	ok "APNS_SANDBOX (certificate): delivered"
	is "$(h authorization)" "(absent)" "APNS_SANDBOX: no authorization header (TLS client cert)"
	is "$(h apns-topic)" "$bundle" "APNS_SANDBOX: apns-topic from the certificate's UID"
	is "$(h apns-expiration)" 0 "APNS_SANDBOX: APNS_SANDBOX.TTL 0 is apns-expiration 0"
	is "$(h apns-push-type)/$(h apns-priority)/$(h apns-collapse-id)" alert/5/six-collapse \
		"APNS_SANDBOX: the APNS.* attributes apply to the sandbox too"
	is "$(b)" "$(printf '%s' "$msg" | jq -r .APNS_SANDBOX)" \
		"APNS_SANDBOX: the body is the APNS_SANDBOX key, not the APNS one"
else
	fail "APNS_SANDBOX (certificate): delivered"
fi

# -- FCM HTTP v1: the legacy-shaped GCM key made into a v1 message
project=$(jq -r .project_id "$E/fcm-service-account.json")
if until_n fcm "$T_FCM" 1; then
	ok "GCM (FCM v1): delivered"
	is "$(h :path)" "/v1/projects/$project/messages:send" "FCM v1: :path names the project"
	like "$(h authorization)" '^Bearer ya29\.' "FCM v1: an OAuth2 access token"
	is "$(h content-type)" application/json "FCM v1: content-type"
	is "$(b | jq -Sc '.message | del(.android.ttl)')" \
		"$(jq -Snc --arg tok "$T_FCM" '{data: {k: "gcm"}, notification: {title: "six", body: "gcm"},
			android: {collapse_key: "six", priority: "HIGH"}, token: $tok}')" \
		"FCM v1: data, notification, android.collapse_key/priority, token"
	ttl=$(b | jq -r '.message.android.ttl')
	like "$ttl" '^[0-9]+s$' "FCM v1: android.ttl is a duration"
	between "${ttl%s}" 110 120 "FCM v1: android.ttl is what is left of FCM.TTL (120 s)"
	rec=$(curl -sS "$CTL/v1/requests?provider=oauth" | jq -c '.requests[0]')
	is "$(form grant_type)" urn:ietf:params:oauth:grant-type:jwt-bearer \
		"FCM v1: token from the JWT-bearer grant"
	jwt=$(form assertion)
	is "$(b64url_json "${jwt%%.*}" | jq -r .alg)" RS256 "FCM v1: the assertion is RS256"
	jwt=${jwt#*.}
	is "$(b64url_json "${jwt%%.*}" | jq -r .iss)" \
		"$(jq -r .client_email "$E/fcm-service-account.json")" \
		"FCM v1: the assertion's iss is the client_email"
else
	fail "GCM (FCM v1): delivered"
fi

# -- FCM legacy (server key): the same GCM key, as it is, with to and time_to_live
if until_n fcm-legacy "$T_LEGACY" 1; then
	ok "GCM (legacy server key): delivered"
	is "$(h :path)" /fcm/send "FCM legacy: POST /fcm/send"
	is "$(h authorization)" "key=$(jq -r .fcm.server_key "$J")" \
		"FCM legacy: authorization key=SERVER_KEY"
	is "$(h content-type)" application/json "FCM legacy: content-type"
	is "$(b | jq -Sc 'del(.time_to_live)')" \
		"$(jq -Snc --arg tok "$T_LEGACY" '{data: {k: "gcm"}, notification: {title: "six", body: "gcm"},
			priority: "high", collapse_key: "six", to: $tok}')" \
		"FCM legacy: the GCM key as it is, to the token"
	between "$(b | jq -r .time_to_live)" 110 120 \
		"FCM legacy: time_to_live is what is left of FCM.TTL (120 s)"
else
	fail "GCM (legacy server key): delivered"
fi

# -- ADM
if until_n adm "$T_ADM" 1; then
	ok "ADM: delivered"
	is "$(h :path)" "/messaging/registrations/$T_ADM/messages" "ADM: path names the registration id"
	like "$(h authorization)" '^Bearer Atc\|' "ADM: Login-with-Amazon bearer token"
	is "$(h x-amzn-type-version)" com.amazon.device.messaging.ADMMessage@1.0 "ADM: X-Amzn-Type-Version"
	is "$(h x-amzn-accept-type)" com.amazon.device.messaging.ADMSendResult@1.0 \
		"ADM: X-Amzn-Accept-Type"
	is "$(h content-type)/$(h accept)" application/json/application/json \
		"ADM: content-type and accept JSON"
	# md5: base64 MD5 of "k:adm" (printf k:adm | openssl md5 -binary | base64)
	is "$(b | jq -Sc 'del(.expiresAfter)')" \
		'{"consolidationKey":"six","data":{"k":"adm"},"md5":"ZEoJN6BgilxCwlXTd/zuSg=="}' \
		"ADM: data, consolidationKey and the md5 of data"
	between "$(b | jq -r .expiresAfter)" 590 600 "ADM: expiresAfter is what is left of ADM.TTL (600 s)"
	rec=$(curl -sS "$CTL/v1/requests?provider=adm-oauth" | jq -c '.requests[0]')
	is "$(form grant_type) $(form scope) $(form client_id)" \
		"client_credentials messaging:push $(jq -r .adm.client_id "$J")" \
		"ADM: client-credentials grant, scope messaging:push, the client id"
else
	fail "ADM: delivered"
fi

# -- WNS: the WNS.* attributes as headers
if until_n wns "$T_WNS" 1; then
	ok "WNS: delivered"
	is "$(h :path)" "/?token=$T_WNS" "WNS: POST to the channel URI"
	like "$(h authorization)" '^Bearer [A-Za-z0-9_-]+$' "WNS: bearer access token"
	is "$(h x-wns-type)" wns/tile "WNS: X-WNS-Type from WNS.Type"
	is "$(h content-type)" text/xml "WNS: content-type text/xml for a tile"
	is "$(h x-wns-tag)/$(h x-wns-group)" sixtag/sixgroup "WNS: X-WNS-Tag and X-WNS-Group"
	is "$(h x-wns-cache-policy)" no-cache "WNS: X-WNS-Cache-Policy from WNS.CachePolicy"
	between "$(h x-wns-ttl)" 290 300 "WNS: X-WNS-TTL is what is left of WNS.TTL (300 s)"
	is "$(b)" "$(printf '%s' "$msg" | jq -r .WNS)" "WNS: the body is the WNS key, exactly"
	rec=$(curl -sS "$CTL/v1/requests?provider=wns-oauth" | jq -c '.requests[0]')
	is "$(form grant_type) $(form scope) $(form client_id)" \
		"client_credentials notify.windows.com $(jq -r .wns.package_sid "$J")" \
		"WNS: client-credentials grant, scope notify.windows.com, the package SID"
else
	fail "WNS: delivered"
fi

# -- MPNS, authenticated channel: MPNS.Type token (tile), NotificationClass priority
if until_n mpns "$T_MPNS" 1; then
	ok "MPNS: delivered"
	is "$(h :scheme) $(h :path)" "https /unthrottledthirdparty/01.00/$T_MPNS" \
		"MPNS: POST to the authenticated (https) channel"
	is "$(h authorization)" "(absent)" "MPNS: no authorization header (TLS client cert)"
	is "$(h x-notificationclass)" 11 "MPNS: X-NotificationClass 11 (tile, within 450 s)"
	is "$(h x-windowsphone-target)" token "MPNS: X-WindowsPhone-Target token"
	is "$(h content-type)" text/xml "MPNS: content-type text/xml"
	is "$(h x-messageid)" "$M1" "MPNS: X-MessageID is the SNS MessageId"
	is "$(b)" "$(printf '%s' "$msg" | jq -r .MPNS)" "MPNS: the body is the MPNS key, exactly"
else
	fail "MPNS: delivered"
fi

# -- Baidu: the form, and its signature computed here independently
baidu_url="http://127.0.0.1:$BAIDU_PORT/rest/3.0/push/single_device"
baidu_secret=$(jq -r .baidu.secret_key "$J")
# baidu_sign: Baidu's sign of $rec's form, recomputed (providers.md 6.3).
baidu_sign() {
	base="POST$baidu_url"
	for k in $(b | tr '&' '\n' | sed 's/=.*//' | grep -vx sign | LC_ALL=C sort); do
		base="$base$k=$(form "$k")"
	done
	java_urlencode "$base$baidu_secret" | tr -d '\n' | md5sum | cut -c1-32
}
if until_n baidu "$T_BAIDU" 1; then
	ok "BAIDU: delivered"
	is "$(h :scheme) $(h :path)" "http /rest/3.0/push/single_device" \
		"BAIDU: POST /rest/3.0/push/single_device"
	is "$(h content-type)" "application/x-www-form-urlencoded;charset=utf-8" "BAIDU: form content type"
	like "$(b)" '^apikey=[^&]*&channel_id=[^&]*&deploy_status=[^&]*&device_type=[^&]*&expires=[^&]*&msg=[^&]*&msg_expires=[^&]*&msg_type=[^&]*&timestamp=[^&]*&sign=[0-9a-f]{32}$' \
		"BAIDU: the fields in byte order of their names, sign last"
	is "$(form apikey)" "$(jq -r .baidu.api_key "$J")" "BAIDU: apikey"
	is "$(form channel_id)/$(form device_type)" "$T_BAIDU/3" "BAIDU: channel_id (the ChannelId), device_type 3"
	is "$(form msg)" "$(printf '%s' "$msg" | jq -r .BAIDU)" "BAIDU: msg is the BAIDU key, exactly"
	is "$(form msg_type)" 1 "BAIDU: msg_type from BAIDU.MessageType"
	is "$(form deploy_status)" 2 "BAIDU: deploy_status from BAIDU.DeployStatus"
	between "$(form msg_expires)" 890 900 "BAIDU: msg_expires is what is left of BAIDU.TTL (900 s)"
	ts=$(form timestamp)
	between "$ts" "$t0" "$((t1 + 30))" "BAIDU: timestamp is the time of sending"
	is "$(form expires)" "$((ts + 600))" "BAIDU: expires is timestamp + 600"
	is "$(form sign)" "$(baidu_sign)" "BAIDU: sign is Baidu's MD5 signature (recomputed here)"
else
	fail "BAIDU: delivered"
fi

# ---- 2. default text only: how each driver wraps it ----

# quotes, an ampersand, markup, a non-ASCII letter and the characters Java's
# URLEncoder treats apart (Baidu's signature)
text='Six & "six" <6> ~*ü'
cli --output text publish --topic-arn "$topic" --message-structure json \
	--message "$(jq -cn --arg t "$text" '{default: $t}')"
status_is 0 "published default text only"
M2=$out
# No TTL attribute and no TTL in the payload: each provider is sent no TTL
# field, so the push service's own default applies (sns-ttl.md: "Push
# notification service default TTL", before SNS's 4 weeks).

if until_n apns "$T_APNS" 2; then
	is "$(b)" "$(jq -cn --arg t "$text" '{aps: {alert: $t}}')" \
		"APNS default: {\"aps\":{\"alert\":TEXT}}"
	is "$(h apns-push-type)" alert "APNS default: push type alert, inferred"
	is "$(h apns-priority)/$(h apns-collapse-id)" "(absent)/(absent)" \
		"APNS default: no priority or collapse id without attributes"
	is "$(h apns-expiration)" "(absent)" \
		"APNS default: no apns-expiration without a TTL (APNs's storage policy)"
	is "$(h apns-id)" "$M2" "APNS default: apns-id is the MessageId"
else
	fail "APNS default: delivered"
fi
if until_n apns "$T_SANDBOX" 2; then
	is "$(b)" "$(jq -cn --arg t "$text" '{aps: {alert: $t}}')" \
		"APNS_SANDBOX default: {\"aps\":{\"alert\":TEXT}}"
else
	fail "APNS_SANDBOX default: delivered"
fi
if until_n fcm "$T_FCM" 2; then
	is "$(b | jq -Sc '.message')" \
		"$(jq -Scn --arg t "$text" --arg tok "$T_FCM" '{data: {default: $t}, token: $tok}')" \
		"FCM v1 default: data.default is the text; no android.ttl without a TTL (FCM's default)"
else
	fail "FCM v1 default: delivered"
fi
if until_n fcm-legacy "$T_LEGACY" 2; then
	is "$(b | jq -Sc .)" \
		"$(jq -Scn --arg t "$text" --arg tok "$T_LEGACY" '{data: {default: $t}, to: $tok}')" \
		"FCM legacy default: data.default is the text; no time_to_live without a TTL (FCM's default)"
else
	fail "FCM legacy default: delivered"
fi
if until_n adm "$T_ADM" 2; then
	# md5: base64 MD5 of "default:" and the text's UTF-8 bytes (openssl md5 -binary | base64)
	is "$(b | jq -Sc .)" \
		"$(jq -Scn --arg t "$text" '{data: {default: $t}, md5: "QSod+QxfqSVU6LQz3eoBGw=="}')" \
		"ADM default: data.default is the text, with its md5; no expiresAfter without a TTL (ADM's default)"
else
	fail "ADM default: delivered"
fi
if until_n wns "$T_WNS" 2; then
	is "$(h x-wns-type) $(h content-type)" "wns/raw application/octet-stream" \
		"WNS default: a raw notification"
	is "$(b)" "$text" "WNS default: the body is the text as it is"
	is "$(h x-wns-tag)/$(h x-wns-group)/$(h x-wns-cache-policy)" "(absent)/(absent)/(absent)" \
		"WNS default: no tag, group or cache policy without attributes"
	is "$(h x-wns-ttl)" "(absent)" "WNS default: no X-WNS-TTL without a TTL (WNS: no expiry)"
else
	fail "WNS default: delivered"
fi
if until_n mpns "$T_MPNS" 2; then
	is "$(h x-notificationclass)" 3 "MPNS default: X-NotificationClass 3 (raw, realtime)"
	is "$(h x-windowsphone-target)" "(absent)" "MPNS default: no X-WindowsPhone-Target for raw"
	is "$(b)" "$text" "MPNS default: the body is the text as it is"
else
	fail "MPNS default: delivered"
fi
if until_n baidu "$T_BAIDU" 2; then
	is "$(form msg)" "$(jq -cn --arg t "$text" '{description: $t}')" \
		"BAIDU default: msg is {\"description\":TEXT}"
	is "$(form msg_type)/$(form deploy_status)" "(absent)/(absent)" \
		"BAIDU default: no msg_type or deploy_status without attributes"
	is "$(form msg_expires)" "(absent)" "BAIDU default: no msg_expires without a TTL (Baidu's default)"
	is "$(form sign)" "$(baidu_sign)" "BAIDU default: sign over the UTF-8 text (recomputed here)"
else
	fail "BAIDU default: delivered"
fi

# ---- 3. herald stats and the delivery status log ----

# the emulator records a request before heraldd reads the answer: wait for all 16 outcomes
i=0
while cli --output json stats && [ "$(printf '%s' "$out" | jq .Totals.Delivered)" -lt 16 ] &&
	[ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
for a in "$A_APNS" "$A_SANDBOX" "$A_FCM" "$A_LEGACY" "$A_ADM" "$A_WNS" "$A_MPNS" "$A_BAIDU"; do
	is "$(printf '%s' "$out" | jq -c --arg a "$a" \
		'.Applications[] | select(.PlatformApplicationArn == $a) | [.Delivered, .Failed, .Retried, .Paused]')" \
		"[2,0,0,false]" "stats: ${a##*:app/} delivered 2, failed 0, retried 0"
done

# lines: the status log's lines, as a JSON array (heraldd flushes it now and then).
lines() {
	jq -cs . "$STATUS_LOG" 2>/dev/null || echo '[]'
}
i=0
while [ "$(lines | jq length)" -lt 16 ] && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
log=$(lines)
is "$(printf '%s' "$log" | jq length)" 16 "status log: 16 lines (8 endpoints, 2 messages)"
for e in $ENDPOINTS; do
	for m in "$M1" "$M2"; do
		is "$(printf '%s' "$log" | jq --arg e "$e" --arg m "$m" \
			'[.[] | select(.delivery.destination == $e and .notification.messageId == $m
			  and .status == "SUCCESS" and .delivery.statusCode == 200
			  and .delivery.attempts == 1)] | length')" 1 \
			"status log: one SUCCESS line for ${e##*:endpoint/} and message ${m%%-*}"
	done
done
is "$(printf '%s' "$log" | jq -c '[.[] | (keys_unsorted, (.notification | keys),
	(.delivery | del(.providerResponse) | keys))] | unique')" \
	'[["attempts","destination","dwellTimeMs","statusCode","token"],["messageId","timestamp"],["status","notification","delivery"]]' \
	"status log: SNS's fields (status, notification, delivery)"
is "$(printf '%s' "$log" | jq '[.[] | select(.notification.timestamp
	| test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}$") | not)] | length')" \
	0 "status log: timestamps as SNS writes them (YYYY-MM-DD hh:mm:ss.mmm)"
is "$(printf '%s' "$log" | jq '[.[] | select(.delivery.dwellTimeMs < 0 or .delivery.dwellTimeMs > 20000)] | length')" \
	0 "status log: dwell times in milliseconds"
unlike "$(cat "$STATUS_LOG")" "$T_APNS" "status log: a token is never written whole"
like "$(printf '%s' "$log" | jq -r --arg e "$E_APNS" '.[] | select(.delivery.destination == $e) | .delivery.token' | head -1)" \
	"^${T_APNS%"${T_APNS#????????}"}…$" "status log: the token's first characters"
like "$(printf '%s' "$log" | jq -r --arg e "$E_FCM" '.[] | select(.delivery.destination == $e) | .delivery.providerResponse' | head -1)" \
	"projects/$project/messages/" "status log: FCM's answer as the providerResponse"

# ---- 4. a message that waited: FCM gets what is left of its TTL ----

# One 503 with Retry-After: 2 s, then the retry (SNS passes the remaining TTL).
printf '%s' '{"rules":[
 {"provider":"fcm","token":"six-wait","status":503,"reason":"UNAVAILABLE","retry_after":2},
 {"provider":"fcm","token":"six-wait-legacy","status":503,"retry_after":2}]}' |
	curl -sS -X PUT --data-binary @- "$CTL/v1/rules" >/dev/null
endpoint W_FCM "$A_FCM" six-wait
endpoint W_LEGACY "$A_LEGACY" six-wait-legacy
for e in "$W_FCM" "$W_LEGACY"; do
	cli publish --target-arn "$e" --message "waited" \
		--message-attribute AWS.SNS.MOBILE.FCM.TTL=String:120
done
# answered_503 PROVIDER TOKEN: the emulator refused TOKEN once.
answered_503() {
	[ "$(reqs "$1" "$2" | jq '[.[] | select(.status == 503)] | length')" -ge 1 ]
}
i=0
until answered_503 fcm six-wait && answered_503 fcm-legacy six-wait-legacy || [ $i -ge 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
curl -sS -X PUT --data-binary '{"rules":[]}' "$CTL/v1/rules" >/dev/null
if until_n fcm six-wait 1; then
	between "$(b | jq -r '.message.android.ttl | rtrimstr("s")')" 100 118 \
		"FCM v1: a message retried 2 s later gets what is left of its TTL"
else
	fail "FCM v1: retried after 503 and delivered"
fi
if until_n fcm-legacy six-wait-legacy 1; then
	between "$(b | jq -r .time_to_live)" 100 118 \
		"FCM legacy: a message retried 2 s later gets what is left of its TTL"
else
	fail "FCM legacy: retried after 503 and delivered"
fi

cli_done
