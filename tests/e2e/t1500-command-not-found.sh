#!/bin/bash
# t1500-command-not-found: jobs whose command cannot run.  Covers: a command that does not
# exist fails with "command not found (exit status 127)", is retried, ends dead, and its
# log has the shell's message; a file that is not executable fails with "command cannot be
# run (exit status 126)"; the same worker meanwhile completes the other jobs and keeps
# running.
. "$TEST_DIR/lib.sh"

finished() { # finished ID...: every job is completed or dead
	for id in "$@"; do
		case $(job_state "$id") in completed | dead) ;; *) return 1 ;; esac
	done
}

check_ok q config set backoff-max 0 # retries at once: timing is not tested here
printf 'echo never\n' >"$TMP/not-executable"
chmod 644 "$TMP/not-executable"

# One slot, so the good jobs run between the bad job's attempts, on the same worker.
check_ok q enqueue --id missing --max-retries 2 'queuectl-no-such-command --flag'
check_ok q enqueue --id ok1 'echo one'
check_ok q enqueue --id noexec --max-retries 0 "$TMP/not-executable"
check_ok q enqueue --id ok2 'echo two'
start_worker
wait_for 20 finished missing ok1 noexec ok2

check_ok q info --json missing
info=$out
assert_eq "dead 3" "$(jq -r '"\(.state) \(.attempts)"' <<<"$info")" "missing: state and attempts"
assert_match "^command not found" "$(jq -r .last_error <<<"$info")" "missing: last_error"
assert_eq 127 "$(jq -r .exit_code <<<"$info")" "missing: exit_code"
assert_eq "failed failed dead" "$(jq -r '[.history[].outcome] | join(" ")' <<<"$info")" "missing: history"
check_ok q logs missing
assert_match "queuectl-no-such-command.*not found" "$out" "missing: the shell's message in the log"
check_ok q dlq list --json
assert_eq "missing noexec" "$(jq -r '[.[].id] | sort | join(" ")' <<<"$out")" "dead letter queue"

check_ok q info --json noexec
assert_eq "dead 1 126" "$(jq -r '"\(.state) \(.attempts) \(.exit_code)"' <<<"$out")" "noexec: state, attempts, exit_code"
assert_eq "command cannot be run (exit status 126)" "$(jq -r .last_error <<<"$out")" "noexec: last_error"

worker_id=$(q info --json missing | jq -r '.history[0].worker')
for id in ok1 ok2; do
	check_ok q info --json "$id"
	assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "$id: state and attempts"
	assert_eq "$worker_id" "$(jq -r '.history[0].worker' <<<"$out")" "$id: run by the same worker"
done
check_ok q logs ok1
assert_eq one "$out" "ok1 output"
check_ok q logs ok2
assert_eq two "$out" "ok2 output"

# The worker is still serving.
gone "$worker_pid" && fail "the worker exited"
check_ok q enqueue --id ok3 'echo three'
wait_for 10 finished ok3
assert_eq completed "$(job_state ok3)" "ok3 state"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

finish
