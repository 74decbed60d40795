#!/bin/bash
# t1960-worker-batch: workers that stop by themselves.  Covers: 'worker start --until-idle'
# drains the due jobs and exits 0, leaving no worker in 'status'; a delayed job and a failed
# job waiting out its backoff do not keep it alive and are left as they were; --max-jobs N
# starts exactly N jobs and lets the running ones finish; --for DURATION exits by itself once
# the time is up, after its running jobs; a SIGTERM while a batch worker finishes its jobs
# is still a first, graceful one; each with --count 2 and combined; bad values of the three
# options exit 2 with one line.
. "$TEST_DIR/lib.sh"

in_log() { grep -q -- "$1" "$TMP/worker.log"; }
# count STATE: how many jobs are in STATE ('list --json' shows every job).
count() { q list --json | jq "[.[] | select(.state == \"$1\")] | length"; }
nworkers() { q status --json | jq '.workers | length'; }
now_ms() { date +%s%3N; }

# A job that says when it has started, then waits for the test to let it go (see t1400).
blocker() { # blocker NAME
	echo "touch $TMP/$1.started; while [ ! -e $TMP/$1.go ] && [ -d $TMP ]; do sleep 0.05; done; echo $1 done"
}

# enqueue_n N [PREFIX]: N jobs that echo their number, ids PREFIX1..PREFIXN.
enqueue_n() {
	for i in $(seq "$1"); do
		check_ok q enqueue --id "${2:-j}$i" "echo $i"
	done
}

# finished: the last worker started exited by itself, with status 0, unregistered.
finished() {
	reaped "$worker_pid"
	assert_eq 0 "$rc" "${1:-worker} exit status"
	assert_eq 0 "$(nworkers)" "${1:-worker}: workers left in status"
}

# --- Bad values: exit 2, one line, before the store is touched.
check_fail 2 "^queuectl: invalid --max-jobs '0': must be between 1 and [0-9]+$" \
	q worker start --max-jobs 0
check_fail 2 "^queuectl: invalid --max-jobs 'x': not a whole number$" q worker start --max-jobs x
check_fail 2 "^queuectl: --for: invalid duration 'abc': " q worker start --for abc
check_fail 2 "^queuectl: invalid --for '0': must be at least 1s$" q worker start --for 0
check_fail 2 "^queuectl: worker start: option '--for' needs a value" q worker start --for
assert_eq "" "$(ls "$QUEUECTL_HOME" 2>/dev/null)" "no store made by bad values"

# --- --until-idle drains the queue, then exits 0.
enqueue_n 6
start_worker --until-idle
finished "--until-idle"
assert_eq 6 "$(count completed)" "completed after --until-idle"
assert_eq 6 "$(q list --json | jq length)" "jobs after --until-idle"
assert_match "no job is due \(--until-idle\): exiting" "$(cat "$TMP/worker.log")" "worker log"
check_ok q purge --state completed

# With nothing at all to do, it exits at once.
start_worker --until-idle
finished "--until-idle on an empty queue"

# --- Jobs delayed into the future, or waiting out a backoff, do not keep it alive.
check_ok q config set backoff-base 30
check_ok q config set backoff-max 1h
check_ok q enqueue --id later --delay 1h 'echo later'
check_ok q enqueue --id flaky --max-retries 2 'exit 4'
check_ok q enqueue --id now 'echo now'
start_worker --until-idle --count 2
finished "--until-idle with delayed jobs"
check_ok q info --json later
assert_eq "pending 0 0" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$out")" "the delayed job"
check_ok q info --json flaky
assert_eq "failed 1 exit status 4" "$(jq -r '"\(.state) \(.attempts) \(.last_error)"' <<<"$out")" \
	"the job waiting out its backoff"
check_ok q info --json now
assert_eq completed "$(jq -r .state <<<"$out")" "the due job"
check_ok q delete later flaky
check_ok q purge --state completed

# --- --max-jobs 3 with 5 jobs: exactly 3 run.
enqueue_n 5
start_worker --max-jobs 3
finished "--max-jobs 3"
assert_eq 3 "$(count completed)" "completed after --max-jobs 3"
assert_eq 2 "$(count pending)" "pending after --max-jobs 3"
assert_match "started 3 jobs \(--max-jobs\)" "$(cat "$TMP/worker.log")" "worker log"
# The next worker takes the rest, with --count 2 and a limit it does not reach.
start_worker --max-jobs 3 --count 2 --until-idle
finished "--max-jobs 3 --count 2 --until-idle"
assert_eq 5 "$(count completed)" "completed after the second worker"
check_ok q purge --state completed

