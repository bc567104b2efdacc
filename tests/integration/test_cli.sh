#!/bin/sh
# Integration test of the herald CLI against the real heraldd: a mobile-push
# session as a user would type it, output formats, exit statuses and
# messages, @file, pagination, and what happens without a daemon.
# TAP output; exits non-zero if any check fails.

# shellcheck source-path=SCRIPTDIR source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

cli_daemon_start
arn_prefix='arn:aws:sns:us-east-1:000000000000'
uuid='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

# ---- platform application with a credential from a file ----

key="$cli_dir/AuthKey_ABCDE12345.p8"
if ! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null; then
	printf '%s\n' '-----BEGIN PRIVATE KEY-----' \
		'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtestkeytestkeytestkey' \
		'-----END PRIVATE KEY-----' >"$key"
fi
# A line of the key's body: it must never come back.
key_body=$(sed -n 2p "$key")

cli --output text app create --name shop --platform APNS \
	--attr PlatformCredential=@"$key" --attr PlatformPrincipal=ABCDE12345 \
	--attr ApplePlatformTeamID=TEAM123456 --attr ApplePlatformBundleID=com.example.shop
status_is 0 "app create with PlatformCredential=@file"
is "$out" "$arn_prefix:app/APNS/shop" "app create prints the application's ARN"
app=$out

cli app get --arn "$app"
status_is 0 "app get"
like "$out" '"AuthenticationMethod": "Token"' "app get shows the attributes as JSON"
unlike "$out" "$key_body" "app get never shows the credential"
unlike "$out" "ABCDE12345" "app get never shows the principal"
unlike "$out" "PlatformCredential" "app get has no PlatformCredential attribute"
cli --output table app get --arn "$app"
like "$out" '^ApplePlatformBundleID +com\.example\.shop$' "app get --output table: KEY VALUE rows"
unlike "$out" "$key_body" "app get --output table never shows the credential"
cli --output text app list
like "$out" "^PLATFORMAPPLICATIONS	$app\$" "app list --output text"
unlike "$out" "$key_body" "app list never shows the credential"

cli app create --name bad --platform APNS --attr PlatformCredential=@"$cli_dir/no-such.p8" \
	--attr PlatformPrincipal=X
status_is 2 "@file that does not exist: usage error"
like "$err" "no-such\\.p8" "  and the message names the file"

# ---- endpoints ----

cli --output text endpoint create --app-arn "$app" --token 0a1b2c3d4e5f --custom-user-data alice
status_is 0 "endpoint create"
like "$out" "^$arn_prefix:endpoint/APNS/shop/$uuid\$" "endpoint create prints the EndpointArn"
endpoint=$out
cli --output text endpoint create --app-arn "$app" --token 0a1b2c3d4e5f --custom-user-data alice
is "$out" "$endpoint" "endpoint create with the same token and data is idempotent"
cli endpoint create --app-arn "$app" --token 0a1b2c3d4e5f --custom-user-data bob
status_is 1 "same token, different data: API error"
like "$err" "^herald: InvalidParameter: Invalid parameter: Token Reason: Endpoint $endpoint already exists with the same Token, but different attributes\\.\$" \
	"  with SNS's code and message on stderr"

cli endpoint get --arn "$endpoint"
like "$out" '"Token": "0a1b2c3d4e5f"' "endpoint get shows the token"
like "$out" '"CustomUserData": "alice"' "endpoint get shows CustomUserData"
cli --output table endpoint list --app-arn "$app"
like "$out" '^EndpointArn +(Enabled|Token|CustomUserData)' "endpoint list --output table: header"
like "$out" "^$endpoint +" "endpoint list --output table: one row per endpoint"

# ---- topics and subscriptions ----

cli --output text topic create --name news --attr DisplayName=News --tag team=mobile
status_is 0 "topic create"
is "$out" "$arn_prefix:news" "topic create --output text prints only the ARN"
topic=$out
cli topic list
like "$out" "\"TopicArn\": \"$topic\"" "topic list (JSON)"
cli --output text topic list
like "$out" "^TOPICS	$topic\$" "topic list --output text: TOPICS<tab>ARN"
cli --output table topic list
like "$out" '^TopicArn *$' "topic list --output table: header"
like "$out" '^-+$' "topic list --output table: rule"
like "$out" "^$topic *\$" "topic list --output table: the topic"
cli topic set --arn "$topic" --name DisplayName --value "Breaking news"
status_is 0 "topic set"
cli --output table topic get --arn "$topic"
like "$out" '^DisplayName +Breaking news$' "topic get shows the new DisplayName"

cli --output text subscribe --topic-arn "$topic" --endpoint "$endpoint"
status_is 0 "subscribe"
like "$out" "^$topic:$uuid\$" "subscribe prints the SubscriptionArn"
sub=$out
cli --output text subscription list --topic-arn "$topic"
has "$out" "$sub" "subscription list --topic-arn lists it"
like "$out" "	application	" "  with protocol application by default"
cli subscription get --arn "$sub"
like "$out" "\"Endpoint\": \"$endpoint\"|\"TopicArn\": \"$topic\"" "subscription get"

