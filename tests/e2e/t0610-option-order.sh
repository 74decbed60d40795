#!/bin/bash
# t0610-option-order.sh - options go before operands, after them or between them, as
# --name value, --name=value, a unique prefix, a short letter (bundled or with its value
# attached), with --db before or after the command and "--" ending the options: every order
# of one command prints the same and exits the same.  Contradictions and unknown or
# misplaced options are usage errors (exit 2, one line) that change nothing.  In enqueue the
# first operand ends the options; a negative number is an operand, not an option.
# Commands: info, logs, list, dlq list, dlq retry, delete, purge, config get, config set,
# wait, enqueue, help, status, worker start.
. "$TEST_DIR/lib.sh"

OTHER=$TMP/other.db

# Checks of a command's stdout, for the table below.
has() { printf '%s\n' "$out" | grep -Eq -- "$1"; }
json() { jq -e "$1" <<<"$out" >/dev/null; }

# Setups, run before each order of a row, so that every order starts from the same store.
ab_dead() {
	wait_for 20 state_is a dead
	wait_for 20 state_is b dead
}
xy_pending() {
	q enqueue --id x --delay 1h true >/dev/null && q enqueue --id y --delay 1h true >/dev/null ||
		fail "setup: cannot enqueue x and y"
}
two_completed() {
	q purge --state completed >/dev/null || fail "setup: purge"
	q enqueue --id c1 true >/dev/null && q enqueue --id c2 true >/dev/null ||
		fail "setup: cannot enqueue c1 and c2"
	wait_for 20 state_is c1 completed
	wait_for 20 state_is c2 completed
}
default_retries() {
	q config reset max-retries >/dev/null || fail "setup: config reset"
}
no_e1() {
	if q info e1 >/dev/null 2>&1; then
		q delete e1 >/dev/null || fail "setup: cannot delete e1"
	fi
}

# Run each order of the row SETUP STATUS CHECK (the orders are in $orders, one per line):
# all exit STATUS, pass CHECK (run with their stdout in $out), and print what the first
# one prints, on stdout and on stderr.
row() {
	local setup=$1 want=$2 check=$3 v first= first_out first_err

	while IFS= read -r v; do
		[ -n "$v" ] || continue
		[ "$setup" = - ] || "$setup"
		eval "run q $v" </dev/null
		checks=$((checks + 1))
		[ "$status" -eq "$want" ] || fail "'queuectl $v' exited $status, expected $want"
		eval "$check" || fail "'queuectl $v': its output fails: $check"
		if [ -z "$first" ]; then
			first=$v first_out=$out first_err=$err
			continue
		fi
		assert_eq "$first_out" "$out" "stdout of 'queuectl $v', against 'queuectl $first'"
		assert_eq "$first_err" "$err" "stderr of 'queuectl $v', against 'queuectl $first'"
	done <<<"$orders"
	[ -n "$first" ] || fail "a row of the table has no command"
}

# --- The store: a finished job with output, dead jobs (a and b among them, for dlq retry),
# a pending one, and a job in another database.
check_ok q config set lease 3600
check_ok q enqueue --id job1 'echo out'
for i in 1 2 3 4 5 6; do
	check_ok q enqueue --id "d$i" --max-retries 0 'exit 3'
done
check_ok q enqueue --id a --max-retries 0 'exit 3'
check_ok q enqueue --id b --max-retries 0 'exit 3'
check_ok q enqueue --id p1 --delay 1h true
check_ok q --db "$OTHER" enqueue --id o1 'echo other'
start_worker
wait_for 20 state_is job1 completed
for id in d1 d2 d3 d4 d5 d6; do
	wait_for 20 state_is "$id" dead
done
ab_dead

# --- The table.  A row is "SETUP<tab>STATUS<tab>CHECK" (SETUP a function above, or -),
# then the same command in several orders, one per line, each indented by a tab.  The
# orders are words for the shell ("$OTHER" is expanded).
set -f
orders=
while IFS= read -r line; do
	case $line in
	'#'* | '') continue ;;
	$'\t'*)
		orders+="${line#$'\t'}"$'\n'
		continue
		;;
	esac
	[ -z "$orders" ] || row "$setup" "$want" "$check"
	IFS=$'\t' read -r setup want check <<<"$line"
	orders=
done <<'EOF'
-	0	json '.id == "job1" and .state == "completed" and .output == "out\n" and (.history | length) == 1'
	info job1 --json
	info --json job1
	info job1 --js
	info --j -- job1
	--db "$DB" info job1 --json
	info job1 --json --db "$DB"
