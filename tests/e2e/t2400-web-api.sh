#!/bin/bash
# t2400-web-api.sh - the JSON API of 'queuectl web': every route, its answers and its errors,
# with real curl against a server on a free loopback port.
# Commands: web, enqueue, worker start, info, list, config.
. "$TEST_DIR/lib.sh"
. "$TEST_DIR/web-lib.sh"

ids() { # the ids of a listing's page, space-separated
	jq -r '[.jobs[].id] | join(" ")' <<<"$out"
}

# --- Jobs in every finishing state, made by a worker, and some waiting.
check_ok q enqueue --id done1 'echo hello; echo world >&2'
check_ok q enqueue --id dead1 --max-retries 0 'echo bad; exit 3'
check_ok q enqueue --id dead2 --max-retries 0 --queue mail false
start_worker --until-idle
reaped "$worker_pid"
check_ok q enqueue --id p1 --queue mail --delay 1h 'send --to a'
check_ok q enqueue --id p2 --delay 1h 'send --to b'
check_ok q enqueue --id p3 --queue mail --delay 1h 'backup /home'
# A short busy timeout, so that a store held locked (below) fails a request soon.
export QUEUECTL_BUSY_TIMEOUT=300
start_web

# --- Health, status, workers.
api GET /healthz
assert_eq 200 "$code" "healthz"
assert_eq true "$(jq .ok <<<"$out")" "healthz ok"
api GET /api/v1/status
assert_eq 200 "$code" "status"
check_ok q status --json
assert_eq "$(jq -S . <<<"$out")" "$(api GET /api/v1/status; jq -S . <<<"$out")" "status as the CLI's"
api GET /api/v1/workers
assert_eq 200 "$code" "workers"
assert_eq "[]" "$(jq -c . <<<"$out")" "no workers"

# --- Listing with filters: the CLI's job objects.
api GET /api/v1/jobs
assert_eq 200 "$code" "list"
assert_eq "done1 dead1 dead2 p1 p2 p3" "$(ids)" "every job, oldest first"
assert_eq null "$(jq .next_cursor <<<"$out")" "one page"
check_ok q list --json
assert_eq "$(jq -S . <<<"$out")" "$(api GET /api/v1/jobs; jq -S .jobs <<<"$out")" "jobs as the CLI's"
api GET '/api/v1/jobs?state=dead'
assert_eq "dead1 dead2" "$(ids)" "state filter"
api GET '/api/v1/jobs?queue=mail'
assert_eq "dead2 p1 p3" "$(ids)" "queue filter"
api GET '/api/v1/jobs?id=p'
assert_eq "p1 p2 p3" "$(ids)" "id prefix filter"
api GET '/api/v1/jobs?command=send%20--to'
assert_eq "p1 p2" "$(ids)" "command text filter"
api GET '/api/v1/jobs?state=pending&queue=mail&command=backup'
assert_eq "p3" "$(ids)" "filters together"
api_error 400 invalid GET '/api/v1/jobs?state=sleeping'
api_error 400 invalid GET '/api/v1/jobs?queue=no%20spaces'
api_error 400 invalid GET '/api/v1/jobs?limit=0'
api_error 400 invalid GET '/api/v1/jobs?limit=1001'
api_error 400 invalid GET '/api/v1/jobs?cursor=x'

# --- Cursor pagination: pages of two, stable when a job already listed is deleted.
api GET '/api/v1/jobs?limit=2'
assert_eq "done1 dead1" "$(ids)" "page 1"
cursor=$(jq -r .next_cursor <<<"$out")
check_ok q delete done1
api GET "/api/v1/jobs?limit=2&cursor=$cursor"
assert_eq "dead2 p1" "$(ids)" "page 2 after deleting a job of page 1"
cursor=$(jq -r .next_cursor <<<"$out")
api GET "/api/v1/jobs?limit=2&cursor=$cursor"
assert_eq "p2 p3" "$(ids)" "page 3"
assert_eq null "$(jq .next_cursor <<<"$out")" "last page"
api GET '/api/v1/jobs?limit=1&queue=mail&state=pending'
cursor=$(jq -r .next_cursor <<<"$out")
api GET "/api/v1/jobs?limit=1&queue=mail&state=pending&cursor=$cursor"
assert_eq "p3" "$(ids)" "filtered page 2"