cli tag add --arn "$topic" --tag env=prod
status_is 0 "tag add"
cli --output text tag list --arn "$topic"
like "$out" '^TAGS	env	prod$' "tag list shows the added tag"
like "$out" '^TAGS	team	mobile$' "tag list shows the tag given at create"
cli tag remove --arn "$topic" --key env
cli --output text tag list --arn "$topic"
unlike "$out" "env" "tag remove removed it"

# ---- publishing ----

cli --output text publish --target-arn "$endpoint" --message "Hello, Alice" \
	--message-attribute AWS.SNS.MOBILE.APNS.PUSH_TYPE=String:alert
status_is 0 "publish to an endpoint"
like "$out" "^$uuid\$" "  prints the MessageId"
cli publish --topic-arn "$topic" --message-structure json \
	--message '{"default":"Hello","APNS":"{\"aps\":{\"alert\":\"Hello\"}}"}'
status_is 0 "publish to a topic with --message-structure json"
like "$out" "^  \"MessageId\": \"$uuid\"" "  prints {\"MessageId\": ...}"
printf 'from a file\n' >"$cli_dir/message.txt"
cli --output text publish --topic-arn "$topic" --message @"$cli_dir/message.txt" --subject Hi
like "$out" "^$uuid\$" "publish --message @file"
cli_in "from stdin" --output text publish --target-arn "$endpoint" --message @-
like "$out" "^$uuid\$" "publish --message @- reads standard input"
cli publish --target-arn "$endpoint" --message hi \
	--message-attributes '{"n": {"DataType": "Number", "StringValue": "42"}}'
status_is 0 "publish --message-attributes JSON (the AWS CLI's form)"
cli publish --target-arn "$endpoint" --message hi --message-attribute n=String:
status_is 1 "an empty message attribute value: API error"
is "$err" "herald: ParameterValueInvalid: The message attribute 'n' must contain non-empty message attribute value for message attribute type 'String'." \
	"  with SNS's code and message on stderr"
cli publish --target-arn "$endpoint" --message hi --message-attribute novalue
status_is 2 "--message-attribute without TYPE:VALUE: usage error"

cli --output text publish-batch --topic-arn "$topic" \
	--entries '[{"Id":"a","Message":"one"},{"Id":"b","Message":"two"}]'
status_is 0 "publish-batch"
like "$out" "^SUCCESSFUL	a	$uuid" "publish-batch lists the successful entries"

cli endpoint set --arn "$endpoint" --enabled false
status_is 0 "endpoint set --enabled false"
cli publish --target-arn "$endpoint" --message "Hello again"
status_is 1 "publish to a disabled endpoint: exit status 1"
is "$err" "herald: EndpointDisabled: Endpoint is disabled" "  EndpointDisabled on stderr"
is "$out" "" "  nothing on stdout"

# ---- herald call ----

cli --output text call CreateTopic '{"Name": "by-call"}'
status_is 0 "call CreateTopic"
is "$out" "$arn_prefix:by-call" "  prints the TopicArn"
printf '{"TopicArn": "%s"}' "$arn_prefix:by-call" >"$cli_dir/args.json"
cli call GetTopicAttributes @"$cli_dir/args.json"
like "$out" '"Attributes": \{' "call with ARGS_JSON from @file"
cli call NoSuchOperation '{}'
status_is 1 "call of an unknown operation: API error"
like "$err" '^herald: [A-Za-z]+: ' "  reported as herald: CODE: MESSAGE"
cli call CreateTopic '{"Name": '
status_is 2 "call with invalid JSON: usage error"
cli call CreateTopic '["Name"]'
status_is 2 "call with a JSON array: usage error"

# ---- deleting ----

cli --output text topic create --name doomed
doomed=$out
cli topic delete --arn "$doomed"
status_is 0 "topic delete"
is "$out" "" "  prints nothing"
cli topic get --arn "$doomed"
status_is 1 "topic get of a deleted topic: API error"
is "$err" "herald: NotFound: Topic does not exist" "  NotFound with SNS's message"
cli endpoint delete --arn "$endpoint"
status_is 0 "endpoint delete"
cli endpoint delete --arn "$endpoint"
status_is 0 "endpoint delete again succeeds, as in SNS"

# ---- pagination: merged by default, --max-items / --starting-token ----

i=0
while [ $i -lt 120 ]; do
	"$HERALD" --socket "$cli_dir/heraldd.sock" call CreateTopic "{\"Name\": \"page-$i\"}" \
		>/dev/null 2>&1 || break
	i=$((i + 1))
