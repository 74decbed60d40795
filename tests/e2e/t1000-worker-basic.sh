#!/bin/bash
# t1000-worker-basic: 'worker start' runs a job to completion.  Covers: the job's output in
# 'logs' and 'info --json'; QUEUECTL_JOB_ID and QUEUECTL_ATTEMPT in its environment (the
# worker's own values replaced); the job as /bin/sh -c in a process group of its own, stdin
# /dev/null, no descriptor but 0, 1, 2; the attempt number on a retry; a job killed by a
# signal; the worker in 'status' and 'status --json'; SIGTERM to an idle worker exits 0.
. "$TEST_DIR/lib.sh"

check_ok q config set backoff-max 0 # retries at once: timing is not tested here

# The job reports on itself.  ls of /proc/$$/fd lists the shell's descriptors, not those
# that ls itself opens to read the directory.
check_ok q enqueue --id basic 'echo "job=$QUEUECTL_JOB_ID attempt=$QUEUECTL_ATTEMPT"
echo "pid=$$ pgid=$(ps -o pgid= $$ | tr -d " ")"
echo "stdin=$(readlink /proc/$$/fd/0)"
echo "fds:"
ls /proc/$$/fd
echo "to stderr" >&2'
assert_eq basic "$out" "enqueue prints the id"

# Values from the worker's own environment must not leak into the job's.
QUEUECTL_JOB_ID=bogus QUEUECTL_ATTEMPT=99 start_worker
wait_for 10 state_is basic completed

check_ok q logs basic
log=$out
assert_match '^job=basic attempt=1$' "$(printf '%s\n' "$log" | sed -n 1p)" "job environment"
pidline=$(printf '%s\n' "$log" | sed -n 2p)
assert_match '^pid=[0-9]+ pgid=[0-9]+$' "$pidline" "pid line"
jobpid=${pidline#pid=}
jobpid=${jobpid%% *}
assert_eq "pid=$jobpid pgid=$jobpid" "$pidline" "the job leads its own process group"
assert_eq "stdin=/dev/null" "$(printf '%s\n' "$log" | sed -n 3p)" "the job's stdin"
assert_eq "fds: 0 1 2 " "$(printf '%s\n' "$log" | sed -n '4,$p' | sed '$d' | tr '\n' ' ')" \
	"the job's open descriptors"
assert_eq "to stderr" "$(printf '%s\n' "$log" | tail -n 1)" "stderr is captured in the log"
assert_match "started job basic \(attempt 1 of 4, pid $jobpid\)" "$(cat "$TMP/worker.log")" \
	"worker log names the job's pid"

check_ok q info --json basic
info=$out
assert_eq completed "$(jq -r .state <<<"$info")" "state"
assert_eq 1 "$(jq -r .attempts <<<"$info")" "attempts"
assert_eq 1 "$(jq -r .runs <<<"$info")" "runs"
assert_eq 0 "$(jq -r .exit_code <<<"$info")" "exit_code"
assert_eq null "$(jq -r .last_error <<<"$info")" "last_error"
assert_eq "$log" "$(jq -r .output <<<"$info")" "info output is the log"
assert_eq 1 "$(jq '.history | length' <<<"$info")" "history rows"
assert_eq "1 1 completed 0 null" \
	"$(jq -r '.history[0] | "\(.run) \(.attempt) \(.outcome) \(.exit_code) \(.error)"' <<<"$info")" \
	"history row"
assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' \
	"$(jq -r '.history[0].finished_at' <<<"$info")" "history times have milliseconds"

# The worker is listed, with the id it records in the history.
check_ok q status --json
assert_eq 1 "$(jq '.workers | length' <<<"$out")" "workers in status --json"
assert_eq "$worker_pid $(hostname) 1 0" \
	"$(jq -r '.workers[0] | "\(.pid) \(.host) \(.slots) \(.busy)"' <<<"$out")" \
	"status --json worker"
assert_eq "$(jq -r '.history[0].worker' <<<"$info")" "$(jq -r '.workers[0].id' <<<"$out")" \
	"history names the worker"
machine=$(jq -r '.workers[0].machine' <<<"$out")
assert_match '^[0-9a-zA-Z._-]+:[0-9a-f-]+:[0-9]+$' "$machine" "status --json machine"
id=$(jq -r '.workers[0].id' <<<"$out")
check_ok q status
assert_match "^$worker_pid +$(hostname) +1 +0 +[0-9T:-]+Z +[0-9T:-]+Z +all +$id +$machine$" "$out" \
	"status text"

# A retry: the second attempt sees QUEUECTL_ATTEMPT=2; 'logs' shows the latest attempt only.
check_ok q enqueue --id retry --max-retries 1 'echo "attempt=$QUEUECTL_ATTEMPT"; [ "$QUEUECTL_ATTEMPT" = 2 ]'
wait_for 10 state_is retry completed
check_ok q logs retry
assert_eq "attempt=2" "$out" "logs of the latest attempt"
check_ok q info --json retry
assert_eq 2 "$(jq -r .attempts <<<"$out")" "attempts after one retry"
assert_eq "failed:exit status 1:1 completed:null:0" \
	"$(jq -r '[.history[] | "\(.outcome):\(.error):\(.exit_code)"] | join(" ")' <<<"$out")" \
	"history of a retried job"
assert_eq "attempt=1" "$(cat "$(jq -r '.history[0].log' <<<"$out")")" "first attempt's own log"

# A job killed by a signal: no exit code, the signal named.
check_ok q enqueue --id signalled --max-retries 0 'kill -9 $$'
wait_for 10 state_is signalled dead
check_ok q info --json signalled
assert_eq "killed by signal 9 (SIGKILL)" "$(jq -r .last_error <<<"$out")" "last_error"
assert_eq null "$(jq -r .exit_code <<<"$out")" "exit_code of a signalled job"

# SIGTERM to the idle worker: it exits 0 and leaves the worker table.
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"
check_ok q status --json
assert_eq 0 "$(jq '.workers | length' <<<"$out")" "workers after stop"
check_ok q status
assert_match "workers: none" "$out" "status text after stop"

finish
