#!/bin/bash
# t1100-retry-backoff: a failing job is retried with exponential backoff and then dead.
# Covers: config backoff-base; a job that exits 3 with --max-retries 2 runs 3 times, waits
# backoff-base^n s after its n-th failure (checked from 'info --json' history times), ends
# dead with last_error "exit status 3"; 'dlq retry' starts a new cycle with attempts reset
# to 0 and new history rows; backoff-max caps the delay.
. "$TEST_DIR/lib.sh"

has_attempts() { [ "$(q info --json "$1" | jq -r .attempts)" = "$2" ]; }

# check_gap WHAT FINISHED STARTED SECONDS: the next run started SECONDS after the previous
# one finished, within -0.1 s and +1.5 s.
check_gap() {
	local gap=$(($(ms "$3") - $(ms "$2")))
	checks=$((checks + 1))
	[ "$gap" -ge $(($4 * 1000 - 100)) ] && [ "$gap" -le $(($4 * 1000 + 1500)) ] ||
		fail "$1: next run started ${gap} ms after the failure, expected about $4 s"
}

check_ok q config set backoff-base 2
check_ok q config set backoff-max 1h
check_ok q enqueue --id flaky --max-retries 2 'echo "run $QUEUECTL_ATTEMPT"; exit 3'
start_worker

# Between the first and second run the job waits as failed, due in about 2 s.
wait_for 10 has_attempts flaky 1
check_ok q info --json flaky
assert_eq failed "$(jq -r .state <<<"$out")" "state after the first failure"
assert_eq "exit status 3" "$(jq -r .last_error <<<"$out")" "last_error after the first failure"
assert_eq 3 "$(jq -r .exit_code <<<"$out")" "exit_code after the first failure"

wait_for 20 state_is flaky dead
check_ok q info --json flaky
info=$out
assert_eq 3 "$(jq -r .attempts <<<"$info")" "attempts"
assert_eq 3 "$(jq -r .runs <<<"$info")" "runs"
assert_eq "exit status 3" "$(jq -r .last_error <<<"$info")" "last_error"
assert_eq 3 "$(jq -r .exit_code <<<"$info")" "exit_code"
assert_eq "1:1:failed 2:2:failed 3:3:dead" \
	"$(jq -r '[.history[] | "\(.run):\(.attempt):\(.outcome)"] | join(" ")' <<<"$info")" \
	"history runs, attempts, outcomes"
assert_eq "exit status 3,exit status 3,exit status 3" \
	"$(jq -r '[.history[].error] | join(",")' <<<"$info")" "history errors"
check_gap "after failure 1" "$(jq -r '.history[0].finished_at' <<<"$info")" \
	"$(jq -r '.history[1].started_at' <<<"$info")" 2
check_gap "after failure 2" "$(jq -r '.history[1].finished_at' <<<"$info")" \
	"$(jq -r '.history[2].started_at' <<<"$info")" 4
check_ok q logs flaky
assert_eq "run 3" "$out" "logs of the last run"
assert_match "job flaky failed: exit status 3; retry 1 of 2 in 2s" "$(cat "$TMP/worker.log")" \
	"worker log of the first failure"
assert_match "job flaky failed: exit status 3; moved to the dead letter queue after 3 attempts" \
	"$(cat "$TMP/worker.log")" "worker log of the last failure"
check_ok q dlq list --json
assert_eq flaky "$(jq -r '[.[].id] | join(" ")' <<<"$out")" "dlq list"

stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

# dlq retry: a new cycle, attempts from 0.  Retries now come at once (backoff-max 0).
check_ok q dlq retry flaky
check_ok q info --json flaky
assert_eq "pending 0" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "state and attempts after dlq retry"
assert_eq 3 "$(jq '.history | length' <<<"$out")" "history kept by dlq retry"
check_ok q config set backoff-max 0
start_worker
wait_for 20 state_is flaky dead
check_ok q info --json flaky
info=$out
assert_eq "3 6" "$(jq -r '"\(.attempts) \(.runs)"' <<<"$info")" "attempts and runs after the second cycle"
assert_eq "1:1:failed 2:2:failed 3:3:dead 4:1:failed 5:2:failed 6:3:dead" \
	"$(jq -r '[.history[] | "\(.run):\(.attempt):\(.outcome)"] | join(" ")' <<<"$info")" \
	"history of both cycles"
check_gap "backoff-max 0, failure 4" "$(jq -r '.history[3].finished_at' <<<"$info")" \
	"$(jq -r '.history[4].started_at' <<<"$info")" 0
check_gap "backoff-max 0, failure 5" "$(jq -r '.history[4].finished_at' <<<"$info")" \
	"$(jq -r '.history[5].started_at' <<<"$info")" 0
check_ok q logs flaky
assert_eq "run 3" "$out" "QUEUECTL_ATTEMPT restarts with the cycle"

stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

finish
