#!/bin/sh
# Build herald and show a push going through end to end: herald-emulator
# stands in for Apple's APNs, heraldd runs with its embedded defaults (SQLite
# state, a local Unix socket) plus one setting that points its APNs driver at
# the emulator, and the CLI creates an application, an endpoint and a topic,
# publishes, and prints what the emulated APNs received.  heraldd and the
# emulator keep running afterwards.
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
top=$(pwd)

# Show a herald command, run it, and print what it printed.
herald() {
	printf '\n$ herald %s\n' "$*" >&2
	out=$(./herald "$@")
	printf '%s\n' "$out" >&2
	printf '%s\n' "$out"
}

# wait_for WHAT COMMAND...: poll COMMAND for up to 10 s.
wait_for() {
	what=$1
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "$what did not come up; see demo/*.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# The emulator: credentials once, then its default ports (APNs 52197, control 52080).
mkdir -p demo
if [ ! -f demo/emulator/emulator.json ]; then
	./herald-emulator init demo/emulator --bundle-id com.example.demo >/dev/null
fi
emu_pid=
if ./herald-emulator count -d demo/emulator >/dev/null 2>&1; then
	echo "herald-emulator is already running; using it"
else
	./herald-emulator run -d demo/emulator </dev/null >demo/emulator.log 2>&1 &
	emu_pid=$!
	wait_for herald-emulator ./herald-emulator count -d demo/emulator
	echo "herald-emulator started (pid $emu_pid, log in demo/emulator.log)"
fi
./herald-emulator reset -d demo/emulator >/dev/null

# heraldd: embedded defaults, plus the drivers built here, sending to the emulator.
cat >demo/herald.conf <<EOF
# Everything else is heraldd's embedded default.  See herald.conf(5).
drivers: {
	dirs = [ "$top/plugins/apns/.libs", "$top/plugins/fcm/.libs" ];
	ca_file = "$top/demo/emulator/ca.pem";   # trust the emulator's CA
	apns = { url = "https://127.0.0.1:52197"; };  # instead of api.push.apple.com
};
EOF
if ./herald topic list >/dev/null 2>&1; then
	echo "heraldd is already running; using it (start it with -c demo/herald.conf to deliver)"
	pid=
else
	./heraldd -c demo/herald.conf </dev/null >/dev/null 2>>demo/heraldd.log &
	pid=$!
	wait_for heraldd ./herald topic list
	echo "heraldd started (pid $pid, log in demo/heraldd.log)"
fi

key_id=$(jq -r ".apns.keys[0].key_id" demo/emulator/emulator.json)
team_id=$(jq -r ".apns.keys[0].team_id" demo/emulator/emulator.json)
app=$(herald --output text app create --name demo-shop --platform APNS \
	--attr PlatformPrincipal="$key_id" --attr PlatformCredential=@demo/emulator/apns-key.p8 \
	--attr ApplePlatformTeamID="$team_id" --attr ApplePlatformBundleID=com.example.demo)
token=5f0c9a3e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f
endpoint=$(herald --output text endpoint create --app-arn "$app" --token "$token" \
	--custom-user-data alice)
topic=$(herald --output text topic create --name demo-news)
herald --output text subscribe --topic-arn "$topic" --endpoint "$endpoint" >/dev/null
herald publish --target-arn "$endpoint" --message "Hello, Alice" >/dev/null
herald publish --topic-arn "$topic" --message-structure json \
	--message '{"default":"Hello, everyone","APNS":"{\"aps\":{\"alert\":\"Hello from the news topic\",\"badge\":1}}"}' \
	>/dev/null

# What the emulated APNs received: both pushes, with the headers heraldd's driver sent.
wait_for "the deliveries" sh -c \
	"[ \$(./herald-emulator count -d demo/emulator | jq '.apns // 0') -ge 2 ]"
printf '\n$ herald-emulator requests -d demo/emulator --provider apns\n'
./herald-emulator requests -d demo/emulator --provider apns |
	jq '[.requests[] | {token, status, headers: (.headers | with_entries(select(.key | startswith("apns-")))), body}]'
herald --output table stats >/dev/null

echo
[ -z "$pid" ] || echo "heraldd is still running (pid $pid); stop it with: kill $pid"
[ -z "$emu_pid" ] || echo "herald-emulator is still running (pid $emu_pid); stop it with: kill $emu_pid"
