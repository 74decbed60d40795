#!/bin/bash
# t3100-restart: the server restarted in the middle of a drain.  Two workers of four slots
# drain 160 jobs that each write a line as they start and as they end; the server is
# restarted (pg_ctl restart -m fast, every session cut off) once some have completed.  The
# workers outlive it, connect again and finish: every job completed, each started exactly
# once, none left pending or processing, and the workers exit 0 when stopped.
# Commands: enqueue --file, worker start, status; the server's own restart.
#
# It restarts the server, so it has a throwaway cluster of its own, never the one other
# tests share.
if [ -z "${T3100_OWN_CLUSTER:-}" ]; then
	export T3100_OWN_CLUSTER=1
	QUEUECTL_TEST_PG= exec "$PG_TEST_DIR/cluster.sh" run bash "$0"
fi
. "$TEST_DIR/lib.sh"

n=160
runs=$TMP/runs
for i in $(seq 1 $n); do
	jq -cn --arg id "j$i" --arg runs "$runs" '{id: $id, command:
		"echo \"$QUEUECTL_JOB_ID start\" >>\($runs); sleep 0.2; echo \"$QUEUECTL_JOB_ID end\" >>\($runs)"}'
done >"$TMP/jobs.jsonl"
check_ok q enqueue --file "$TMP/jobs.jsonl"
assert_eq "$n" "$(wc -l <<<"$out")" "jobs enqueued"

completed() { q status --json | jq .completed; }
at_least() { [ "$(completed)" -ge "$1" ]; }
all_done() { [ "$(q status --json | jq -c '[.completed, .pending, .processing, .failed]')" = "[$n,0,0,0]" ]; }

start_worker --count 4
w1=$worker_pid
start_worker --count 4
w2=$worker_pid
wait_for 60 at_least 20
"$PG_TEST_DIR/cluster.sh" restart "$QUEUECTL_TEST_PG_DIR" || fail "the server did not restart"
done_at_restart=$(completed)
[ "$done_at_restart" -lt "$n" ] || fail "the drain had ended before the restart"
wait_for 180 all_done
gone "$w1" && fail "worker 1 did not survive the restart"
gone "$w2" && fail "worker 2 did not survive the restart"
assert_match "lost the connection|cannot reach the database" "$(cat "$TMP/worker.log")" \
	"the workers saw the server go"

# Each job started once and ended once: nothing lost, nothing run twice.
assert_eq "$n" "$(grep -c ' start$' "$runs")" "starts"
assert_eq "$n" "$(grep ' start$' "$runs" | sort -u | wc -l)" "jobs started"
assert_eq "$n" "$(grep -c ' end$' "$runs")" "ends"
assert_eq "" "$(sql "SELECT id FROM jobs WHERE runs <> 1 OR attempts <> 1")" "jobs run more than once"

stop_worker "$w1"
assert_eq 0 "$rc" "worker 1 exit status"
stop_worker "$w2"
assert_eq 0 "$rc" "worker 2 exit status"
finish