done
is "$i" 120 "created 120 more topics"
cli call ListTopics
like "$out" '"NextToken"' "one ListTopics page does not hold them all"
cli --output text topic list
total=$(printf '%s\n' "$out" | grep -c '^TOPICS	')
expected=$(printf '%s\n' "$out" | sort -u | grep -c "^TOPICS	$arn_prefix:page-")
is "$expected" 120 "topic list follows NextToken: every page-N topic, once"
is "$total" 122 "topic list has every topic (news, by-call and 120)"
cli topic list
unlike "$out" "NextToken" "the merged JSON list has no NextToken"
cli --output text topic list --max-items 50
first=$(printf '%s\n' "$out" | grep -c '^TOPICS	')
is "$first" 50 "--max-items 50 shows 50"
token=$(printf '%s\n' "$out" | sed -n 's/^NEXTTOKEN	//p')
check "--max-items prints NEXTTOKEN<tab>token last" test -n "$token" -a \
	"$(printf '%s\n' "$out" | tail -n 1)" = "NEXTTOKEN	$token"
cli topic list --max-items 50
has "$out" "  \"NextToken\": \"$token\"" "  and the same NextToken in the JSON output"
cli --output text topic list --starting-token "$token" --max-items 60
second=$(printf '%s\n' "$out" | grep '^TOPICS	')
is "$(printf '%s\n' "$second" | wc -l | tr -d ' ')" 60 "--starting-token resumes (60 more)"
token=$(printf '%s\n' "$out" | sed -n 's/^NEXTTOKEN	//p')
cli --output text topic list --starting-token "$token"
third=$out
unlike "$third" "NEXTTOKEN" "the last slice has no NextToken"
cli --output text topic list --max-items 50
all=$(printf '%s\n%s\n%s\n' "$out" "$second" "$third" | grep '^TOPICS	' | sort -u | wc -l)
is "$all" 122 "the three slices cover every topic once"
cli --output text topic list
is "$(printf '%s\n' "$out" | grep -c '^TOPICS	')" "$total" "listing again gives the same count"

# ---- usage errors (exit 2) ----

cli topic frobnicate
status_is 2 "unknown subcommand: exit 2"
like "$err" "frobnicate" "  named"
cli frobnicate
status_is 2 "unknown command: exit 2"
cli topic create --name x --colour red
status_is 2 "unknown option: exit 2"
like "$err" "'--colour'" "  named"
like "$err" "try 'herald topic create --help'" "  with where to look"
cli topic create
status_is 2 "missing required option: exit 2"
like "$err" "missing required option --name" "  names the option"
cli endpoint create --app-arn "$app"
status_is 2 "endpoint create without --token: exit 2"
like "$err" "--token" "  names --token"
cli publish --message hi
status_is 2 "publish without a target: exit 2"
like "$err" "--target-arn or --topic-arn" "  names both"
cli --output yaml topic list
status_is 2 "unknown output format: exit 2"
cli topic list --max-items 0
status_is 2 "--max-items 0: exit 2"
cli topic get --arn a b
status_is 2 "a stray argument: exit 2"
cli
status_is 2 "no command: exit 2"

# ---- --help for every command ----

for c in "app create" "app get" "app set" "app delete" "app list" \
	"endpoint create" "endpoint get" "endpoint set" "endpoint delete" "endpoint list" \
	"topic create" "topic get" "topic set" "topic delete" "topic list" \
	"subscription create" "subscription get" "subscription set" "subscription delete" \
	"subscription list" "subscribe" "unsubscribe" "publish" "publish-batch" \
	"tag add" "tag remove" "tag list" "call"; do
	# shellcheck disable=SC2086
	"$HERALD" --socket /nonexistent $c --help >"$cli_dir/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^usage: herald $c" "$cli_dir/out" &&
		grep -q -- "--output" "$cli_dir/out"; then
		ok "herald $c --help"
	else
		fail "herald $c --help (exit status $rc)"
	fi
done
for g in app endpoint topic subscription tag; do
	"$HERALD" "$g" --help >"$cli_dir/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^usage: herald $g SUBCOMMAND" "$cli_dir/out"; then
		ok "herald $g --help"
	else
		fail "herald $g --help (exit status $rc)"
	fi
done
"$HERALD" --help >"$cli_dir/out" 2>&1
rc=$?
check "herald --help exits 0 and lists the commands" \
	test $rc -eq 0 -a -n "$(grep -E '^  publish ' "$cli_dir/out")"
check "herald --version" sh -c "\"$HERALD\" --version | grep -Eq '^herald [0-9]'"

# ---- no daemon ----

"$HERALD" --socket "$cli_dir/missing.sock" topic list >"$cli_dir/out" 2>"$cli_dir/err"
rc=$?
err=$(cat "$cli_dir/err")
status_is 1 "missing socket: exit 1"
like "$err" "^herald: .*missing\\.sock" "  the message names the socket"
HERALD_SOCKET="$cli_dir/missing-env.sock" "$HERALD" topic list >/dev/null 2>"$cli_dir/err"
rc=$?
err=$(cat "$cli_dir/err")
status_is 1 "HERALD_SOCKET is used when --socket is not given"
like "$err" "missing-env\\.sock" "  and named in the message"

cli_done
