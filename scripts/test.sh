#!/bin/sh
# The full test suite: dependencies, build, then every unit and integration test.
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
if ! make -j"$(nproc)" check; then
	for f in $(find tests -name '*.log' ! -name test-suite.log); do
		grep -qE '^:test-result: (FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null && { echo "=== $f"; tail -50 "$f"; }
	done
	exit 1
fi
