#!/bin/sh
# run-tests.sh - run the whole suite in a build directory and end with one summary line,
# "N passed, N failed", that CI and people read the same way.
#
# Usage: scripts/run-tests.sh BUILD_DIR [meson test arguments...]
set -u
build=$1
shift
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
	passed=$(grep -c '"result": "OK"' "$log")
	failed=$(grep -vc '"result": "OK"' "$log")
	echo "$passed passed, $failed failed"
fi
exit $rc
