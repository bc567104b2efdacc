#!/bin/sh
# Build herald, start heraldd with its embedded defaults (SQLite state, a
# local Unix socket, no configuration file) and run a short mobile-push
# session with the herald CLI.  heraldd keeps running afterwards.
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh

# Show a herald command, run it, and print what it printed.
herald() {
	printf '\n$ herald %s\n' "$*" >&2
	out=$(./herald "$@")
	printf '%s\n' "$out" >&2
	printf '%s\n' "$out"
}

if ./herald topic list >/dev/null 2>&1; then
	echo "heraldd is already running; using it"
	pid=
else
	./heraldd </dev/null >/dev/null 2>>heraldd.log &
	pid=$!
	i=0
	until ./herald topic list >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
			echo "heraldd did not start; its log:" >&2
			cat heraldd.log >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "heraldd started (pid $pid, log in heraldd.log)"
fi

app=$(herald --output text app create --name demo-shop --platform GCM \
	--attr PlatformCredential=demo-server-key)
endpoint=$(herald --output text endpoint create --app-arn "$app" \
	--token demo-device-token-0001 --custom-user-data alice)
topic=$(herald --output text topic create --name demo-news)
herald --output text subscribe --topic-arn "$topic" --endpoint "$endpoint" >/dev/null
herald publish --target-arn "$endpoint" --message "Hello, Alice" >/dev/null
herald publish --topic-arn "$topic" --message-structure json \
	--message '{"default":"Hello, everyone","GCM":"{\"notification\":{\"title\":\"Hello\"}}"}' \
	>/dev/null
herald --output table endpoint list --app-arn "$app" >/dev/null
herald endpoint get --arn "$endpoint" >/dev/null

echo
[ -z "$pid" ] || echo "heraldd is still running (pid $pid); stop it with: kill $pid"
echo "Messages are accepted and stored durably; delivery to the providers comes with the delivery engine."
