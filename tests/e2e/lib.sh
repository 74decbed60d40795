# lib.sh - helpers for the end-to-end tests.  Source it first thing:
#   . "$TEST_DIR/lib.sh"
#
# Each test gets its own QUEUECTL_HOME under a temporary directory, removed on exit together
# with every worker the test started.  Helpers:
#   q ARGS...                  run queuectl
#   check_ok CMD...            run CMD; fail the test unless it exits 0 (stdout in $out)
#   check_fail STATUS MSG CMD... run CMD; it must exit STATUS and print MSG (a grep -E
#                              pattern) on stderr, nothing on stdout
#   assert_eq WANT GOT [WHAT]  compare two strings
#   assert_match PATTERN TEXT [WHAT]
#   snapshot                   print a digest of the whole store (schema and every row, less
#                              heartbeat times and lease ends)
#   sql STATEMENT              run SQL on the store (sqlite3, or psql in the store's schema);
#                              rows as "a|b", one a line
#   store_exists               the store has been created (its file, or its schema)
#   use_fresh_store NAME       from here on, a new empty store (and QUEUECTL_HOME $TMP/NAME)
#   logs_root                  where this machine keeps the store's job logs (logs.h)
#   assert_unchanged BEFORE    the store's digest is still BEFORE
#   wait_for SECS CMD...       re-run CMD until it succeeds; fail after SECS seconds.  It
#                              sleeps 0.05s between tries: a deadline, not synchronisation.
#   job_state ID               the job's state; state_is ID STATE tests it (for wait_for)
#   reject STATUS MSG CMD...   check_fail, and the store digest is still $before
#   ms TIME                    an ISO-8601 time in ms since the epoch
#   gone PID                   the process has exited (a zombie counts)
#   stop_worker PID            SIGTERM, wait for the exit; its status in $rc
#   reaped PID                 wait for PID to exit by itself; its status in $rc
#   start_worker ARGS...       start 'worker start ARGS' in the background; its pid in $worker_pid
#                              (the binary itself, not through q: $! must be the worker)
# wait_for runs its command in this shell, so it may call functions: wait_for 9 is_dead d1
#   finish                     print the summary line; call at the end of every test
#
# With QUEUECTL_TEST_BACKEND=postgresql (the suite 'pg', through tests/pg/with-cluster.sh),
# the store is a schema of its own for the test in the database QUEUECTL_TEST_PG names:
# QUEUECTL_DB and DB are its URL, and snapshot, sql and store_exists read it with psql.
set -u

: "${QUEUECTL:?QUEUECTL must name the queuectl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-test.XXXXXX")
export QUEUECTL_HOME="$TMP/home"
unset QUEUECTL_DB XDG_DATA_HOME
DB="$QUEUECTL_HOME/queuectl.db"
PG=
if [ "${QUEUECTL_TEST_BACKEND:-sqlite}" = postgresql ]; then
	: "${QUEUECTL_TEST_PG:?QUEUECTL_TEST_PG must name the test database (tests/pg/with-cluster.sh)}"
	PG=$QUEUECTL_TEST_PG
	PG_SCHEMA="e2e-$(basename "$0" .sh | cut -c1-24)-$$"
	DB="$PG&schema=$PG_SCHEMA"
	export QUEUECTL_DB="$DB"
fi
out= err= status=
worker_pids=
checks=0

cleanup() {
	for p in $worker_pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -n "$out" ] && printf 'stdout was:\n%s\n' "$out" >&2
	[ -n "$err" ] && printf 'stderr was:\n%s\n' "$err" >&2
	exit 1
}

q() {
	"$QUEUECTL" "$@"
}

# Run a command, keeping stdout, stderr and status.
run() {
	out=$("$@" 2>"$TMP/stderr")
	status=$?
	err=$(cat "$TMP/stderr")
}

check_ok() {
	run "$@"
	checks=$((checks + 1))
	[ "$status" -eq 0 ] || fail "'$*' exited $status, expected 0"
}

check_fail() {
	want=$1 msg=$2
	shift 2
	run "$@"
	checks=$((checks + 1))
	[ "$status" -eq "$want" ] || fail "'$*' exited $status, expected $want"
	printf '%s' "$err" | grep -Eq -- "$msg" || fail "'$*': stderr does not match '$msg'"
	[ "$(printf '%s' "$err" | wc -l)" -le 1 ] || fail "'$*': more than one line on stderr"
	[ -z "$out" ] || fail "'$*': printed on stdout"
}

