#!/bin/bash
# t1400-graceful-stop: stopping workers.  Covers: a first SIGTERM lets the running job finish
# and be recorded, takes no new job, and the worker exits 0; 'worker stop' from another
# process does the same, waits, and prints "stopped N workers" (0, 1 and 2), and with
# --timeout gives up (exit 1) on a worker that is still busy; a second SIGTERM stops the
# running job's whole process group and returns the job to pending with attempts 0;
# 'worker start --detach' prints the pid of a worker that 'status' shows, that logs to a
# file in the data directory, runs jobs, and that 'worker stop' stops; a second 'worker stop'
# after one that timed out is still graceful, and a signal after 'worker stop' is the
# second one; --id and --host choose the workers, and a choice of none says so (exit 1);
# a worker elsewhere (a row as another machine writes it) is asked through the store and
# waited for until its row leaves.
. "$TEST_DIR/lib.sh"

nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
in_log() { grep -q -- "$1" "$TMP/worker.log"; }

# A job that says when it has started, then waits for the test to let it go: the test
# controls exactly when it ends, without sleeping.  It gives up once the test's directory is
# gone, so that a failed test leaves nothing running.
blocker() { # blocker NAME
	echo "touch $TMP/$1.started; while [ ! -e $TMP/$1.go ] && [ -d $TMP ]; do sleep 0.05; done; echo $1 done"
}

check_ok q worker stop
assert_eq "stopped 0 workers" "$out" "worker stop with no worker"

# 1. SIGTERM while a job runs: the job finishes, nothing new starts, exit 0.
check_ok q enqueue --id t1 "$(blocker t1)"
start_worker --count 2
w=$worker_pid
wait_for 10 test -e "$TMP/t1.started"
kill -TERM "$w"
wait_for 10 in_log "worker\[$w\]: received SIGTERM: finishing 1 running job"
check_ok q enqueue --id t1-later 'echo should not run'
touch "$TMP/t1.go"
reaped "$w"
assert_eq 0 "$rc" "exit status after SIGTERM"
check_ok q info --json t1
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "t1 state and attempts"
check_ok q logs t1
assert_eq "t1 done" "$out" "t1 output"
check_ok q info --json t1-later
assert_eq "pending 0 0" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$out")" \
	"a job enqueued while draining is not taken"
check_ok q status --json
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "workers after SIGTERM"
check_ok q delete t1-later

# 2. 'worker stop --timeout' gives up on a worker that is still busy; the worker, signalled,
# still finishes its job and exits.
check_ok q enqueue --id t2 "$(blocker t2)"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/t2.started"
check_fail 1 "^queuectl: 1 of 1 worker still running after 1\.0s$" q worker stop --timeout 1
assert_eq processing "$(job_state t2)" "t2 after a timed-out worker stop"
touch "$TMP/t2.go"
reaped "$w"
assert_eq 0 "$rc" "exit status after a timed-out worker stop"
check_ok q info --json t2
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "t2 state and attempts"

# 3. 'worker stop' from another process: waits for the running job, says how many stopped.
check_ok q enqueue --id t3 "$(blocker t3)"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/t3.started"
q worker stop >"$TMP/stop.out" 2>"$TMP/stop.err" &
stopper=$!
wait_for 10 in_log "worker\[$w\]: asked to stop by 'worker stop': finishing 1 running job"
gone "$stopper" && fail "worker stop returned before the worker's job ended"
touch "$TMP/t3.go"
reaped "$stopper"
assert_eq 0 "$rc" "exit status of worker stop"
assert_eq "stopped 1 worker" "$(cat "$TMP/stop.out")" "worker stop"
assert_eq "" "$(cat "$TMP/stop.err")" "worker stop stderr"
gone "$w" || fail "worker $w still running after worker stop returned"
reaped "$w"
assert_eq 0 "$rc" "exit status after worker stop"
check_ok q info --json t3
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "t3 state and attempts"
check_ok q logs t3
assert_eq "t3 done" "$out" "t3 output"

