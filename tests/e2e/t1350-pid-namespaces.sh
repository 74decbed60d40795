#!/bin/bash
# t1350-pid-namespaces: two workers in two pid namespaces, sharing a store and a hostname
# (so each sees the other's pid as a process of its own namespace, or none), never judge
# each other dead: neither releases nor kills the other's job, both show in 'status', and
# each job runs once.  Needs root for unshare(1): skipped otherwise (exit 77).
. "$TEST_DIR/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	echo "t1350-pid-namespaces: skipped: it needs root, and unshare --pid" >&2
	exit 77
fi

hold() { echo "echo run >>$TMP/$1.runs; while [ ! -e $TMP/$1.go ] && [ -d $TMP ]; do sleep 0.05; done"; }
nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
# Both workers have beaten at least twice since t0 (a tick every 4/3 s).
beaten() { [ "$(q status --json | jq "[.workers[] | select(.heartbeat_at | sub(\"\\\\.[0-9]+\"; \"\") | fromdate * 1000 > $1)] | length")" = 2 ]; }

check_ok q config set lease 4s
check_ok q enqueue --id a "$(hold a)"
check_ok q enqueue --id b "$(hold b)"
pids=
for n in 1 2; do
	unshare --pid --fork --kill-child --mount-proc \
		sh -c '"$QUEUECTL" worker start --until-idle; exit $?' >>"$TMP/worker.log" 2>&1 &
	pids="$pids $!"
	worker_pids="$worker_pids $!"
done
wait_for 10 test -e "$TMP/a.runs"
wait_for 10 test -e "$TMP/b.runs"
wait_for 10 nworkers 2
t0=$(date +%s%3N)
# Three leases' worth of ticks: each worker has listed the other several times.
wait_for 20 beaten $((t0 + 3 * 4000))
assert_eq "processing processing" "$(job_state a) $(job_state b)" "the jobs after three leases"
nworkers 2 || fail "a worker's row was removed"
grep -q "dead worker\|expired leases" "$TMP/worker.log" && fail "a worker judged the other dead: $(cat "$TMP/worker.log")"
touch "$TMP/a.go" "$TMP/b.go"
wait_for 10 state_is a completed
wait_for 10 state_is b completed
assert_eq "1 1" "$(wc -l <"$TMP/a.runs") $(wc -l <"$TMP/b.runs")" "runs of each job"
for p in $pids; do
	reaped "$p"
	assert_eq 0 "$rc" "exit status of a worker in its own pid namespace"
done

finish