-	0	json '.id == "o1" and .command == "echo other" and .state == "pending"'
	--db "$OTHER" info o1 --json
	--db="$OTHER" info --json o1
	info --db "$OTHER" o1 --json
	info o1 --json --db="$OTHER"
	info o1 --db "$OTHER" --json
-	0	[ "$out" = out ]
	logs job1 -f
	logs -f job1
	logs --follow job1
	logs job1 --fol
	logs job1
-	0	has '^usage: queuectl logs ID'
	help logs
	logs --help
	logs -h
	logs job1 --help
	logs -fh
	logs --he job1
-	0	json 'length == 5 and all(.[]; .state == "dead") and ([.[].id] == ["d1","d2","d3","d4","d5"])'
	list --json --state dead --limit 5
	list --json --limit 5 --state dead
	list --state dead --json --limit 5
	list --state dead --limit 5 --json
	list --limit 5 --json --state dead
	list --limit 5 --state dead --json
	list -s dead -n 5 --json
	list --state=dead --limit=5 --json
	list -sdead -n5 --json
	list --st dead --li 5 --js
	list --json -s dead --limit=5 --queue default
-	0	[ "$out" = $'d1\nd2\nd3' ]
	list --state dead --limit 3 --quiet
	list --quiet -n3 -sdead
	list -n 3 --qui --state=dead
-	0	json 'length == 2 and ([.[].id] == ["d1","d2"])'
	dlq list --json --limit 2
	dlq list --limit 2 --json
	dlq list -n 2 --json
	dlq list --json -n2
	dlq list --li=2 --js
	dlq list --json --queue default -n 2
	dlq list -q default --json -n 2
	dlq list -qdefault --limit=2 --json
-	0	[ "$out" = 'job1 completed' ]
	wait job1 --timeout 5s
	wait --timeout 5s job1
	wait -t 5s job1
	wait job1 -t5s
	wait --timeout=5s job1
	wait job1 --ti 5s
	wait --db "$DB" job1 -t 5s
-	0	json 'length == 1 and .[0].id == "job1" and .[0].state == "completed"'
	wait job1 --json -t 5s
	wait --json job1 --timeout=5s
	wait -t 5s --json -- job1
default_retries	0	json '. == {"max-retries": 5}' && [ "$(q config get max-retries)" = 5 ]
	config set max-retries 5 --json
	config set --json max-retries 5
	config set max-retries --json 5
	config set max_retries 5 --json
	config set --js max-retries 5
	config set max-retries 5 --json --db "$DB"
-	0	json '. == {"max-retries": 5}'
	config get max-retries --json
	config get --json max-retries
	config get max_retries --js
ab_dead	0	json '. == {"retried": 2, "ids": ["a", "b"]}'
	dlq retry a b --json
	dlq retry --json a b
	dlq retry a --json b
	dlq retry --json -- a b
	dlq retry a b --js
	--db "$DB" dlq retry a b --json
xy_pending	0	json '. == {"deleted": 2, "ids": ["x", "y"]}' && ! q info x 2>/dev/null
	delete x y --json
	delete --json x y
	delete x --json y
	delete --json -- x y
	delete x y --db "$DB" --json
no_e1	0	[ "$out" = e1 ] && [ "$(q info --json e1 | jq -c '[.priority, .command]')" = '[2,"true"]' ]
	enqueue --id e1 --priority 2 --delay 1h true
	enqueue --priority=2 --id=e1 --delay=1h true
	enqueue --pri 2 --del 1h --id e1 -- true
	enqueue --id e1 --delay 1h --priority -3 --priority 2 true
two_completed	0	json '. == {"purged": 2, "state": "completed"}' && ! q info c1 2>/dev/null
	purge --state completed --json
	purge --json --state completed
	purge -s completed --json
	purge --json -scompleted
	purge --state=completed --json
	purge --st completed --js
	purge --json --state completed --db "$DB"
EOF
[ -z "$orders" ] || row "$setup" "$want" "$check"
set +f
# Each of the six orders of dlq retry did retry a: it ran once more each time.
ab_dead
assert_eq 7 "$(q info --json a | jq '.history | length')" "runs of a after six retries"

# --- Contradictions, unknown options and options of another command: exit 2 with one line
# on stderr naming the problem, and nothing changed.  The worker is stopped first: its
# heartbeat (every 10 s at most, whatever the lease) would change the store.
stop_worker "$worker_pid"
before=$(snapshot)
while IFS=$'\t' read -r msg cmd; do
	case $msg in '#'* | '') continue ;; esac
	set -f
	eval "reject 2 \"\$msg\" q $cmd" </dev/null
	set +f
