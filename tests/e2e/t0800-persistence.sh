#!/bin/bash
# t0800-persistence.sh - what one process writes, the next reads back exactly: jobs, their
# results, settings; many processes writing at once lose nothing; the database file holds
# everything once they have exited.
# Commands: enqueue, enqueue --file, info --json, list --json, config set/get, worker start,
# --db.
. "$TEST_DIR/lib.sh"

# --- A job written by one process, read by others, field for field.
cmd=$'printf \'%s\\n\' "double \\"quotes\\"" \'single\' back\\\\slash ünïcode 日本\necho second line\t(tab)'
check_ok q enqueue --id p1 --queue keep --priority -3 --max-retries 9 --timeout 1h --run-at 2031-02-03T04:05:06Z "$cmd"
check_ok q info --json p1
first=$out
assert_eq "$cmd" "$(jq -r .command <<<"$first")" "command read back byte for byte"
assert_eq "keep -3 9 3600 2031-02-03T04:05:06Z" \
	"$(jq -r '"\(.queue) \(.priority) \(.max_retries) \(.timeout) \(.run_at)"' <<<"$first")" "fields read back"
check_ok q info --json p1
assert_eq "$first" "$out" "a second reader sees the same job"
check_ok q list --json
assert_eq "$(jq -c 'del(.runs, .started_at, .finished_at, .worker, .lease_until, .output, .history)' <<<"$first")" \
	"$(jq -c '.[0]' <<<"$out")" "list shows what info shows"

# --- A batch from a file, read back by another process.
for i in 1 2 3 4 5; do printf '{"id":"f%d","command":"echo %d","priority":%d}\n' "$i" "$i" "$i"; done >"$TMP/batch.jsonl"
check_ok q enqueue --file "$TMP/batch.jsonl"
check_ok q list --json --queue default
assert_eq "f1:1 f2:2 f3:3 f4:4 f5:5" "$(jq -r 'map("\(.id):\(.priority)") | join(" ")' <<<"$out")" "batch read back"

# --- Settings written by one process, read by the next, and used by a third.
check_ok q config set max-retries 4
check_ok q config set job_timeout 2m
check_ok q config get max-retries
assert_eq 4 "$out" "max-retries read back"
check_ok q enqueue --id after-config true
assert_eq "4 120" "$(q info --json after-config | jq -r '"\(.max_retries) \(.timeout)"')" \
	"settings used by a later enqueue"

# --- Many writers at once: every job is stored, none twice.
pids=
for i in $(seq 1 20); do
	"$QUEUECTL" enqueue --id "par$i" --queue par "echo $i" >"$TMP/par$i.out" 2>&1 &
	pids="$pids $!"
done
for i in $(seq 1 5); do
	printf '{"id":"bat%d-1","command":"true"}\n{"id":"bat%d-2","command":"true"}\n' "$i" "$i" >"$TMP/bat$i.jsonl"
	"$QUEUECTL" enqueue --queue par --file "$TMP/bat$i.jsonl" >"$TMP/bat$i.out" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "a concurrent enqueue failed: $(cat "$TMP"/par*.out "$TMP"/bat*.out)"
done
check_ok q list --json --queue par
assert_eq 30 "$(jq length <<<"$out")" "jobs from 25 concurrent enqueues"
assert_eq 30 "$(jq '[.[].id] | unique | length' <<<"$out")" "distinct ids"
assert_eq 20 "$(jq '[.[] | select(.id | startswith("par"))] | length' <<<"$out")" "single jobs"
check_ok q status --json
assert_eq "$(q list --json | jq length)" "$(jq .total <<<"$out")" "status total agrees with list"

# --- A worker's results, read back after it has gone.
check_ok q enqueue --id ran --queue run 'echo persisted-output; exit 0'
check_ok q enqueue --id died --queue run --max-retries 0 'echo dying >&2; exit 7'
start_worker --queue run
wait_for 20 state_is ran completed
wait_for 20 state_is died dead
kill -TERM "$worker_pid"
wait "$worker_pid"
check_ok q info --json ran
assert_eq "completed 1 0 1" "$(jq -r '"\(.state) \(.attempts) \(.exit_code) \(.history | length)"' <<<"$out")" \
	"result of ran"
assert_match persisted-output "$(jq -r .output <<<"$out")" "output of ran"
check_ok q info --json died
assert_eq "dead 1 7" "$(jq -r '"\(.state) \(.attempts) \(.exit_code)"' <<<"$out")" "result of died"
assert_match dying "$(jq -r .output <<<"$out")" "stderr of died"

# --- Once every process has exited, the database file alone holds it all: a copy of it
# (without any -wal or -shm file) shows the same jobs and settings.
check_ok q list --json
all=$out
cp "$DB" "$TMP/copy.db"
check_ok q --db "$TMP/copy.db" list --json
assert_eq "$all" "$out" "the copied database lists the same jobs"
check_ok q --db "$TMP/copy.db" config get max-retries
assert_eq 4 "$out" "the copied database has the settings"
assert_eq "$(jq length <<<"$all")" "$(sqlite3 "$DB" 'SELECT count(*) FROM jobs')" "rows in the file"

# --- Refusals by later processes leave what earlier ones wrote.
before=$(snapshot)
reject 1 "^queuectl: a job with id 'p1' already exists$" q enqueue --id p1 true
reject 1 "line 1: a job with id 'f1' already exists" q enqueue --file "$TMP/batch.jsonl"
reject 2 "invalid max-retries 'x'" q config set max-retries x
assert_eq "$first" "$(q info --json p1)" "p1 after the refusals"

finish
