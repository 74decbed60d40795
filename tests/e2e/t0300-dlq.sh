#!/bin/bash
# t0300-dlq.sh - the dead letter queue: dlq list shows the jobs whose retries are spent;
# dlq retry ID... | --all sends them back to pending with attempts reset to 0, all the named
# jobs or none; a job that is not dead cannot be retried.
# Commands: dlq list, dlq retry, enqueue, info, worker start.
. "$TEST_DIR/lib.sh"

# Run the worker until every named job is in the state given: stop_at STATE ID...
stop_at() {
	local want=$1 id
	shift
	start_worker
	for id in "$@"; do
		wait_for 20 state_is "$id" "$want"
	done
	kill -TERM "$worker_pid"
	wait "$worker_pid"
}

ids() {
	jq -r '[.[].id] | join(" ")' <<<"$out"
}

# --- An empty dead letter queue.
check_ok q dlq list --json
assert_eq 1 "$(jq -s length <<<"$out")" "one JSON value"
assert_eq "[]" "$(jq -c . <<<"$out")" "dlq list --json of an empty queue"
check_ok q dlq list
assert_eq "" "$out" "dlq list of an empty queue"

# --- Two dead jobs, a completed one and a pending one.
check_ok q enqueue --max-retries 0 --id dead-a1 false
check_ok q enqueue --max-retries 0 --id dead-b2 'exit 3'
check_ok q enqueue --max-retries 0 --id done true
stop_at dead dead-a1 dead-b2
assert_eq completed "$(job_state done)" "state of done"
check_ok q enqueue --id waiting --delay 1h true

check_ok q dlq list --json
assert_eq 1 "$(jq -s length <<<"$out")" "one JSON value"
assert_eq "dead-a1 dead-b2" "$(ids)" "dead jobs listed"
assert_eq "dead 1 0 1 exit status 1|dead 1 0 3 exit status 3" \
	"$(jq -r 'map("\(.state) \(.attempts) \(.max_retries) \(.exit_code) \(.last_error)") | join("|")' <<<"$out")" \
	"state, attempts, max_retries, exit code and error of the dead jobs"
check_ok q dlq list
assert_match '^ID +ATTEMPTS +DIED +LAST ERROR +COMMAND$' "$(head -n1 <<<"$out")" "dlq table header"
assert_eq 3 "$(printf '%s\n' "$out" | wc -l)" "dlq table lines"
assert_match '^dead-a1 +1 +[0-9TZ:-]+ +exit status 1 +false$' "$(grep '^dead-a1 ' <<<"$out")" "row of dead-a1"
assert_match '^dead-b2 +1 +[0-9TZ:-]+ +exit status 3 +exit 3$' "$(grep '^dead-b2 ' <<<"$out")" "row of dead-b2"

# --- Refusals: jobs that are not dead, unknown or ambiguous ids, bad usage.  In every case
# nothing is retried, not even the dead jobs named beside the wrong one.
before=$(snapshot)
reject 1 "^queuectl: job 'done' is completed, not dead: only dead jobs can be retried$" q dlq retry done
reject 1 "^queuectl: job 'waiting' is pending, not dead" q dlq retry waiting
reject 1 "job 'done' is completed, not dead" q dlq retry dead-a1 done
reject 1 "job 'done' is completed, not dead" q dlq retry dead-a1 dead-b2 done
reject 1 "job 'waiting' is pending, not dead" q dlq retry waiting dead-b2
reject 1 "^queuectl: no job 'nope'$" q dlq retry dead-a1 nope
reject 1 "^queuectl: no job 'nope'$" q dlq retry nope
# Chosen ids only whole (t0500 has ambiguous prefixes of generated ids).
reject 1 "^queuectl: no job 'dead-'$" q dlq retry dead-
reject 1 "^queuectl: no job 'dead-'$" q dlq retry dead-a1 dead-
reject 2 "^queuectl: empty job id$" q dlq retry ''
reject 2 "missing job id \(or --all\)" q dlq retry
reject 2 "give ids or --all, not both" q dlq retry --all dead-a1
reject 2 "unknown option '--bogus'" q dlq retry --bogus dead-a1
reject 2 "^queuectl: dlq: missing subcommand \(one of: list, retry\)$" q dlq
reject 2 "^queuectl: dlq: unknown command 'bogus' \(one of: list, retry\)$" q dlq bogus
reject 2 "unexpected argument 'extra'" q dlq list extra
assert_eq dead "$(job_state dead-a1)" "dead-a1 still dead"
assert_eq dead "$(job_state dead-b2)" "dead-b2 still dead"

# --- Retry one: pending again with attempts 0; the rest stays.
check_ok q dlq retry dead-a1
assert_eq dead-a1 "$out" "retry prints the id"
check_ok q info --json dead-a1
assert_eq "pending 0 0" "$(jq -r '"\(.state) \(.attempts) \(.max_retries)"' <<<"$out")" \
	"retried job: pending, attempts reset, max_retries kept"
check_ok q dlq list --json
assert_eq "dead-b2" "$(ids)" "the retried job left the DLQ"
before=$(snapshot)
reject 1 "job 'dead-a1' is pending, not dead" q dlq retry dead-a1

# --- Retry --all: every dead job, and the count after the ids on stdout, as purge prints its
# count there.
check_ok q dlq retry --all
assert_eq "$(printf 'dead-b2\nretried 1 dead job')" "$out" "ids and summary printed by retry --all"
assert_eq "" "$err" "retry --all stderr"
assert_eq "pending 0" "$(q info --json dead-b2 | jq -r '"\(.state) \(.attempts)"')" "dead-b2 after --all"
check_ok q dlq list --json
assert_eq "[]" "$(jq -c . <<<"$out")" "DLQ empty after --all"
# With nothing dead, --all succeeds and changes nothing.
before=$(snapshot)
check_ok q dlq retry --all
assert_eq "retried 0 dead jobs" "$out" "retry --all with an empty DLQ prints no id, and its summary"
assert_eq "" "$err" "retry --all stderr with nothing dead"
assert_unchanged "$before"

# --- The retried jobs really run again, with a fresh cycle of attempts.
stop_at dead dead-a1 dead-b2
check_ok q info --json dead-a1
assert_eq "dead 1 2" "$(jq -r '"\(.state) \(.attempts) \(.history | length)"' <<<"$out")" \
	"after its second cycle: one attempt in this cycle, two in the history"
check_ok q dlq retry dead-a1 dead-b2
assert_eq $'dead-a1\ndead-b2' "$out" "retry of several ids prints each"
assert_eq "pending pending" "$(job_state dead-a1) $(job_state dead-b2)" "both pending"

finish
