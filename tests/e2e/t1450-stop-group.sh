#!/bin/bash
# t1450-stop-group: a stop that signals the jobs along with the worker (as systemd's
# KillMode=control-group does) returns them to pending uncounted, not failed.  Covers: the
# job's group SIGTERMed just before its worker, and just after; a job SIGTERMed on its own,
# with the worker serving on, is a failed attempt as before.
. "$TEST_DIR/lib.sh"

long() { echo "echo \$\$ >$TMP/$1.pid; while [ -d $TMP ]; do sleep 0.05; done"; }
attempts() { q info --json "$1" | jq .attempts; }

for order in job-first worker-first; do
	check_ok q enqueue --id "$order" "$(long "$order")"
	start_worker
	w=$worker_pid
	wait_for 10 test -s "$TMP/$order.pid"
	job=$(cat "$TMP/$order.pid")
	if [ "$order" = job-first ]; then
		kill -TERM -- "-$job"
		kill -TERM "$w"
	else
		kill -TERM "$w"
		kill -TERM -- "-$job"
	fi
	reaped "$w"
	assert_eq 0 "$rc" "worker exit status ($order)"
	assert_eq pending "$(job_state "$order")" "state of the job stopped with its worker ($order)"
	assert_eq 0 "$(attempts "$order")" "attempts counted ($order)"
	check_ok q delete "$order"
done

# Alone, with the worker serving on: a failed attempt.
check_ok q enqueue --id alone --max-retries 0 "$(long alone)"
start_worker
w=$worker_pid
wait_for 10 test -s "$TMP/alone.pid"
kill -TERM -- "-$(cat "$TMP/alone.pid")"
wait_for 10 state_is alone dead
assert_match "signal 15" "$(q info --json alone | jq -r .last_error)" "why the job failed"
stop_worker "$w"
assert_eq 0 "$rc" "worker exit status"

finish
