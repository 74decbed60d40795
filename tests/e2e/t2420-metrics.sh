#!/bin/bash
# t2420-metrics.sh - GET /metrics in Prometheus's text format (promtool check metrics), with
# counters kept in the store that never go back (purge, a restarted server, a second server)
# and agree between processes; stats prints the same figures for a person.
# Commands: web, stats, enqueue, worker start, purge, dlq retry.
. "$TEST_DIR/lib.sh"
. "$TEST_DIR/web-lib.sh"

command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus: scripts/deps.sh test)"

metrics() { # fetch /metrics into $TMP/metrics and check it with promtool
	curl -sf "$base/metrics" >"$TMP/metrics" || fail "GET /metrics failed"
	promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1 ||
		fail "promtool check metrics: $(cat "$TMP/promtool")"
	checks=$((checks + 1))
}

sample() { # sample NAME{LABELS}: its value, or 'none'
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "none" }' "$TMP/metrics"
}

# --- Jobs on two queues, run by a worker: completed, retried then dead, one left due.  The
# long one first: a short one before it would have the worker claim 'bad' ahead and give it
# back while 'sleep 0.3' runs, a claim more (t1270).
check_ok q enqueue --id ok2 --queue mail 'sleep 0.3'
check_ok q enqueue --id ok1 --queue mail 'echo one'
check_ok q enqueue --id bad --max-retries 1 --backoff-base 1 'exit 4'
check_ok q enqueue --id old --queue late --run-at "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" true
start_worker --queue mail,default
wait_for 20 state_is bad dead
wait_for 20 state_is ok2 completed
stop_worker "$worker_pid"

start_web
metrics
assert_eq 2 "$(sample 'queuectl_jobs{queue="mail",state="completed"}')" "jobs gauge"
assert_eq 1 "$(sample 'queuectl_jobs{queue="late",state="pending"}')" "pending gauge"
assert_eq 0 "$(sample 'queuectl_jobs{queue="late",state="dead"}')" "every state of a queue"
assert_eq 2 "$(sample 'queuectl_jobs_enqueued_total{queue="mail"}')" "enqueued mail"
assert_eq 1 "$(sample 'queuectl_jobs_enqueued_total{queue="default"}')" "enqueued default"
assert_eq 2 "$(sample 'queuectl_jobs_completed_total{queue="mail"}')" "completed"
assert_eq 0 "$(sample 'queuectl_jobs_completed_total{queue="default"}')" "completed default"
assert_eq 2 "$(sample 'queuectl_attempts_failed_total{queue="default"}')" "failed attempts"
assert_eq 1 "$(sample 'queuectl_jobs_dead_total{queue="default"}')" "dead"
assert_eq 2 "$(sample 'queuectl_attempt_duration_seconds_count{queue="mail"}')" "durations"
assert_eq 2 "$(sample 'queuectl_attempt_duration_seconds_bucket{queue="mail",le="+Inf"}')" "+Inf bucket"
assert_eq 1 "$(sample 'queuectl_attempt_duration_seconds_bucket{queue="mail",le="0.25"}')" "sleep 0.3 is over 0.25s"
sum=$(sample 'queuectl_attempt_duration_seconds_sum{queue="mail"}')
awk -v s="$sum" 'BEGIN { exit !(s >= 0.3 && s < 30) }' || fail "duration sum $sum"
assert_eq 2 "$(sample 'queuectl_queue_wait_seconds_count{queue="default"}')" "a wait per claim"
assert_eq none "$(sample 'queuectl_queue_wait_seconds_count{queue="late"}')" "never claimed"
age=$(sample 'queuectl_oldest_due_job_age_seconds{queue="late"}')
awk -v a="$age" 'BEGIN { exit !(a >= 7200 && a < 7300) }' || fail "oldest due age $age"
assert_eq 0 "$(sample 'queuectl_oldest_due_job_age_seconds{queue="mail"}')" "nothing due"
assert_eq 0 "$(sample queuectl_workers)" "no worker"
assert_match '^queuectl_build_info\{version="[0-9.]+"\} 1$' "$(grep '^queuectl_build_info' "$TMP/metrics")" "build info"
assert_eq 1 "$(grep -c '^# TYPE queuectl_attempt_duration_seconds histogram$' "$TMP/metrics")" "one TYPE per family"
api_error 405 method_not_allowed POST /metrics '{}'

