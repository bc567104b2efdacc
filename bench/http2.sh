#!/bin/sh
# HTTP/2 client benchmark: the broker's pool (bench_http2) against h2load, the
# floor, on the same nghttpd (TLS, certificates from `herald-emulator init`)
# and the same load: one connection, INFLIGHT streams, N POSTs of 128 bytes.
# Prints both rates and their ratio.  With EMULATOR=1 it also runs
# bench_http2 against herald-emulator's APNs port (certificate auth).
#   sh bench/http2.sh [N] [INFLIGHT]        (from the build directory)
set -eu
n=${1:-200000}
m=${2:-100}
build=${HERALD_BUILDDIR:-.}
HERALD_BUILDDIR=$build
. "$(dirname "$0")/../tests/emu_lib.sh"
for tool in nghttpd h2load; do
	command -v $tool >/dev/null || {
		echo "http2.sh: $tool not found (Debian: nghttp2-server, nghttp2-client)" >&2
		exit 77
	}
done
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	emu_stop
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

emu_init "$tmp/pki"
mkdir "$tmp/www"
printf 'ok' >"$tmp/www/ok"
head -c 128 /dev/zero | tr '\0' x >"$tmp/body"

# nghttpd takes no port 0: try a few.
port=
for try in 1 2 3 4 5 6 7 8; do
	p=$((20000 + ($$ * 7 + try * 131) % 30000))
	nghttpd -a 127.0.0.1 -d "$tmp/www" "$p" "$tmp/pki/server-key.pem" "$tmp/pki/server.pem" \
		>"$tmp/nghttpd.log" 2>&1 &
	pid=$!
	sleep 0.3
	if kill -0 "$pid" 2>/dev/null; then
		port=$p
		pids="$pids $pid"
		break
	fi
done
[ -n "$port" ] || { echo "http2.sh: nghttpd did not start" >&2; cat "$tmp/nghttpd.log" >&2; exit 1; }
url=https://127.0.0.1:$port/ok

floor=$(h2load -n "$n" -c 1 -m "$m" -d "$tmp/body" "$url" |
	awk '/^finished in/ { gsub(",", ""); print int($4) } /succeeded/ { if ($10 + 0 != 0 || $12 + 0 != 0) print "FAILED" }')
case $floor in *FAILED* | "") echo "http2.sh: h2load failed" >&2; exit 1 ;; esac
line=$("$build/bench/bench_http2" -n "$n" -m "$m" -d 128 --ca "$tmp/pki/ca.pem" "$url")
rate=$(echo "$line" | sed -n 's/.*rate=\([0-9]*\)\/s.*/\1/p')
echo "h2load      requests=$n inflight=$m connections=1 rate=$floor/s"
echo "bench_http2 $line"
awk -v a="$rate" -v b="$floor" 'BEGIN { printf "ratio bench_http2/h2load = %.2f\n", a / b }'

if [ "${EMULATOR:-0}" = 1 ]; then
	emu_run "$tmp/pki"
	apns=$emu_apns
	token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf 'emulator    '
	"$build/bench/bench_http2" -n "$n" -m "$m" --ca "$tmp/pki/ca.pem" \
		--cert "$tmp/pki/apns-cert.pem" --key "$tmp/pki/apns-cert-key.pem" \
		-X POST -d 64 -H 'apns-topic: com.example.herald' -H 'apns-push-type: alert' \
		"https://127.0.0.1:$apns/3/device/$token"
fi
