#!/bin/bash
# t0110-enqueue-file.sh - enqueue --file FILE and --file - (stdin): one JSON job per line,
# all stored in one transaction or none, the ids printed one per line after the commit,
# and an error that names the line.
# Commands: enqueue --file, list --json, info --json.
. "$TEST_DIR/lib.sh"

ids() {
	q list --json | jq -r '.[].id' | tr '\n' ' '
}

# A seed job, so that the store exists before the first refusal.
check_ok q enqueue --id seed true

# --- A good file: blank lines (empty, spaces, tabs) are skipped, CRLF is accepted, a line
# without an id gets a generated one, and the ids come out in file order.
printf '%s\n' '{"id":"a","command":"echo a"}' '' '{"id":"b","command":"echo b","priority":2}' \
	'   ' $'\t' '{"command":"echo c"}' >"$TMP/good.jsonl"
printf '{"id":"d","command":"echo d"}\r\n' >>"$TMP/good.jsonl"
check_ok q enqueue --file "$TMP/good.jsonl"
assert_eq 4 "$(printf '%s\n' "$out" | wc -l)" "one id per line"
assert_eq a "$(sed -n 1p <<<"$out")" "first id"
assert_eq b "$(sed -n 2p <<<"$out")" "second id"
assert_match '^[0-9a-f]{32}$' "$(sed -n 3p <<<"$out")" "generated id"
assert_eq d "$(sed -n 4p <<<"$out")" "id from the CRLF line"
gen=$(sed -n 3p <<<"$out")
assert_eq "echo c" "$(q info --json "$gen" | jq -r .command)" "command of the line without id"
assert_eq "echo d" "$(q info --json d | jq -r .command)" "CRLF stripped from the line"
assert_eq 2 "$(q info --json b | jq -r .priority)" "priority from the line"
assert_eq "seed a b $gen d " "$(ids)" "stored in file order"

# --- Options apply to every line (and override the line's own fields).
printf '%s\n' '{"id":"o1","command":"x"}' '{"id":"o2","command":"x","queue":"mine","priority":1}' \
	>"$TMP/opts.jsonl"
check_ok q enqueue --queue batch --max-retries 7 --priority 4 --timeout 2m --file "$TMP/opts.jsonl"
assert_eq $'o1\no2' "$out" "ids of the options file"
for id in o1 o2; do
	assert_eq "batch 7 4 120" \
		"$(q info --json $id | jq -r '"\(.queue) \(.max_retries) \(.priority) \(.timeout)"')" \
		"options applied to $id"
done

# --- --file - reads stdin.
printf '%s\n' '{"id":"s1","command":"echo s1"}' '{"id":"s2","command":"echo s2"}' >"$TMP/stdin.jsonl"
check_ok q enqueue --file - <"$TMP/stdin.jsonl"
assert_eq $'s1\ns2' "$out" "ids from stdin"
assert_eq "echo s2" "$(q info --json s2 | jq -r .command)" "command from stdin"
# The last line may lack its newline.
printf '{"id":"nonl","command":"x"}' >"$TMP/nonl.jsonl"
check_ok q enqueue --file - <"$TMP/nonl.jsonl"
assert_eq nonl "$out" "last line without a newline"

# --- A bad line 3 stores nothing, prints no id, and the message names line 3.  Every
# refusal from here on leaves the store as this snapshot has it.
before=$(snapshot)
bad3() {
	printf '%s\n' '{"id":"f1","command":"x"}' '{"id":"f2","command":"y"}' "$1" '{"id":"f4","command":"z"}' \
		>"$TMP/bad.jsonl"
}
bad3 '{"id":"f3","command":"z",}'
reject 2 '^queuectl: invalid job JSON at line 3, column 26: ' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3","bogus":"z"}'
reject 2 '^queuectl: line 3: invalid job: unknown key "bogus"' q enqueue --file "$TMP/bad.jsonl"
bad3 '[1,2]'
reject 2 '^queuectl: line 3: invalid job: expected a JSON object, not an array$' q enqueue --file "$TMP/bad.jsonl"
bad3 '"echo hi"'
reject 2 '^queuectl: invalid job JSON at line 3, ' q enqueue --file "$TMP/bad.jsonl"
bad3 '42'
reject 2 '^queuectl: invalid job JSON at line 3, ' q enqueue --file "$TMP/bad.jsonl"
bad3 'echo hi'
reject 2 '^queuectl: invalid job JSON at line 3, ' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3"}'
reject 2 '^queuectl: line 3: invalid job: "command" or "argv" is missing$' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3","command":"   "}'
reject 2 '^queuectl: line 3: invalid job: invalid command: it is empty$' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3","command":"x","priority":"high"}'
reject 2 '^queuectl: line 3: invalid job: "priority" must be an integer, not a string$' \
	q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3","command":"x","delay":"soon"}'
