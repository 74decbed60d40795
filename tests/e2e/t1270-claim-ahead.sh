#!/bin/bash
# t1270-claim-ahead: a worker whose jobs are short claims jobs ahead of its free slots, so
# that the next one starts as soon as one ends; that must never keep a job from the other
# workers, run one twice or lose one.  Covers: a job claimed ahead behind a long one goes
# back to pending within a fraction of a second, no run number spent and no attempt
# counted, and another worker runs it while the long one goes on;
# a worker stopped in the middle of a drain of short jobs gives back what it claimed ahead:
# nothing is left processing, and a second worker finishes the queue with every job run
# exactly once.
. "$TEST_DIR/lib.sh"

row() { sql "SELECT state || ' ' || runs || ' ' || attempts FROM jobs WHERE id = '$1'"; }
row_is() { [ "$(row "$1")" = "$2" ]; }
in_log() { grep -q -- "$1" "$TMP/worker.log"; }
ncompleted() { [ "$(q status --json | jq .completed)" = "$1" ]; }
ran_at_least() { [ -f "$TMP/ran" ] && [ "$(wc -l <"$TMP/ran")" -ge "$1" ]; }

# --- Behind a long job: given back, and run by another worker meanwhile.
start_worker --count 1
w1=$worker_pid
# A short job first: from then on the worker claims ahead.
check_ok q enqueue --id warm -- true
wait_for 10 state_is warm completed
# One transaction, one wake-up: the worker claims both, starts 'long', holds 'after'.
printf '%s\n' \
	"{\"id\":\"long\",\"command\":\"touch $TMP/long.started; while [ ! -e $TMP/long.go ]; do sleep 0.05; done\"}" \
	'{"id":"after","argv":["true"]}' >"$TMP/two.jsonl"
check_ok q enqueue --file "$TMP/two.jsonl"
wait_for 10 test -e "$TMP/long.started"
# Claimed, then given back as if it had not been: pending, run number and wait unspent.
wait_for 10 row_is after "pending 0 0"
wait_for 10 in_log "job after: claimed ahead, returned to pending: no slot came free within 100 ms"
assert_eq "" "$(grep 'started job after' "$TMP/worker.log")" "'after' started by the busy worker"
start_worker --count 1
w2=$worker_pid
wait_for 10 state_is after completed
check_ok q info --json after
assert_eq 1 "$(jq .attempts <<<"$out")" "attempts of 'after'"
assert_eq processing "$(job_state long)" "the long job, meanwhile"
touch "$TMP/long.go"
wait_for 10 state_is long completed
stop_worker "$w1"
assert_eq 0 "$rc" "first worker's exit status"
stop_worker "$w2"
assert_eq 0 "$rc" "second worker's exit status"

# --- Stopped mid-drain: what was claimed ahead goes back, and nothing runs twice.
n=300
for i in $(seq -f '%03g' 1 $n); do
	printf '{"id":"j%s","command":"echo j%s >>%s/ran"}\n' "$i" "$i" "$TMP"
done >"$TMP/jobs.jsonl"
: >"$TMP/worker.log"
check_ok q enqueue --file "$TMP/jobs.jsonl"
start_worker --count 2
w1=$worker_pid
wait_for 20 ran_at_least 50
stop_worker "$w1"
assert_eq 0 "$rc" "stopped worker's exit status"
check_ok q status --json
assert_eq 0 "$(jq .processing <<<"$out")" "jobs left processing by the stopped worker"
done_first=$(jq .completed <<<"$out")
[ "$done_first" -lt $((n + 1)) ] || fail "completed $done_first of $n"
start_worker --count 2 --until-idle
reaped "$worker_pid"
assert_eq 0 "$rc" "second worker's exit status"
wait_for 10 ncompleted $((n + 3)) # and warm, long, after
assert_eq "$n" "$(sort -u "$TMP/ran" | wc -l)" "jobs that ran"
assert_eq "$n" "$(wc -l <"$TMP/ran")" "runs"
assert_eq "" "$(sql "SELECT id FROM jobs WHERE attempts <> 1")" "jobs with other than one attempt"

finish