# --- Workers and busy slots while a job runs.
check_ok q enqueue --id slow --queue mail 'sleep 30'
start_worker --queue mail --count 3
wait_for 20 state_is slow processing
metrics
assert_eq "1 3 1" "$(sample queuectl_workers) $(sample queuectl_worker_slots) $(sample queuectl_worker_busy_slots)" "workers, slots, busy"
kill -TERM "$worker_pid"
wait_for 10 grep -q 'received SIGTERM' "$TMP/worker.log"
kill -TERM "$worker_pid" # the second stops the running job
reaped "$worker_pid"
check_ok q delete slow

# --- True counters: a purge deletes jobs, not counts; a new server process and a second
# one beside it read the same; a dlq retry and a new death count once more.
metrics
cp "$TMP/metrics" "$TMP/before"
check_ok q purge --state completed
metrics
assert_eq 0 "$(sample 'queuectl_jobs{queue="mail",state="completed"}')" "purged from the gauge"
assert_eq 2 "$(sample 'queuectl_jobs_completed_total{queue="mail"}')" "completed after purge"
assert_eq 3 "$(sample 'queuectl_jobs_enqueued_total{queue="mail"}')" "enqueued after purge"
first=$base
stop_worker "$web_pid"
start_web
metrics
assert_eq 2 "$(sample 'queuectl_jobs_completed_total{queue="mail"}')" "after a restart of the server"
grep _total "$TMP/metrics" >"$TMP/a"
start_web
metrics
grep _total "$TMP/metrics" >"$TMP/b"
assert_eq "$(cat "$TMP/a")" "$(cat "$TMP/b")" "two servers agree"
check_ok q dlq retry bad
start_worker --queue default
wait_for 20 state_is bad dead
stop_worker "$worker_pid"
metrics
assert_eq 2 "$(sample 'queuectl_jobs_dead_total{queue="default"}')" "dead twice"
assert_eq 4 "$(sample 'queuectl_attempts_failed_total{queue="default"}')" "four failed attempts"
check_ok q purge --state dead
metrics
assert_eq 2 "$(sample 'queuectl_jobs_dead_total{queue="default"}')" "dead after purge"
assert_eq 4 "$(sample 'queuectl_attempt_duration_seconds_count{queue="default"}')" "histogram after purge"

# --- stats: the same figures for a person, from the attempts the store still has.
check_ok q enqueue --id s1 --queue mail 'echo s1'
check_ok q enqueue --id s2 --queue mail --max-retries 0 false
start_worker --queue mail --until-idle
reaped "$worker_pid"
check_ok q stats --json
assert_eq '[{"queue":"mail","attempts":2,"completed":1,"failed_attempts":1,"dead":1,"success_rate":0.5}]' \
	"$(jq -c '[.queues[] | {queue, attempts, completed, failed_attempts, dead, success_rate}]' <<<"$out")" "stats --json"
