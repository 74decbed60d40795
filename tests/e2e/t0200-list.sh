#!/bin/bash
# t0200-list.sh - list as a table and as JSON: every job, in creation order, filtered by
# --state and --queue, cut by --limit; with --json stdout is one JSON array and nothing else.
# Commands: list, enqueue, worker start (to get completed and dead jobs).
. "$TEST_DIR/lib.sh"

# json_ok: $out is exactly one JSON array (no other text, no second value).
json_ok() {
	assert_eq 1 "$(jq -s length <<<"$out")" "number of JSON values on stdout"
	assert_eq array "$(jq -r type <<<"$out")" "type of the list --json output"
}

# The ids in the table in $out, after its header.
table_ids() {
	tail -n +2 <<<"$out" | cut -d' ' -f1 | paste -sd' '
}

ids() {
	jq -r '[.[].id] | join(" ")' <<<"$out"
}

iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

# --- An empty queue: no rows, and [] as JSON.
check_ok q list
assert_eq "" "$out" "table of an empty queue"
check_ok q list --json
json_ok
assert_eq 0 "$(jq length <<<"$out")" "JSON of an empty queue"
assert_eq "" "$err" "stderr of list --json"

# --- Jobs on three queues; two of them get run by a worker on queue 'run'.
check_ok q enqueue --id a1 --queue alpha --priority 5 'echo a1'
check_ok q enqueue --id b1 --queue beta 'echo b1'
check_ok q enqueue --id a2 --queue alpha 'echo "quoted" \ back\slash ünïcode'
check_ok q enqueue --id ok --queue run true
check_ok q enqueue --id bad --queue run --max-retries 0 false
check_ok q enqueue --id nl --queue beta $'echo one\necho two\techo three'
start_worker --queue run
wait_for 20 state_is ok completed
wait_for 20 state_is bad dead
kill -TERM "$worker_pid"
wait "$worker_pid"

# --- The table: a header, then one line per job in creation order.
check_ok q list
assert_eq 7 "$(printf '%s\n' "$out" | wc -l)" "table lines (header and six jobs; newlines in commands flattened)"
assert_match '^ID +STATE +ATTEMPTS +PRIORITY +QUEUE +UPDATED +COMMAND$' "$(head -n1 <<<"$out")" "table header"
assert_eq "a1 b1 a2 ok bad nl" "$(table_ids)" \
	"table order"
assert_match '^a1 +pending +0 +5 +alpha +[0-9TZ:-]+ +echo a1$' "$(grep '^a1 ' <<<"$out")" "row of a1"
assert_match '^ok +completed +1 +0 +run ' "$(grep '^ok ' <<<"$out")" "row of ok"
assert_match '^bad +dead +1 +0 +run ' "$(grep '^bad ' <<<"$out")" "row of bad"
assert_match '^nl .*echo one echo two echo three$' "$(grep '^nl ' <<<"$out")" "command flattened to one line"

# --- JSON: one array of complete job objects.
check_ok q list --json
json_ok
assert_eq "" "$err" "stderr of list --json"
assert_eq "a1 b1 a2 ok bad nl" "$(ids)" "JSON order"
assert_eq 6 "$(jq '[.[] | select((.id | type) == "string" and (.command | type) == "string"
	and (.state | type) == "string" and (.attempts | type) == "number"
	and (.max_retries | type) == "number" and (.priority | type) == "number"
	and (.timeout | type) == "number" and (.queue | type) == "string"
	and has("last_error") and has("exit_code"))] | length' <<<"$out")" "objects with every field"
for k in created_at updated_at run_at; do
	assert_eq "" "$(jq -r --arg k "$k" '.[][$k]' <<<"$out" | grep -Ev "$iso")" "every $k is ISO-8601 UTC"
done
assert_eq 'echo "quoted" \ back\slash ünïcode' "$(jq -r '.[] | select(.id == "a2") | .command' <<<"$out")" \
	"command with quotes, backslashes and UTF-8 survives JSON"
assert_eq $'echo one\necho two\techo three' "$(jq -r '.[] | select(.id == "nl") | .command' <<<"$out")" \
	"command with a newline and a tab survives JSON"
assert_eq "completed 0 null" "$(jq -r '.[] | select(.id == "ok") | "\(.state) \(.exit_code) \(.last_error)"' <<<"$out")" \
	"completed job's fields"
assert_eq "dead 1 1" "$(jq -r '.[] | select(.id == "bad") | "\(.state) \(.attempts) \(.exit_code)"' <<<"$out")" \
	"dead job's fields"

# --- Filters and limits, as table and as JSON.
check_ok q list --json --queue alpha
json_ok
assert_eq "a1 a2" "$(ids)" "--queue alpha"
check_ok q list --queue beta
assert_eq "b1 nl" "$(table_ids)" "--queue beta (table)"
check_ok q list --json --queue nosuch
json_ok
assert_eq 0 "$(jq length <<<"$out")" "--queue with no jobs"
check_ok q list --json --state pending
assert_eq "a1 b1 a2 nl" "$(ids)" "--state pending"
check_ok q list --json --state completed
assert_eq "ok" "$(ids)" "--state completed"
check_ok q list --json --state dead
assert_eq "bad" "$(ids)" "--state dead"
check_ok q list --json --state failed
json_ok
assert_eq "" "$(ids)" "--state failed"
check_ok q list --json --state processing
assert_eq "" "$(ids)" "--state processing"
check_ok q list --json --limit 2
json_ok
assert_eq "a1 b1" "$(ids)" "--limit 2 keeps the oldest"
check_ok q list --limit 1
assert_eq 2 "$(printf '%s\n' "$out" | wc -l)" "--limit 1 table lines"
check_ok q list --json --limit 100
assert_eq 6 "$(jq length <<<"$out")" "--limit above the count"
check_ok q list --json --state pending --queue beta --limit 1
assert_eq "b1" "$(ids)" "--state, --queue and --limit together"
check_ok q list --json --state dead --queue alpha
assert_eq "" "$(ids)" "--state and --queue with nothing in common"

# --- Bad options: exit 2, one line, nothing on stdout, nothing changed.
before=$(snapshot)
reject 2 "^queuectl: unknown state 'bogus' \(valid: pending, processing, completed, failed, dead\)$" \
	q list --state bogus
reject 2 "unknown state 'Pending'" q list --json --state Pending
reject 2 "^queuectl: invalid --limit '0': must be between 1 and" q list --limit 0
reject 2 "invalid --limit '-1'" q list --limit -1
reject 2 "^queuectl: invalid --limit 'x': not a whole number$" q list --json --limit x
reject 2 "^queuectl: list: unexpected argument 'extra'" q list extra
reject 2 "^queuectl: list: unknown option '--bogus'" q list --bogus
reject 2 "^queuectl: list: option '--state' needs a value" q list --state

finish
