#!/bin/bash
# t2430-web-readme.sh - the curl examples of README.md's "Web dashboard and API" (the block
# after the comment that names this test) print what the README says, against a server on
# a free port instead of 5000.
# Commands: web.
. "$TEST_DIR/lib.sh"
. "$TEST_DIR/web-lib.sh"

readme=$TEST_DIR/../../README.md
awk '/t2430-web-readme.sh runs the commands/ { on = 1; next }
	on && /^```console$/ { inside = 1; next }
	inside && /^```$/ { exit }
	inside' "$readme" >"$TMP/block"
[ "$(grep -c '^\$ ' "$TMP/block")" -ge 5 ] || fail "no examples found in $readme"

start_web
cmd=
run_example() {
	[ -n "$cmd" ] || return 0
	got=$(bash -c "${cmd//http:\/\/127.0.0.1:5000/$base}" 2>&1)
	assert_eq "$want" "$got" "README: \$ $cmd"
}
while IFS= read -r line; do
	if [[ $line == '$ '* ]]; then
		run_example
		cmd=${line#\$ }
		want=
	else
		want=${want:+$want$'\n'}$line
	fi
done <"$TMP/block"
run_example
stop_worker "$web_pid"
finish
