#!/bin/bash
# t3200-wakeup: an idle worker is woken through LISTEN/NOTIFY by an enqueue in another
# process, not by its poll backstop (every 3 s).  Eight times, after an idle spell of a
# random length (so that the backstop's phase is random too), a job is enqueued; each must
# be claimed within 1 s of its enqueue, both times read on the server's clock.  Were the
# notification lost, the backstop alone would meet that for all eight with a chance of
# (1/3)^8, about 1 in 6,500.  Then: a worker whose server restarts listens again, and one
# more enqueue wakes it the same way (eight times more).
# Commands: enqueue, worker start, info.
if [ -z "${T3200_OWN_CLUSTER:-}" ]; then
	export T3200_OWN_CLUSTER=1
	QUEUECTL_TEST_PG= exec "$PG_TEST_DIR/cluster.sh" run bash "$0"
fi
. "$TEST_DIR/lib.sh"

now_ms() { date +%s%3N; }
past() { [ "$(now_ms)" -ge "$1" ]; }
# idle_for MS: let the worker sit idle this long (not synchronisation: it is the point).
idle_for() { wait_for 10 past $(($(now_ms) + $1)); }
nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
# claim_delay ID: ms from the job's enqueue to its claim, on the server's clock.
claim_delay() { sql "SELECT started_at - created_at FROM jobs WHERE id = '$1'"; }

prompt() {
	local d
	wait_for 20 state_is "$1" completed
	d=$(claim_delay "$1")
	checks=$((checks + 1))
	[ "$d" -ge 0 ] && [ "$d" -lt 1000 ] || fail "$1 was claimed $d ms after its enqueue"
}

start_worker
w=$worker_pid
wait_for 20 nworkers 1
for i in 1 2 3 4 5 6 7 8; do
	idle_for $((200 + RANDOM % 2800))
	check_ok q enqueue --id "w$i" true
	prompt "w$i"
done

# The server restarts: the worker connects again, listens again, and is woken as before.
"$PG_TEST_DIR/cluster.sh" restart "$QUEUECTL_TEST_PG_DIR" || fail "the server did not restart"
check_ok q enqueue --id after-restart true
wait_for 30 state_is after-restart completed
for i in 1 2 3 4 5 6 7 8; do
	idle_for $((200 + RANDOM % 2800))
	check_ok q enqueue --id "r$i" true
	prompt "r$i"
done
gone "$w" && fail "the worker did not survive the restart"
stop_worker "$w"
assert_eq 0 "$rc" "worker exit status"
finish
