#!/bin/bash
# t1700-restart: jobs outlive workers.  Covers: jobs enqueued with no worker stay pending and
# run when a worker starts later; jobs left pending when a worker stops gracefully run after
# a restart, each exactly once; a failed job waiting for its retry is retried, when due, by
# a worker started after the first one stopped; the worker table follows the workers.
. "$TEST_DIR/lib.sh"

has_count() { [ "$(q status --json | jq ".$1")" = "$2" ]; }
counts() { q status --json | jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead)"'; }

# 1. Enqueued with no worker: pending until one starts.
for i in 1 2 3; do
	check_ok q enqueue --id "early$i" "echo early$i >>$TMP/ran"
done
assert_eq "3 0 0 0 0" "$(counts)" "counts with no worker"
start_worker --count 2
wait_for 10 has_count completed 3
assert_eq "early1 early2 early3" "$(sort "$TMP/ran" | tr '\n' ' ' | sed 's/ $//')" "early jobs ran once each"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

# 2. Stopped with work left: the first job runs (and holds the only slot) until the test
# lets it go; the worker is stopped meanwhile; the rest wait for the next worker.
check_ok q enqueue --id hold "touch $TMP/hold.started; while [ ! -e $TMP/hold.go ] && [ -d $TMP ]; do sleep 0.05; done; echo hold >>$TMP/ran"
for i in 1 2 3 4; do
	check_ok q enqueue --id "later$i" "echo later$i >>$TMP/ran"
done
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/hold.started"
kill -TERM "$w"
wait_for 10 grep -q "worker\[$w\]: received SIGTERM" "$TMP/worker.log"
touch "$TMP/hold.go"
wait_for 20 gone "$w"
wait "$w"
assert_eq 0 "$?" "worker exit status"
assert_eq completed "$(job_state hold)" "the running job finished"
assert_eq "4 0 4 0 0" "$(counts)" "counts with no worker"
check_ok q status --json
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "workers while none runs"

# They survive any number of process starts: a command that reads the store changes nothing.
before=$(snapshot)
check_ok q list
check_ok q status
assert_unchanged "$before"

start_worker --count 2
wait_for 10 has_count completed 8
assert_eq "early1 early2 early3 hold later1 later2 later3 later4" \
	"$(sort "$TMP/ran" | tr '\n' ' ' | sed 's/ $//')" "every job ran exactly once"
for i in 1 2 3 4; do
	check_ok q info --json "later$i"
	assert_eq "completed 1 1" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$out")" "later$i"
done
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

# 3. A retry pending across a restart: the job fails once, the worker stops during the 2 s
# backoff, and a new worker runs attempt 2 when it is due, not before.
check_ok q config set backoff-base 2
check_ok q enqueue --id retry --max-retries 1 'echo "attempt $QUEUECTL_ATTEMPT"; [ "$QUEUECTL_ATTEMPT" -ge 2 ]'
start_worker
wait_for 10 state_is retry failed
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"
check_ok q info --json retry
assert_eq "failed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "retry after the first worker"
failed_at=$(ms "$(jq -r '.history[0].finished_at' <<<"$out")")
start_worker
wait_for 10 state_is retry completed
check_ok q info --json retry
assert_eq "2 2" "$(jq -r '"\(.attempts) \(.runs)"' <<<"$out")" "retry: attempts and runs"
gap=$(($(ms "$(jq -r '.history[1].started_at' <<<"$out")") - failed_at))
checks=$((checks + 1))
[ "$gap" -ge 1900 ] && [ "$gap" -le 3500 ] || fail "retry ran $gap ms after its failure, expected about 2000"
check_ok q logs retry
assert_eq "attempt 2" "$out" "retry output"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

finish
