#!/bin/sh
# Interop of herald-emulator with a real, widely used client library:
# @parse/node-apn (pinned below) sends with token auth (the .p8 from
# `herald-emulator init`) and with certificate auth (init's client
# certificate) to the emulated APNs, trusting the emulator's CA through
# NODE_EXTRA_CA_CERTS.  The control API must show exactly the requests
# node-apn sent (headers and body), and node-apn must read the emulator's
# error answer (410 Unregistered with a timestamp) as APNs's.
#
# The package is installed with npm into the build tree
# (tests/emulator/node-interop, removed by `make clean`) and reused on later
# runs.  Skips (exit 77) when node, npm, curl or jq is missing, or when npm
# cannot fetch the package (no registry).
set -u

NODE_APN_VERSION=8.1.0

. "${HERALD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/emulator/check_lib.sh"
js="$HERALD_SRCDIR/tests/emulator/interop_apn.js"
cache="$HERALD_BUILDDIR/tests/emulator/node-interop"

# node and npm (with access to the npm registry), curl and jq
emu_need node npm curl jq

if [ ! -f "$cache/node_modules/@parse/node-apn/package.json" ] ||
	[ "$(jq -r .version "$cache/node_modules/@parse/node-apn/package.json")" != "$NODE_APN_VERSION" ]; then
	mkdir -p "$cache" || exit 99
	echo "installing @parse/node-apn@$NODE_APN_VERSION into $cache"
	if ! npm install --prefix "$cache" --no-audit --no-fund --no-save --no-package-lock \
		--cache "$cache/npm-cache" "@parse/node-apn@$NODE_APN_VERSION" >"$cache/npm.log" 2>&1; then
		tail -5 "$cache/npm.log"
		echo "SKIP: npm could not install @parse/node-apn@$NODE_APN_VERSION (no npm registry?)"
		exit 77
	fi
fi

check_scratch interop

dir="$tmp/emu"
emu_init "$dir" --bundle-id com.example.interop
emu_run "$dir"
apns=$emu_apns
ctl=$emu_ctl

key_id=$(jq -r '.apns.keys[0].key_id' "$dir/emulator.json")
team_id=$(jq -r '.apns.keys[0].team_id' "$dir/emulator.json")
key_file="$dir/$(jq -r '.apns.keys[0].file' "$dir/emulator.json")"
good=5a1c0e2b7d4f69a8b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0
dead=dead0e2b7d4f69a8b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0
certdev=ce7f0e2b7d4f69a8b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0
printf '{"rules":[{"provider":"apns","token":"%s","status":410,"timestamp":1700000000000}]}\n' \
	"$dead" >"$tmp/rules.json"
"$emu" rules --control-port "$ctl" "$tmp/rules.json" >/dev/null || fail "rules sub-command"

if ! NODE_PATH="$cache/node_modules" NODE_EXTRA_CA_CERTS="$dir/ca.pem" \
	node "$js" "$apns" "$key_file" "$key_id" "$team_id" com.example.interop "$good" "$dead" \
	"$dir/$(jq -r .apns.client_cert "$dir/emulator.json")" \
	"$dir/$(jq -r .apns.client_key "$dir/emulator.json")" "$certdev" \
	>"$tmp/node.out" 2>"$tmp/node.err"; then
	cat "$tmp/node.err"
	echo "FAIL: node-apn could not run against the emulator"
	exit 1
fi
echo "node-apn $(jq -r .version "$tmp/node.out") on node $(node --version)"

# What node-apn saw.
jq -e --arg t "$good" '.good.sent == [{"device": $t,
	"apns-id": "6f1c2a1e-5b7d-4c2e-9a4f-1d2e3f405162"}] and .good.failed == []' "$tmp/node.out" \
	>/dev/null && ok "node-apn: the push was sent (200, apns-id echoed)" ||
	fail "node-apn good send: $(jq -c .good "$tmp/node.out")"