# 'worker stop' stops every worker of the store.
start_worker
w1=$worker_pid
start_worker --count 3
w2=$worker_pid
wait_for 10 nworkers 2
check_ok q worker stop
assert_eq "stopped 2 workers" "$out" "worker stop of two workers"
reaped "$w1"
assert_eq 0 "$rc" "exit status of the first worker"
reaped "$w2"
assert_eq 0 "$rc" "exit status of the second worker"

# 4. A second SIGTERM stops the job (its background child too) and returns it to pending,
# uncounted.
check_ok q enqueue --id t4 --max-retries 0 \
	"sleep 60 & echo \$! >$TMP/t4.child; touch $TMP/t4.started; wait; echo not reached"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/t4.started"
child=$(cat "$TMP/t4.child")
kill -TERM "$w"
wait_for 10 in_log "worker\[$w\]: received SIGTERM: finishing 1 running job"
kill -TERM "$w"
reaped "$w"
assert_eq 0 "$rc" "exit status after a second SIGTERM"
check_ok q info --json t4
assert_eq "pending 0 1 null" "$(jq -r '"\(.state) \(.attempts) \(.runs) \(.last_error)"' <<<"$out")" \
	"t4 state, attempts, runs, last_error"
assert_eq 0 "$(jq '.history | length' <<<"$out")" "history of a stopped job"
wait_for 5 gone "$child"
assert_match "job t4 stopped and returned to pending" "$(cat "$TMP/worker.log")" "worker log"
check_ok q delete t4