# --- One job, with its attempts; its output.
api GET /api/v1/jobs/dead1
assert_eq 200 "$code" "one job"
check_ok q info --json dead1
assert_eq "$(jq -S . <<<"$out")" "$(api GET /api/v1/jobs/dead1; jq -S . <<<"$out")" "job as info --json"
assert_eq "1 dead 3" "$(jq -r '.history | "\(length) \(.[0].outcome) \(.[0].exit_code)"' <<<"$out")" "history"
api_error 404 not_found GET /api/v1/jobs/nope
api_error 404 not_found GET /api/v1/jobs/dea
api GET /api/v1/jobs/dead1/output
assert_eq 200 "$code" "output"
assert_eq "bad" "$out" "output of the latest run"
api GET '/api/v1/jobs/dead1/output?run=1&offset=2'
assert_eq "d" "$out" "output from an offset"
api_error 404 not_found GET '/api/v1/jobs/dead1/output?run=2'
api_error 404 not_found GET /api/v1/jobs/p1/output
# A run that wrote nothing keeps no log file: its output is empty, not missing.
api GET /api/v1/jobs/dead2/output
assert_eq "200 " "$code $out" "output of a run that wrote nothing"
api_error 400 invalid GET '/api/v1/jobs/dead1/output?offset=-1'
api_error 404 not_found GET /api/v1/jobs/nope/output

# --- Enqueue one job, or a batch all or nothing, with the CLI's validation.
api POST /api/v1/jobs '{"command":"echo one","id":"e1","queue":"web","priority":5}'
assert_eq 201 "$code" "enqueue one"
assert_eq "e1 web 5 pending" "$(jq -r '"\(.id) \(.queue) \(.priority) \(.state)"' <<<"$out")" "stored job"
api POST /api/v1/jobs '[{"command":"echo b1","id":"b1"},{"command":"echo b2","delay":"1h"}]'
assert_eq 201 "$code" "enqueue a batch"
assert_eq "2 b1" "$(jq -r '"\(length) \(.[0].id)"' <<<"$out")" "stored batch"
before=$(snapshot)
api_error 400 invalid POST /api/v1/jobs '[{"command":"ok"},{"command":""}]'
assert_match '^job 2: ' "$(jq -r .error.message <<<"$out")" "the bad job is named"
api_error 409 conflict POST /api/v1/jobs '[{"command":"ok","id":"fresh"},{"command":"x","id":"e1"}]'
assert_match "^job 2: .*'e1'" "$(jq -r .error.message <<<"$out")" "the taken id is named"
api_error 409 conflict POST /api/v1/jobs '{"command":"x","id":"e1"}'
api_error 400 invalid POST /api/v1/jobs '{"command":"x","bogus":1}'
api_error 400 invalid POST /api/v1/jobs '{"command":'
api_error 400 invalid POST /api/v1/jobs '[]'
api_error 400 invalid POST /api/v1/jobs '"echo"'
api_error 400 invalid POST /api/v1/jobs ''
assert_unchanged "$before"

