#!/bin/sh
# Runs test_boto3.py (boto3 against the real heraldd's SNS HTTP API) with
# Debian's python3-boto3 when installed (scripts/deps.sh), else any python3
# that has boto3; skipped when none has.

# shellcheck source-path=SCRIPTDIR source=sns_lib.sh
. "$(dirname "$0")/sns_lib.sh"

py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import boto3' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || sns_skip "boto3 is not installed (scripts/deps.sh installs python3-boto3)"

sns_daemon_start
# No shared config or credentials file of the user's may change what boto3 sends.
AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
	"$py" "$(dirname "$0")/test_boto3.py"
