#!/bin/bash
# t0500-delete-purge.sh - delete ID... removes jobs that are not processing (all named or
# none); purge --state completed|dead [--older-than DURATION] removes finished jobs in bulk.
# Commands: delete, purge, enqueue, info, list, worker start.
. "$TEST_DIR/lib.sh"

ids() {
	q list --json | jq -r '[.[].id] | join(" ")'
}

# purged_after DURATION STATE N: purge --older-than DURATION removed N jobs (for wait_for).
purged_after() {
	[ "$(q purge --state "$2" --older-than "$1")" = "purged $3 $2 job$([ "$3" = 1 ] || echo s)" ]
}

# --- Jobs in every finishing state, and one held by a worker.  The long lease keeps the
# worker from writing heartbeats, so the store stays still while we look at it.
check_ok q config set lease 3600
check_ok q enqueue --id c1 'echo c1'
check_ok q enqueue --id c2 true
check_ok q enqueue --id d1 --max-retries 0 'echo d1; false' # output: a log file
check_ok q enqueue --id busy 'sleep 30'
check_ok q enqueue --id p1 --delay 1h true
check_ok q enqueue --id p2 --delay 1h true
check_ok q enqueue --id p10 --delay 1h true
# Generated ids, given here so that the test knows them: these resolve from a prefix.
g1=fe01aa00000000000000000000000001
g2=fe01bb00000000000000000000000002
check_ok q enqueue --id $g1 --delay 1h true
check_ok q enqueue --id $g2 --delay 1h true
start_worker
wait_for 20 state_is busy processing
assert_eq "completed completed dead" "$(job_state c1) $(job_state c2) $(job_state d1)" "finished jobs"
check_ok q info --json d1
log=$(jq -r '.history[0].log' <<<"$out")
[ -f "$log" ] || fail "no log file '$log' for d1"

# --- delete refusals: a processing job, unknown or ambiguous ids, and a list with any of
# those in it deletes nothing.
before=$(snapshot)
reject 1 "^queuectl: job 'busy' is processing: it cannot be deleted$" q delete busy
# A chosen id only whole: a prefix meant for a job long gone never reaches another.
reject 1 "^queuectl: no job 'bu'$" q delete bu
reject 1 "job 'busy' is processing" q delete p2 busy
reject 1 "^queuectl: no job 'nope'$" q delete nope
reject 1 "^queuectl: no job 'nope'$" q delete p2 c1 nope
reject 1 "^queuectl: no job 'c'$" q delete c
reject 2 "^queuectl: job id prefix 'fe01' is ambiguous: '$g1', '$g2', \.\.\.$" q delete fe01
reject 2 "job id prefix 'fe01' is ambiguous" q delete p2 fe01
reject 2 "^queuectl: empty job id$" q delete ''
reject 2 "^queuectl: delete: missing job id" q delete
reject 2 "^queuectl: delete: unknown option '--force'" q delete --force busy
assert_eq processing "$(job_state busy)" "busy still processing"

# --- Stop the worker: one SIGTERM lets 'sleep 30' finish, a second (once the first has been
# seen) stops it and returns the job to pending.
kill -TERM "$worker_pid"
wait_for 10 grep -q 'received SIGTERM' "$TMP/worker.log"
kill -TERM "$worker_pid"
wait "$worker_pid"
assert_eq pending "$(job_state busy)" "busy back to pending"

# --- delete: pending, completed and dead jobs, by id or unique prefix; the full ids are printed.
check_ok q delete busy
assert_eq busy "$out" "delete prints the id"
check_ok q delete p1
assert_eq p1 "$out" "exact id p1 although p10 begins with it"
before=$(snapshot)
reject 1 "^queuectl: no job 'p1'$" q delete p1
check_ok q delete p10 fe01a
assert_eq "p10 $g1" "$(echo $out)" "a chosen id whole, a generated one by a unique prefix"
check_ok q delete fe01
assert_eq $g2 "$out" "fe01 now a unique prefix of $g2"
check_ok q delete c1 d1
assert_eq $'c1\nd1' "$out" "delete of a completed and a dead job, one id per line"
[ ! -e "$log" ] || fail "the log of deleted job d1 is still there: '$log'"
before=$(snapshot)
reject 1 "^queuectl: no job 'c1'$" q info c1
reject 1 "^queuectl: no job 'd1'$" q delete d1
assert_eq "c2 p2" "$(ids)" "jobs left after delete"

# --- purge refusals.
check_ok q enqueue --id c3 --max-retries 0 true
check_ok q enqueue --id d2 --max-retries 0 false
check_ok q enqueue --id d3 --max-retries 0 'exit 2'
start_worker --queue default
wait_for 20 state_is c3 completed
wait_for 20 state_is d2 dead
wait_for 20 state_is d3 dead
kill -TERM "$worker_pid"
wait "$worker_pid"
before=$(snapshot)
reject 2 "^queuectl: purge: missing --state completed\|dead" q purge
reject 2 "missing --state completed\|dead" q purge --older-than 1d
reject 2 "^queuectl: purge: only completed or dead jobs can be purged, not pending" q purge --state pending
reject 2 "only completed or dead jobs can be purged, not processing" q purge --state processing
reject 2 "only completed or dead jobs can be purged, not failed" q purge --state failed
reject 2 "^queuectl: unknown state 'finished' \(valid: pending, processing, completed, failed, dead\)$" \
	q purge --state finished
reject 2 "^queuectl: invalid duration 'abc'" q purge --state completed --older-than abc
reject 2 "invalid duration '-1d'" q purge --state dead --older-than -1d
reject 2 "^queuectl: purge: unexpected argument 'c2'" q purge --state completed c2
reject 2 "^queuectl: purge: option '--state' needs a value" q purge --state

# --- purge --older-than: jobs finished just now are younger than an hour.
check_ok q purge --state completed --older-than 1h
assert_eq "purged 0 completed jobs" "$out" "purge --older-than 1h"
check_ok q purge --state dead --older-than 1d
assert_eq "purged 0 dead jobs" "$out" "purge dead --older-than 1d"
assert_unchanged "$before"
# ... but once they are a second old, --older-than 1s takes them, and only the dead ones.
wait_for 10 purged_after 1s dead 2
assert_eq "c2 p2 c3" "$(ids)" "dead jobs purged, the others kept"

# --- purge without --older-than: every completed job, nothing else.
check_ok q purge --state completed
assert_eq "purged 2 completed jobs" "$out" "purge --state completed"
assert_eq "p2" "$(ids)" "pending job kept"
before=$(snapshot)
check_ok q purge --state completed
assert_eq "purged 0 completed jobs" "$out" "purge with nothing to purge"
assert_unchanged "$before"

# --- A refused delete leaves the logs too, not only the rows.
check_ok q enqueue --id keep 'echo kept'
start_worker --queue default
wait_for 20 state_is keep completed
kill -TERM "$worker_pid"
wait "$worker_pid"
check_ok q info --json keep
log=$(jq -r '.history[0].log' <<<"$out")
[ -f "$log" ] || fail "no log file '$log' for keep"
before=$(snapshot)
reject 1 "^queuectl: no job 'nope'$" q delete keep nope
[ -f "$log" ] || fail "'delete keep nope' deleted nothing, but removed the log of keep: '$log'"

finish
