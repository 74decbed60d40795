#!/bin/bash
# t1970-wait.sh - wait [ID...] [--timeout DURATION] [--json] blocks until the jobs are
# completed or dead and prints "ID STATE" for each: exit 0 if all completed, 1 if any is
# dead (with a message naming it), 3 when the timeout runs out.  Without ids it waits for
# the jobs unfinished when it started, not for those enqueued later.  It returns within
# moments of the last job finishing (woken by the store's write, not by a poll every few
# seconds), and at once for jobs already finished.  Ids may be prefixes; an unknown id is
# an error before any waiting.
# Commands: wait, enqueue, delete, info, worker start.
. "$TEST_DIR/lib.sh"

now_ms() { date +%s%3N; }

# gated NAME: a command that runs until the file go.NAME exists (or the test is over).
gated() {
	echo "while [ ! -e $TMP/go.$1 ] && [ -d $TMP ]; do sleep 0.05; done"
}
release() { touch "$TMP/go.$1"; }

# bg_wait ARGS...: start 'queuectl wait ARGS' in the background, its pid in $wpid; killed
# at the end of the test if still running.
bg_wait() {
	"$QUEUECTL" wait "$@" >"$TMP/wait.out" 2>"$TMP/wait.err" &
	wpid=$!
	worker_pids="$worker_pids $wpid"
}
# Whether the background wait is blocked in poll(2), waiting for the store to change: it
# has looked at every job once, and is not about to return.
blocked() { grep -q poll "/proc/$wpid/wchan" 2>/dev/null; }
# bg_done SECS: the background wait ends within SECS seconds; its status, stdout and stderr
# in $status, $out and $err, and when it was seen to have ended in $ended (ms).
bg_done() {
	wait_for "$1" gone "$wpid"
	ended=$(now_ms)
	wait "$wpid"
	status=$?
	out=$(cat "$TMP/wait.out")
	err=$(cat "$TMP/wait.err")
}
printed() { grep -qx -- "$1" "$TMP/wait.out"; }
# still_waiting WHAT: the background wait has not returned.
still_waiting() {
	checks=$((checks + 1))
	! gone "$wpid" || fail "wait returned $1"
}
# after_end ID: $took is the time from the end of the job's last attempt to $ended.
after_end() {
	took=$((ended - $(ms "$(q info --json "$1" | jq -r '.history[-1].finished_at')")))
}
within() {
	checks=$((checks + 1))
	[ "$took" -le "$1" ] || fail "$2: took $took ms, more than $1"
}

# The long lease keeps the worker from writing heartbeats, so that the store stays still.
check_ok q config set lease 3600
check_ok q enqueue --id alpha 'echo alpha'
check_ok q enqueue --id d1 --max-retries 0 'exit 3'
start_worker --count 8
wait_for 20 state_is alpha completed
wait_for 20 state_is d1 dead

# --- Jobs already finished: at once.
t0=$(now_ms)
check_ok q wait alpha
took=$(($(now_ms) - t0))
within 1500 "wait of a completed job"
assert_eq "alpha completed" "$out" "wait alpha"
assert_eq "" "$err" "stderr of wait alpha"
check_ok q wait alpha alpha alpha
assert_eq "alpha completed" "$out" "a job named three times is waited for once"
check_ok q wait alpha --timeout 0
assert_eq "alpha completed" "$out" "a finished job with --timeout 0"
t0=$(now_ms)
run q wait d1
took=$(($(now_ms) - t0))
within 1500 "wait of a dead job"
checks=$((checks + 1))
[ "$status" -eq 1 ] || fail "wait d1 exited $status, expected 1"
assert_eq "d1 dead" "$out" "wait d1"
assert_eq "queuectl: 1 of 1 job ended dead: 'd1'" "$err" "the message naming the dead job"
run q wait alpha d1
checks=$((checks + 1))
[ "$status" -eq 1 ] || fail "wait alpha d1 exited $status, expected 1"
assert_eq $'alpha completed\nd1 dead' "$out" "wait alpha d1"
assert_eq "queuectl: 1 of 2 jobs ended dead: 'd1'" "$err" "the message of wait alpha d1"

# --json: one array of the finished jobs, also when one is dead.
check_ok q wait --json alpha
assert_eq "alpha completed" "$(jq -r '.[] | "\(.id) \(.state)"' <<<"$out")" "wait --json alpha"
assert_eq 1 "$(jq -s length <<<"$out")" "wait --json prints one JSON value"
run q wait alpha d1 --json
checks=$((checks + 1))
[ "$status" -eq 1 ] || fail "wait --json alpha d1 exited $status, expected 1"
assert_eq "alpha:completed:0 d1:dead:3" "$(jq -r 'map("\(.id):\(.state):\(.exit_code)") | join(" ")' <<<"$out")" \
	"wait --json alpha d1"
assert_match "ended dead: 'd1'" "$err" "wait --json still names the dead job"

