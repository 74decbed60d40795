#!/bin/bash
# t0620-json-output.sh - --json of every command that prints data: one JSON value on stdout,
# nothing on stderr, with the documented keys and types.  enqueue --json is the stored job
# (info --json agrees on every key they share); dlq list filtered by --queue and --limit,
# as JSON or --quiet, is list --state dead filtered the same way.
# Commands: status, info, list, dlq list, dlq retry, enqueue, enqueue --file, wait, delete,
# purge, config get, config set, config reset, config show, help, worker start.
. "$TEST_DIR/lib.sh"

# The documented keys, as key=type (type|type where it may be either).  Other keys may be
# added to an object without breaking a script, so only these are required.
JOB='id=string command=string state=string attempts=number max_retries=number
	created_at=string updated_at=string queue=string priority=number run_at=string
	timeout=number last_error=null|string exit_code=null|number'
DETAIL="$JOB runs=number started_at=null|string finished_at=null|string worker=null|string
	lease_until=null|string output=null|string history=array"
ATTEMPT='run=number attempt=number started_at=string finished_at=string outcome=string
	error=null|string exit_code=null|number worker=string log=null|string'
WORKER='id=string pid=number host=string slots=number busy=number queues=null|string
	started_at=string heartbeat_at=string'
COUNTS='pending=number processing=number completed=number failed=number dead=number
	total=number workers=array'
SETTINGS='max-retries=number backoff-base=number backoff-max=number job-timeout=number
	lease=number durability=string'

# bad_keys SPEC [JSON]: the keys of SPEC that the object JSON (default $out) lacks or has
# with another type, space-separated; nothing when it has them all.  With JSON an array,
# those of each element, as INDEX:KEY.
bad_keys() {
	jq -r --arg spec "$1" 'def bad($o): [$spec | splits("[ \t\n]+") | select(length > 0)
			| split("=") as [$k, $t]
			| select(($o | type) != "object" or ($o | has($k) | not)
				or ([$t | split("|")[] | . == ($o[$k] | type)] | any | not)) | $k];
		if type == "array" then [to_entries[] | .key as $i | bad(.value)[] | "\($i):\(.)"]
		else bad(.) end | join(" ")' <<<"${2-$out}" 2>/dev/null || echo "(not JSON: ${2-$out})"
}

# has_keys SPEC WHAT [JSON]: the object has every key of SPEC with its type.
has_keys() {
	assert_eq "" "$(bad_keys "$1" "${3-$out}")" "keys of $2 missing or of the wrong type"
}

# each_has_keys SPEC WHAT: $out is an array whose every element has the keys of SPEC.
each_has_keys() {
	assert_eq array "$(jq -r type <<<"$out")" "$2 is an array"
	assert_eq "" "$(bad_keys "$1")" "keys of the elements of $2 (index:key) missing or of the wrong type"
}

# json_ok CMD...: CMD exits 0 and prints exactly one JSON value, and nothing on stderr.
json_ok() {
	check_ok "$@"
	assert_eq 1 "$(jq -s length <<<"$out" 2>&1)" "'$*' prints one JSON value"
	assert_eq "" "$err" "stderr of '$*'"
}

