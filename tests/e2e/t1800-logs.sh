#!/bin/bash
# t1800-logs: 'logs ID' and 'logs --follow ID'.  Covers: stdout and stderr in one log, in
# the order written; the whole output, not just the tail kept in the store; an id prefix;
# a job that has not run yet; an unknown id; --follow of a running job prints its output as
# it comes and ends when the job does; --follow of a pending job waits for its run;
# --follow of a finished job prints its latest attempt and ends.
. "$TEST_DIR/lib.sh"

has_line() { grep -qx -- "$1" "$2" 2>/dev/null; }

# Before any run: nothing to show, said on stderr; an unknown id is an error.
check_ok q enqueue --id never --delay 1h 'echo never'
check_ok q logs never
assert_eq "" "$out" "logs of a job that has not run: stdout"
assert_match "has not run yet" "$err" "logs of a job that has not run: stderr"
check_fail 1 "^queuectl: no job 'nosuch'$" q logs nosuch
check_fail 2 "." q logs

# stdout and stderr interleaved, in order; big output whole.
check_ok q enqueue --id mixed 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'
check_ok q enqueue --id big 'seq 1 20000'
start_worker
wait_for 10 state_is mixed completed
check_ok q logs mixed
assert_eq "$(printf 'out1\nerr1\nout2\nerr2')" "$out" "stdout and stderr in order"
check_fail 1 "^queuectl: no job 'mix'$" q logs mix # a chosen id is given whole
wait_for 10 state_is big completed
check_ok q logs big
assert_eq "$(seq 1 20000 | sha256sum)" "$(printf '%s\n' "$out" | sha256sum)" "the whole output of big"
out=

# --follow of a running job: the first line shows while the job still runs; the command
# ends by itself when the job does, with everything.
check_ok q enqueue --id live "echo first; echo oops >&2; while [ ! -e $TMP/live.go ] && [ -d $TMP ]; do sleep 0.05; done; echo second"
wait_for 10 state_is live processing
q logs --follow live >"$TMP/live.out" 2>"$TMP/live.err" &
follower=$!
wait_for 10 has_line first "$TMP/live.out"
wait_for 10 has_line oops "$TMP/live.out"
gone "$follower" && fail "logs --follow ended while the job was running"
touch "$TMP/live.go"
reaped "$follower"
assert_eq 0 "$rc" "logs --follow exit status"
assert_eq "$(printf 'first\noops\nsecond')" "$(cat "$TMP/live.out")" "logs --follow output"
assert_eq "" "$(cat "$TMP/live.err")" "logs --follow stderr"
assert_eq completed "$(job_state live)" "live state"

# --follow of a job due later waits for its run, then ends with it.
check_ok q enqueue --id soon --delay 1 "echo soon"
q logs --follow soon >"$TMP/soon.out" 2>"$TMP/soon.err" &
follower=$!
reaped "$follower"
assert_eq 0 "$rc" "logs --follow of a pending job: exit status"
assert_eq "soon" "$(cat "$TMP/soon.out")" "logs --follow of a pending job: output"
assert_eq completed "$(job_state soon)" "soon state"

kill -TERM "$worker_pid"
reaped "$worker_pid"
assert_eq 0 "$rc" "worker exit status"

# --follow of a finished job: like 'logs', its latest attempt, and it returns at once.
check_ok q logs --follow mixed
assert_eq "$(printf 'out1\nerr1\nout2\nerr2')" "$out" "logs --follow of a completed job"

finish
