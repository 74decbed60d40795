#!/bin/bash
# t1510-cannot-start: a job whose process cannot be started by no fault of its own (here its
# log file is a planted symbolic link, which is never followed) is held by its worker and
# tried again 0.5, 1 and 2 s later, one log line each, without a new run; after 4 tries
# its attempt fails with the reason and is retried as any failed attempt.  The link's
# target is never written.
# Commands: enqueue, worker start, info.
. "$TEST_DIR/lib.sh"

check_ok q config set backoff-max 0 # the retry at once: its timing is not tested here
echo keep >"$TMP/target"
mkdir -p -m 700 "$(logs_root)/logs"
ln -s "$TMP/target" "$(logs_root)/logs/nolog.1.log"
check_ok q enqueue --id nolog --max-retries 1 'echo ran'
start_worker
wait_for 30 state_is nolog completed

check_ok q info --json nolog
info=$out
assert_eq "completed 2 2" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$info")" \
	"state, attempts and runs: one failed attempt, then one that ran"
assert_match "^not started after 4 tries: cannot open log file '.*/nolog\.1\.log': Too many levels of symbolic links$" \
	"$(jq -r '.history[0].error' <<<"$info")" "the first attempt's error"
assert_eq 3 "$(grep -c "cannot start job nolog (try [123] of 4, again in [0-9.]* s)" "$TMP/worker.log")" \
	"one line per try that is tried again"
assert_eq 0 "$(grep -c "started job nolog (attempt 1" "$TMP/worker.log")" "attempt 1 never started"
assert_eq keep "$(cat "$TMP/target")" "the link's target untouched"
check_ok q logs nolog
assert_eq ran "$out" "the second run's output"

finish
