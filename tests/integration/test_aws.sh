#!/bin/sh
# The AWS CLI (Debian's awscli, installed by scripts/deps.sh) against the real
# heraldd's SNS HTTP API, changing nothing but --endpoint-url and the keys:
# the mobile-push flow with SigV4 signing by the CLI, and SNS's errors as the
# CLI prints them.  TAP output; skipped when no aws command is installed.

# shellcheck source-path=SCRIPTDIR source=sns_lib.sh
. "$(dirname "$0")/sns_lib.sh"

AWS=
for a in /usr/bin/aws aws; do
	if command -v "$a" >/dev/null 2>&1; then
		AWS=$a
		break
	fi
done
[ -n "$AWS" ] || sns_skip "the AWS CLI is not installed (scripts/deps.sh installs awscli)"

sns_daemon_start
arn_prefix='arn:aws:sns:us-east-1:000000000000'
uuid='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
msg_sig='The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'

# Only the environment below decides what the CLI sends: no user config.
AWS_CONFIG_FILE=/dev/null
AWS_SHARED_CREDENTIALS_FILE=/dev/null
AWS_DEFAULT_REGION=us-east-1
AWS_EC2_METADATA_DISABLED=true
AWS_PAGER=
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED \
	AWS_PAGER
key_id=$HERALD_KEY_ID
secret=$HERALD_SECRET

# sns ARGS...: aws sns ARGS against heraldd; $rc, $out, $err.
sns() {
	cli_last="aws sns $*"
	AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret \
		"$AWS" --endpoint-url "$HERALD_SNS_URL" --output text sns "$@" \
		>"$cli_dir/out" 2>"$cli_dir/err"
	rc=$?
	out=$(cat "$cli_dir/out")
	err=$(cat "$cli_dir/err")
}

# sns_error CODE OP MESSAGE DESC: the last call failed with SNS's CODE and MESSAGE.
sns_error() {
	if [ "$rc" -ne 0 ]; then ok "$4: fails"; else fail "$4: fails"; fi
	has "$err" "An error occurred ($1) when calling the $2 operation: $3" "$4: $1, SNS's message"
}

# ---- platform application ----
sns create-platform-application --name shop --platform GCM \
	--attributes PlatformCredential=server-key --query PlatformApplicationArn
status_is 0 "create-platform-application"
is "$out" "$arn_prefix:app/GCM/shop" "  prints the application's ARN"
app=$out
sns set-platform-application-attributes --platform-application-arn "$app" \
	--attributes SuccessFeedbackSampleRate=25
status_is 0 "set-platform-application-attributes"
sns get-platform-application-attributes --platform-application-arn "$app" --output json
status_is 0 "get-platform-application-attributes"
has "$out" '"SuccessFeedbackSampleRate": "25"' "  shows what was set"
unlike "$out" "server-key" "  never shows the credential"

# ---- endpoints ----
sns create-platform-endpoint --platform-application-arn "$app" --token tok-1 \
	--custom-user-data alice --query EndpointArn
status_is 0 "create-platform-endpoint"
like "$out" "^$arn_prefix:endpoint/GCM/shop/$uuid\$" "  prints the endpoint's ARN"
ep=$out
sns create-platform-endpoint --platform-application-arn "$app" --token tok-1 \
	--custom-user-data alice --query EndpointArn
is "$out" "$ep" "create-platform-endpoint again, same attributes: the same endpoint"
sns create-platform-endpoint --platform-application-arn "$app" --token tok-1 \
	--custom-user-data bob
sns_error InvalidParameter CreatePlatformEndpoint \
	"Invalid parameter: Token Reason: Endpoint $ep already exists with the same Token, but different attributes." \
	"same token, different attributes"
sns get-endpoint-attributes --endpoint-arn "$ep" \
	--query '[Attributes.Token, Attributes.Enabled, Attributes.CustomUserData]'
is "$out" "$(printf 'tok-1\ttrue\talice')" "get-endpoint-attributes"
sns create-platform-endpoint --platform-application-arn "$app" --token tok-off \
	--attributes Enabled=false --query EndpointArn
off=$out
sns set-endpoint-attributes --endpoint-arn "$off" --attributes Enabled=false,CustomUserData=gone
status_is 0 "set-endpoint-attributes"
sns get-endpoint-attributes --endpoint-arn "$off" --query 'Attributes.[Enabled,CustomUserData]'
is "$out" "$(printf 'false\tgone')" "  read back"

# Pagination needs more than 100 endpoints; make them quickly through the native CLI.
i=0
while [ $i -lt 100 ]; do
	cli endpoint create --app-arn "$app" --token "bulk-$i" >/dev/null || break
	i=$((i + 1))
done
is "$i" 100 "100 more endpoints through the native socket"
sns list-endpoints-by-platform-application --platform-application-arn "$app" --no-paginate \
	--query '[length(Endpoints), NextToken]'
