#!/bin/bash
# t1280-store-replaced: a database deleted, replaced or robbed of its write-ahead log under a
# running worker.  The worker notices within 10 s (its tick, whatever the lease), says what
# happened, stops its running jobs without recording anything, and exits with status 1; the
# new database at the path is not touched.  A command that meets a missing -wal names it.
# Commands: worker start, enqueue, list, wait.
. "$TEST_DIR/lib.sh"

# A long lease: the tick still comes every 10 s at most, which the deadlines below allow for.
check_ok q config set lease 1h

# wait_exit PID: the worker exits on its own; sets rc to its exit status.
wait_exit() {
	wait_for 30 gone "$1"
	wait "$1"
	rc=$?
}

# --- Deleted: the job's process is stopped, the worker exits 1 naming the file.
check_ok q enqueue --id long "echo \$\$ >'$TMP/long.pid'; exec sleep 300"
start_worker
wait_for 20 test -s "$TMP/long.pid"
job_pid=$(cat "$TMP/long.pid")
rm "$DB"
wait_exit "$worker_pid"
assert_eq 1 "$rc" "exit status of a worker whose database was deleted"
assert_match "the database '$DB' is gone: stopping 1 running job, left for recovery, and exiting" \
	"$(cat "$TMP/worker.log")" "the worker's message"
wait_for 20 gone "$job_pid"
assert_eq "queuectl: the database '$DB' is gone" "$(tail -n 1 "$TMP/worker.log")" \
	"the worker's last words"
# Its -wal and -shm went with it: a database made at the path starts empty, not with the
# old log's pages.
for f in "$DB-wal" "$DB-shm"; do
	[ ! -e "$f" ] || fail "'$f' left behind"
done
check_ok q enqueue --id fresh true
check_ok q list --quiet
assert_eq fresh "$out" "the jobs of a database made after the old one was deleted"

# --- Replaced by another file: the new one is left exactly as it was, and reads as itself
# once the worker has gone.
rm -rf "$DB"* "$TMP/worker.log"
check_ok q enqueue --id old true
start_worker
wait_for 20 state_is old completed
check_ok q --db "$TMP/other.db" enqueue --id other 'exit 1'
cp "$TMP/other.db" "$TMP/other.copy"
mv "$TMP/other.db" "$DB"
rm -f "$TMP/other.db-wal" "$TMP/other.db-shm"
wait_exit "$worker_pid"
assert_eq 1 "$rc" "exit status of a worker whose database was replaced"
assert_match "the database '$DB' was replaced by another file" "$(cat "$TMP/worker.log")" \
	"the worker's message"
assert_eq "$(sha256sum <"$TMP/other.copy")" "$(sha256sum <"$DB")" \
	"the new database untouched by the old worker"
check_ok q list --quiet
assert_eq other "$out" "the new database's jobs"

# --- The -wal deleted under a process that holds the database open.  A command then names
# the missing log; the worker notices and exits, and its close writes the log back, so
# nothing committed is lost once it has gone.  The worker is stopped (SIGSTOP) meanwhile so
# that its tick cannot come between the deletion and the command.
rm -rf "$DB"* "$TMP/worker.log"
check_ok q enqueue --id w1 true
start_worker
wait_for 20 state_is w1 completed
check_ok q enqueue --id w2 --run-at 2099-01-01T00:00:00Z true
[ -e "$DB-wal" ] || fail "no -wal while a worker runs"
kill -STOP "$worker_pid"
rm "$DB-wal"
check_fail 1 "^queuectl: .*the write-ahead log '$DB-wal' of the database is missing \(deleted while in use\?\); stop the queuectl processes using it: the last to close writes it back$" \
	q list
kill -CONT "$worker_pid"
wait_exit "$worker_pid"
assert_eq 1 "$rc" "exit status of a worker whose -wal was deleted"
assert_match "the write-ahead log '$DB-wal' of the database is gone" "$(cat "$TMP/worker.log")" \
	"the worker's message"
check_ok q list --quiet
assert_eq "w1 w2" "$(echo $out)" "every job is still there once the worker has closed the database"

finish