# --- Retry and delete: one by its path, several by ids or by filter, all or nothing.
api POST /api/v1/jobs/dead1/retry
assert_eq 200 "$code" "retry one"
assert_eq '{"retried":1,"ids":["dead1"]}' "$(jq -c . <<<"$out")" "retried"
assert_eq pending "$(job_state dead1)" "dead1 back to pending"
before=$(snapshot)
api_error 409 conflict POST /api/v1/jobs/dead1/retry
api_error 404 not_found POST /api/v1/jobs/nope/retry
api_error 409 conflict POST /api/v1/jobs/retry '{"ids":["dead2","p1"]}'
api_error 404 not_found POST /api/v1/jobs/retry '{"ids":["dead2","nope"]}'
api_error 400 invalid POST /api/v1/jobs/retry '{"ids":[]}'
api_error 400 invalid POST /api/v1/jobs/retry '{"ids":["bad id"]}'
api_error 400 invalid POST /api/v1/jobs/retry '{"filter":{"state":"pending"}}'
api_error 400 invalid POST /api/v1/jobs/retry '{"filter":{"colour":"red"}}'
api_error 400 invalid POST /api/v1/jobs/retry '{"ids":["dead2"],"filter":{}}'
api_error 400 invalid POST /api/v1/jobs/delete '{"filter":{"state":"sleeping"}}'
assert_unchanged "$before"
api POST /api/v1/jobs/retry '{"filter":{"queue":"mail"}}'
assert_eq '200 {"retried":1,"ids":["dead2"]}' "$code $(jq -c . <<<"$out")" "retry by filter"
api POST /api/v1/jobs/retry '{"filter":{"queue":"mail"}}'
assert_eq '200 {"retried":0,"ids":[]}' "$code $(jq -c . <<<"$out")" "a filter matching nothing"
api DELETE /api/v1/jobs/e1
assert_eq '200 {"deleted":1,"ids":["e1"]}' "$code $(jq -c . <<<"$out")" "delete one"
api_error 404 not_found DELETE /api/v1/jobs/e1
before=$(snapshot)
api_error 404 not_found POST /api/v1/jobs/delete '{"ids":["p1","nope"]}'
assert_unchanged "$before"
api POST /api/v1/jobs/delete '{"ids":["p1","p2"]}'
assert_eq '200 {"deleted":2,"ids":["p1","p2"]}' "$code $(jq -c . <<<"$out")" "delete by ids"
api POST /api/v1/jobs/delete '{"filter":{"command":"backup"}}'
assert_eq '200 {"deleted":1,"ids":["p3"]}' "$code $(jq -c . <<<"$out")" "delete by filter"

# --- Purge.
check_ok q enqueue --id c9 true
start_worker --until-idle
reaped "$worker_pid"
api POST /api/v1/purge '{"state":"completed"}'
assert_eq '200 {"purged":2,"state":"completed"}' "$code $(jq -c . <<<"$out")" "purge"
before=$(snapshot)
api_error 400 invalid POST /api/v1/purge '{"state":"pending"}'
api_error 400 invalid POST /api/v1/purge '{"state":"dead","older_than":"soon"}'
api_error 400 invalid POST /api/v1/purge '{"state":"dead","age":"1h"}'
api_error 400 invalid POST /api/v1/purge '{}'
assert_unchanged "$before"

# --- Settings: read all or one, change one (validated as config set), reset one, reset all.
api GET /api/v1/settings
assert_eq 200 "$code" "settings"
check_ok q config show --json
assert_eq "$(jq -S . <<<"$out")" "$(api GET /api/v1/settings; jq -S . <<<"$out")" "settings as config show"
api PUT /api/v1/settings/lease '{"value":"2m"}'
assert_eq '200 {"lease":120}' "$code $(jq -c . <<<"$out")" "set a duration"
api PUT /api/v1/settings/max_retries '{"value":7}'
assert_eq '200 {"max-retries":7}' "$code $(jq -c . <<<"$out")" "set a number by its other spelling"
assert_eq 7 "$(q config get max-retries)" "stored"
api GET /api/v1/settings/lease
assert_eq '200 {"lease":120}' "$code $(jq -c . <<<"$out")" "get one"
before=$(snapshot)
api_error 400 invalid PUT /api/v1/settings/lease '{"value":"-5s"}'
api_error 400 invalid PUT /api/v1/settings/lease '{"value":[1]}'
api_error 400 invalid PUT /api/v1/settings/lease '{"lease":1}'
api_error 404 not_found PUT /api/v1/settings/colour '{"value":1}'
api_error 404 not_found GET /api/v1/settings/colour
assert_unchanged "$before"
api DELETE /api/v1/settings/lease
assert_eq '200 {"lease":30}' "$code $(jq -c . <<<"$out")" "reset one"
assert_eq 7 "$(q config get max-retries)" "the others kept"
api DELETE /api/v1/settings
assert_eq 200 "$code" "reset all"
assert_eq 3 "$(jq '."max-retries"' <<<"$out")" "reset all: max-retries back to its default"
check_ok q config show --json
assert_eq "$(jq -S . <<<"$out")" "$(api GET /api/v1/settings; jq -S . <<<"$out")" "reset all: as config show"

