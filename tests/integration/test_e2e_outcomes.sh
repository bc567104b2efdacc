#!/bin/sh
# End to end, the delivery outcomes that test_e2e_apns.sh does not cover, with
# the real heraldd, its apns and fcm drivers and the real herald-emulator
# (scripted per token by rules, per connection by faults):
#   - a credential error (APNs token auth with a key id the emulator does not
#     know: 403 InvalidProviderToken) pauses the application, its message kept
#     in the store, until SetPlatformApplicationAttributes fixes the key id: then
#     delivered within seconds, not when the 20 s pause would have ended;
#   - APNs 503 is retried (on the short schedule of the delivery group below)
#     and then delivered;
#   - an APNs payload over 4096 bytes fails without being sent or retried;
#   - a dead token (410) fires the application's EventDeliveryFailure and
#     EventEndpointUpdated, published to a topic another endpoint receives;
#   - FCM: UNREGISTERED disables the endpoint; 429 QUOTA_EXCEEDED and 503
#     UNAVAILABLE are retried and then delivered;
#   - GOAWAY every 100 streams while a topic of 2000 subscribers fans out:
#     every token still receives the message.
#
# Skips (exit 77) only when curl or jq is missing.
set -u

. "$HERALD_SRCDIR/tests/integration/e2e_lib.sh"
emu_need curl jq

e2e_start outcomes
ctl=$emu_ctl

# Retries every 300 ms (ten of them); a paused application tries again after
# 20 s (its queue waits in the store meanwhile), longer than the test waits.  The SNS HTTP
# API (unsigned, loopback, port 0) creates the 2000 endpoints of the GOAWAY
# case over one connection.
cli_extra_conf="$(e2e_drivers apns fcm)
delivery: { immediate_retries = 0; min_delay_retries = 10; backoff_retries = 0;
  max_delay_retries = 0; min_delay_ms = 300; max_delay_ms = 300; credential_retry_ms = 20000; };
http: { enabled = true; port = 0; allow_unsigned = true; };"
e2e_daemon_start

# records PROVIDER TOKEN JQ_CONDITION: how many requests for TOKEN satisfy it.
records() {
	curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=$1&token=$2" |
		jq "[.requests[] | select($3)] | length"
}

# until_count PROVIDER TOKEN JQ_CONDITION N: wait (10 s at most) until N requests for
# TOKEN satisfy the condition.
until_count() {
	i=0
	while [ "$(records "$1" "$2" "$3")" -lt "$4" ]; do
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}

# app_stat APP_ARN FIELD: GetStats' FIELD of that application.
app_stat() {
	"$HERALD" --socket "$cli_dir/heraldd.sock" --output json stats |
		jq -r --arg a "$1" ".Applications[] | select(.PlatformApplicationArn == \$a) | .$2"
}

# until_stat APP_ARN FIELD VALUE: wait (10 s at most) until the field has that value.
until_stat() {
	i=0
	while [ "$(app_stat "$1" "$2")" != "$3" ]; do
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}

# until_enabled ENDPOINT_ARN VALUE: wait (10 s at most) for its Enabled attribute.
until_enabled() {
	i=0
	while :; do
		cli --output json endpoint get --arn "$1"
		enabled=$(echo "$out" | jq -r '.Attributes.Enabled // empty')
		[ "$enabled" = "$2" ] && return 0
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}

key_id=$(jq -r '.apns.keys[0].key_id' "$E/emulator.json")
team_id=$(jq -r '.apns.keys[0].team_id' "$E/emulator.json")
bundle=$(jq -r '.apns.bundle_id' "$E/emulator.json")
CRED=$(printf 'c0ed%060d' 1)
BUSY=$(printf '5035%060d' 2)
BIG=$(printf 'b19b%060d' 3)
DEAD=$(printf 'dead%060d' 4)
WATCH=$(printf 'a7c4%060d' 5)
# set_rules EXTRA: the emulator's rules, the dead tokens' always included.
set_rules() {
	printf '%s' '{"rules":[
	 {"provider":"apns","token":"'"$DEAD"'","status":410,"reason":"Unregistered"},
	 {"provider":"fcm","token":"fcm-unregistered","status":404,"reason":"UNREGISTERED"}'"$1"']}' |
		curl -sS -X PUT --data-binary @- "http://127.0.0.1:$ctl/v1/rules" >/dev/null
}
set_rules ',
 {"provider":"apns","token":"'"$BUSY"'","status":503,"reason":"ServiceUnavailable"},
 {"provider":"fcm","token":"fcm-quota","status":429,"reason":"QUOTA_EXCEEDED"},
 {"provider":"fcm","token":"fcm-unavailable","status":503,"reason":"UNAVAILABLE"}'

