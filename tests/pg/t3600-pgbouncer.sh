#!/bin/bash
# t3600-pgbouncer: queuectl through PgBouncer pooling sessions in front of the server, as
# README "Many machines" advises for many short-lived commands (tests/pg/cluster.sh pool:
# pool_mode session, DISCARD ALL between clients).  Covers: enqueue, status, list, info,
# logs through it; a worker through it woken by a NOTIFY sent through another pooled
# session, failing a job to the dead letter queue, and stopped by 'worker stop'; dlq retry;
# two schemas through the same pooled backends, neither seeing the other's jobs (the
# search path is set again by every connection, not left by the last client).  Needs
# pgbouncer: skipped otherwise (exit 77).
if ! command -v pgbouncer >/dev/null 2>&1; then
	echo "t3600-pgbouncer: skipped: no pgbouncer (Debian's pgbouncer, scripts/deps.sh test)" >&2
	exit 77
fi
. "$TEST_DIR/lib.sh"

pool=$("$PG_TEST_DIR/cluster.sh" pool "$QUEUECTL_TEST_PG_DIR") || fail "cannot start PgBouncer"
stop_pool() {
	kill "$(cat "$QUEUECTL_TEST_PG_DIR/pool/pgbouncer.pid")" 2>/dev/null
	rm -rf "$QUEUECTL_TEST_PG_DIR/pool"
}
trap 'cleanup; stop_pool' EXIT
here="$pool&schema=$PG_SCHEMA"
there="$pool&schema=$PG_SCHEMA-there"
export QUEUECTL_DB=$here

# --- Commands, each a new client of PgBouncer.
check_ok q enqueue --id hello 'echo hello through the pool'
check_ok q enqueue --id words -- printf '%s-' a 'b c'
check_ok q --db "$there" enqueue --id there true
check_ok q list --json
assert_eq "hello words" "$(jq -r '[.[].id] | sort | join(" ")' <<<"$out")" "this schema's jobs only"
check_ok q --db "$there" list --json
assert_eq "there" "$(jq -r '[.[].id] | join(" ")' <<<"$out")" "the other schema's jobs only"

# --- A worker through the pool: its LISTEN on one pooled session, woken by a NOTIFY that
# an enqueue sends through another.
start_worker --count 2
wait_for 20 state_is hello completed
wait_for 20 state_is words completed
check_ok q enqueue --id fails --max-retries 0 'echo no; exit 3'
wait_for 20 state_is fails dead
check_ok q logs hello
assert_eq "hello through the pool" "$out" "the log through the pool"
check_ok q logs words
assert_eq "a-b c-" "$out" "a word list's log"
check_ok q info --json fails
assert_eq "dead 3" "$(jq -r '"\(.state) \(.exit_code)"' <<<"$out")" "the failure recorded"
check_ok q status
assert_match "^dead +1$" "$(grep '^dead' <<<"$out")" "status through the pool"
assert_match "^$worker_pid " "$(grep "^$worker_pid " <<<"$out")" "the worker listed"

# dlq retry sends it back; the listening worker runs it again.
check_ok q dlq retry fails
wait_for 20 sh -c "[ \"\$('$QUEUECTL' info --json fails | jq -r .attempts)\" = 1 ] &&
	[ \"\$('$QUEUECTL' info --json fails | jq -r .state)\" = dead ]"
check_ok q info --json fails
assert_eq 2 "$(jq -r '.history | length' <<<"$out")" "the retried job ran again"

# worker stop, through the store and the pool, and waits for the worker to leave.
check_ok q worker stop
reaped "$worker_pid"
assert_eq 0 "$rc" "the worker's exit status after worker stop"
check_ok q --db "$there" status
assert_match "^pending +1$" "$(grep '^pending' <<<"$out")" "the other schema untouched"

finish
