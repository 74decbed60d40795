#!/bin/bash
# t1200-exactly-once: several worker processes on one store never run a job twice.  Covers:
# 'enqueue --file' of 500 jobs while three 'worker start --count 2' processes wait; every
# job appends its own id to one file: each id appears exactly once, every job is completed
# after one run and one attempt; status lists three workers; 'worker stop' stops all three.
. "$TEST_DIR/lib.sh"

nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
ncompleted() { [ "$(q status --json | jq .completed)" = "$1" ]; }

n=500
seq -f 'job%03g' 1 $n >"$TMP/want"
while read -r id; do
	printf '{"id":"%s","command":"echo %s >>%s/ran"}\n' "$id" "$id" "$TMP"
done <"$TMP/want" >"$TMP/jobs.jsonl"

start_worker --count 2
w1=$worker_pid
start_worker --count 2
w2=$worker_pid
start_worker --count 2
w3=$worker_pid
wait_for 10 nworkers 3

check_ok q enqueue --file "$TMP/jobs.jsonl"
assert_eq $n "$(printf '%s\n' "$out" | wc -l)" "ids printed by enqueue --file"
wait_for 50 ncompleted $n

check_ok q status --json
assert_eq "0 0 $n 0 0" "$(jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead)"' <<<"$out")" \
	"counts by state"
assert_eq "" "$(sort "$TMP/ran" | uniq -d | head -n 5 | tr '\n' ' ')" "ids that ran more than once"
assert_eq "$(cat "$TMP/want")" "$(sort "$TMP/ran")" "ids that ran"
check_ok q list --json
jobs=$out out=
assert_eq "$n" "$(jq '[.[] | select(.state == "completed" and .attempts == 1)] | length' <<<"$jobs")" \
	"completed jobs with one attempt"
# Each job's own record, through info --json: started once (runs), one attempt in its history.
for id in $(jq -r '.[].id' <<<"$jobs"); do q info --json "$id"; done >"$TMP/info"
assert_eq "$n 0" "$(jq -s '"\(length) \([.[] | select(.runs != 1)] | length)"' -r "$TMP/info")" \
	"jobs, and jobs that ran other than once"
assert_eq "$n" "$(jq -s '[.[].history[] | select(.outcome == "completed")] | length' "$TMP/info")" \
	"completed attempts in the histories"

# The test means something only if the work was shared: more than one worker ran jobs.
shared=$(sed -n 's/.*worker\[\([0-9]*\)\]: started job.*/\1/p' "$TMP/worker.log" | sort -u | wc -l)
checks=$((checks + 1))
[ "$shared" -ge 2 ] || fail "only $shared worker(s) ran jobs"

check_ok q worker stop
assert_eq "stopped 3 workers" "$out" "worker stop"
for w in $w1 $w2 $w3; do
	wait_for 10 gone "$w"
	wait "$w"
	assert_eq 0 "$?" "exit status of worker $w"
done
check_ok q status --json
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "workers after stop"

finish