# --- a credential error pauses the application until it is fixed -------------------------
cli --output text app create --platform APNS --name e2e-badkey \
	--attr PlatformPrincipal=ZZZZZZZZZZ --attr PlatformCredential=@"$E/apns-key.p8" \
	--attr ApplePlatformTeamID="$team_id" --attr ApplePlatformBundleID="$bundle"
status_is 0 "APNs application created with a key id the provider does not know"
badapp=$out
cli --output text endpoint create --app-arn "$badapp" --token "$CRED"
cli publish --target-arn "$out" --message 'kept while paused'
if until_record apns "$CRED" '.status == 403 and .reason == "InvalidProviderToken"'; then
	ok "the provider answers 403 InvalidProviderToken"
else
	fail "the provider answers 403 InvalidProviderToken"
fi
check "herald stats shows the application paused" until_stat "$badapp" Paused true
check "its message is kept in the store" until_stat "$badapp" QueuedInStore 1
is "$(records apns "$CRED" '.status == 200')" 0 "nothing delivered while paused"
fixed_ms=$(($(date +%s%N) / 1000000))
cli app set --arn "$badapp" --attr PlatformPrincipal="$key_id"
status_is 0 "SetPlatformApplicationAttributes with the right key id"
if until_record apns "$CRED" '.status == 200 and (.body | contains("kept while paused"))'; then
	waited=$(($(date +%s%N) / 1000000 - fixed_ms))
	echo "# the kept message was delivered $waited ms after the key was fixed"
	if [ "$waited" -le 5000 ]; then
		ok "the kept message is delivered within 5 s of the fix (not after the 20 s pause)"
	else
		fail "the kept message is delivered within 5 s of the fix (took $waited ms)"
	fi
else
	fail "the kept message is delivered once the key is fixed"
fi
check "herald stats shows it no longer paused" until_stat "$badapp" Paused false

# --- APNs: 503 retried, then delivered; an oversize payload fails without retry -------------
cli --output text app create --platform APNS --name e2e-apns \
	--attr PlatformPrincipal="$key_id" --attr PlatformCredential=@"$E/apns-key.p8" \
	--attr ApplePlatformTeamID="$team_id" --attr ApplePlatformBundleID="$bundle"
app=$out
cli --output text endpoint create --app-arn "$app" --token "$BUSY"
cli publish --target-arn "$out" --message 'busy then fine'
check "503 ServiceUnavailable is retried" until_count apns "$BUSY" '.status == 503' 2
set_rules ',
 {"provider":"fcm","token":"fcm-quota","status":429,"reason":"QUOTA_EXCEEDED"},
 {"provider":"fcm","token":"fcm-unavailable","status":503,"reason":"UNAVAILABLE"}'
if until_record apns "$BUSY" '.status == 200'; then ok "then delivered"; else
	fail "then delivered"
fi

failed0=$(app_stat "$app" Failed)
retried0=$(app_stat "$app" Retried)
cli --output text endpoint create --app-arn "$app" --token "$BIG"
big=$(head -c 4100 /dev/zero | tr '\0' x)
cli publish --target-arn "$out" --message-structure json \
	--message '{"default":"x","APNS":"{\"aps\":{\"alert\":\"'"$big"'\"}}"}'
status_is 0 "a 4100-byte APNs payload is accepted by Publish (SNS's limit is 256 KiB)"
check "it fails at delivery" until_stat "$app" Failed $((failed0 + 1))
sleep 0.7 # two retry periods: a retry would show now
is "$(records apns "$BIG" 'true')" 0 "the provider never receives it"
is "$(app_stat "$app" Retried)" "$retried0" "it is not retried"
is "$(app_stat "$app" Failed)" $((failed0 + 1)) "it fails once"

# --- a dead token fires the application's events ------------------------------------------
cli --output text topic create --name e2e-app-events
evtopic=$out
cli --output text endpoint create --app-arn "$app" --token "$WATCH"
cli subscribe --topic-arn "$evtopic" --protocol application --endpoint "$out"
cli app set --arn "$app" --attr EventDeliveryFailure="$evtopic" \
	--attr EventEndpointUpdated="$evtopic"
status_is 0 "the application's EventDeliveryFailure and EventEndpointUpdated name a topic"
cli --output text endpoint create --app-arn "$app" --token "$DEAD"
dead_ep=$out
cli publish --target-arn "$dead_ep" --message 'to a dead token'
check "410 Unregistered disables the endpoint" until_enabled "$dead_ep" false
# The watcher gets each event as an APNs alert whose text is the event's JSON.
event_is() {
	printf '%s' '(try (.body | fromjson | .aps.alert | fromjson) catch {}) as $e | $e.EventType == "'"$1"'" and
	 $e.EndpointArn == "'"$dead_ep"'" and $e.Resource == "'"$app"'"'
}
if until_record apns "$WATCH" "$(event_is DeliveryFailure)"; then
	ok "EventDeliveryFailure reaches the events topic's subscriber"
	ev=$(printf "%s\n" "$rec" | jq -c '.body | fromjson | .aps.alert | fromjson')
	is "$(printf "%s\n" "$ev" | jq -r .FailureType)" InvalidPlatformToken "its FailureType"
	like "$(printf "%s\n" "$ev" | jq -r .MessageId)" '^[0-9a-f-]{36}$' "its MessageId"
