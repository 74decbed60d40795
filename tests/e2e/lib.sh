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
set -u

: "${QUEUECTL:?QUEUECTL must name the queuectl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-test.XXXXXX")
export QUEUECTL_HOME="$TMP/home"
unset QUEUECTL_DB XDG_DATA_HOME
DB="$QUEUECTL_HOME/queuectl.db"
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

# The digest leaves out what a live worker writes by itself: what its heartbeat rewrites (its
# heartbeat time, when its row goes stale and its jobs' lease ends, every min(lease/3, 10 s))
# and the pid of a job it started, written within a second of the start.  What a command
# must not change is the rest.
snapshot() {
	if [ -f "$DB" ]; then
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