done <<'EOF'
^queuectl: dlq retry: give ids or --all, not both \(see 'queuectl help dlq retry'\)$	dlq retry a --all
give ids or --all, not both	dlq retry --all a
give ids or --all, not both	dlq retry a b --all --json
^queuectl: list: give --json or --quiet, not both \(see 'queuectl help list'\)$	list --json --quiet
give --json or --quiet, not both	list --quiet --state dead --json
^queuectl: dlq list: give --json or --quiet, not both	dlq list --quiet --json
^queuectl: dlq retry: --queue narrows --all: give both	dlq retry a --queue default
give --run-at or --delay, not both	enqueue --delay 1m --run-at 2030-01-01T00:00:00Z true
--file takes no other job	enqueue --file "$TMP/none.jsonl" true
^queuectl: info: unknown option '--follow' \(see 'queuectl help info'\)$	info job1 --follow
^queuectl: info: unknown option '-f'	info -f job1
^queuectl: status: unknown option '--state'	status --state dead
^queuectl: status: option '--json' takes no value	status --json=x
^queuectl: list: unknown option '--version'	list --version
^queuectl: list: unknown option '--bogus'	list --state dead --bogus
^queuectl: list: unknown option '-x'	list -sdead -x
^queuectl: purge: unknown option '--all'	purge --all
^queuectl: delete: unknown option '--force'	delete x --force
^queuectl: dlq retry: unknown option '--state'	dlq retry --state dead --all
^queuectl: config set: unknown option '--all'	config set max-retries 5 --all
^queuectl: wait: unknown option '--follow'	wait job1 --follow
^queuectl: list: option '--q' is ambiguous \(--queue, --quiet\)	list --q default
^queuectl: info: option '--json' takes no value	info job1 --json=yes
^queuectl: list: option '--limit' needs a value	list --json --limit
^queuectl: list: option '-n' needs a value	list --json -n
^queuectl: info: option '--db' needs a value	info job1 --db
^queuectl: list: unexpected argument '--json'	list -- --json
^queuectl: info: give one job id	info job1 --json job2
^queuectl: info: missing job id	info --json
^queuectl: info: missing job id	info --json --db "$OTHER"
^queuectl: purge: only completed or dead jobs can be purged, not pending	purge --json --state pending
^queuectl: purge: missing --state completed\|dead	purge --json
EOF

# --- enqueue: the first operand ends the options; what follows is the job's.  (The jobs
# wait an hour, so that the worker leaves the store still.)
check_ok q enqueue --id x1 --delay 1h echo hi --json
assert_eq x1 "$out" "enqueue prints the id: --json after the command is the command's"
check_ok q info --json x1
assert_eq "echo hi --json" "$(jq -r .command <<<"$out")" "the command of x1"
check_ok q enqueue --id x2 --delay 1h --json -- --weird
assert_eq "x2 --weird" "$(jq -r '"\(.id) \(.command)"' <<<"$out")" "enqueue -- --weird: a command"
assert_eq "--weird" "$(q info --json x2 | jq -r .command)" "the stored command of x2"
check_ok q enqueue --id x3 --delay 1h -- '{"a":1}'
assert_eq x3 "$out" "enqueue -- '{...}' prints the id"
assert_eq '["{\"a\":1}"]' "$(q info --json x3 | jq -c .argv)" "enqueue -- '{...}': a word, not JSON"
# Without "--", the same argument is a job object, and this one lacks a command.
before=$(snapshot)
reject 2 "command" q enqueue '{"a":1}'
check_ok q enqueue --id x4 --delay 1h echo --id x5
assert_eq x4 "$out" "a second --id after the command is the command's"
assert_eq "echo --id x5" "$(q info --json x4 | jq -r .command)" "the command of x4"
before=$(snapshot)
reject 1 "^queuectl: no job 'x5'$" q info x5
check_ok q enqueue --priority -5 --id x6 --delay 1h true
assert_eq -5 "$(q info --json x6 | jq .priority)" "a negative value of an option"

# --- A negative number is an operand: its parser refuses it, as it would any bad value.
before=$(snapshot)
reject 2 "^queuectl: backoff-max: invalid duration '-1'" q config set backoff-max -1
reject 2 "^queuectl: invalid max-retries '-1': must be between 0 and 1000$" q config set max-retries -1
reject 2 "^queuectl: invalid --limit '-1'" q list --limit -1
reject 2 "^queuectl: invalid --limit '-1'" q list --limit=-1
reject 1 "^queuectl: no job '-1'$" q delete -1
reject 1 "^queuectl: no job '-7'$" q info -7

finish
