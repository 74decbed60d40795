#!/bin/bash
# t1950-wakeup: an idle worker is woken by a new job at once, not by its next poll.  Covers:
# after 'enqueue', 'enqueue --file' and 'dlq retry', a worker idle for over a second starts
# the job within 3 s (it starts in milliseconds; the heartbeat that would otherwise find the
# job comes every 10 s with the default 30 s lease); two idle workers are both woken.
. "$TEST_DIR/lib.sh"

now_ms() { date +%s%3N; }
nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
past() { [ "$(now_ms)" -ge "$1" ]; }
# idle_for MS: let the workers sit idle this long.  This is not synchronisation: the point is
# that they have gone to sleep with nothing to do, so that only a wake-up can start the job.
idle_for() { wait_for 10 past $(($(now_ms) + $1)); }
started_ms() { date -d "$(q info --json "$1" | jq -r ".history[${2:-0}].started_at")" +%s%3N; }

# prompt WHAT ID T0 [RUN]: the job's run RUN (0-based) started within 3 s of T0.
prompt() {
	local d=$(($(started_ms "$2" "${4:-0}") - $3))
	checks=$((checks + 1))
	[ "$d" -ge 0 ] && [ "$d" -le 3000 ] || fail "$1: the job started $d ms after it was added"
}

check_ok q config get lease
assert_eq 30 "$out" "lease (heartbeat every 10 s)"

start_worker
w1=$worker_pid
start_worker
w2=$worker_pid
wait_for 10 nworkers 2
idle_for 1500

# enqueue
t0=$(now_ms)
check_ok q enqueue --id one 'echo one'
wait_for 10 state_is one completed
prompt "enqueue" one "$t0"

# enqueue --file, two jobs that run side by side: both workers are woken.
idle_for 1500
printf '%s\n' \
	"{\"id\":\"f1\",\"command\":\"touch $TMP/f1; while [ ! -e $TMP/f2 ] && [ -d $TMP ]; do sleep 0.05; done\"}" \
	"{\"id\":\"f2\",\"command\":\"touch $TMP/f2; while [ ! -e $TMP/f1 ] && [ -d $TMP ]; do sleep 0.05; done\"}" \
	>"$TMP/jobs.jsonl"
t0=$(now_ms)
check_ok q enqueue --file "$TMP/jobs.jsonl"
wait_for 10 state_is f1 completed
wait_for 10 state_is f2 completed
prompt "enqueue --file, first job" f1 "$t0"
prompt "enqueue --file, second job" f2 "$t0"
check_ok q info --json f1
wf1=$(jq -r '.history[0].worker' <<<"$out")
check_ok q info --json f2
wf2=$(jq -r '.history[0].worker' <<<"$out")
checks=$((checks + 1))
[ "$wf1" != "$wf2" ] || fail "f1 and f2 both ran on $wf1: the other idle worker was not woken"

# dlq retry
check_ok q enqueue --id flaky --max-retries 0 "[ -e $TMP/flaky.ok ]"
wait_for 10 state_is flaky dead
touch "$TMP/flaky.ok"
idle_for 1500
t0=$(now_ms)
check_ok q dlq retry flaky
wait_for 10 state_is flaky completed
prompt "dlq retry" flaky "$t0" 1

stop_worker "$w1"
assert_eq 0 "$rc" "exit status of the first worker"
stop_worker "$w2"
assert_eq 0 "$rc" "exit status of the second worker"

finish
