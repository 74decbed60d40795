#!/bin/bash
# t0100-enqueue.sh - enqueue of one job: a JSON object, a command string, a word list after
# "--", and the options --id, --max-retries, --priority, --run-at, --delay, --timeout,
# --queue.  Every way of getting it wrong is refused with one line on stderr, exit status 2
# (bad input) or 1 (duplicate id), and a store left exactly as it was.
# Commands: enqueue, info --json, list --json.
. "$TEST_DIR/lib.sh"

# field ID KEY: one field of the job's JSON, as jq -r prints it.
field() {
	q info --json "$1" | jq -r ".$2"
}

# secs ISO-TIME: seconds since the epoch.
secs() {
	jq -rn --arg t "$1" '$t | fromdateiso8601'
}

iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
stored=0

# --- The spec's own example: a JSON object with an id; the id is printed.
check_ok q enqueue '{"id":"job1","command":"sleep 2"}'
assert_eq job1 "$out" "printed id"
stored=$((stored + 1))
check_ok q info --json job1
job=$out
assert_eq "sleep 2" "$(jq -r .command <<<"$job")" "command"
assert_eq pending "$(jq -r .state <<<"$job")" "state"
assert_eq 0 "$(jq -r .attempts <<<"$job")" "attempts"
assert_eq 3 "$(jq -r .max_retries <<<"$job")" "max_retries (config default)"
assert_eq default "$(jq -r .queue <<<"$job")" "queue"
assert_eq 0 "$(jq -r .priority <<<"$job")" "priority"
assert_eq 0 "$(jq -r .timeout <<<"$job")" "timeout"
assert_eq null "$(jq -r .last_error <<<"$job")" "last_error"
assert_eq null "$(jq -r .exit_code <<<"$job")" "exit_code"
for k in created_at updated_at run_at; do
	assert_match "$iso" "$(jq -r ".$k" <<<"$job")" "$k"
done
assert_eq true "$(jq 'has("id") and has("command") and has("state") and has("attempts")
	and has("max_retries") and has("created_at") and has("updated_at") and has("priority")
	and has("run_at") and has("timeout") and has("queue") and has("last_error")
	and has("exit_code")' <<<"$job")" "job JSON has every schema field"

# --- No id: one is made up and printed, alone on its line.
check_ok q enqueue '{"command":"echo generated"}'
assert_match '^[0-9a-f]{32}$' "$out" "generated id"
stored=$((stored + 1))
assert_eq "echo generated" "$(field "$out" command)" "command of the generated-id job"

# --- An argument not starting with '{' is the command itself.
check_ok q enqueue "echo hello"
stored=$((stored + 1))
assert_eq "echo hello" "$(field "$out" command)" "command string"
check_ok q enqueue '[1, 2]'
stored=$((stored + 1))
assert_eq "[1, 2]" "$(field "$out" command)" "argument starting with '[' is a command"

# --- After "--" the words are a word list, shown quoted as sh would need them (t1540 runs them).
check_ok q enqueue -- printf '%s|' 'a b' "it's" ''
stored=$((stored + 1))
cmd=$(field "$out" command)
assert_eq "a b|it's||" "$(sh -c "$cmd")" "word list runs as the same words"
check_ok q enqueue -- '{"command":"x"}'
stored=$((stored + 1))
assert_eq "'{\"command\":\"x\"}'" "$(field "$out" command)" "JSON after -- is a word"
check_ok q enqueue -- --id not-an-option
stored=$((stored + 1))
assert_eq "--id not-an-option" "$(field "$out" command)" "options after -- are words"

# --- Every option lands in the job.
check_ok q enqueue --id opt1 --max-retries 5 --priority -7 --timeout 1m --queue emails 'echo o'
stored=$((stored + 1))
assert_eq opt1 "$out" "--id printed"
check_ok q info --json opt1
assert_eq "5 -7 60 emails" "$(jq -r '"\(.max_retries) \(.priority) \(.timeout) \(.queue)"' <<<"$out")" \
	"--max-retries --priority --timeout --queue"
