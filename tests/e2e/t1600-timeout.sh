#!/bin/bash
# t1600-timeout: job timeouts.  Covers: 'enqueue --timeout 1' on a job that would run for a
# minute: stopped after about 1 s with last_error "timed out after 1s", no exit code, and its
# whole process group gone (a background child too); config job-timeout as the default; a
# job that ignores SIGTERM gets SIGKILL after the grace period; a timed-out job is retried
# like any failure; a job that ends within its timeout completes.
. "$TEST_DIR/lib.sh"

# duration_between WHAT FROM TO MIN MAX: TO - FROM (ISO times) lies in [MIN, MAX] ms.
duration_between() {
	local d=$(($(ms "$3") - $(ms "$2")))
	checks=$((checks + 1))
	[ "$d" -ge "$4" ] && [ "$d" -le "$5" ] || fail "$1: took $d ms, expected $4 to $5 ms"
}

# A job that would run for a minute, with a child in the background; it notes the pids.
long() { # long NAME
	echo "sleep 60 & echo \$! >$TMP/$1.child; echo \$\$ >$TMP/$1.pid; wait; echo not reached"
}

check_ok q config set backoff-max 0 # retries at once: timing of retries is not tested here
check_ok q config set job-timeout 1
check_ok q enqueue --id explicit --timeout 1 --max-retries 1 "$(long explicit)"
check_ok q enqueue --id fromconfig --max-retries 0 "$(long fromconfig)"
check_ok q enqueue --id stubborn --timeout 1 --max-retries 0 "trap '' TERM; $(long stubborn)"
check_ok q enqueue --id quick --timeout 5 'sleep 0.2; echo quick'
check_ok q info --json fromconfig
assert_eq 1 "$(jq -r .timeout <<<"$out")" "timeout copied from config job-timeout"
start_worker --count 4

wait_for 15 state_is explicit dead
check_ok q info --json explicit
info=$out
assert_eq "timed out after 1s" "$(jq -r .last_error <<<"$info")" "explicit: last_error"
assert_eq null "$(jq -r .exit_code <<<"$info")" "explicit: exit_code"
assert_eq "2 failed:timed out after 1s dead:timed out after 1s" \
	"$(jq -r '"\(.attempts) " + ([.history[] | "\(.outcome):\(.error)"] | join(" "))' <<<"$info")" \
	"explicit: attempts and history (a timeout is retried)"
for i in 0 1; do
	duration_between "explicit: run $((i + 1))" "$(jq -r ".history[$i].started_at" <<<"$info")" \
		"$(jq -r ".history[$i].finished_at" <<<"$info")" 950 2500
done
check_ok q logs explicit
assert_eq "" "$out" "explicit: nothing printed after the kill"
# The shell and its background child are both gone: the whole group was stopped.
wait_for 5 gone "$(cat "$TMP/explicit.pid")"
wait_for 5 gone "$(cat "$TMP/explicit.child")"

wait_for 10 state_is fromconfig dead
check_ok q info --json fromconfig
assert_eq "timed out after 1s" "$(jq -r .last_error <<<"$out")" "fromconfig: last_error"
duration_between "fromconfig" "$(jq -r '.history[0].started_at' <<<"$out")" \
	"$(jq -r '.history[0].finished_at' <<<"$out")" 950 2500
wait_for 5 gone "$(cat "$TMP/fromconfig.child")"

check_ok q info --json quick
assert_eq "completed 1" "$(jq -r '"\(.state) \(.attempts)"' <<<"$out")" "quick: state and attempts"

# SIGTERM is ignored by the whole group: SIGKILL follows after the grace period (10 s).
wait_for 20 state_is stubborn dead
check_ok q info --json stubborn
assert_eq "timed out after 1s" "$(jq -r .last_error <<<"$out")" "stubborn: last_error"
duration_between "stubborn" "$(jq -r '.history[0].started_at' <<<"$out")" \
	"$(jq -r '.history[0].finished_at' <<<"$out")" 10900 13000
wait_for 5 gone "$(cat "$TMP/stubborn.pid")"
wait_for 5 gone "$(cat "$TMP/stubborn.child")"
assert_match "job stubborn timed out after 1s: stopping it" "$(cat "$TMP/worker.log")" "worker log"

stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

finish
