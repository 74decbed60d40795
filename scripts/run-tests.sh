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
# meson names the log after a --wrapper (testlog-valgrind.json): take the newest.
log=$(ls -t "$build"/meson-logs/testlog*.json 2>/dev/null | head -n 1)
if [ -n "$log" ]; then
	passed=$(grep -c '"result": "OK"' "$log")
	failed=$(grep -vc '"result": "OK"' "$log")
	echo "$passed passed, $failed failed"
fi
exit $rc