check_ok q enqueue --id at1 --run-at 2030-01-01T00:00:00+02:00 true
stored=$((stored + 1))
assert_eq 2029-12-31T22:00:00Z "$(field at1 run_at)" "--run-at with an offset, stored as UTC"
check_ok q enqueue --id dl1 --delay 90s true
stored=$((stored + 1))
check_ok q info --json dl1
assert_eq 90 $(($(secs "$(jq -r .run_at <<<"$out")") - $(secs "$(jq -r .created_at <<<"$out")"))) \
	"--delay 90s puts run_at 90s after created_at"
check_ok q enqueue --id dl2 --delay 1h30m true
stored=$((stored + 1))
check_ok q info --json dl2
assert_eq 5400 $(($(secs "$(jq -r .run_at <<<"$out")") - $(secs "$(jq -r .created_at <<<"$out")"))) \
	"--delay 1h30m"
check_ok q enqueue --id A.b_c:d-9 --priority 1000000 --max-retries 1000 true
stored=$((stored + 1))
assert_eq "1000000 1000" "$(q info --json A.b_c:d-9 | jq -r '"\(.priority) \(.max_retries)"')" \
	"every id character and the largest numbers"

# --- The same fields in JSON.
check_ok q enqueue '{"id":"js1","command":"x","queue":"q2","priority":3,"max_retries":0,"timeout":"2m","run_at":"2031-05-06T07:08:09Z"}'
stored=$((stored + 1))
check_ok q info --json js1
assert_eq "q2 3 0 120 2031-05-06T07:08:09Z" \
	"$(jq -r '"\(.queue) \(.priority) \(.max_retries) \(.timeout) \(.run_at)"' <<<"$out")" "JSON fields"
check_ok q enqueue '{"id":"js2","command":"x","delay":3600,"timeout":30}'
stored=$((stored + 1))
check_ok q info --json js2
assert_eq 3600 $(($(secs "$(jq -r .run_at <<<"$out")") - $(secs "$(jq -r .created_at <<<"$out")"))) \
	"JSON delay in seconds"
assert_eq 30 "$(jq -r .timeout <<<"$out")" "JSON timeout in seconds"
check_ok q enqueue '{"id":"js3","command":"x","priority":null,"queue":null}'
stored=$((stored + 1))
assert_eq "0 default" "$(q info --json js3 | jq -r '"\(.priority) \(.queue)"')" "null means the default"

# --- Options override the same fields of the JSON job.
check_ok q enqueue --id ov2 --priority 9 --queue over '{"id":"ov1","command":"x","priority":1,"queue":"a"}'
stored=$((stored + 1))
assert_eq ov2 "$out" "--id overrides the JSON id"
assert_eq "9 over" "$(q info --json ov2 | jq -r '"\(.priority) \(.queue)"')" "options override JSON"

# ---------------------------------------------------------------------------------------
# Refusals.  None of them may change the store: each is compared with this snapshot.
before=$(snapshot)

# Malformed JSON: the message says where.
reject 2 '^queuectl: invalid job JSON at line 1, column 7: ' q enqueue '{"id":x}'
reject 2 '^queuectl: invalid job JSON at line 1, column 16: ' q enqueue '{"command":"x",}'
reject 2 '^queuectl: invalid job JSON at line 1, column 25: ' q enqueue '{"id":"j","command":sleep 2}'
reject 2 '^queuectl: invalid job JSON at line 2, column 15: ' q enqueue $'{"id":"ml",\n"command": oops}'
reject 2 '^queuectl: invalid job JSON at line 1, column 1: .*end of file' q enqueue '{'
reject 2 '^queuectl: invalid job JSON at line 1, column 21: end of file expected' \
	q enqueue '{"command":"x"} extra'
reject 2 'duplicate object key' q enqueue '{"command":"x","command":"y"}'
reject 2 "^queuectl: enqueue: unexpected 'extra' after the job JSON" q enqueue '{"command":"x"}' extra

