# shellcheck shell=sh
# Shell helpers for the SNS HTTP API client tests (sourced by test_aws.sh and
# test_boto3.sh), on top of cli_lib.sh's daemon and TAP helpers.
#
# sns_daemon_start  starts heraldd (cli_daemon_start) with the HTTP API on a
#                   free loopback port and two access keys, then exports
#                   HERALD_SNS_URL, HERALD_KEY_ID/HERALD_SECRET (admin) and
#                   HERALD_PUB_ID/HERALD_PUB_SECRET (publish only).
# sns_skip REASON   reports the whole test as skipped (exit 77).
#
# POSIX sh.

# shellcheck source-path=SCRIPTDIR source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

HERALD_KEY_ID=AKIDHERALDTEST0001
HERALD_SECRET=herald/test+secret0123456789
HERALD_PUB_ID=AKIDHERALDPUBLISH1
HERALD_PUB_SECRET=herald-publish-secret-0123
export HERALD_KEY_ID HERALD_SECRET HERALD_PUB_ID HERALD_PUB_SECRET

sns_skip() {
	echo "1..0 # SKIP $1"
	exit 77
}

sns_daemon_start() {
	# port 0: the daemon picks a free port and logs it
	cli_extra_conf="http: { enabled = true; address = \"127.0.0.1\"; port = 0;
	access_keys = ( { id = \"$HERALD_KEY_ID\"; secret = \"$HERALD_SECRET\"; role = \"admin\"; },
			{ id = \"$HERALD_PUB_ID\"; secret = \"$HERALD_PUB_SECRET\"; role = \"publish\"; } ); };"
	cli_daemon_start
	port=$(sed -n 's/.*SNS API listening on .* port \([0-9][0-9]*\).*/\1/p' "$cli_dir/heraldd.log")
	if [ -z "$port" ]; then
		echo "Bail out! heraldd did not log its HTTP port; its log:"
		sed 's/^/# /' "$cli_dir/heraldd.log"
		exit 1
	fi
	HERALD_SNS_URL="http://127.0.0.1:$port"
	export HERALD_SNS_URL
}
