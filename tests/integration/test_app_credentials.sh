#!/bin/sh
# Credentials checked when they are given: the real heraldd with the bundled
# apns driver refuses, through the CLI, a CreatePlatformApplication and a
# SetPlatformApplicationAttributes whose .p8 signing key is malformed (the
# driver's check_config, run before the store), with SNS's InvalidParameter
# and the driver's reason; a good key is taken, and a change of other
# attributes only is not checked again.  No provider is contacted.
#
# Skips (exit 77) only when openssl is missing (it makes the good key).
set -u

. "$HERALD_SRCDIR/tests/integration/cli_lib.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP openssl is not installed"
	exit 77
fi

cli_extra_conf="drivers: { dirs = [\"$HERALD_BUILDDIR/plugins/apns/.libs\"]; };"
cli_daemon_start
cli --output json plugins list
has "$out" '"apns"' "heraldd loaded the apns driver"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$cli_dir/good.p8" \
	2>/dev/null
printf '%s\n' '-----BEGIN PRIVATE KEY-----' 'bm90IGEga2V5' '-----END PRIVATE KEY-----' \
	>"$cli_dir/bad.p8"
TOKEN_AUTH="--attr PlatformPrincipal=ABC123DEFG --attr ApplePlatformTeamID=TEAM123456 \
--attr ApplePlatformBundleID=com.example.app"

# shellcheck disable=SC2086 # TOKEN_AUTH is several arguments
cli --output text app create --platform APNS --name creds $TOKEN_AUTH \
	--attr PlatformCredential=@"$cli_dir/bad.p8"
if [ "$rc" -ne 0 ]; then ok "a malformed .p8 is refused at create"; else fail "a malformed .p8 is refused at create"; fi
has "$err" "InvalidParameter" "InvalidParameter"
has "$err" "Invalid parameter: Attributes Reason: Platform credentials are invalid: " \
	"SNS's reason"
has "$err" ".p8" "with the driver's reason"
unlike "$err" "bm90IGEga2V5" "the credential is not quoted"
cli --output json app list
unlike "$out" "app/APNS/creds" "nothing was stored"

# shellcheck disable=SC2086
cli --output text app create --platform APNS --name creds $TOKEN_AUTH \
	--attr PlatformCredential=@"$cli_dir/good.p8"
status_is 0 "a good .p8 is taken"
app=$out

cli app set --arn "$app" --attr PlatformCredential=@"$cli_dir/bad.p8"
if [ "$rc" -ne 0 ]; then ok "a malformed .p8 is refused at set"; else fail "a malformed .p8 is refused at set"; fi
has "$err" "Platform credentials are invalid: " "SNS's reason at set"
cli app set --arn "$app" --attr SuccessFeedbackSampleRate=50
status_is 0 "other attributes alone are not checked again"
cli app set --arn "$app" --attr PlatformCredential=@"$cli_dir/good.p8"
status_is 0 "a good key alone is checked with the stored principal and team"
cli --output json app get --arn "$app"
has "$out" '"SuccessFeedbackSampleRate": "50"' "the application kept its attributes"

cli_done
