#!/bin/bash
# t1520-leftovers: a job is its main process.  What it leaves running in the background is
# killed when the main process exits, before the attempt is recorded, so that a retry never
# overlaps it; a process that left the job's session (setsid) is no longer the job's.
# Commands: enqueue, worker start, info, logs.
. "$TEST_DIR/lib.sh"

check_ok q config set backoff-max 0 # the retry at once

# Attempt 1 leaves a sleep behind and fails; attempt 2 says whether that sleep still runs.
# A process SIGKILLed runs no more code, but may take a moment to show as dead (a zombie
# until its new parent reaps it): attempt 2 waits up to 5 s for that; a sleep 300 left
# alive stays alive.
check_ok q enqueue --id bg --max-retries 1 "
if [ -s '$TMP/bg.pid' ]; then
	pid=\$(cat '$TMP/bg.pid')
	for i in \$(seq 100); do
		state=\$(cut -d' ' -f3 /proc/\$pid/stat 2>/dev/null)
		case \$state in ''|Z) echo clean; exit 0 ;; esac
		sleep 0.05
	done
	echo overlap
	exit 0
fi
sleep 300 &
echo \$! >'$TMP/bg.pid'
exit 1"
# A job that completes with a process in the background, and one that leaves its session.
check_ok q enqueue --id done-bg "sleep 300 & echo \$! >'$TMP/done.pid'"
# (The pid is written from inside the new session, and the job waits for it.)
check_ok q enqueue --id away "setsid sh -c 'echo \$\$ >$TMP/away.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
until [ -s '$TMP/away.pid' ]; do sleep 0.01; done"
start_worker
wait_for 30 state_is bg completed
wait_for 30 state_is done-bg completed
wait_for 30 state_is away completed

check_ok q logs bg
assert_eq clean "$out" "the retry found the first attempt's background process gone"
assert_eq "completed 2" "$(q info --json bg | jq -r '"\(.state) \(.attempts)"')" "bg: state, attempts"
wait_for 10 gone "$(cat "$TMP/done.pid")"
away=$(cat "$TMP/away.pid")
gone "$away" && fail "the process that left the job's session was killed"
kill "$away"

finish
