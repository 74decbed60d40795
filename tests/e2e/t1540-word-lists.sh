#!/bin/bash
# t1540-word-lists: a job given as a word list (the words after --, several words, or a JSON
# "argv" array) is kept as a list and run without a shell.  list and info show it as its
# words quoted for /bin/sh; info --json has the list.  A program that cannot be found or
# run fails the attempt as the shell's 127 and 126 do, never as a start to try again.  The
# same commands run through the shell and as word lists have the same outcomes.
# Commands: enqueue, worker start, list, info, logs.
. "$TEST_DIR/lib.sh"

check_ok q config set backoff-max 0

# --- Kept as a list: quoting and shell syntax reach the program untouched.
check_ok q enqueue --id words -- printf '[%s]' 'a b' '$HOME' '*' "it's" ''
check_ok q info --json words
assert_eq '["printf","[%s]","a b","$HOME","*","it'"'"'s",""]' "$(jq -c .argv <<<"$out")" "argv kept"
assert_eq "printf '[%s]' 'a b' '\$HOME' '*' 'it'\\''s' ''" "$(jq -r .command <<<"$out")" \
	"shown as its words quoted for /bin/sh"
check_ok q enqueue --id several printf '%s' two words
check_ok q enqueue --id shell 'printf "%s" "$0"'
check_ok q enqueue --id json '{"argv":["printf","%s","from json"]}'
check_ok q info --json shell
assert_eq null "$(jq -c .argv <<<"$out")" "one string is a shell command"

# The object info --json prints enqueues as is (its command is argv's words quoted).
check_ok q info --json json
jq -c '.id = "again" | {id, command, argv}' <<<"$out" >"$TMP/again.json"
check_ok q enqueue "$(cat "$TMP/again.json")"
before=$(snapshot)
reject 2 "give \"command\" or \"argv\", not both" q enqueue '{"command":"echo x","argv":["echo","y"]}'
reject 2 "invalid job: invalid argv: it is empty" q enqueue '{"argv":[]}'
reject 2 "\"argv\" must be an array of strings" q enqueue '{"argv":["echo",1]}'
reject 2 "invalid job: invalid argv: the program is empty" q enqueue '{"argv":[""]}'
reject 2 "\"command\" or \"argv\" is missing" q enqueue '{"id":"x"}'

# --- Programs that cannot be run: as the shell's 127 and 126, attempts counted.
printf 'echo never\n' >"$TMP/not-executable"
chmod 644 "$TMP/not-executable"
check_ok q enqueue --id missing --max-retries 1 -- /no/such/program --flag
check_ok q enqueue --id noexec --max-retries 0 -- "$TMP/not-executable"
start_worker
for id in words several shell json again missing noexec; do
	wait_for 20 sh -c "[ \"\$('$QUEUECTL' info --json $id | jq -r .state)\" = completed ] ||
		[ \"\$('$QUEUECTL' info --json $id | jq -r .state)\" = dead ]"
done
check_ok q logs words
assert_eq "[a b][\$HOME][*][it's][]" "$out" "the words as given"
check_ok q logs several
assert_eq "twowords" "$out" "several words without --"
check_ok q logs shell
assert_eq "/bin/sh" "$out" "a shell command, run by /bin/sh"
check_ok q logs again
assert_eq "from json" "$out" "the re-enqueued object"
check_ok q info --json missing
assert_eq "dead 2 127" "$(jq -r '"\(.state) \(.attempts) \(.exit_code)"' <<<"$out")" \
	"missing: dead after its retries, exit code 127"
assert_eq "command not found: '/no/such/program': No such file or directory (exit status 127)" \
	"$(jq -r .last_error <<<"$out")" "missing: last_error"
check_ok q info --json noexec
assert_eq "dead 1 126" "$(jq -r '"\(.state) \(.attempts) \(.exit_code)"' <<<"$out")" \
	"noexec: exit code 126"
assert_match "^command cannot be run: '.*/not-executable': Permission denied \(exit status 126\)$" \
	"$(jq -r .last_error <<<"$out")" "noexec: last_error"
assert_eq 0 "$(grep -c 'cannot start job' "$TMP/worker.log")" "never tried again as a start"

# --- The same outcome through the shell and as a word list: state, exit code, output.
i=0
while IFS='|' read -r shell words; do
	i=$((i + 1))
	shell=${shell//TMP_NOT_EXECUTABLE/$TMP/not-executable}
	words=${words//TMP_NOT_EXECUTABLE/$TMP/not-executable}
	check_ok q enqueue --id "sh$i" --max-retries 0 "$shell"
	eval "set -- $words"
	check_ok q enqueue --id "wl$i" --max-retries 0 -- "$@"
done <<'TABLE'
printf '%s-%s' a 'b c'|printf '%s-%s' a 'b c'
false|false
sh -c 'echo out; exit 7'|sh -c 'echo out; exit 7'
/no/such/program|/no/such/program
TMP_NOT_EXECUTABLE|TMP_NOT_EXECUTABLE
echo "$QUEUECTL_ATTEMPT"|sh -c 'echo "$QUEUECTL_ATTEMPT"'
TABLE
for k in $(seq "$i"); do
	wait_for 20 sh -c "[ \"\$('$QUEUECTL' info --json sh$k | jq -r .state)\" = completed ] ||
		[ \"\$('$QUEUECTL' info --json sh$k | jq -r .state)\" = dead ]"
	wait_for 20 sh -c "[ \"\$('$QUEUECTL' info --json wl$k | jq -r .state)\" = completed ] ||
		[ \"\$('$QUEUECTL' info --json wl$k | jq -r .state)\" = dead ]"
	a=$(q info --json "sh$k" | jq -r '"\(.state) \(.exit_code)"')
	b=$(q info --json "wl$k" | jq -r '"\(.state) \(.exit_code)"')
	assert_eq "$a" "$b" "row $k: state and exit code, shell and word list"
done
for k in 1 3 6; do
	assert_eq "$(q logs "sh$k")" "$(q logs "wl$k")" "row $k: output, shell and word list"
done

finish
