#!/bin/bash
# t1650-no-terminal: jobs run in a session of their own, with no controlling terminal.
# Covers: a job that reads /dev/tty under a worker that has a terminal (here a pseudo-terminal
# from script(1)) fails at once, cleanly, instead of stopping on SIGTTIN for ever.
. "$TEST_DIR/lib.sh"

check_ok q enqueue --id tty --max-retries 0 "read line </dev/tty"
check_ok q enqueue --id sid "ps -o sid= -p \$\$ >$TMP/sid; echo \$\$ >$TMP/pid"
script -qec "$QUEUECTL worker start --until-idle" /dev/null >"$TMP/worker.log" 2>&1 </dev/null &
s=$!
worker_pids="$worker_pids $s"
wait_for 15 state_is tty dead
check_ok q info --json tty
assert_match "exit status" "$(jq -r .last_error <<<"$out")" "why the job failed"
wait_for 10 state_is sid completed
assert_eq "$(tr -d ' ' <"$TMP/pid")" "$(tr -d ' ' <"$TMP/sid")" "the job leads its own session"
reaped "$s"
assert_eq 0 "$rc" "worker exit status"

finish
