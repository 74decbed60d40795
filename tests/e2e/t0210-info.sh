#!/bin/bash
# t0210-info.sh - info of one job, as text and as JSON, found by its id or by a unique
# prefix of a generated id; an ambiguous prefix is bad input (exit 2), an unknown id a
# failure (exit 1).
# Commands: info, enqueue, worker start (for a job with a history and output).
. "$TEST_DIR/lib.sh"

iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

check_ok q enqueue --id abc1 --queue web --priority 3 --max-retries 2 --timeout 90s --run-at 2030-06-01T12:00:00Z 'echo abc1'
check_ok q enqueue --id abc2 'echo abc2'
check_ok q enqueue --id abc10 'echo abc10'
check_ok q enqueue --id xyz-42 'echo xyz'

# --- Text: one "name: value" line per field.
check_ok q info abc1
assert_match '^id: +abc1$' "$(grep '^id:' <<<"$out")" "id line"
assert_match '^command: +echo abc1$' "$(grep '^command:' <<<"$out")" "command line"
assert_match '^state: +pending$' "$(grep '^state:' <<<"$out")" "state line"
assert_match '^queue: +web$' "$(grep '^queue:' <<<"$out")" "queue line"
assert_match '^priority: +3$' "$(grep '^priority:' <<<"$out")" "priority line"
assert_match '^max_retries: +2$' "$(grep '^max_retries:' <<<"$out")" "max_retries line"
assert_match '^timeout: +1m30s$' "$(grep '^timeout:' <<<"$out")" "timeout line"
assert_match '^run_at: +2030-06-01T12:00:00Z$' "$(grep '^run_at:' <<<"$out")" "run_at line"
for k in created_at updated_at; do
	assert_match "^$k: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" "$(grep "^$k:" <<<"$out")" "$k line"
done
assert_eq "" "$err" "stderr of info"

# --- JSON: every schema field and the details.
check_ok q info --json abc1
assert_eq 1 "$(jq -s length <<<"$out")" "one JSON value"
assert_eq "abc1|echo abc1|pending|0|2|web|3|90|2030-06-01T12:00:00Z|null|null" \
	"$(jq -r '[.id, .command, .state, .attempts, .max_retries, .queue, .priority, .timeout, .run_at,
		.last_error, .exit_code] | map(tostring) | join("|")' <<<"$out")" "JSON fields"
for k in created_at updated_at; do
	assert_match "$iso" "$(jq -r ".$k" <<<"$out")" "JSON $k"
done
assert_eq "[]" "$(jq -c .history <<<"$out")" "no history yet"

# --- Prefixes: a unique prefix finds a generated id (32 hex digits; given here so that the
# test knows it); a chosen id is found only whole; an exact id wins over longer ids it begins.
g1=5e1f0000000000000000000000000001
g2=5e2a0000000000000000000000000002
check_ok q enqueue --id $g1 true
check_ok q enqueue --id $g2 true
check_ok q info --json 5e1
assert_eq $g1 "$(jq -r .id <<<"$out")" "unique prefix '5e1'"
check_ok q info 5e2a
assert_match "^id: +$g2\$" "$(grep '^id:' <<<"$out")" "unique prefix '5e2a' (text)"
check_fail 1 "^queuectl: no job 'xy'\$" q info xy
check_fail 1 "^queuectl: no job 'xyz-'\$" q info xyz-
check_ok q info --json xyz-42
assert_eq xyz-42 "$(jq -r .id <<<"$out")" "a chosen id, whole"
check_ok q info --json abc2
assert_eq abc2 "$(jq -r .id <<<"$out")" "full id among similar ones"
check_ok q info --json abc1
assert_eq abc1 "$(jq -r .id <<<"$out")" "exact id 'abc1' although 'abc10' begins with it"
check_ok q info --json abc10
assert_eq abc10 "$(jq -r .id <<<"$out")" "'abc10'"

# --- A job that has run: history, exit code, error and output.
check_ok q enqueue --id ran --max-retries 0 'echo out-text; echo err-text >&2; exit 4'
check_ok q enqueue --id fine 'echo all good'
start_worker --queue default
wait_for 20 state_is ran dead
wait_for 20 state_is fine completed
kill -TERM "$worker_pid"
wait "$worker_pid"
check_ok q info --json ran
assert_eq "dead 1 4 1" "$(jq -r '"\(.state) \(.attempts) \(.exit_code) \(.runs)"' <<<"$out")" \
	"state, attempts, exit code, runs"
assert_match 'exit status 4' "$(jq -r .last_error <<<"$out")" "last_error"
assert_match 'out-text' "$(jq -r .output <<<"$out")" "output kept with the job"
for k in started_at finished_at; do
	assert_match "$iso" "$(jq -r ".$k" <<<"$out")" "$k of a job that ran"
done
assert_eq "1 1 dead 4" "$(jq -r '.history | length as $n | .[0] | "\($n) \(.attempt) \(.outcome) \(.exit_code)"' <<<"$out")" \
	"history of one attempt"
check_ok q info ran
assert_match '^exit_code: +4$' "$(grep '^exit_code:' <<<"$out")" "exit_code line"
assert_match '^last_error: +exit status 4' "$(grep '^last_error:' <<<"$out")" "last_error line"
assert_match '^ +#1 +attempt 1 ' "$(sed -n '/^history:/,$p' <<<"$out" | sed -n 2p)" "history line"
assert_match 'out-text' "$out" "output in the text"
check_ok q info --json fine
assert_eq "fine completed 0 null" "$(jq -r '"\(.id) \(.state) \(.exit_code) \(.last_error)"' <<<"$out")" \
	"completed job"

# --- Refusals.
before=$(snapshot)
reject 2 "^queuectl: job id prefix '5e' is ambiguous: '$g1', '$g2', \.\.\.$" q info 5e
reject 2 "job id prefix '5' is ambiguous" q info --json 5
reject 1 "^queuectl: no job 'ab'$" q info ab
reject 1 "^queuectl: no job 'nope'$" q info nope
reject 1 "^queuectl: no job 'abc1x'$" q info --json abc1x
reject 1 "no job 'ABC1'" q info ABC1
reject 2 "^queuectl: empty job id$" q info ''
reject 2 "^queuectl: info: missing job id" q info
reject 2 "^queuectl: info: missing job id" q info --json
reject 2 "^queuectl: info: give one job id" q info abc1 abc2
reject 2 "^queuectl: info: unknown option '--bogus'" q info --bogus abc1

finish
