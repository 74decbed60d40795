#!/bin/bash
# t1250-leases: what a running worker does with its leases and its row.  Covers: a changed
# lease reaches a running worker within 10 s, whatever the old lease (the heartbeat runs
# every min(lease/3, 10 s)); a worker whose row was deleted (pruned while it could not beat)
# registers again at its next heartbeat, and 'status' and 'worker stop' see it.
. "$TEST_DIR/lib.sh"

lease_left() { # seconds left on job $1's lease
	echo $((($(ms "$(q info --json "$1" | jq -r .lease_until)") - $(date +%s%3N)) / 1000))
}
lease_over() { [ "$(lease_left "$1")" -gt "$2" ]; }

# --- A longer lease reaches a running worker within 10 s, though the old one was 60 s (whose
# third is 20 s).
check_ok q config set lease 60s
check_ok q enqueue --id hold "touch $TMP/hold.started; while [ ! -e $TMP/hold.go ] && [ -d $TMP ]; do sleep 0.05; done"
start_worker
w=$worker_pid
wait_for 10 test -e "$TMP/hold.started"
check_ok q config set lease 1h
t0=$(date +%s)
wait_for 12 lease_over hold 1800
assert_match '^([0-9]|1[01])$' "$(($(date +%s) - t0))" "seconds for the new lease to reach the worker"
touch "$TMP/hold.go"
wait_for 10 state_is hold completed
stop_worker "$w"
assert_eq 0 "$rc" "worker exit status"

# --- A worker's row deleted under it comes back within a heartbeat (lease 4 s: 1.3 s).
check_ok q config set lease 4s
start_worker
w=$worker_pid
nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
wait_for 10 nworkers 1
sql "DELETE FROM workers"
nworkers 0 || fail "the worker's row was not deleted"
wait_for 10 nworkers 1
assert_eq "$w" "$(q status --json | jq '.workers[0].pid')" "the worker registered again"
check_ok q worker stop
assert_eq "stopped 1 worker" "$out" "worker stop"
reaped "$w"
assert_eq 0 "$rc" "worker exit status"

finish
