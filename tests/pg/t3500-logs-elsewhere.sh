#!/bin/bash
# t3500-logs-elsewhere: 'logs' of a job that ran on another machine.  The other machine is
# a worker with its own host name and machine id (UTS and mount namespaces, a copy of /etc)
# and its own data directory, as another machine has.  Covers: 'logs ID' and 'logs --follow
# ID' here print the tail the store keeps, and say on stderr in one line that the run was
# elsewhere, naming its worker, exit 0; 'info' shows the same tail; a job run here whose
# log file is gone prints its tail with no such line.  Needs root for unshare(1): skipped
# otherwise (exit 77).
if [ "$(id -u)" -ne 0 ] || ! unshare --uts --mount true 2>/dev/null; then
	echo "t3500-logs-elsewhere: skipped: it needs root, and unshare --uts --mount" >&2
	exit 77
fi
. "$TEST_DIR/lib.sh"

cp -a /etc "$TMP/etc" || fail "cannot copy /etc"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$TMP/etc/machine-id"
mkdir -p "$TMP/far"

check_ok q enqueue --id far 'echo from afar; seq 3'
QUEUECTL_HOME=$TMP/far unshare --uts --mount sh -c 'hostname qh-far &&
	mount --bind "$1" /etc && exec "$2" worker start --until-idle' sh "$TMP/etc" "$QUEUECTL" \
	>>"$TMP/worker.log" 2>&1 ||
	fail "the other machine's worker failed: $(cat "$TMP/worker.log")"
assert_eq completed "$(job_state far)" "the job run elsewhere"
[ -n "$(find "$TMP/far" -name 'far.1.log')" ] || fail "the other machine has no log of the run"
worker=$(q info --json far | jq -r '.history[0].worker')
assert_match '^qh-far-' "$worker" "the worker that ran it"

want=$'from afar\n1\n2\n3'
note="^queuectl: run 1 of job far was on another machine, where worker $worker left its whole log; here is its tail, the last 64 KiB, from the store$"
check_ok q logs far
assert_eq "$want" "$out" "logs of a job run elsewhere"
assert_match "$note" "$err" "logs' line on stderr"
assert_eq 1 "$(wc -l <<<"$err")" "lines on stderr"
check_ok q logs --follow far
assert_eq "$want" "$out" "logs --follow of a job run elsewhere"
assert_match "$note" "$err" "logs --follow's line on stderr"
check_ok q info far
assert_match "from afar" "$out" "info of a job run elsewhere"

# Run here, its log file gone: the tail, and nothing said of another machine.
check_ok q enqueue --id near 'echo from here'
start_worker --until-idle
reaped "$worker_pid"
assert_eq completed "$(job_state near)" "the job run here"
rm -f "$(logs_root)/logs/near.1.log"
check_ok q logs near
assert_eq "from here" "$out" "logs of a job run here, its log gone"
assert_eq "" "$err" "stderr of logs of a job run here"
finish