ids() { jq -r '[.[].id] | join(" ")' <<<"$out"; }
is_time() { assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z$' "$1" "$2"; }

# --- Every command that prints data offers --json.
for c in status info list 'dlq list' 'dlq retry' enqueue wait delete purge 'config get' \
	'config set' 'config reset' 'config show'; do
	check_ok q help $c
	assert_match '^  --json ' "$(grep -- '^  --json ' <<<"$out")" "help $c describes --json"
done

# --- An empty store.
json_ok q status --json
has_keys "$COUNTS" "status --json"
assert_eq "0 0 0 0 0 0 0" \
	"$(jq -r '[.pending, .processing, .completed, .failed, .dead, .total, (.workers | length)] | join(" ")' <<<"$out")" \
	"status --json of an empty store"
json_ok q list --json
assert_eq "[]" "$(jq -c . <<<"$out")" "list --json of an empty store"
json_ok q dlq list --json
assert_eq "[]" "$(jq -c . <<<"$out")" "dlq list --json of an empty store"
json_ok q wait --json
assert_eq "[]" "$(jq -c . <<<"$out")" "wait --json with nothing to wait for"

# --- enqueue --json: the stored job, as info --json and list --json show it.
json_ok q enqueue --json --id e1 --queue q1 --priority 4 --max-retries 2 --timeout 90s --delay 1h 'echo e1'
enq=$out
has_keys "$JOB" "enqueue --json"
assert_eq "e1|echo e1|pending|0|2|q1|4|90|null|null" \
	"$(jq -r '[.id, .command, .state, .attempts, .max_retries, .queue, .priority, .timeout, .last_error, .exit_code] | map(tostring) | join("|")' <<<"$enq")" \
	"the fields of enqueue --json"
for k in created_at updated_at run_at; do
	is_time "$(jq -r ".$k" <<<"$enq")" "enqueue --json .$k"
done
delay=$(($(ms "$(jq -r .run_at <<<"$enq")") - $(ms "$(jq -r .created_at <<<"$enq")")))
checks=$((checks + 1))
[ "$delay" -ge 3599000 ] && [ "$delay" -le 3601000 ] || fail "run_at is $delay ms after created_at, not an hour"
json_ok q info --json e1
info=$out
has_keys "$DETAIL" "info --json"
assert_eq "" "$(jq -nr --argjson e "$enq" --argjson i "$info" \
	'[$e | to_entries[] | select($i[.key] != .value) | .key] | join(" ")')" \
	"keys where enqueue --json and info --json differ"
json_ok q list --json
assert_eq 1 "$(jq length <<<"$out")" "list --json length"
assert_eq "" "$(jq -nr --argjson l "$(jq '.[0]' <<<"$out")" --argjson i "$info" \
	'[$l | to_entries[] | select($i[.key] != .value) | .key] | join(" ")')" \
	"keys where list --json and info --json differ"
has_keys "$JOB" "list --json[0]" "$(jq '.[0]' <<<"$out")"

# enqueue --file --json: an array of the stored jobs, in the file's order; the options
# apply to each.
printf '%s\n' '{"id":"f1","command":"echo f1"}' '{"command":"echo f2","priority":7}' \
	'{"id":"f3","command":"echo f3"}' >"$TMP/jobs.jsonl"
json_ok q enqueue --file "$TMP/jobs.jsonl" --json --queue q2 --delay 1h
each_has_keys "$JOB" "enqueue --file --json"
assert_eq 3 "$(jq length <<<"$out")" "enqueue --file --json: one object per line"
assert_match '^f1 [0-9a-f]{32} f3$' "$(ids)" "ids of enqueue --file --json"
assert_eq "q2 q2 q2|0 7 0|pending pending pending" \
	"$(jq -r '[map(.queue), map(.priority | tostring), map(.state)] | map(join(" ")) | join("|")' <<<"$out")" \
	"queue, priority and state of the jobs from the file"
f2=$(jq -r '.[1].id' <<<"$out")
filed=$out
json_ok q info --json "$f2"
assert_eq "" "$(jq -nr --argjson e "$(jq '.[1]' <<<"$filed")" --argjson i "$out" \
	'[$e | to_entries[] | select($i[.key] != .value) | .key] | join(" ")')" \
	"keys where enqueue --file --json and info --json differ"
# With stdin as the file, too.
json_ok q enqueue --json --delay 1h --file - <<<'{"id":"f4","command":"true"}'
assert_eq "f4" "$(ids)" "enqueue --file - --json"

# --- Dead jobs on two queues (da* on qa, db* on qb), a completed one, and the pending ones
# above.  The long lease keeps the worker from writing heartbeats.
check_ok q config set lease 3600
for id in da1 db1 da2 db2 da3; do
	check_ok q enqueue --id "$id" --queue "q${id:1:1}" --max-retries 0 'exit 3'
done
check_ok q enqueue --id c1 --queue qa 'echo c1'
start_worker
dead="da1 db1 da2 db2 da3"
for id in $dead; do
	wait_for 20 state_is "$id" dead
done
wait_for 20 state_is c1 completed

# status --json: the counts, their total, and the worker.
json_ok q status --json
has_keys "$COUNTS" "status --json"
assert_eq "5 0 1 0 5 11" \
	"$(jq -r '[.pending, .processing, .completed, .failed, .dead, .total] | join(" ")' <<<"$out")" \
	"counts of status --json"
assert_eq 1 "$(jq '.workers | length' <<<"$out")" "workers in status --json"
has_keys "$WORKER" "status --json .workers[0]" "$(jq '.workers[0]' <<<"$out")"
assert_eq "$worker_pid" "$(jq '.workers[0].pid' <<<"$out")" "the worker's pid"

# info --json of a dead and of a completed job, with their history.
json_ok q info --json da1
has_keys "$DETAIL" "info --json da1"
assert_eq "dead|1|1|3|exit status 3" \
	"$(jq -r '[.state, .attempts, .runs, .exit_code, .last_error] | map(tostring) | join("|")' <<<"$out")" \
	"info --json of a dead job"
assert_eq 1 "$(jq '.history | length' <<<"$out")" "history of da1"
has_keys "$ATTEMPT" "info --json da1 .history[0]" "$(jq '.history[0]' <<<"$out")"
assert_eq "1|1|dead|3" "$(jq -r '.history[0] | [.run, .attempt, .outcome, .exit_code] | map(tostring) | join("|")' <<<"$out")" \
	"the attempt of da1"
is_time "$(jq -r '.history[0].started_at' <<<"$out")" "history started_at"
is_time "$(jq -r .finished_at <<<"$out")" "finished_at"
json_ok q info --json c1
assert_eq "completed|0|null|c1" \
	"$(jq -r '[.state, .exit_code, .last_error, .output] | map(tostring) | join("|")' <<<"$out" | tr -d '\n')" \
	"info --json of a completed job"

# list --json: every job, each with the job keys.
json_ok q list --json
each_has_keys "$JOB" "list --json"
assert_eq 11 "$(jq length <<<"$out")" "jobs in list --json"

# --- dlq list with --queue, --limit, --json and --quiet is list --state dead filtered the
# same way.
while IFS='|' read -r filter want; do
	json_ok q dlq list --json $filter
	dlq=$out
	assert_eq "$want" "$(ids)" "ids of dlq list --json $filter"
	assert_eq "" "$(jq -r '[.[] | select(.state != "dead") | .id] | join(" ")' <<<"$dlq")" \
		"jobs of dlq list --json $filter that are not dead"
	each_has_keys "$JOB" "dlq list --json $filter"
	json_ok q list --state dead --json $filter
	assert_eq "$dlq" "$out" "dlq list --json $filter is list --state dead --json $filter"
	check_ok q dlq list --quiet $filter
	assert_eq "$(jq -r '.[].id' <<<"$dlq")" "$out" "dlq list --quiet $filter"
	quiet=$out
	check_ok q list --quiet --state dead $filter
	assert_eq "$quiet" "$out" "dlq list --quiet $filter is list --state dead --quiet $filter"
done <<EOF
|$dead
--queue qa|da1 da2 da3
--queue qb|db1 db2
--limit 2|da1 db1
--queue qa --limit 2|da1 da2
-q qb -n 1|db1
--limit 100|$dead
--queue nosuch|
EOF

# --- wait --json: the finished jobs, also when one is dead (exit 1).
json_ok q wait c1 --json
assert_eq "c1" "$(ids)" "wait --json c1"
each_has_keys "$JOB" "wait --json"
run q wait --json c1 da1
checks=$((checks + 1))
[ "$status" -eq 1 ] || fail "wait --json of a dead job exited $status, expected 1"
assert_eq "c1 da1" "$(ids)" "wait --json c1 da1"
assert_eq "completed dead" "$(jq -r 'map(.state) | join(" ")' <<<"$out")" "states in wait --json"
assert_match "^queuectl: 1 of 2 jobs ended dead: 'da1'$" "$err" "wait's message about the dead job"

# --- dlq retry --json: {"retried": N, "ids": [...]}, and no summary on stderr.
json_ok q dlq retry da1 da2 --json
assert_eq '{"retried":2,"ids":["da1","da2"]}' "$(jq -c . <<<"$out")" "dlq retry --json"
wait_for 20 state_is da1 dead
wait_for 20 state_is da2 dead
json_ok q dlq retry --all --queue qb --json
assert_eq '{"retried":2,"ids":["db1","db2"]}' "$(jq -c . <<<"$out")" "dlq retry --all --queue qb --json"
assert_eq "dead dead dead" "$(job_state da1) $(job_state da2) $(job_state da3)" "the dead jobs of qa stay dead"
wait_for 20 state_is db1 dead
wait_for 20 state_is db2 dead
json_ok q dlq retry --all --json
assert_eq "{\"retried\":5,\"ids\":$(jq -cn --arg d "$dead" '$d | split(" ")')}" "$(jq -c . <<<"$out")" \
	"dlq retry --all --json"
for id in $dead; do
	wait_for 20 state_is "$id" dead
done
json_ok q dlq retry --all --queue nosuch --json
assert_eq '{"retried":0,"ids":[]}' "$(jq -c . <<<"$out")" "dlq retry --all --json with nothing to retry"
stop_worker "$worker_pid"

# --- delete --json and purge --json.
json_ok q delete e1 --json
assert_eq '{"deleted":1,"ids":["e1"]}' "$(jq -c . <<<"$out")" "delete --json"
json_ok q delete --json f1 f3 f1
assert_eq '{"deleted":2,"ids":["f1","f3"]}' "$(jq -c . <<<"$out")" "delete --json of two jobs, one named twice"
json_ok q purge --state dead --json
assert_eq '{"purged":5,"state":"dead"}' "$(jq -c . <<<"$out")" "purge --state dead --json"
json_ok q purge --state completed --json
assert_eq '{"purged":1,"state":"completed"}' "$(jq -c . <<<"$out")" "purge --state completed --json"
json_ok q purge --state dead --json
assert_eq '{"purged":0,"state":"dead"}' "$(jq -c . <<<"$out")" "purge --json with nothing to purge"

# --- config --json: {"KEY": value} with the value typed, numbers as numbers.
json_ok q config show --json
has_keys "$SETTINGS" "config show --json"
assert_eq '[3,2,3600,0,3600,"normal"]' \
	"$(jq -c '[.["max-retries"], .["backoff-base"], .["backoff-max"], .["job-timeout"], .lease, .durability]' <<<"$out")" \
	"config show --json (lease set to 3600 above)"
json_ok q config get lease --json
assert_eq '{"lease":3600}' "$(jq -c . <<<"$out")" "config get --json"
json_ok q config get max_retries --json
assert_eq '{"max-retries":3}' "$(jq -c . <<<"$out")" "config get --json of the underscore spelling"
json_ok q config set backoff-max 2h --json
assert_eq '{"backoff-max":7200}' "$(jq -c . <<<"$out")" "config set --json of a duration"
json_ok q config set backoff-base 1.5 --json
assert_eq '{"backoff-base":1.5}' "$(jq -c . <<<"$out")" "config set --json of a real"
json_ok q config set durability full --json
assert_eq '{"durability":"full"}' "$(jq -c . <<<"$out")" "config set --json of a choice"
json_ok q config set max-retries 7 --json
assert_eq '{"max-retries":7}' "$(jq -c . <<<"$out")" "config set --json of an integer"
assert_eq "number number number string" \
	"$(q config show --json | jq -r '[.["max-retries"], .["backoff-base"], .["backoff-max"], .durability] | map(type) | join(" ")')" \
	"types in config show --json after set"
json_ok q config reset backoff-max --json
assert_eq '{"backoff-max":3600}' "$(jq -c . <<<"$out")" "config reset KEY --json"
json_ok q config reset --json
has_keys "$SETTINGS" "config reset --json"
reset=$out
json_ok q config show --json
assert_eq "$(jq -cS . <<<"$out")" "$(jq -cS . <<<"$reset")" "config reset --json is config show --json after it"
assert_eq '[3,2,3600,0,30,"normal"]' \
	"$(jq -c '[.["max-retries"], .["backoff-base"], .["backoff-max"], .["job-timeout"], .lease, .durability]' <<<"$reset")" \
	"config reset --json: every default"

finish