else
	fail "EventDeliveryFailure reaches the events topic's subscriber"
fi
if until_record apns "$WATCH" "$(event_is EndpointUpdated)"; then
	ok "EventEndpointUpdated reaches the events topic's subscriber"
	is "$(printf "%s\n" "$rec" | jq -r '.body | fromjson | .aps.alert | fromjson | .Enabled')" false \
		"it shows the endpoint disabled"
else
	fail "EventEndpointUpdated reaches the events topic's subscriber"
fi

# --- FCM: UNREGISTERED disables; 429 QUOTA_EXCEEDED and 503 UNAVAILABLE retried -------------
cli --output text app create --platform GCM --name e2e-fcm \
	--attr PlatformCredential=@"$E/fcm-service-account.json"
fapp=$out
for t in fcm-unregistered fcm-quota fcm-unavailable; do
	cli --output text endpoint create --app-arn "$fapp" --token $t
	eval "ep_$(echo $t | tr - _)=\$out"
	cli publish --target-arn "$out" --message "to $t"
done
check "FCM UNREGISTERED disables the endpoint" until_enabled "$ep_fcm_unregistered" false
check "FCM 429 QUOTA_EXCEEDED is retried" until_count fcm fcm-quota '.status == 429' 2
check "FCM 503 UNAVAILABLE is retried" until_count fcm fcm-unavailable '.status == 503' 2
set_rules ''
if until_record fcm fcm-quota '.status == 200'; then ok "then 429's message is delivered"; else
	fail "then 429's message is delivered"
fi
if until_record fcm fcm-unavailable '.status == 200'; then ok "then 503's message is delivered"
else
	fail "then 503's message is delivered"
fi

# --- GOAWAY every 100 streams while a topic of 2000 fans out: nothing lost ------------------
port=$(sed -n 's/.*SNS API listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$cli_dir/heraldd.log")
# sns ACTION FILE_OF_PARAMETER_LINES: one request per line, over one connection;
# the XML answers on standard output.  (ARNs need no escaping in a form body.)
sns() {
	sep=
	while read -r params; do
		printf '%surl = "http://127.0.0.1:%s/"\ndata = "Version=2010-03-31&Action=%s&%s"\n' "$sep" "$port" "$1" \
			"$params"
		sep='next
'
	done <"$2" >"$edir/curl.conf"
	curl -sS -K "$edir/curl.conf"
}
cli --output text topic create --name e2e-goaway
gtopic=$out
i=0
while [ $i -lt 2000 ]; do
	printf 'PlatformApplicationArn=%s&Token=%s\n' "$app" "$(printf 'f00d%060d' $i)"
	i=$((i + 1))
done >"$edir/endpoints"
sns CreatePlatformEndpoint "$edir/endpoints" | grep -o '<EndpointArn>[^<]*' |
	sed 's/<EndpointArn>//' >"$edir/arns"
is "$(wc -l <"$edir/arns" | tr -d ' ')" 2000 "2000 endpoints created"
while read -r arn; do
	printf 'TopicArn=%s&Protocol=application&Endpoint=%s\n' "$gtopic" "$arn"
done <"$edir/arns" >"$edir/subs"
is "$(sns Subscribe "$edir/subs" | grep -o '<SubscriptionArn>' | wc -l | tr -d ' ')" 2000 "2000 subscriptions"
curl -sS -X PUT --data-binary '{"apns":{"goaway_every":100}}' \
	"http://127.0.0.1:$ctl/v1/faults" >/dev/null
curl -sS -X POST "http://127.0.0.1:$ctl/v1/reset" >/dev/null
cli publish --topic-arn "$gtopic" --message 'through the GOAWAYs'
i=0
while :; do
	got=$(curl -sS "http://127.0.0.1:$ctl/v1/requests?provider=apns&limit=10000" |
		jq '[.requests[] | select(.status == 200) | .token] | unique | length')
	[ "$got" -ge 2000 ] && break
	i=$((i + 1))
	[ $i -ge 100 ] && break
	sleep 0.1
done
is "$got" 2000 "every one of the 2000 tokens received the message across the GOAWAYs"
goaways=$(grep -c 'sent GOAWAY (NO_ERROR' "$cli_dir/heraldd.log")
like "$goaways" '^([2-9][0-9]|1[0-9])$' "heraldd saw the emulator's GOAWAYs (every 100 streams: $goaways)"
curl -sS -X PUT --data-binary '{}' "http://127.0.0.1:$ctl/v1/faults" >/dev/null

cli_done
