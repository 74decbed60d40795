#!/bin/bash
# t1900-priority-queue: which job a worker takes.  Covers: with one slot, due jobs run highest
# priority first, then oldest first; 'worker start --queue' takes only the named queues (one,
# several with commas, or the option repeated) and 'status' shows them; a job with --delay 2
# or --run-at does not start before it is due but soon after, and a due job of lower
# priority is not held up by it.
. "$TEST_DIR/lib.sh"

all_state() { # all_state STATE ID...
	local s=$1
	shift
	for id in "$@"; do state_is "$id" "$s" || return 1; done
}
order() { tr '\n' ' ' <"$1" | sed 's/ $//'; }
started_ms() { ms "$(q info --json "$1" | jq -r '.history[0].started_at')"; }

# 1. Priority, then age, with one slot.  Everything is enqueued before the worker starts.
enq() { # enq ID PRIORITY [OPTIONS...]
	local id=$1 p=$2
	shift 2
	check_ok q enqueue --id "$id" --priority "$p" "$@" "echo $id >>$TMP/order"
}
enq low 0
enq high-old 10
enq mid 5
enq negative -3
enq high-new 10
enq low-new 0
start_worker
wait_for 10 all_state completed low high-old mid negative high-new low-new
assert_eq "high-old high-new mid low low-new negative" "$(order "$TMP/order")" "run order"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"
rm "$TMP/order"

# 2. --queue.  The jobs of other queues have the higher priority: a worker that took them
# would run them first.
enq b1 10 --queue b
enq d1 10
enq a1 0 --queue a
enq a2 0 --queue a
start_worker --queue a
wait_for 10 all_state completed a1 a2
assert_eq "a1 a2" "$(order "$TMP/order")" "jobs run by the worker of queue a"
assert_eq "pending pending" "$(job_state b1) $(job_state d1)" "jobs of other queues"
check_ok q status --json
assert_eq a "$(jq -r '.workers[0].queues' <<<"$out")" "status --json queues"
check_ok q status
assert_match " a +[^ ]+ +[^ ]+$" "$out" "status queues column"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

enq c1 20 --queue c
start_worker --queue b,c --queue x
wait_for 10 all_state completed b1 c1
assert_eq "a1 a2 c1 b1" "$(order "$TMP/order")" "jobs run by the worker of queues b, c, x"
assert_eq pending "$(job_state d1)" "job of the default queue"
check_ok q status --json
assert_eq "b,c,x" "$(jq -r '.workers[0].queues' <<<"$out")" "status --json queues"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"
check_ok q delete d1
rm "$TMP/order"

# 3. Delayed jobs: not before they are due, and soon after (an idle worker sleeps until the
# next due job rather than polling); meanwhile due jobs of lower priority run.
check_ok q config set backoff-max 0
start_worker --count 2
t0=$(date +%s%3N)
runat_s=$((t0 / 1000 + 4)) # due 3 to 4 s from now: after the --delay 2 job
enq delayed 100 --delay 2
enq scheduled 100 --run-at "$(date -u -d "@$runat_s" +%Y-%m-%dT%H:%M:%SZ)"
enq now 0
wait_for 5 state_is now completed
assert_eq "pending pending" "$(job_state delayed) $(job_state scheduled)" "delayed jobs while not due"
wait_for 10 all_state completed delayed scheduled
assert_eq "now delayed scheduled" "$(order "$TMP/order")" "run order of delayed jobs"
d=$(($(started_ms delayed) - t0))
checks=$((checks + 1))
[ "$d" -ge 2000 ] && [ "$d" -le 3500 ] || fail "--delay 2 job started after $d ms"
d=$(($(started_ms scheduled) - runat_s * 1000))
checks=$((checks + 1))
[ "$d" -ge 0 ] && [ "$d" -le 1500 ] || fail "--run-at job started $d ms after its time"
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

finish
