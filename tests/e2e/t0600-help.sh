#!/bin/bash
# t0600-help.sh - --help, help COMMAND, COMMAND --help, --version, and what a usage error
# says; help never touches the store.
# Commands: --help, -h, help, --version, -V, and --help of every command and subcommand.
. "$TEST_DIR/lib.sh"

commands='enqueue status list info logs wait delete purge migrate completion'
subcommands='worker start|worker stop|dlq list|dlq retry|config get|config set|config reset|config show'
before=$(snapshot)
assert_eq none "$before" "no store to begin with"

# --- The command list: --help, -h and help all print it on stdout, with every command.
check_ok q --help
list=$out
assert_eq "" "$err" "stderr of --help"
assert_match '^usage: queuectl ' "$(head -n1 <<<"$list")" "first line of --help"
for c in $commands; do
	assert_match "^  $c +[a-z]" "$(grep "^  $c " <<<"$list")" "--help lists $c"
done
while IFS= read -r c; do
	assert_match "^  $c +[a-z]" "$(grep "^  $c " <<<"$list")" "--help lists $c"
done <<<"${subcommands//|/$'\n'}"
assert_match '--db PATH' "$list" "--help names --db"
assert_match '--version' "$list" "--help names --version"
check_ok q -h
assert_eq "$list" "$out" "-h is --help"
check_ok q help
assert_eq "$list" "$out" "help is --help"
# No command at all is bad usage, but still shows the list.
run q
checks=$((checks + 1))
[ "$status" -eq 2 ] || fail "'queuectl' with no command exited $status, expected 2"
assert_match '^usage: queuectl ' "$out$err" "usage shown for no command"

# --- --version.
check_ok q --version
assert_match '^queuectl [0-9]+\.[0-9]+(\.[0-9]+)?' "$out" "--version"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "--version is one line"
version=$out
check_ok q -V
assert_eq "$version" "$out" "-V"

# --- help COMMAND and COMMAND --help: the same text, starting with the usage line.
for c in $commands dlq config worker; do
	check_ok q help "$c"
	help=$out
	assert_match "^usage: queuectl $c( |$)" "$(head -n1 <<<"$help")" "help $c usage line"
	assert_eq "" "$err" "stderr of help $c"
	check_ok q "$c" --help
	assert_eq "$help" "$out" "$c --help is help $c"
	check_ok q "$c" -h
	assert_eq "$help" "$out" "$c -h is help $c"
done
check_ok q help enqueue
for opt in --id --max-retries --priority --run-at --delay --timeout --queue --file; do
	assert_match "^  $opt " "$(grep -- "^  $opt " <<<"$out")" "help enqueue describes $opt"
done
check_ok q help list
for opt in --state --queue --limit --json; do
	assert_match "^  $opt " "$(grep -- "^  $opt " <<<"$out")" "help list describes $opt"
done
check_ok q help config
for sub in get set show; do
	assert_match "^  config $sub " "$(grep "^  config $sub " <<<"$out")" "help config lists config $sub"
done
check_ok q help dlq retry
assert_match '^usage: queuectl dlq retry ' "$(head -n1 <<<"$out")" "help dlq retry usage line"
assert_match '--all' "$out" "help dlq retry describes --all"
check_ok q help config set
assert_match '^usage: queuectl config set KEY VALUE' "$(head -n1 <<<"$out")" "help config set usage line"
assert_match 'underscore' "$out" "help config set mentions the underscore spelling"

# --- Errors: unknown commands and options.
reject 2 "^queuectl: no command 'bogus' \(see 'queuectl --help'\)$" q help bogus
reject 2 "^queuectl: unknown command 'bogus' \(one of: enqueue, worker, status, list, info, logs, wait, dlq, config, delete, purge, stats, web, migrate, completion\)$" \
	q bogus
reject 2 "^queuectl: unknown option '--bogus' \(see 'queuectl --help'\)$" q --bogus
reject 2 "^queuectl: option '--db' needs a value$" q --db

# Help and errors made no store.
assert_unchanged "$before"
! store_exists || fail "help created the database"

# --- A subcommand's help names it in full.
while IFS= read -r c; do
	check_ok q help $c </dev/null
	help=$out
	assert_match "^usage: queuectl $c " "$(head -n1 <<<"$help")" "help $c usage line"
	check_ok q $c --help </dev/null
	assert_match "^usage: queuectl $c " "$(head -n1 <<<"$out")" "$c --help usage line"
	assert_eq "$help" "$out" "$c --help is help $c"
done <<<"${subcommands//|/$'\n'}"

# --- A usage error names the command in full and points at its help, which works.
check_ok q enqueue --id seed true
before=$(snapshot)
while IFS='|' read -r cmd args; do
	reject 2 "^queuectl: $cmd: .* \(see 'queuectl help $cmd'\)$" q $cmd $args </dev/null
	check_ok q help $cmd </dev/null
	assert_match "^usage: queuectl $cmd " "$(head -n1 <<<"$out")" "the help that the error names"
done <<'EOF'
enqueue|
list|extra
info|
purge|
migrate|extra
delete|
status|extra
dlq list|extra
dlq retry|
config get|
config set|max-retries
config show|extra
worker start|--count
EOF

finish