# --- Routes and methods that do not exist.
api_error 404 not_found GET /api/v1/nothing
api_error 404 not_found GET /api/v2/jobs
api_error 405 method_not_allowed DELETE /api/v1/status
api_error 405 method_not_allowed POST /api/v1/settings '{"a":1}'
api_error 405 method_not_allowed PUT /api/v1/jobs '{"command":"x"}'

# --- The dashboard's files, built into the binary; its status object.
api GET /
assert_eq 200 "$code" "the page"
assert_match '<script src="/app.js" defer></script>' "$out" "the page loads its script"
for f in app.js:text/javascript style.css:text/css index.html:text/html; do
	type=$(curl -s -o /dev/null -w '%{content_type}' "$base/${f%%:*}")
	assert_match "^${f#*:}; charset=utf-8$" "$type" "type of /${f%%:*}"
done
cmp -s <(curl -s "$base/app.js") "$TEST_DIR/../../web/app.js" || fail "/app.js is not web/app.js"
api_error 404 not_found GET /nothing.js
api GET /api/v1/dashboard
assert_eq 200 "$code" "dashboard status"
assert_eq "60 60 1" "$(jq '"\(.completed_per_minute | length) \(.failed_per_minute | length) \(.counts.pending)"' -r <<<"$out")" "per minute, last hour"
assert_eq '[{"queue":"default","pending":1},{"queue":"mail","pending":0},{"queue":"web","pending":0}]' \
	"$(jq -c '[.queues[] | {queue, pending: .counts.pending}]' <<<"$out")" "queues"

# --- The event stream: status when the store changes; a followed job and its output as
# its attempt writes it.
curl -sN "$base/api/v1/events" >"$TMP/events" &
ev1=$!
wait_for 20 grep -q '^event: status$' "$TMP/events"
assert_match '"pending":1,' "$(grep -m1 '^data: ' "$TMP/events")" "first status"
check_ok q enqueue --id follow 'echo first; while [ ! -e '"$TMP"'/go ]; do sleep 0.05; done; echo second'
wait_for 20 grep -q '"counts":{"pending":2,' "$TMP/events"
curl -sN "$base/api/v1/events?job=follow" >"$TMP/follow" &
ev2=$!
wait_for 20 grep -q '^event: job$' "$TMP/follow"
assert_match '"state":"pending"' "$(grep '^data: {"id"' "$TMP/follow" | tail -1)" "followed job pending"
start_worker --queue default
wait_for 20 grep -q '"text":"first\\n"' "$TMP/follow"
grep -q '"text":"[^"]*second' "$TMP/follow" && fail "second line before it was written"
touch "$TMP/go"
wait_for 20 grep -q '"text":"second\\n"' "$TMP/follow"
wait_for 20 grep -q '"state":"completed"' "$TMP/follow"
stop_worker "$worker_pid"
kill "$ev1" "$ev2"
wait "$ev1" "$ev2" 2>/dev/null
api_error 404 not_found GET '/api/v1/events?job=nope'
api_error 405 method_not_allowed POST /api/v1/events '{}'

# --- A store that stays locked past the busy timeout: 503, and the server lives on.
# (SQLite's file lock: a server's row locks have no busy timeout, and no counterpart here.)
if [ -z "$PG" ]; then
	# python3 holds the write lock until told (meson, and so every build, has python3).
	coproc LOCK { python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
	' "$DB"; }
	read -r line <&"${LOCK[0]}"
	assert_eq locked "$line" "the lock is held"
	api_error 503 busy POST /api/v1/jobs '{"command":"echo late"}'
	echo done >&"${LOCK[1]}"
	wait "$LOCK_PID"
	api POST /api/v1/jobs '{"command":"echo late","id":"late"}'
	assert_eq 201 "$code" "enqueue once the lock is gone"
fi

# --- SIGTERM stops the server with status 0, an event stream open or not; the stream ends.
curl -sN "$base/api/v1/events" >"$TMP/events" &
ev1=$!
wait_for 20 grep -q '^event: status$' "$TMP/events"
stop_worker "$web_pid"
assert_eq 0 "$rc" "web exit status"
wait_for 20 gone "$ev1"
finish