like "$out" "^100	.+\$" "list-endpoints --no-paginate: the first page of 100 and a NextToken"
token=${out#100	}
sns list-endpoints-by-platform-application --platform-application-arn "$app" \
	--next-token "$token" --output json --query '[length(Endpoints), NextToken]'
is "$(printf '%s' "$out" | tr -d ' \n')" '[2,null]' "--next-token: the other 2, no NextToken"
sns list-endpoints-by-platform-application --platform-application-arn "$app" --output json \
	--query 'length(Endpoints)'
is "$out" 102 "the CLI's own pagination lists all 102"

# ---- topic, subscription ----
sns create-topic --name orders --attributes DisplayName=Orders --tags Key=team,Value=push \
	--query TopicArn
status_is 0 "create-topic with attributes and tags"
is "$out" "$arn_prefix:orders" "  prints the topic's ARN"
topic=$out
sns set-topic-attributes --topic-arn "$topic" --attribute-name DisplayName --attribute-value Shop
status_is 0 "set-topic-attributes"
sns get-topic-attributes --topic-arn "$topic" --query Attributes.DisplayName
is "$out" "Shop" "get-topic-attributes"
sns subscribe --topic-arn "$topic" --protocol application --notification-endpoint "$ep" \
	--attributes '{"FilterPolicy": "{\"kind\": [\"order\"]}", "RawMessageDelivery": "true"}' \
	--return-subscription-arn --query SubscriptionArn
status_is 0 "subscribe with attributes"
like "$out" "^$topic:$uuid\$" "  prints the subscription's ARN"
sub=$out
sns get-subscription-attributes --subscription-arn "$sub" \
	--query 'Attributes.[Protocol,RawMessageDelivery]'
is "$out" "$(printf 'application\ttrue')" "get-subscription-attributes"
sns list-subscriptions-by-topic --topic-arn "$topic" --query 'Subscriptions[].SubscriptionArn'
is "$out" "$sub" "list-subscriptions-by-topic"

# ---- publish ----
sns publish --target-arn "$ep" --message-structure json \
	--message '{"default": "hi", "GCM": "{\"notification\": {\"title\": \"T\"}}", "APNS": "{\"aps\": {\"alert\": \"hi\"}}"}' \
	--message-attributes '{"AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "alert"}, "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "10"}}' \
	--query MessageId
status_is 0 "publish --message-structure json with AWS.SNS.MOBILE.* attributes"
like "$out" "^$uuid\$" "  prints the MessageId"
sns publish --topic-arn "$topic" --message hello --subject s \
	--message-attributes '{"kind": {"DataType": "String", "StringValue": "order"}}' --query MessageId
like "$out" "^$uuid\$" "publish to the topic"
sns publish --target-arn "$off" --message x
sns_error EndpointDisabled Publish "Endpoint is disabled" "publish to a disabled endpoint"
sns publish-batch --topic-arn "$topic" --publish-batch-request-entries \
	Id=m1,Message=one Id=m2,Message=two --query 'length(Successful)'
status_is 0 "publish-batch"
is "$out" 2 "  both entries succeed"

# ---- tags ----
sns tag-resource --resource-arn "$topic" --tags Key=env,Value=test
status_is 0 "tag-resource"
sns untag-resource --resource-arn "$topic" --tag-keys team
status_is 0 "untag-resource"
sns list-tags-for-resource --resource-arn "$topic" --query 'Tags[].[Key,Value]'
is "$out" "$(printf 'env\ttest')" "  list-tags-for-resource after tag-resource and untag-resource"

# ---- signatures and roles ----
secret="$HERALD_SECRET-wrong"
sns list-topics
sns_error SignatureDoesNotMatch ListTopics "$msg_sig" "a wrong secret"
key_id=AKIDNOSUCHKEY0000 secret=$HERALD_SECRET
sns list-topics
sns_error InvalidClientTokenId ListTopics "The security token included in the request is invalid." \
	"an unknown access key"
key_id=$HERALD_PUB_ID secret=$HERALD_PUB_SECRET
sns publish --topic-arn "$topic" --message m --query MessageId
like "$out" "^$uuid\$" "a publish-only key may publish"
sns create-topic --name nope
if [ "$rc" -ne 0 ]; then ok "  but not create-topic"; else fail "  but not create-topic"; fi
has "$err" "An error occurred (AuthorizationError) when calling the CreateTopic operation" \
	"  AuthorizationError"
key_id=$HERALD_KEY_ID secret=$HERALD_SECRET

# ---- deletes and NotFound ----
sns unsubscribe --subscription-arn "$sub"
status_is 0 "unsubscribe"
sns delete-endpoint --endpoint-arn "$ep"
status_is 0 "delete-endpoint"
sns get-endpoint-attributes --endpoint-arn "$ep"
sns_error NotFound GetEndpointAttributes "Endpoint does not exist" "a deleted endpoint"
sns delete-topic --topic-arn "$topic"
status_is 0 "delete-topic"
sns get-topic-attributes --topic-arn "$topic"
sns_error NotFound GetTopicAttributes "Topic does not exist" "a deleted topic"
sns delete-platform-application --platform-application-arn "$app"
status_is 0 "delete-platform-application"
sns list-endpoints-by-platform-application --platform-application-arn "$app"
sns_error NotFound ListEndpointsByPlatformApplication "PlatformApplication does not exist" \
	"a deleted application"

cli_done