jq -e --arg t "$dead" '.dead.sent == [] and .dead.failed[0].device == $t and
	.dead.failed[0].status == 410 and .dead.failed[0].response.reason == "Unregistered" and
	.dead.failed[0].response.timestamp == 1700000000000' "$tmp/node.out" >/dev/null &&
	ok "node-apn reads the emulator's 410 Unregistered with its timestamp" ||
	fail "node-apn dead token: $(jq -c .dead "$tmp/node.out")"

# What the emulator received, through the control API.
curl -sS --max-time 10 "http://127.0.0.1:$ctl/v1/requests?provider=apns&token=$good" \
	>"$tmp/req.json" || fail "control API"
jq -e '.requests | length == 1' "$tmp/req.json" >/dev/null &&
	ok "exactly one request arrived for the device" ||
	fail "requests for the device: $(jq -c '.requests | length' "$tmp/req.json")"
jq -e --arg p "/3/device/$good" '.requests[0] | .status == 200 and .headers[":method"] == "POST" and
	.headers[":path"] == $p and .headers["apns-topic"] == "com.example.interop" and
	.headers["apns-push-type"] == "alert" and .headers["apns-priority"] == "5" and
	.headers["apns-expiration"] == "2000000000" and
	.headers["apns-collapse-id"] == "interop-1" and
	.headers["apns-id"] == "6f1c2a1e-5b7d-4c2e-9a4f-1d2e3f405162"' "$tmp/req.json" >/dev/null &&
	ok "the request's headers are node-apn's" ||
	fail "request headers: $(jq -c '.requests[0].headers' "$tmp/req.json")"
# The provider token: an ES256 JWT naming init's key id, with the team id as issuer.
jwt=$(jq -r '.requests[0].headers.authorization' "$tmp/req.json" | sed -n 's/^bearer //p')
seg() { # the JSON of JWT segment $1 (base64url, unpadded)
	s=$(echo "$jwt" | cut -d. -f"$1" | tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
	echo "$s" | base64 -d 2>/dev/null
}
[ -n "$jwt" ] && seg 1 | jq -e --arg k "$key_id" '.alg == "ES256" and .kid == $k' >/dev/null &&
	seg 2 | jq -e --arg t "$team_id" '.iss == $t and (.iat | type) == "number"' >/dev/null &&
	ok "authorization: bearer <ES256 provider token for key $key_id, team $team_id>" ||
	fail "provider token: $(seg 1) $(seg 2)"
jq -r '.requests[0].body' "$tmp/req.json" >"$tmp/body.json"
jq -e '. == {"aps":{"alert":{"title":"Herald","body":"hello from node-apn"},"badge":3,
	"sound":"ping.aiff"},"k":"v"}' "$tmp/body.json" >/dev/null &&
	ok "the body is node-apn's payload" || fail "request body: $(cat "$tmp/body.json")"

# Certificate auth: the TLS client certificate, no provider token.
jq -e --arg t "$certdev" '.cert.sent[0].device == $t and .cert.failed == []' "$tmp/node.out" \
	>/dev/null && ok "node-apn with certificate auth: sent (200)" ||
	fail "node-apn certificate auth: $(jq -c .cert "$tmp/node.out")"
curl -sS --max-time 10 "http://127.0.0.1:$ctl/v1/requests?provider=apns&token=$certdev" \
	>"$tmp/req.json" || fail "control API"
jq -e '.requests | length == 1 and (.[0] | .status == 200 and
	.headers.authorization == null and .headers["apns-topic"] == "com.example.interop" and
	(.body | fromjson) == {"aps":{"alert":"certificate auth","content-available":1}})' \
	"$tmp/req.json" >/dev/null && ok "the certificate-auth request arrived as node-apn sent it" ||
	fail "certificate-auth request: $(jq -c .requests "$tmp/req.json")"

n=$(curl -sS --max-time 10 "http://127.0.0.1:$ctl/v1/requests?provider=apns" | jq '.requests | length')
[ "$n" = 3 ] && ok "three APNs requests in all" || fail "the emulator saw $n APNs requests, want 3"

check_done "node-apn interop passed"