# --max-jobs 3 --count 2 with 5 jobs: never more than 3 claimed in all.
enqueue_n 5
start_worker --max-jobs 3 --count 2
finished "--max-jobs 3 --count 2"
assert_eq 3 "$(count completed)" "completed after --max-jobs 3 --count 2"
assert_eq 2 "$(count pending)" "pending after --max-jobs 3 --count 2"
check_ok q delete $(q list --json | jq -r '.[] | select(.state == "pending") | .id')
check_ok q purge --state completed

# --max-jobs 2 --count 2: the limit is reached with both jobs running; they finish first.
check_ok q enqueue --id m1 "$(blocker m1)"
check_ok q enqueue --id m2 "$(blocker m2)"
check_ok q enqueue --id m3 'echo m3'
start_worker --max-jobs 2 --count 2
w=$worker_pid
wait_for 10 test -e "$TMP/m1.started" -a -e "$TMP/m2.started"
wait_for 10 in_log "worker\[$w\]: started 2 jobs (--max-jobs): finishing 2 running jobs, then exiting"
gone "$w" && fail "the worker exited before its running jobs ended"
assert_eq 1 "$(nworkers)" "the worker is listed while its jobs finish"
touch "$TMP/m1.go" "$TMP/m2.go"
finished "--max-jobs 2 --count 2"
assert_eq "completed completed pending" \
	"$(for j in m1 m2 m3; do job_state $j; done | tr '\n' ' ' | sed 's/ $//')" "m1 m2 m3"
check_ok q delete m3
check_ok q purge --state completed

# --- --for: an idle worker exits by itself once the time is up.
t0=$(now_ms)
start_worker --for 2s
finished "--for 2s"
elapsed=$(($(now_ms) - t0))
checks=$((checks + 1))
[ "$elapsed" -ge 2000 ] || fail "--for 2s: the worker exited after $elapsed ms"
assert_match "ran for 2s \(--for\): exiting" "$(cat "$TMP/worker.log")" "worker log"

# --for 1s --count 2: at the end of its time the worker takes no new job and lets its
# running ones finish.
check_ok q enqueue --id f1 "$(blocker f1)"
check_ok q enqueue --id f2 "$(blocker f2)"
start_worker --for 1s --count 2
w=$worker_pid
wait_for 10 test -e "$TMP/f1.started" -a -e "$TMP/f2.started"
wait_for 10 in_log "worker\[$w\]: ran for 1s (--for): finishing 2 running jobs, then exiting"
check_ok q enqueue --id f3 'echo f3'
gone "$w" && fail "the worker exited before its running jobs ended"
touch "$TMP/f1.go" "$TMP/f2.go"
finished "--for 1s --count 2"
assert_eq "completed completed pending" \
	"$(for j in f1 f2 f3; do job_state $j; done | tr '\n' ' ' | sed 's/ $//')" "f1 f2 f3"
check_ok q delete f3
check_ok q purge --state completed

# --until-idle wins over a long --for, and --max-jobs over --until-idle.
enqueue_n 3
start_worker --until-idle --for 1h --count 2
finished "--until-idle --for 1h"
assert_eq 3 "$(count completed)" "completed after --until-idle --for 1h"
check_ok q purge --state completed
enqueue_n 4
start_worker --until-idle --max-jobs 2 --count 2
finished "--until-idle --max-jobs 2"
assert_eq 2 "$(count completed)" "completed after --until-idle --max-jobs 2"
assert_eq 2 "$(count pending)" "pending after --until-idle --max-jobs 2"
check_ok q delete $(q list --json | jq -r '.[] | select(.state == "pending") | .id')
check_ok q purge --state completed

# --- A SIGTERM while a batch worker finishes is a first signal: the job still finishes.
check_ok q enqueue --id s1 "$(blocker s1)"
start_worker --max-jobs 1
w=$worker_pid
wait_for 10 test -e "$TMP/s1.started"
wait_for 10 in_log "worker\[$w\]: started 1 job (--max-jobs)"
kill -TERM "$w"
wait_for 10 in_log "worker\[$w\]: received SIGTERM: finishing 1 running job"
touch "$TMP/s1.go"
finished "--max-jobs 1, then SIGTERM"
check_ok q info --json s1
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "s1 state and attempts"
check_ok q logs s1
assert_eq "s1 done" "$out" "s1 output"

finish