reject 2 '^queuectl: line 3: invalid job: "delay": invalid duration' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"f3","command":"x","run_at":"2025-02-30T00:00:00Z"}'
reject 2 '^queuectl: line 3: invalid job: "run_at": invalid timestamp' q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"bad id","command":"x"}'
reject 2 '^queuectl: line 3: invalid job: invalid id' q enqueue --file "$TMP/bad.jsonl"
# A duplicate of an earlier line of the same file, and of a job already stored: exit 1.
bad3 '{"id":"f1","command":"x"}'
reject 1 "^queuectl: line 3: a job with id 'f1' already exists$" q enqueue --file "$TMP/bad.jsonl"
bad3 '{"id":"seed","command":"x"}'
reject 1 "^queuectl: line 3: a job with id 'seed' already exists$" q enqueue --file "$TMP/bad.jsonl"
# Blank lines count as lines.
printf '\n   \n{"command":\n{"command":"x"}\n' >"$TMP/blank-bad.jsonl"
reject 2 '^queuectl: invalid job JSON at line 3, ' q enqueue --file "$TMP/blank-bad.jsonl"
# The same from stdin.
bad3 '{"id":"f3","command":"z",}'
reject 2 '^queuectl: invalid job JSON at line 3, column 26: ' q enqueue --file - <"$TMP/bad.jsonl"
bad3 '{"id":"f3","unknown":1}'
reject 2 '^queuectl: line 3: invalid job: unknown key "unknown"' q enqueue --file - <"$TMP/bad.jsonl"

# A large file whose last line is bad: still nothing.
for i in $(seq 1 299); do printf '{"id":"big%d","command":"echo %d"}\n' "$i" "$i"; done >"$TMP/big.jsonl"
cp "$TMP/big.jsonl" "$TMP/big-bad.jsonl"
echo '{"id":"big300","command":""}' >>"$TMP/big-bad.jsonl"
reject 2 '^queuectl: line 300: invalid job: invalid command: it is empty$' q enqueue --file "$TMP/big-bad.jsonl"
check_ok q enqueue --file "$TMP/big.jsonl"
assert_eq 299 "$(printf '%s\n' "$out" | wc -l)" "ids printed for the large file"
assert_eq 299 "$(q list --json | jq '[.[] | select(.id | startswith("big"))] | length')" \
	"jobs stored from the large file"
before=$(snapshot)

# --- Empty, blank-only and missing files; --file mixed with other jobs.
: >"$TMP/empty.jsonl"
reject 2 "^queuectl: '.*/empty.jsonl' holds no jobs$" q enqueue --file "$TMP/empty.jsonl"
printf '\n \n\t\n' >"$TMP/blank.jsonl"
reject 2 "^queuectl: '.*/blank.jsonl' holds no jobs$" q enqueue --file "$TMP/blank.jsonl"
reject 2 "holds no jobs" q enqueue --file - </dev/null
reject 2 "^queuectl: cannot read '.*/missing.jsonl': No such file or directory$" \
	q enqueue --file "$TMP/missing.jsonl"
reject 2 "^queuectl: enqueue: --file takes no other job" q enqueue --file "$TMP/good.jsonl" 'echo x'
reject 2 "^queuectl: enqueue: --id cannot apply to a file of jobs" q enqueue --id one --file "$TMP/opts.jsonl"
reject 2 "^queuectl: enqueue: option '--file' needs a value" q enqueue --file
reject 2 "^queuectl: invalid --max-retries '-1'" q enqueue --max-retries -1 --file "$TMP/opts.jsonl"
reject 2 "^queuectl: enqueue: give --run-at or --delay, not both" \
	q enqueue --run-at 2030-01-01T00:00:00Z --delay 1m --file "$TMP/opts.jsonl"
# The good file again: every id exists now, so line 1 fails and nothing is added.
reject 1 "^queuectl: line 1: a job with id 'a' already exists$" q enqueue --file "$TMP/good.jsonl"

# A bad line past the ninth: the line number grows the message, which must stay whole.
for i in $(seq 11); do echo '{"command":"true"}'; done >"$TMP/eleven.jsonl"
echo '{"id":"x",}' >>"$TMP/eleven.jsonl"
before=$(snapshot)
reject 2 "^queuectl: invalid job JSON at line 12, column 11: string or '}' expected near '}'$" \
	q enqueue --file "$TMP/eleven.jsonl"

finish
