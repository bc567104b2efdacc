#!/bin/sh
# End to end: the real heraldd with the bundled apns and fcm drivers, against
# the real herald-emulator.  Applications are created with the CLI from the
# emulator's credentials, endpoints registered, messages published directly
# and through a topic; the emulator's inspection API shows the exact headers
# and body that arrived.  Outcome paths: a dead token (410) disables its
# endpoint; a 429 is retried after Retry-After and then delivered.
#
# Needs the delivery engine and the 1.1 host services in heraldd.
# Skips (exit 77) only when curl or jq is missing.
set -u

. "$HERALD_SRCDIR/tests/integration/e2e_lib.sh"
emu_need curl jq

e2e_start e2e
ctl=$emu_ctl

cli_extra_conf=$(e2e_drivers apns fcm)
e2e_daemon_start
cli --output json plugins list
has "$out" '"apns"' "heraldd loaded the apns driver"
has "$out" '"fcm"' "heraldd loaded the fcm driver"

key_id=$(jq -r '.apns.keys[0].key_id' "$E/emulator.json")
team_id=$(jq -r '.apns.keys[0].team_id' "$E/emulator.json")
bundle=$(jq -r '.apns.bundle_id' "$E/emulator.json")
T=$(printf 'a1b2c3d4e5f6%052d' 7)
DEAD=$(printf 'dead0000%056d' 1)
OLD=$(printf '01d00000%056d' 3)
BUSY=$(printf 'b0b0%060d' 2)
printf '%s' '{"rules":[
 {"provider":"apns","token":"'"$DEAD"'","status":410,"reason":"Unregistered"},
 {"provider":"apns","token":"'"$OLD"'","status":410,"reason":"Unregistered","timestamp":1700000000123},
 {"provider":"apns","token":"'"$BUSY"'","status":429,"reason":"TooManyRequests","retry_after":1}]}' |
	curl -sS -X PUT --data-binary @- "http://127.0.0.1:$ctl/v1/rules" >/dev/null

# --- APNs, token authentication ------------------------------------------------------------
cli --output text app create --platform APNS --name e2e-apns \
	--attr PlatformPrincipal="$key_id" --attr PlatformCredential=@"$E/apns-key.p8" \
	--attr ApplePlatformTeamID="$team_id" --attr ApplePlatformBundleID="$bundle"
status_is 0 "APNs application created from the emulator's token key"
app=$out
cli --output text endpoint create --app-arn "$app" --token "$T"
status_is 0 "endpoint created"
ep=$out
cli publish --target-arn "$ep" --message-structure json \
	--message '{"default":"hi","APNS":"{\"aps\":{\"alert\":\"e2e direct\"}}"}' \
	--message-attribute AWS.SNS.MOBILE.APNS.COLLAPSE_ID=String:scores
status_is 0 "published to the endpoint"
if until_record apns "$T" '.status == 200 and (.body | contains("e2e direct"))'; then
	ok "delivered to the emulator"
	is "$(echo "$rec" | jq -r '.headers["apns-push-type"]')" alert "apns-push-type alert"
	is "$(echo "$rec" | jq -r '.headers["apns-topic"]')" "$bundle" "apns-topic is the bundle id"
	is "$(echo "$rec" | jq -r '.headers["apns-collapse-id"]')" scores "apns-collapse-id"
	is "$(echo "$rec" | jq -r '.body')" '{"aps":{"alert":"e2e direct"}}' "the body, exactly"
	like "$(echo "$rec" | jq -r '.headers.authorization')" '^bearer [A-Za-z0-9_-]+\.' \
		"a provider token"
else
	fail "delivered to the emulator"
fi

cli --output text topic create --name e2e-news
topic=$out
cli subscribe --topic-arn "$topic" --protocol application --endpoint "$ep"
cli publish --topic-arn "$topic" --message '{"default":"through the topic"}' \
	--message-structure json
if until_record apns "$T" '.status == 200 and (.body | contains("through the topic"))'; then
	ok "delivered through a topic"
	is "$(echo "$rec" | jq -r '.body')" '{"aps":{"alert":"through the topic"}}' \
		"a text message becomes an alert"
else
	fail "delivered through a topic"
fi

# a dead token: 410 disables the endpoint
cli --output text endpoint create --app-arn "$app" --token "$DEAD"
dead_ep=$out
cli publish --target-arn "$dead_ep" --message hello
i=0
while :; do
	cli --output json endpoint get --arn "$dead_ep"
	enabled=$(echo "$out" | jq -r '.Attributes.Enabled // empty')
	[ "$enabled" = false ] && break
	i=$((i + 1))
	[ $i -ge 200 ] && break
	sleep 0.05
done
is "$enabled" false "410 Unregistered disables the endpoint"

# a 410 whose timestamp (2023) is older than the token's registration leaves it enabled
cli --output text endpoint create --app-arn "$app" --token "$OLD"
old_ep=$out
cli publish --target-arn "$old_ep" --message hello
if until_record apns "$OLD" '.status == 410'; then
	sleep 1 # let the broker act on the answer
	cli --output json endpoint get --arn "$old_ep"
	is "$(echo "$out" | jq -r '.Attributes.Enabled')" true \
		"a 410 older than the token's registration does not disable it"
else
	fail "410 with an old timestamp answered"
fi

# 429 then delivered: the rule is lifted after the first refusal
cli --output text endpoint create --app-arn "$app" --token "$BUSY"
busy_ep=$out
cli publish --target-arn "$busy_ep" --message 'busy then fine'
if until_record apns "$BUSY" '.status == 429'; then
	ok "429 TooManyRequests answered"
	curl -sS -X PUT --data-binary '{"rules":[]}' "http://127.0.0.1:$ctl/v1/rules" >/dev/null
	if until_record apns "$BUSY" '.status == 200'; then ok "retried and delivered"; else
		fail "retried and delivered"
	fi
else
	fail "429 TooManyRequests answered"
fi

# --- FCM HTTP v1 -----------------------------------------------------------------------------
cli --output text app create --platform GCM --name e2e-fcm \
	--attr PlatformCredential=@"$E/fcm-service-account.json"
status_is 0 "FCM application created from the emulator's service account"
fapp=$out
cli --output text endpoint create --app-arn "$fapp" --token fcm-e2e-token
fep=$out
cli publish --target-arn "$fep" --message-structure json \
	--message '{"default":"x","GCM":"{\"fcmV1Message\":{\"message\":{\"data\":{\"k\":\"v\"}}}}"}'
if until_record fcm fcm-e2e-token '.status == 200'; then
	ok "delivered to the FCM emulator"
	is "$(echo "$rec" | jq -c '.body | fromjson | .message.data')" '{"k":"v"}' "the data"
	is "$(echo "$rec" | jq -r '.body | fromjson | .message.token')" fcm-e2e-token "the token"
else
	fail "delivered to the FCM emulator"
fi

cli_done
