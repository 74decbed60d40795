#!/bin/bash
# t0640-enqueue-hint.sh - "enqueue job1 'echo Hello World'" (an id given as other tools take
# it) stores the command as written, exits 0, and says once on stderr how to name a job.  The
# hint is only for a first word of several that is no program on PATH, no shell builtin or
# keyword, no assignment or path, and not after "--"; a failed enqueue prints only its error.
# enqueue --backoff-base X is checked as the backoff-base setting is.
# Commands: enqueue, info, list.
. "$TEST_DIR/lib.sh"

hint() {
	echo "queuectl: hint: '$1' is not a command here; to name the job, use --id $1"
}

# stored WANT WHAT: the job whose id enqueue printed has the command WANT.
stored() {
	assert_match '^[0-9a-f]{32}$' "$out" "$2: enqueue prints a generated id"
	assert_eq "$1" "$(q info --json "$out" | jq -r .command)" "$2: the stored command"
}

# --- The hint: exactly one line on stderr, exit 0, and the job stored with every word.
check_ok q enqueue job1 "echo Hello World"
assert_eq "$(hint job1)" "$err" "the hint for 'enqueue job1 \"echo Hello World\"'"
stored "job1 'echo Hello World'" "enqueue job1 \"echo Hello World\""
before=$(snapshot)
reject 1 "^queuectl: no job 'job1'$" q info job1
check_ok q list --quiet
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "one job stored"

# Options before the job do not change it; --json keeps stdout JSON and the hint on stderr.
check_ok q enqueue --priority 2 report-7 make report
assert_eq "$(hint report-7)" "$err" "the hint after an option"
stored "report-7 make report" "enqueue --priority 2 report-7 make report"
check_ok q enqueue --json job2 'echo hi'
assert_eq "$(hint job2)" "$err" "the hint with --json"
assert_eq "job2 'echo hi'" "$(jq -r .command <<<"$out")" "enqueue --json with the hint: the stored job"

# --- No hint: a program, "--", a single word, builtins and keywords, assignments, paths, JSON;
# and none when --id names the job (the first word is then meant as the command).
while IFS='|' read -r want args; do
	set -f
	eval "check_ok q enqueue $args"
	set +f
	assert_eq "" "$err" "no hint for 'enqueue $args'"
	stored "$want" "enqueue $args"
done <<'EOF'
echo hi|echo hi
job1 x|-- job1 x
job1 x|'job1 x'
job1|job1
cd /tmp|cd /tmp
if true|if true
exec true|exec true
while false|while false
'[' -e /tmp ']'|[ -e /tmp ]
FOO=1 env|FOO=1 env
./x y|./x y
/no/such/program y|/no/such/program y
job1 'echo Hello World'|-- job1 "echo Hello World"
true|'{"command": "true"}'
EOF
check_ok q enqueue --id named job9 "echo hi"
assert_eq "" "$err" "no hint when --id names the job"
assert_eq "job9 'echo hi'" "$(q info --json named | jq -r .command)" "the command stored with --id"

# A program on PATH is a command, whatever its name.
mkdir "$TMP/bin"
printf '#!/bin/sh\n' >"$TMP/bin/job1"
chmod +x "$TMP/bin/job1"
PATH=$TMP/bin:$PATH check_ok q enqueue job1 "echo Hello World"
assert_eq "" "$err" "no hint when job1 is a program on PATH"
stored "job1 'echo Hello World'" "enqueue job1 with job1 on PATH"
# ... but a file that cannot be run is not.
chmod -x "$TMP/bin/job1"
PATH=$TMP/bin:$PATH check_ok q enqueue job1 "echo Hello World"
assert_eq "$(hint job1)" "$err" "the hint when job1 on PATH is not executable"

# --- A failed enqueue prints its error and no hint, and stores nothing.
check_ok q enqueue --id d1 --delay 1h true
before=$(snapshot)
reject 1 "^queuectl: a job with id 'd1' already exists$" q enqueue --id d1 job1 "echo Hello World"
assert_eq "queuectl: a job with id 'd1' already exists" "$err" "only the error for a duplicate id"
reject 2 "^queuectl: invalid --priority 'x'" q enqueue --priority x job1 "echo Hello World"
reject 2 "^queuectl: enqueue: give --run-at or --delay, not both" \
	q enqueue --delay 1m --run-at 2030-01-01T00:00:00Z job1 "echo Hello World"

# --- --backoff-base X: X as the backoff-base setting takes it (a number from 1 to 1000).
before=$(snapshot)
while IFS='|' read -r value msg; do
	reject 2 "^queuectl: invalid backoff-base '$value': $msg$" q enqueue --backoff-base "$value" true
done <<'EOF'
0.5|must be between 1 and 1000
0|must be between 1 and 1000
1001|must be between 1 and 1000
-2|not a number
abc|not a number
|not a number
inf|not a number
nan|not a number
0x10|not a number
2x|not a number
EOF
reject 2 "^queuectl: enqueue: option '--backoff-base' needs a value" q enqueue --json --backoff-base
for v in 3 1 1000 1.5; do
	check_ok q enqueue --id "bb$v" --backoff-base "$v" --delay 1h true
	assert_eq "bb$v" "$out" "enqueue --backoff-base $v"
	assert_eq "" "$err" "stderr of enqueue --backoff-base $v"
done
check_ok q enqueue --id bb-eq --backoff-base=2.5 --delay 1h true
check_ok q enqueue --id bb-json --json --backoff-base 4 --delay 1h true
assert_eq bb-json "$(jq -r .id <<<"$out")" "enqueue --backoff-base --json"
# The value as the job keeps it, where the job's JSON shows it.
if q info --json bb3 | jq -e 'has("backoff_base")' >/dev/null; then
	for kv in bb3:3 bb1:1 bb1000:1000 bb1.5:1.5 bb-eq:2.5 bb-json:4; do
		assert_eq "${kv#*:}" "$(q info --json "${kv%%:*}" | jq .backoff_base)" "backoff_base of ${kv%%:*}"
	done
else
	echo "note: info --json shows no backoff_base: only its acceptance is checked" >&2
fi

finish