# --- Unknown, ambiguous and bad arguments: errors before any waiting, nothing printed.
check_ok q enqueue --id a1b2000000000000000000000000000a --delay 1h true
check_ok q enqueue --id a1b2000000000000000000000000000b --delay 1h true
before=$(snapshot)
reject 1 "^queuectl: no job 'nope'$" q wait nope
reject 1 "^queuectl: no job 'nope'$" q wait alpha nope
reject 1 "^queuectl: no job 'alp'$" q wait alp
reject 2 "^queuectl: job id prefix 'a1b2' is ambiguous" q wait a1b2
reject 2 "^queuectl: empty job id$" q wait ''
reject 2 "^queuectl: invalid duration 'soon'" q wait alpha --timeout soon
reject 2 "^queuectl: wait: option '--timeout' needs a value" q wait alpha --timeout
reject 2 "^queuectl: wait: unknown option '--all'" q wait --all
check_ok q delete a1b2000000000000000000000000000a a1b2000000000000000000000000000b

# --- A running job: wait returns within moments of its end.  (A check without a change to
# see comes only every 5 s, so 3 s means it was woken by the job's completion.)
check_ok q enqueue --id g1 "$(gated g1)"
wait_for 20 state_is g1 processing
bg_wait g1
wait_for 10 blocked
still_waiting "while g1 runs"
release g1
bg_done 10
after_end g1
within 3000 "wait g1 after g1 finished"
assert_eq 0 "$status" "exit status of wait g1"
assert_eq "g1 completed" "$out" "wait g1"
assert_eq "" "$err" "stderr of wait g1"

# --- Without ids: every job unfinished when it started (one running, one waiting its
# turn), and not the jobs enqueued after; finished jobs (d1 is dead) are not looked at.
check_ok q enqueue --id g2 "$(gated g2)"
check_ok q enqueue --id g3 --delay 2s "$(gated g3)"
wait_for 20 state_is g2 processing
bg_wait
wait_for 10 blocked
check_ok q enqueue --id late1 "$(gated late1)"
check_ok q enqueue --id late2 --delay 1h true
wait_for 20 state_is late1 processing
release g2
wait_for 10 printed "g2 completed"
wait_for 20 state_is g3 processing
still_waiting "while g3 was unfinished"
release g3
bg_done 10
after_end g3
within 3000 "wait (no ids) after the last job finished"
assert_eq 0 "$status" "exit status of wait with no ids"
assert_eq $'g2 completed\ng3 completed' "$out" "wait with no ids: the jobs unfinished when it began"
assert_eq "processing pending" "$(job_state late1) $(job_state late2)" "the jobs enqueued later are unfinished"

# --- A job that dies while waited for: exit 1, and the message names it.
check_ok q enqueue --id gd --max-retries 0 "$(gated gd); exit 4"
wait_for 20 state_is gd processing
bg_wait --json gd
wait_for 10 blocked
release gd
bg_done 10
after_end gd
within 3000 "wait gd after gd died"
assert_eq 1 "$status" "exit status of wait for a job that died"
assert_eq "gd dead 4" "$(jq -r '.[] | "\(.id) \(.state) \(.exit_code)"' <<<"$out")" "wait --json gd"
assert_eq "queuectl: 1 of 1 job ended dead: 'gd'" "$err" "the message of wait gd"

# --- --timeout: exit 3 once it runs out, with the jobs finished so far in --json.
t0=$(now_ms)
check_fail 3 "^queuectl: timed out after 1s with 1 of 1 job unfinished$" q wait late1 --timeout 1s
took=$(($(now_ms) - t0))
checks=$((checks + 1))
[ "$took" -ge 1000 ] || fail "wait --timeout 1s gave up after $took ms"
within 4000 "wait --timeout 1s"
t0=$(now_ms)
run q wait -t 1s --json alpha late1
took=$(($(now_ms) - t0))
checks=$((checks + 1))
[ "$status" -eq 3 ] || fail "wait --json with a timeout exited $status, expected 3"
within 4000 "wait --json --timeout 1s"
assert_eq "alpha" "$(jq -r 'map(.id) | join(" ")' <<<"$out")" "wait --json on timeout: the jobs that finished"
assert_eq "queuectl: timed out after 1s with 1 of 2 jobs unfinished" "$err" "the message of the timeout"
t0=$(now_ms)
check_fail 3 "^queuectl: timed out after 0s with 1 of 1 job unfinished$" q wait --timeout 0 late1
took=$(($(now_ms) - t0))
within 1500 "wait --timeout 0"
assert_eq processing "$(job_state late1)" "a timed-out wait leaves the job as it was"

# --- A job deleted while waited for ends the wait with an error.
bg_wait late2
wait_for 10 blocked
check_ok q delete late2
bg_done 10
assert_eq 1 "$status" "exit status of wait for a deleted job"
assert_eq "queuectl: job 'late2' was deleted while waited for" "$err" "the message of wait late2"
assert_eq "" "$out" "stdout of wait late2"

release late1
wait_for 20 state_is late1 completed
stop_worker "$worker_pid"

finish
