#!/bin/sh
# Install what building and testing herald needs, from Debian's packages.
# Runs apt-get directly as root, through sudo otherwise.
set -eu
packages="autoconf automake libtool pkg-config make gcc
	libevent-dev libssl-dev libnghttp2-dev libcurl4-openssl-dev libmsgpack-dev
	libconfig-dev libjansson-dev libsqlite3-dev libcunit1-dev curl jq
	awscli python3-boto3 nghttp2-client nghttp2-server"
if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
