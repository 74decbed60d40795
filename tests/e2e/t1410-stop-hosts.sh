#!/bin/bash
# t1410-stop-hosts: 'worker stop' reaches workers through the store, whatever their host:
# three workers under two hostnames (each in a UTS namespace of its own, so each has a real
# hostname of its own), one of them also in a pid namespace of its own (so this CLI cannot
# see its process, as for a worker on another machine).  Covers: status shows each worker's
# host, machine and id; worker stop --id stops that worker alone; --host stops the workers
# of that host alone, one of them elsewhere, and waits for its running job to finish; a
# choice of none says so; worker stop stops the rest.  Needs root for unshare(1): skipped
# (exit 77) otherwise.
. "$TEST_DIR/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare --uts --pid --fork --mount-proc true 2>/dev/null; then
	echo "skipped: needs root and unshare --uts --pid"
	exit 77
fi

nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
worker_id() { q status --json | jq -r ".workers[] | select($1) | .id"; }
blocker() { # blocker NAME
	echo "touch $TMP/$1.started; while [ ! -e $TMP/$1.go ] && [ -d $TMP ]; do sleep 0.05; done; echo $1 done"
}

# A worker on host HOST, in this pid namespace (this CLI waits on its process).
start_on() { # start_on HOST LOG ARGS...
	local host=$1 log=$2
	shift 2
	unshare --uts sh -c 'hostname "$0" && exec "$QUEUECTL" worker start "$@"' "$host" "$@" \
		>>"$TMP/$log" 2>&1 &
	worker_pid=$!
	worker_pids="$worker_pids $worker_pid"
}

# A worker on host HOST in a pid namespace of its own: to this CLI, a worker elsewhere.
start_elsewhere() { # start_elsewhere HOST LOG ARGS...
	local host=$1 log=$2
	shift 2
	unshare --uts --pid --fork --kill-child --mount-proc \
		sh -c 'hostname "$0" && "$QUEUECTL" worker start "$@"; exit $?' "$host" "$@" \
		>>"$TMP/$log" 2>&1 &
	worker_pid=$!
	worker_pids="$worker_pids $worker_pid"
}

start_on host-a a1.log --queue qa
a1=$worker_pid
start_on host-a a2.log --queue qa
a2=$worker_pid
start_elsewhere host-b b.log --queue qb
b=$worker_pid
wait_for 10 nworkers 3

# status: each worker's host, and its machine (the pid namespace part differs for b).
check_ok q status --json
assert_eq "host-a host-a host-b" "$(jq -r '[.workers[].host] | sort | join(" ")' <<<"$out")" \
	"the workers' hosts"
assert_eq 2 "$(jq '[.workers[].machine] | unique | length' <<<"$out")" "the workers' machines"
id_a1=$(worker_id ".pid == $a1")
id_b=$(worker_id '.host == "host-b"')
assert_match "^host-a-$a1-" "$id_a1" "the id of a worker on host-a"
assert_match "^host-b-" "$id_b" "the id of the worker on host-b"
check_ok q status
assert_match "^$a1 +host-a +1 +0 .* $id_a1 +[^ ]+\$" "$(grep "^$a1 " <<<"$out")" "status of a1"
assert_match " host-b .* $id_b +[^ ]+\$" "$(grep " $id_b " <<<"$out")" "status of b"

# A choice of none stops none.
check_fail 1 "^queuectl: no worker on host 'host-c'$" q worker stop --host host-c
check_fail 1 "^queuectl: no worker '$id_a1' on host 'host-b'$" q worker stop --host host-b --id "$id_a1"
nworkers 3 || fail "a stop that chose no worker stopped one"

# --id: that worker alone.
check_ok q worker stop --id "$id_a1"
assert_eq "stopped 1 worker" "$out" "worker stop --id"
gone "$a1" || fail "worker a1 still running after worker stop --id returned"
reaped "$a1"
assert_eq 0 "$rc" "exit status of a1"
assert_match "asked to stop by 'worker stop': finishing 0 running jobs" "$(cat "$TMP/a1.log")" \
	"a1's log"
gone "$a2" && fail "a2 stopped by a stop of a1"
gone "$b" && fail "b stopped by a stop of a1"
nworkers 2 || fail "workers after a stop of a1: $(q status --json)"

# --host host-b: the worker elsewhere, busy; the stop waits for its job, then for its row.
check_ok q enqueue --id tb --queue qb "$(blocker tb)"
wait_for 10 test -e "$TMP/tb.started"
q worker stop --host host-b >"$TMP/stop.out" 2>"$TMP/stop.err" &
stopper=$!
wait_for 10 grep -q "asked to stop by 'worker stop': finishing 1 running job" "$TMP/b.log"
gone "$stopper" && fail "worker stop returned before b's job ended"
check_ok q enqueue --id tb-later --queue qb 'echo should not run'
touch "$TMP/tb.go"
reaped "$stopper"
assert_eq 0 "$rc" "exit status of worker stop --host"
assert_eq "stopped 1 worker" "$(cat "$TMP/stop.out")" "worker stop --host"
assert_eq "" "$(cat "$TMP/stop.err")" "worker stop --host stderr"
nworkers 1 || fail "workers after a stop of host-b: $(q status --json)"
reaped "$b"
assert_eq 0 "$rc" "exit status of b"
assert_eq completed "$(job_state tb)" "b's job"
assert_eq pending "$(job_state tb-later)" "a job enqueued while b stopped"
gone "$a2" && fail "a2 stopped by a stop of host-b"

# All: one here, one elsewhere.
start_elsewhere host-b b2.log
b2=$worker_pid
wait_for 10 nworkers 2
check_ok q worker stop
assert_eq "stopped 2 workers" "$out" "worker stop of every worker"
gone "$a2" || fail "a2 still running after worker stop returned"
nworkers 0 || fail "workers after worker stop: $(q status --json)"
reaped "$a2"
assert_eq 0 "$rc" "exit status of a2"
reaped "$b2"
assert_eq 0 "$rc" "exit status of b2"

finish