# Unknown keys name the key and the valid ones.
reject 2 '^queuectl: invalid job: unknown key "foo" \(valid: id, command, ' \
	q enqueue '{"command":"x","foo":1}'
reject 2 'unknown key "exit_code"' q enqueue '{"command":"x","exit_code":0}'

# Wrong types.
reject 2 '^queuectl: invalid job: "command" must be a string, not an integer$' q enqueue '{"command":1}'
reject 2 '"command" must be a string, not null' q enqueue '{"command":null}'
reject 2 '"command" must be a string, not an array' q enqueue '{"command":["ls","-l"]}'
reject 2 '"id" must be a string, not an integer' q enqueue '{"command":"x","id":5}'
reject 2 '"queue" must be a string, not an object' q enqueue '{"command":"x","queue":{}}'
reject 2 '"priority" must be an integer, not a string' q enqueue '{"command":"x","priority":"1"}'
reject 2 '"priority" must be an integer, not a real number' q enqueue '{"command":"x","priority":1.5}'
reject 2 '"max_retries" must be an integer, not a boolean' q enqueue '{"command":"x","max_retries":true}'
reject 2 '"timeout" must be seconds or a duration' q enqueue '{"command":"x","timeout":true}'
reject 2 '"delay" must be seconds or a duration' q enqueue '{"command":"x","delay":[5]}'
reject 2 '"run_at" must be an ISO-8601 timestamp string, not an integer' \
	q enqueue '{"command":"x","run_at":1762252200}'

# Empty, blank and missing commands.
reject 2 'invalid command: it is empty' q enqueue '{"command":""}'
reject 2 'invalid command: it is empty' q enqueue '{"command":" \t\n "}'
reject 2 '^queuectl: invalid job: "command" or "argv" is missing$' q enqueue '{}'
reject 2 '"command" or "argv" is missing' q enqueue '{"id":"nocmd","priority":1}'
reject 2 '^queuectl: invalid command: it is empty$' q enqueue ''
reject 2 'invalid command: it is empty' q enqueue '   '
reject 2 'missing job' q enqueue
reject 2 'missing job' q enqueue --
reject 2 'NUL byte' q enqueue '{"command":"a\u0000b"}'
reject 2 'not valid UTF-8 text \(or has control characters\)' q enqueue $'echo \x01'

# Duplicate ids, through JSON and through --id: exit 1, the job unchanged.
reject 1 "^queuectl: a job with id 'job1' already exists$" q enqueue '{"id":"job1","command":"other"}'
reject 1 "a job with id 'job1' already exists" q enqueue --id job1 other
reject 1 "a job with id 'opt1' already exists" q enqueue --id opt1 '{"id":"fresh","command":"x"}'
assert_eq "sleep 2" "$(field job1 command)" "the first job1 kept its command"

# Ids and queue names with characters that are not allowed.
long=$(printf 'a%.0s' $(seq 129))
for id in 'a b' -abc .abc '' "$long" 'é'; do
	reject 2 "^queuectl: invalid id '" q enqueue --id "$id" true
done
reject 2 '^queuectl: invalid job: invalid id: ' q enqueue '{"id":"a b","command":"x"}'
reject 2 'invalid id' q enqueue '{"id":"","command":"x"}'
reject 2 'invalid id' q enqueue '{"id":"../etc","command":"x"}'
reject 2 'invalid id' q enqueue '{"id":"a\u0000b","command":"x"}'
reject 2 "invalid queue name 'a/b'" q enqueue --queue a/b true
reject 2 'invalid queue name' q enqueue '{"command":"x","queue":"a b"}'

# Numbers out of range, negative or not numbers at all.
reject 2 "^queuectl: invalid --max-retries '-1': must be between 0 and 1000$" q enqueue --max-retries -1 true
reject 2 "invalid --max-retries '1001': must be between 0 and 1000" q enqueue --max-retries 1001 true
reject 2 "invalid --max-retries '99999999999999999999': must be between" \
	q enqueue --max-retries 99999999999999999999 true
