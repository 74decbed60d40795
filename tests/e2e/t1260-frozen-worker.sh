#!/bin/bash
# t1260-frozen-worker: never twice at once, even when a live worker stops making progress.
# A worker frozen (SIGSTOP) for longer than the lease has its job's process group killed by
# its watchdog before the lease ends, so that when another worker recovers the job and runs
# it again, the first run is gone.  Woken up, the frozen worker records nothing for that run
# and the job is counted once.  The job holds an flock for as long as any of its processes
# lives: a second run that finds it taken overlaps the first.
. "$TEST_DIR/lib.sh"

lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

check_ok q config set lease 4s
check_ok q enqueue --id frozen "exec 9>>$TMP/lk; flock -n 9 || echo overlap >>$TMP/overlap; echo run >>$TMP/runs; [ \$(wc -l <$TMP/runs) -ge 2 ] || sleep 60"
start_worker
a=$worker_pid
wait_for 10 lines "$TMP/runs" 1
start_worker
b=$worker_pid
kill -STOP "$a"
t0=$(date +%s%3N)
wait_for 20 lines "$TMP/runs" 2
frozen=$(($(date +%s%3N) - t0))
# The second run began only once the lease had expired: the freeze outlasted it.
[ "$frozen" -gt 4000 ] || fail "worker frozen for ${frozen}ms, not longer than the 4 s lease"
kill -CONT "$a"
wait_for 10 state_is frozen completed
assert_eq "" "$(cat "$TMP/overlap" 2>/dev/null)" "runs that overlapped"
check_ok q info --json frozen
assert_eq 1 "$(jq .attempts <<<"$out")" "attempts counted"
wait_for 10 grep -q "worker\[$a\]: .*frozen.*job frozen\|worker\[$a\]: job frozen.*not recorded" "$TMP/worker.log"
# Both workers serve on.
check_ok q enqueue --id after "true"
wait_for 10 state_is after completed
stop_worker "$a"
assert_eq 0 "$rc" "frozen worker's exit status"
stop_worker "$b"
assert_eq 0 "$rc" "other worker's exit status"

finish