assert_eq 3600 "$(jq .seconds <<<"$out")" "default span"
assert_eq true "$(jq '.queues[0].duration_ms | .p50 <= .p95 and .p95 <= .max' <<<"$out")" "percentiles in order"
check_ok q stats --queue mail --since 2h
assert_match '^QUEUE +ATTEMPTS +COMPLETED +FAILED +DEAD +PER MIN +SUCCESS +P50 +P95 +MAX$' "$(head -1 <<<"$out")" "header"
assert_match '^mail +2 +1 +1 +1 +0\.01 +50\.0% ' "$(sed -n 2p <<<"$out")" "a queue's line"
check_ok q stats --queue nothing
assert_eq "no attempt ended in the last 1h" "$err" "nothing to say"
check_ok q stats --json --queue nothing
assert_eq '[]' "$(jq -c .queues <<<"$out")" "no queues"
before=$(snapshot)
reject 2 "^queuectl: stats: --since must be longer than 0s" q stats --since 0
reject 2 "^queuectl: invalid duration 'soon'" q stats --since soon
reject 2 "^queuectl: invalid queue name" q stats --queue 'a b'
reject 2 "^queuectl: stats: unexpected argument" q stats mail

# --- The API's stats: what stats --json prints, the same span and queue; bad input is a 400.
for query in '' '?since=2h' '?queue=mail' '?queue=nothing'; do
	case $query in
	'?since=2h') cli=(--since 2h) ;;
	'?queue=mail') cli=(--queue mail) ;;
	'?queue=nothing') cli=(--queue nothing) ;;
	*) cli=() ;;
	esac
	check_ok q stats --json "${cli[@]}"
	want=$(jq -c 'del(.since)' <<<"$out")
	api GET "/api/v1/stats$query"
	assert_eq "200 $want" "$code $(jq -c 'del(.since)' <<<"$out")" "GET /api/v1/stats$query as stats --json ${cli[*]}"
done
api_error 400 invalid GET '/api/v1/stats?since=0'
api_error 400 invalid GET '/api/v1/stats?since=soon'
api_error 400 invalid GET '/api/v1/stats?queue=a%20b'
api_error 405 method_not_allowed POST /api/v1/stats '{}'

# --- A store made before the counters: the upgrade counts in the jobs and attempts it has.
# (The later steps' objects go too, as the schema they follow had none of them.)
stop_worker "$web_pid"
if [ -n "$PG" ]; then
	pg_sql "DROP TABLE figures, figure_changes, buckets;
		DROP FUNCTION jobs_figures, attempts_figures, fold_figures, fold_figures_now CASCADE;
		DROP INDEX jobs_queue_due, attempts_finished;
		ALTER TABLE workers DROP COLUMN stop_requested; UPDATE queuectl_schema SET version = 1"
	assert_eq "" "$(pg_sql "SELECT tablename FROM pg_tables WHERE schemaname = '$PG_SCHEMA'
		AND tablename LIKE 'figure%'")" "back to schema 1"
else
	sqlite3 "$DB" "DROP TABLE queue_counts; DROP TABLE counters; DROP TABLE histograms;
		DROP TABLE buckets; DROP INDEX jobs_queue_due; DROP INDEX attempts_finished;
		DROP TRIGGER jobs_enqueued; DROP TRIGGER jobs_wait; DROP TRIGGER attempts_counted;
		DROP TRIGGER jobs_queue_count_insert; DROP TRIGGER jobs_queue_count_update;
		DROP TRIGGER jobs_queue_count_delete; ALTER TABLE workers DROP COLUMN stop_requested;
		PRAGMA user_version = 3;"
	assert_eq "" "$(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE sql LIKE '%counters%' OR name LIKE '%queue_count%'")" "back to schema 3"
fi
start_web
metrics
assert_eq 2 "$(sample 'queuectl_jobs_enqueued_total{queue="mail"}')" "upgraded: jobs still stored"
assert_eq 1 "$(sample 'queuectl_jobs_completed_total{queue="mail"}')" "upgraded: completed attempts"
assert_eq 1 "$(sample 'queuectl_jobs_dead_total{queue="mail"}')" "upgraded: dead attempts"
assert_eq 1 "$(sample 'queuectl_jobs{queue="mail",state="dead"}')" "upgraded: counts by queue"
assert_eq 2 "$(sample 'queuectl_attempt_duration_seconds_count{queue="mail"}')" "upgraded: durations"
stop_worker "$web_pid"
finish
