#!/bin/bash
# t3400-figures: the figures of metrics and stats on PostgreSQL, kept by triggers under
# workers that claim and finish at the same time.  Three worker processes drain 600 jobs on
# two queues (some fail, some die); the counts of status and /metrics then agree with the
# jobs table itself, every counter with what happened, with no writer failed by a lock (no
# deadlock in the workers' output); the changes were folded as they went; a purge lowers
# the counts and leaves the counters; a batch of 500 jobs leaves no change unfolded.
# Commands: enqueue, worker start, status, web, purge.
. "$TEST_DIR/lib.sh"
. "$TEST_DIR/web-lib.sh"

[ -n "$PG" ] || fail "a PostgreSQL test (QUEUECTL_TEST_BACKEND=postgresql)"

metric() { # metric NAME{LABELS}: its value in $TMP/metrics, or 'none'
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "none" }' "$TMP/metrics"
}
all_finished() { [ "$(sql "SELECT count(*) FROM jobs WHERE state NOT IN ('completed','dead')")" = 0 ]; }

# 450 on 'a' (every 10th exits 1 with no retry: dead), 150 on 'b'.
for i in $(seq 1 450); do
	if [ $((i % 10)) = 0 ]; then
		echo "{\"id\":\"a$i\",\"queue\":\"a\",\"command\":\"exit 1\",\"max_retries\":0}"
	else
		echo "{\"id\":\"a$i\",\"queue\":\"a\",\"command\":\"true\"}"
	fi
done >"$TMP/a.jsonl"
for i in $(seq 1 150); do
	echo "{\"id\":\"b$i\",\"queue\":\"b\",\"command\":\"true\"}"
done >"$TMP/b.jsonl"
check_ok q enqueue --file "$TMP/a.jsonl"
check_ok q enqueue --file "$TMP/b.jsonl"

for w in 1 2 3; do
	start_worker --count 2 --queue a,b
done
wait_for 300 all_finished
for p in $worker_pids; do
	stop_worker "$p"
	assert_eq 0 "$rc" "a worker's exit status"
done
worker_pids=
if grep -Eqi 'deadlock|could not serialize|lock timeout' "$TMP/worker.log"; then
	fail "a worker met a lock: $(grep -Ei 'deadlock|serialize|lock timeout' "$TMP/worker.log" | head -3)"
fi

# status counts as the jobs table does.
check_ok q status --json
assert_eq 555 "$(jq .completed <<<"$out")" "completed in status"
assert_eq 45 "$(jq .dead <<<"$out")" "dead in status"
assert_eq 555 "$(sql "SELECT count(*) FROM jobs WHERE state = 'completed'")" "completed rows"

start_web
curl -sf "$base/metrics" >"$TMP/metrics" || fail "GET /metrics failed"
assert_eq 405 "$(metric 'queuectl_jobs{queue="a",state="completed"}')" "a completed"
assert_eq 45 "$(metric 'queuectl_jobs{queue="a",state="dead"}')" "a dead"
assert_eq 0 "$(metric 'queuectl_jobs{queue="a",state="processing"}')" "a processing"
assert_eq 150 "$(metric 'queuectl_jobs{queue="b",state="completed"}')" "b completed"
assert_eq 450 "$(metric 'queuectl_jobs_enqueued_total{queue="a"}')" "a enqueued"
assert_eq 150 "$(metric 'queuectl_jobs_enqueued_total{queue="b"}')" "b enqueued"
assert_eq 405 "$(metric 'queuectl_jobs_completed_total{queue="a"}')" "a completed total"
assert_eq 45 "$(metric 'queuectl_jobs_dead_total{queue="a"}')" "a dead total"
assert_eq 450 "$(metric 'queuectl_attempt_duration_seconds_count{queue="a"}')" "a durations"
# A wait per claim: one each, and one more for each claim ahead given back unstarted.
given=$(grep -c ': job b[0-9]*: claimed ahead, returned to pending' "$TMP/worker.log")
assert_eq $((150 + given)) "$(metric 'queuectl_queue_wait_seconds_count{queue="b"}')" "b waits"
# Folded as they went: far fewer changes left than the thousands written.
left=$(sql "SELECT count(*) FROM figure_changes")
checks=$((checks + 1))
[ "$left" -lt 1000 ] || fail "$left changes not folded"
assert_match '^[1-9]' "$(sql "SELECT count(*) FROM figures WHERE kind = 's'")" "folded counts"

# A purge takes jobs away, not what was counted.
check_ok q purge --state completed
check_ok q status --json
assert_eq 0 "$(jq .completed <<<"$out")" "completed after the purge"
curl -sf "$base/metrics" >"$TMP/metrics" || fail "GET /metrics failed"
assert_eq 0 "$(metric 'queuectl_jobs{queue="a",state="completed"}')" "a completed after the purge"
assert_eq 405 "$(metric 'queuectl_jobs_completed_total{queue="a"}')" "a completed total after the purge"
stop_worker "$web_pid"
assert_eq 0 "$rc" "web exit status"

# A batch folds its changes as it commits: none is left for readers to sum, and the counts
# take it in (migration 4: no fold after the first of a transaction otherwise).
for i in $(seq 500); do echo '{"command": "true", "queue": "b"}'; done >"$TMP/batch.jsonl"
check_ok q enqueue --file "$TMP/batch.jsonl"
assert_eq 0 "$(sql "SELECT count(*) FROM figure_changes")" "changes left after a batch of 500"
check_ok q status --json
assert_eq 500 "$(jq .pending <<<"$out")" "pending after the batch"
finish
