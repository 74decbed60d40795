#!/bin/bash
# t1810-empty-logs: an attempt that writes nothing leaves no log file (its worker slot takes
# the file back as its spare), and everything a user sees of it stays as it was: 'logs'
# prints nothing and succeeds, 'info' records no log, 'logs --follow' ends with the job.
# An attempt with output keeps its log.  Spares (DB.d/logs/.spare-*) are never a job's log,
# number at most one per slot while the worker runs, go when it stops, and a killed worker's
# are removed by the next worker's start and by a purge.
# Commands: enqueue, worker start, logs, info, purge.
. "$TEST_DIR/lib.sh"

LOGS="$(logs_root)/logs"
spares() { find "$LOGS" -maxdepth 1 -name '.spare-*' 2>/dev/null | wc -l; }
log_files() { (cd "$LOGS" && ls -- *.log 2>/dev/null | sort | tr '\n' ' '); }
all_completed() { [ "$(q list --state completed --json | jq length)" = "$1" ]; }
has_line() { grep -qx -- "$1" "$2" 2>/dev/null; }

# --- One worker, 3 slots, 60 jobs: most write nothing, some write to stdout or stderr only,
# one fails without a word.
for i in $(seq 1 40); do echo '{"id":"e'$i'","command":"true"}'; done >"$TMP/jobs.jsonl"
for i in $(seq 1 10); do echo '{"id":"w'$i'","argv":["/bin/true"]}'; done >>"$TMP/jobs.jsonl"
for i in 1 2 3 4; do echo '{"id":"o'$i'","command":"echo out'$i'"}'; done >>"$TMP/jobs.jsonl"
echo '{"id":"err","command":"echo to-stderr >&2"}' >>"$TMP/jobs.jsonl"
check_ok q enqueue --file "$TMP/jobs.jsonl"
check_ok q enqueue --id quiet-fail --max-retries 0 'exit 3'
start_worker --count 3
wait_for 60 all_completed 55
wait_for 20 state_is quiet-fail dead
# The results are committed before the files are taken back: wait for the last of those.
wait_for 20 eval '[ "$(log_files)" = "err.1.log o1.1.log o2.1.log o3.1.log o4.1.log " ]'
assert_eq "err.1.log o1.1.log o2.1.log o3.1.log o4.1.log " "$(log_files)" \
	"only the attempts with output have a log file"
n=$(spares)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "spares while the worker runs: $n, expected 1 to 3"
for f in "$LOGS"/.spare-*; do
	assert_eq 0 "$(stat -c %s "$f")" "a spare is empty"
	assert_eq 600 "$(stat -c %a "$f")" "a spare is owner-only"
done

# What a user sees of jobs without output: nothing, and no error.
for id in e7 w3 quiet-fail; do
	check_ok q logs "$id"
	assert_eq "" "$out$err" "logs $id: prints nothing"
	check_ok q logs --follow "$id"
	assert_eq "" "$out$err" "logs --follow $id: prints nothing and ends"
	check_ok q info --json "$id"
	assert_eq null "$(jq -r '.history[0].log' <<<"$out")" "info $id: no log recorded"
	assert_eq "" "$(jq -r '.output // ""' <<<"$out")" "info $id: no output"
done
check_ok q info --json quiet-fail
assert_eq "dead 3" "$(jq -r '"\(.state) \(.history[0].exit_code)"' <<<"$out")" "quiet-fail's exit status"
# ... and of jobs with output: their log, recorded as it is.
check_ok q logs o2
assert_eq out2 "$out" "logs o2"
check_ok q logs err
assert_eq to-stderr "$out" "logs err"
check_ok q info --json o3
assert_eq "$LOGS/o3.1.log" "$(jq -r '.history[0].log' <<<"$out")" "info o3: its log"

# --- A stopped worker leaves no spare.
stop_worker "$worker_pid"
assert_eq 0 "$rc" "worker exit status"
assert_eq 0 "$(spares)" "spares after the worker stopped"

# --- A silent job followed while it runs, with one slot: its log is at ID.RUN.log meanwhile;
# the follower ends with it and prints nothing, not even what the next job writes into the
# same file once the slot has taken it back as its spare.
start_worker --count 1
check_ok q enqueue --id silent "while [ ! -e $TMP/go ]; do sleep 0.05; done"
wait_for 20 state_is silent processing
wait_for 10 test -f "$LOGS/silent.1.log"
"$QUEUECTL" logs --follow silent >"$TMP/follow.out" 2>"$TMP/follow.err" &
follower=$!
wait_for 10 eval 'ls -l /proc/$follower/fd 2>/dev/null | grep -q "silent\.1\.log"'
check_ok q enqueue --id loud 'echo LOUD; sleep 0.5'
touch "$TMP/go"
reaped "$follower"
assert_eq 0 "$rc" "logs --follow of a silent job: exit status"
wait_for 20 state_is loud completed
assert_eq "" "$(cat "$TMP/follow.out" "$TMP/follow.err")" "the follower of silent printed nothing"
[ -e "$LOGS/silent.1.log" ] && fail "silent's empty log is still there"
check_ok q logs loud
assert_eq LOUD "$out" "logs loud"

# --- A killed worker's spare: harmless, never a job's log, removed by the next worker.
check_ok q enqueue --id k1 true
wait_for 20 state_is k1 completed
wait_for 20 eval '[ "$(spares)" = 1 ]'
kill -KILL "$worker_pid"
reaped "$worker_pid"
assert_eq 1 "$(spares)" "the spare left by the killed worker"
killed=$(cd "$LOGS" && ls -A | grep '^\.spare-')
check_ok q logs k1
assert_eq "" "$out$err" "logs k1"
start_worker --count 1
check_ok q enqueue --id k2 'echo k2'
wait_for 20 state_is k2 completed
[ -e "$LOGS/$killed" ] && fail "the killed worker's spare $killed is still there"
check_ok q logs k2
assert_eq k2 "$out" "logs k2"

# --- ... and by a purge or a delete, which never take a live worker's.
check_ok q enqueue --id k3 true
wait_for 20 state_is k3 completed
wait_for 20 eval '[ "$(spares)" = 1 ]'
check_ok q purge --state completed
assert_eq 1 "$(spares)" "a purge leaves the live worker's spare"
assert_eq "" "$(log_files)" "a purge removes the logs"
kill -KILL "$worker_pid"
reaped "$worker_pid"
assert_eq 1 "$(spares)" "the killed worker's spare"
check_ok q enqueue --id k4 --delay 1h true
check_ok q delete k4
assert_eq 0 "$(spares)" "a delete removes a killed worker's spare"

finish
