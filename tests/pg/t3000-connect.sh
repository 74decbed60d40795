#!/bin/bash
# t3000-connect: what a PostgreSQL URL can get wrong, said in one line with the right exit
# status and nothing stored; the password never shown (errors, ps, logs); the schema: made
# on first use, by one of many processes at once, refused when newer than queuectl or when
# another program's tables are in it; migrate.
# Commands: status, enqueue, list, worker start, migrate.
. "$TEST_DIR/lib.sh"

tcp=${QUEUECTL_TEST_PG_TCP:?}
port=${tcp##*:}
secret=qpass-secret
pw_url="postgresql://qpass:$secret@$tcp/queuectl?schema=$PG_SCHEMA-pw"

# --- The server cannot be reached: one line, exit 1, well within the connect timeout.
t0=$(date +%s%3N)
check_fail 1 "^queuectl: cannot reach the database at 127\.0\.0\.1:1: connection refused$" \
	q --db "postgresql://qpass:$secret@127.0.0.1:1/queuectl" status
assert_eq 1 "$(( $(date +%s%3N) - t0 < 5000 ))" "refused within the 5 s connect timeout"
check_fail 1 "^queuectl: cannot reach the database at $TMP/nosocket:5432: no server on that socket$" \
	q --db "postgresql:///queuectl?host=$TMP/nosocket" status
check_fail 1 "^queuectl: cannot reach the database at nohost\.invalid:5432: unknown host$" \
	q --db "postgresql://nohost.invalid/queuectl" status

# --- Bad URLs are bad input (exit 2), said before any connection.
check_fail 2 "^queuectl: bad database URL 'postgresql://qpass@127\.0\.0\.1:$port/queuectl\?nosuch=1': invalid URI query parameter: \"nosuch\"$" \
	q --db "postgresql://qpass:$secret@127.0.0.1:$port/queuectl?nosuch=1" status
check_fail 2 "^queuectl: bad database URL '.*': invalid integer value \"xx\" for connection option \"port\"$" \
	q --db "postgresql://qpass:$secret@127.0.0.1:xx/queuectl" status
check_fail 2 "^queuectl: bad schema name 'a\.b' in 'postgresql://qpass@$tcp/queuectl': use up to 50 letters, digits, '_' and '-'$" \
	q --db "postgresql://qpass:$secret@$tcp/queuectl?schema=a.b" status

# --- Wrong password, missing database: said as such, the password never.
check_fail 1 "^queuectl: the database at $tcp refused user 'qpass': wrong or missing password$" \
	q --db "postgresql://qpass:not-the-$secret@$tcp/queuectl" status
assert_eq "" "$(grep -F "not-the-$secret" <<<"$err")" "the wrong password in the error"
check_fail 1 "^queuectl: no database 'nosuchdb' at $tcp$" \
	q --db "postgresql://qpass:$secret@$tcp/nosuchdb" status
check_fail 1 "^queuectl: the database at $tcp refused user 'qpass': wrong or missing password$" \
	q --db "postgresql://qpass@$tcp/queuectl" status
# The password from PGPASSWORD, as libpq reads it: nothing of it in the URL.
check_ok env PGPASSWORD=$secret "$QUEUECTL" --db "postgresql://qpass@$tcp/queuectl?schema=$PG_SCHEMA-env" status

# --- A password in the URL works, and is in neither ps nor the worker's log.
check_ok q --db "$pw_url" enqueue --id pw1 true
"$QUEUECTL" --db "$pw_url" worker start --for 30s >"$TMP/pw-worker.log" 2>&1 &
pw_worker=$!
worker_pids="$worker_pids $pw_worker"
wait_for 20 eval '[ "$(q --db "$pw_url" info --json pw1 | jq -r .state)" = completed ]'
cmdline=$(tr '\0' ' ' </proc/$pw_worker/cmdline)
assert_match "postgresql://qpass:\*+@$tcp/" "$cmdline" "the worker's command line"
assert_eq "" "$(grep -F "$secret" <<<"$cmdline")" "the password in ps"
stop_worker "$pw_worker"
assert_eq 0 "$rc" "worker exit status"
assert_eq "" "$(grep -F "$secret" "$TMP/pw-worker.log")" "the password in the worker's log"

# --- The schema: made on first use, once, by any of several processes at once.
fresh="$QUEUECTL_TEST_PG&schema=$PG_SCHEMA-race"
for i in 1 2 3 4 5 6; do
	"$QUEUECTL" --db "$fresh" migrate --json >"$TMP/race$i" 2>&1 &
	race_pids="${race_pids:-} $!"
done
for p in $race_pids; do
	wait "$p" || fail "a migrate that raced others failed: $(cat "$TMP"/race*)"
done
assert_eq "1 5" "$(jq -s '[.[] | select(.from == 0)] | length' "$TMP"/race*) $(jq -s '[.[] | select(.from == .to)] | length' "$TMP"/race*)" \
	"one migrate made the schema, five found it made"
check_ok q --db "$fresh" migrate
assert_match "^the schema is at version [0-9]+ already$" "$out" "migrate again"

# migrate on a new schema, then every command uses it.
check_ok q migrate
assert_match "^created the schema at version [0-9]+$" "$out" "migrate on a new schema"
version=${out##* }
check_ok q enqueue --id j1 true
assert_eq "$version" "$(sql "SELECT version FROM queuectl_schema")" "the stored version"

# --- A newer schema is refused by every command, and left as it is.
sql "UPDATE queuectl_schema SET version = 99"
before=$(snapshot)
reject 1 "^queuectl: schema \"$PG_SCHEMA\" of the database at .* has version 99, newer than this queuectl's $version: upgrade queuectl$" \
	q list
reject 1 "has version 99, newer than this queuectl's" q migrate
sql "UPDATE queuectl_schema SET version = $version"

# --- Another program's tables: never taken over.
other="$PG_SCHEMA-other"
psql "$PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA \"$other\"" -c "CREATE TABLE \"$other\".jobs (x int)"
check_fail 1 "^queuectl: schema \"$other\" of the database at .* is not queuectl's \(it holds another program's tables\): choose another with \?schema=NAME$" \
	q --db "$QUEUECTL_TEST_PG&schema=$other" status
assert_eq "jobs" "$(psql "$PG" -X -A -t -c "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = '$other'")" \
	"the other program's schema is untouched"

finish