assert_eq() {
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_match() {
	checks=$((checks + 1))
	printf '%s' "$2" | grep -Eq -- "$1" || fail "${3:-value}: '$2' does not match '$1'"
}

# psql on the test's schema: -A -t, rows as a|b, errors to stderr.
pg_sql() {
	local c=()
	for s; do c+=(-c "$s"); done
	psql "$PG" -X -q -A -t -v ON_ERROR_STOP=1 -c "SET search_path TO \"$PG_SCHEMA\"" "${c[@]}"
}

sql() {
	if [ -n "$PG" ]; then
		pg_sql "$1"
	else
		sqlite3 "$DB" "$1"
	fi
}

store_exists() {
	if [ -n "$PG" ]; then
		[ "$(pg_sql "SELECT to_regclass('queuectl_schema') IS NOT NULL")" = t ]
	else
		[ -e "$DB" ]
	fi
}

# logs_root in logs.c: "<db>.d" beside a file; for a URL, "logs-<host and db>.d" in the data
# directory, the user and password left out and every other character but [A-Za-z0-9.-]
# made '-'.
logs_root() {
	local p
	if [ -n "$PG" ]; then
		p=${DB#*://}
		p=${p%%\?*}
		case ${p%%/*} in *@*) p=${p#*@} ;; esac
		echo "$QUEUECTL_HOME/logs-$(printf '%s' "$p" | tr -c 'A-Za-z0-9.-' '-').d"
	else
		echo "$DB.d"
	fi
}

use_fresh_store() {
	export QUEUECTL_HOME="$TMP/$1"
	if [ -n "$PG" ]; then
		PG_SCHEMA="$PG_SCHEMA-$1"
		DB="$PG&schema=$PG_SCHEMA"
		export QUEUECTL_DB="$DB"
	else
		DB="$QUEUECTL_HOME/queuectl.db"
	fi
}

# The digest leaves out what a live worker writes by itself: what its heartbeat rewrites (its
# heartbeat time, when its row goes stale and its jobs' lease ends, every min(lease/3, 10 s))
# and the pid of a job it started, written within a second of the start.  What a command
# must not change is the rest.
snapshot() {
	if [ -n "$PG" ]; then
		if store_exists; then
			pg_sql "SELECT table_name, column_name, data_type FROM information_schema.columns
				  WHERE table_schema = '$PG_SCHEMA' ORDER BY 1, 2" \
				"SELECT to_jsonb(t) - 'lease_until' - 'pid' - 'pid_start' FROM jobs t ORDER BY seq" \
				"SELECT to_jsonb(t) FROM attempts t ORDER BY job_id, run" \
				"SELECT to_jsonb(t) FROM config t ORDER BY key" \
				"SELECT to_jsonb(t) - 'heartbeat_at' - 'stale_at' FROM workers t ORDER BY id" \
				"SELECT version FROM queuectl_schema" | sha256sum | cut -d' ' -f1
		else
			echo none
		fi
	elif [ -f "$DB" ]; then
		rm -f "$TMP/snapshot.db"
		sqlite3 "$DB" ".backup '$TMP/snapshot.db'" &&
			sqlite3 "$TMP/snapshot.db" \
				"UPDATE workers SET heartbeat_at = 0, stale_at = 0; UPDATE jobs SET lease_until = NULL, pid = NULL, pid_start = NULL;" &&
			sqlite3 "$TMP/snapshot.db" .dump | sha256sum | cut -d' ' -f1
	else
		echo none
	fi
}

assert_unchanged() {
	assert_eq "$1" "$(snapshot)" "store digest"
}

wait_for() {
	secs=$1
	shift
	end=$(($(date +%s) + secs))
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $*"
		sleep 0.05
	done
}

job_state() {
	q info --json "$1" | jq -r .state
}

state_is() {
	[ "$(job_state "$1")" = "$2" ]
}

reject() {
	check_fail "$@"
	assert_unchanged "$before"
}

ms() {
	date -d "$1" +%s%3N
}

gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

reaped() {
	wait_for 20 gone "$1"
	wait "$1"
	rc=$?
}

stop_worker() {
	kill -TERM "$1"
	reaped "$1"
}

start_worker() {
	"$QUEUECTL" worker start "$@" >>"$TMP/worker.log" 2>&1 &
	worker_pid=$!
	worker_pids="$worker_pids $worker_pid"
}

finish() {
	echo "ok: $checks checks"
}
