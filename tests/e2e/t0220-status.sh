#!/bin/bash
# t0220-status.sh - status: a count for each of the five states, zero counts included, the
# total, and the active workers; as text and as one JSON object.
# Commands: status, enqueue, config set, worker start.
. "$TEST_DIR/lib.sh"

# counts: "pending processing completed failed dead total" from status --json.
counts() {
	q status --json | jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead) \(.total)"'
}

# Stop the worker: one SIGTERM lets the running job finish, so a second one, once the
# worker has seen the first, stops 'sleep 30' and returns it to pending.
stop_worker_now() {
	local seen
	seen=$(grep -c 'received SIGTERM' "$TMP/worker.log")
	kill -TERM "$worker_pid"
	wait_for 10 sh -c "[ \$(grep -c 'received SIGTERM' '$TMP/worker.log') -gt $seen ]"
	kill -TERM "$worker_pid"
	wait "$worker_pid"
}

# --- Nothing yet (not even a database): every state is there with 0.
check_ok q status --json
assert_eq 1 "$(jq -s length <<<"$out")" "one JSON value"
assert_eq '{"pending":0,"processing":0,"completed":0,"failed":0,"dead":0,"total":0,"workers":[]}' \
	"$(jq -c . <<<"$out")" "status --json of an empty queue"
check_ok q status
for s in pending processing completed failed dead total; do
	assert_match "^$s +0$" "$(grep "^$s " <<<"$out")" "'$s 0' line"
done
assert_match '^workers: none$' "$(grep '^workers' <<<"$out")" "no workers"

# --- One job in each state.  A long backoff keeps the failed job failed; a long lease keeps
# the worker from writing heartbeats while we look.
check_ok q config set backoff-base 1000
check_ok q config set lease 3600
check_ok q enqueue --id done true
check_ok q enqueue --id gone --max-retries 0 false
check_ok q enqueue --id retry --max-retries 1 false
check_ok q enqueue --id busy 'sleep 30'
check_ok q enqueue --id later --delay 1h true
assert_eq "5 0 0 0 0 5" "$(counts)" "five pending jobs"
start_worker
wait_for 20 state_is busy processing
assert_eq completed "$(job_state done)" "state of done"
assert_eq dead "$(job_state gone)" "state of gone"
assert_eq failed "$(job_state retry)" "state of retry"
assert_eq pending "$(job_state later)" "state of later"

check_ok q status --json
assert_eq "1 1 1 1 1 5" "$(jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead) \(.total)"' <<<"$out")" \
	"one job in each state"
assert_eq 1 "$(jq '.workers | length' <<<"$out")" "one active worker"
assert_eq "$worker_pid 1" "$(jq -r '.workers[0] | "\(.pid) \(.slots)"' <<<"$out")" \
	"the worker's pid and slots"
check_ok q status
for s in pending processing completed failed dead; do
	assert_match "^$s +1$" "$(grep "^$s " <<<"$out")" "'$s 1' line"
done
assert_match '^total +5$' "$(grep '^total ' <<<"$out")" "total line"
assert_match "^$worker_pid +" "$(grep "^$worker_pid " <<<"$out")" "worker line with its pid"

# --- Bad usage, while the worker holds its job (the long lease keeps the store still).
before=$(snapshot)
reject 2 "^queuectl: status: unexpected argument 'extra'" q status extra
reject 2 "^queuectl: status: unknown option '--bogus'" q status --bogus
reject 2 "^queuectl: status: unexpected argument 'pending'" q status --json pending

# --- Once the worker has stopped it is no longer listed, and its job is pending again.
stop_worker_now
check_ok q status --json
assert_eq "2 0 1 1 1 5" "$(jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead) \(.total)"' <<<"$out")" \
	"counts after the worker stopped"
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "no workers after stop"
check_ok q status
assert_match '^workers: none$' "$(grep '^workers' <<<"$out")" "no workers (text)"

finish