reject 2 "invalid --max-retries 'abc': not a whole number" q enqueue --max-retries abc true
reject 2 "invalid --priority '1000001': must be between -1000000 and 1000000" q enqueue --priority 1000001 true
reject 2 "invalid --priority '1e3': not a whole number" q enqueue --priority 1e3 true
reject 2 '"max_retries" must be between 0 and 1000, not -1' q enqueue '{"command":"x","max_retries":-1}'
reject 2 '"priority" must be between -1000000 and 1000000, not 99999999999' \
	q enqueue '{"command":"x","priority":99999999999}'
reject 2 'invalid job JSON at line 1, column 49: too big integer' \
	q enqueue '{"command":"x","max_retries":99999999999999999999}'
reject 2 '"timeout" must be between 0 and [0-9]+, not -5' q enqueue '{"command":"x","timeout":-5}'
reject 2 '"delay" must be between 0 and [0-9]+, not -1' q enqueue '{"command":"x","delay":-1}'

# Bad durations and timestamps, in options and in JSON.
reject 2 "^queuectl: invalid duration '5x': expected seconds or a number with s, m, h, d or w" \
	q enqueue --delay 5x true
reject 2 "invalid duration '-5'" q enqueue --delay -5 true
reject 2 "invalid duration '1h30': " q enqueue --delay 1h30 true
reject 2 "invalid duration '': empty" q enqueue --delay '' true
reject 2 "invalid duration '99999999999': longer than 10 years" q enqueue --delay 99999999999 true
reject 2 "invalid duration 'abc'" q enqueue --timeout abc true
reject 2 '"delay": invalid duration .5x.' q enqueue '{"command":"x","delay":"5x"}'
reject 2 '"timeout": invalid duration .soon.' q enqueue '{"command":"x","timeout":"soon"}'
reject 2 "^queuectl: invalid timestamp 'tomorrow': expected ISO-8601 like 2025-11-04T10:30:00Z$" \
	q enqueue --run-at tomorrow true
reject 2 "invalid timestamp '2025-02-30T00:00:00Z': no such date or time" \
	q enqueue --run-at 2025-02-30T00:00:00Z true
reject 2 "invalid timestamp '2025-11-04'" q enqueue --run-at 2025-11-04 true
reject 2 "invalid timestamp '2025-11-04T10:30:00'" q enqueue --run-at 2025-11-04T10:30:00 true
reject 2 '"run_at": invalid timestamp .tomorrow.' q enqueue '{"command":"x","run_at":"tomorrow"}'
reject 2 '"run_at": invalid timestamp .2025-13-01T00:00:00Z.: no such date' \
	q enqueue '{"command":"x","run_at":"2025-13-01T00:00:00Z"}'
reject 2 '"created_at": invalid timestamp' q enqueue '{"command":"x","created_at":"yesterday"}'

# run_at and delay are one thing said twice.
reject 2 "^queuectl: enqueue: give --run-at or --delay, not both" \
	q enqueue --run-at 2030-01-01T00:00:00Z --delay 5s true
reject 2 '^queuectl: invalid job: give "run_at" or "delay", not both$' \
	q enqueue '{"command":"x","run_at":"2030-01-01T00:00:00Z","delay":5}'

# A job in the schema's own shape may be given, but only as a new pending job.
reject 2 '"state" of a new job must be "pending", not "dead"' q enqueue '{"command":"x","state":"dead"}'
reject 2 '"attempts" must be between 0 and 0, not 2' q enqueue '{"command":"x","attempts":2}'

# Options: unknown, or missing their value.
reject 2 "^queuectl: enqueue: unknown option '--bogus'" q enqueue --bogus true
reject 2 "enqueue: option '--id' needs a value" q enqueue --id

# Only the accepted jobs are there, and list agrees with the ids printed.
assert_eq "$stored" "$(q list --json | jq length)" "number of stored jobs"

finish