# 5. --detach: prints the pid once the worker is serving; status lists it.
check_ok q worker start --detach
dpid=$out
assert_match '^[0-9]+$' "$dpid" "worker start --detach prints a pid"
worker_pids="$worker_pids $dpid"
assert_match "^worker $dpid started; its log is .*/worker-$dpid\.log$" "$err" "detach message"
dlog=${err##* }
# Beside the database file; with a server, in the data directory's logs of that server.
assert_eq "$(logs_root)/worker-$dpid.log" "$dlog" "detached worker's log file"
gone "$dpid" && fail "detached worker $dpid is not running"
check_ok q status --json
assert_eq "$dpid" "$(jq -r '.workers[].pid' <<<"$out")" "status --json lists the detached worker"
check_ok q status
assert_match "^$dpid +$(hostname) +1 +0 " "$out" "status lists the detached worker"
check_ok q enqueue --id t5 'echo detached'
wait_for 10 state_is t5 completed
check_ok q logs t5
assert_eq detached "$out" "a job run by the detached worker"
check_ok q worker stop
assert_eq "stopped 1 worker" "$out" "worker stop of the detached worker"
wait_for 5 gone "$dpid"
assert_match "worker\[$dpid\]: serving" "$(cat "$dlog")" "detached worker's log"
assert_match "worker\[$dpid\]: stopped" "$(cat "$dlog")" "detached worker's log at exit"
check_ok q status --json
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "workers after stopping the detached one"


# 6. 'worker stop' is graceful however often it is run: a second one, after one that timed
# out, must not turn into the worker's "second signal" and stop the running job.
check_ok q enqueue --id t6 "$(blocker t6)"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/t6.started"
check_fail 1 "^queuectl: 1 of 1 worker still running after 1\.0s$" q worker stop --timeout 1
check_fail 1 "^queuectl: 1 of 1 worker still running after 1\.0s$" q worker stop --timeout 1
assert_eq processing "$(job_state t6)" "t6 after two worker stops"
touch "$TMP/t6.go"
reaped "$w"
assert_eq 0 "$rc" "exit status after two worker stops"
check_ok q info --json t6
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "t6 state and attempts"

# 7. A signal after 'worker stop' is the second one: it stops the running job.
check_ok q enqueue --id t7 --max-retries 0 "$(blocker t7)"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/t7.started"
check_fail 1 "^queuectl: 1 of 1 worker still running after 1\.0s$" q worker stop --timeout 1
wait_for 10 in_log "worker\[$w\]: asked to stop by 'worker stop': finishing 1 running job"
kill -TERM "$w"
reaped "$w"
assert_eq 0 "$rc" "exit status after worker stop and a signal"
assert_eq "pending 0" "$(q info --json t7 | jq -r '"\(.state) \(.attempts)"')" \
	"t7 after worker stop and a signal"
check_ok q delete t7

# 8. --id and --host choose; a choice that matches no worker says so, and stops none.
start_worker
w1=$worker_pid
start_worker
w2=$worker_pid
wait_for 10 nworkers 2
id1=$(q status --json | jq -r ".workers[] | select(.pid == $w1) | .id")
assert_match "^$(hostname)-$w1-" "$id1" "a worker's id"
check_ok q status
assert_match "^$w1 +$(hostname) +1 +0 .* $id1 +[^ ]+\$" "$(grep "^$w1 " <<<"$out")" "status shows the id"
check_fail 1 "^queuectl: no worker 'nosuch'$" q worker stop --id nosuch
check_fail 1 "^queuectl: no worker on host 'nowhere'$" q worker stop --host nowhere
check_fail 1 "^queuectl: no worker '$id1' on host 'nowhere'$" q worker stop --id "$id1" --host nowhere
check_fail 2 "^queuectl: --host needs a hostname$" q worker stop --host ''
check_fail 2 "^queuectl: --id needs a worker id$" q worker stop --id ''
nworkers 2 || fail "a stop that chose no worker stopped one"
check_ok q worker stop --id "$id1" --host "$(hostname)"
assert_eq "stopped 1 worker" "$out" "worker stop --id"
gone "$w1" || fail "worker $w1 still running after worker stop --id"
gone "$w2" && fail "worker $w2 stopped by a worker stop --id of another"
reaped "$w1"
assert_eq 0 "$rc" "exit status of the worker stopped by id"
check_ok q worker stop --host "$(hostname)"
assert_eq "stopped 1 worker" "$out" "worker stop --host"
reaped "$w2"

# 9. A worker of another machine (here a row as one would write it, fresh) is asked through
# the store, and waited for until its row leaves: it unregisters as it exits.
now=$(date +%s%3N)
sql "INSERT INTO workers (id, host, machine, pid, pid_start, slots, queues, started_at, heartbeat_at, stale_at) VALUES ('far-1', 'farhost', 'other-machine:boot:pidns', 4242, 1, 1, NULL, $now, $now, $((now + 600000)))"
check_fail 1 "^queuectl: 1 of 1 worker still running after 1\.0s$" q worker stop --timeout 1 --host farhost
assert_match "^(1|t)$" "$(sql "SELECT stop_requested FROM workers WHERE id = 'far-1'")" \
	"the far worker's stop request"
start_worker
w=$worker_pid
wait_for 10 nworkers 2
run q worker stop --timeout 2
assert_eq 1 "$status" "exit status of a stop that a worker outlived"
assert_eq "stopped 1 worker" "$out" "workers stopped"
assert_eq "queuectl: 1 of 2 workers still running after 2.0s" "$err" "workers not stopped"
reaped "$w"
assert_eq 0 "$rc" "exit status of the stopped worker"
# Its mark cleared, so that the stop below is seen to have asked before the row leaves.
sql "UPDATE workers SET stop_requested = false WHERE id = 'far-1'"
asked() { [ "$(sql "SELECT count(*) FROM workers WHERE id = 'far-1' AND stop_requested")" = 1 ]; }
q worker stop --id far-1 >"$TMP/stop.out" 2>"$TMP/stop.err" &
stopper=$!
wait_for 10 asked
gone "$stopper" && fail "worker stop returned while the far worker's row is there"
sql "DELETE FROM workers WHERE id = 'far-1'"
reaped "$stopper"
assert_eq 0 "$rc" "exit status of a stop of the far worker"
assert_eq "stopped 1 worker" "$(cat "$TMP/stop.out")" "worker stop of the far worker"

finish
