#!/bin/bash
# t0400-config.sh - settings stored with the queue: config show [--json], config get KEY,
# config set KEY VALUE.  Keys max-retries, backoff-base, backoff-max, job-timeout, lease,
# also spelt with underscores; values validated; a new job copies max-retries (and
# job-timeout) when it is enqueued, and existing jobs keep theirs.
# Commands: config show, config get, config set, enqueue, info.
. "$TEST_DIR/lib.sh"

keys='max-retries, backoff-base, backoff-max, job-timeout, lease, durability, max-output'

# --- Unknown keys are refused before a store is made.
before=$(snapshot)
assert_eq none "$before" "no store yet"
reject 2 "^queuectl: unknown config key 'bogus' \(valid: $keys\)$" q config set bogus 1
reject 2 "^queuectl: unknown config key 'bogus' \(valid: $keys\)$" q config get bogus

# --- The defaults.
check_ok q config show --json
assert_eq 1 "$(jq -s length <<<"$out")" "one JSON value"
assert_eq true "$(jq '. == {"max-retries": 3, "backoff-base": 2, "backoff-max": 3600,
	"job-timeout": 0, "lease": 30, "durability": "normal", "max-output": 8388608}' <<<"$out")" "config show --json defaults"
check_ok q config show
assert_eq 7 "$(printf '%s\n' "$out" | wc -l)" "config show lines"
for kv in max-retries:3 backoff-base:2 backoff-max:3600 job-timeout:0 lease:30; do
	assert_match "^${kv%%:*} +${kv#*:} " "$(grep "^${kv%%:*} " <<<"$out")" "config show line of ${kv%%:*}"
done
assert_eq "" "$(grep '(changed)' <<<"$out")" "no value marked changed"
for kv in max-retries:3 max_retries:3 backoff-base:2 backoff_base:2 backoff-max:3600 backoff_max:3600 \
	job-timeout:0 job_timeout:0 lease:30; do
	check_ok q config get "${kv%%:*}"
	assert_eq "${kv#*:}" "$out" "config get ${kv%%:*}"
done

# --- A job enqueued now takes the default max-retries.
check_ok q enqueue --id old true

# --- Values are validated; nothing is written when one is wrong.
before=$(snapshot)
reject 2 "^queuectl: unknown config key 'max-retry' \(valid: $keys\)$" q config set max-retry 5
reject 2 "unknown config key 'MAX-RETRIES'" q config set MAX-RETRIES 5
reject 2 "unknown config key 'nope'" q config get nope
reject 2 "^queuectl: invalid max-retries 'abc': not a whole number$" q config set max-retries abc
reject 2 "^queuectl: invalid max-retries '-1': must be between 0 and 1000$" q config set max-retries -1
reject 2 "invalid max-retries '1001': must be between 0 and 1000" q config set max_retries 1001
reject 2 "invalid max-retries '1.5': not a whole number" q config set max-retries 1.5
reject 2 "invalid max-retries '': not a whole number" q config set max-retries ''
reject 2 "invalid max-retries '99999999999999999999'" q config set max-retries 99999999999999999999
reject 2 "^queuectl: invalid backoff-base 'abc': not a number$" q config set backoff-base abc
reject 2 "invalid backoff-base '-2'" q config set backoff-base -2
reject 2 "invalid backoff-base '0.5': must be between 1 and 1000" q config set backoff_base 0.5
reject 2 "invalid backoff-base 'nan'" q config set backoff-base nan
reject 2 "invalid backoff-base 'inf'" q config set backoff-base inf
reject 2 "^queuectl: backoff-max: invalid duration '-1'" q config set backoff-max -1
reject 2 "backoff-max: invalid duration '5x'" q config set backoff-max 5x
reject 2 "backoff-max: invalid duration '99999999999': longer than 10 years" q config set backoff-max 99999999999
reject 2 "job-timeout: invalid duration 'abc'" q config set job_timeout abc
reject 2 "^queuectl: invalid lease '1': must be between 2 and 86400 seconds$" q config set lease 1
reject 2 "invalid lease '2d': must be between 2 and 86400 seconds" q config set lease 2d
reject 2 "^queuectl: .*expected KEY VALUE" q config set max-retries
reject 2 "expected KEY VALUE" q config set max-retries 5 6
reject 2 "expected KEY" q config get
reject 2 "^queuectl: config: missing subcommand \(one of: get, set, reset, show\)$" q config
reject 2 "^queuectl: config: unknown command 'list' \(one of: get, set, reset, show\)$" q config list
reject 2 "unexpected argument 'extra'" q config show extra
check_ok q config get max-retries
assert_eq 3 "$out" "max-retries after the refusals"

# --- Setting values: the canonical value is printed and every later process sees it.
check_ok q config set max-retries 5
assert_eq "max-retries = 5" "$out" "config set output"
check_ok q config set max_retries 6
assert_eq "max-retries = 6" "$out" "underscore spelling sets the same key"
check_ok q config set backoff-base 1.5
assert_eq "backoff-base = 1.5" "$out" "config set backoff-base"
check_ok q config set backoff-max 2h
assert_eq "backoff-max = 7200" "$out" "durations are stored as seconds"
check_ok q config set job_timeout 90s
assert_eq "job-timeout = 90" "$out" "config set job_timeout"
check_ok q config set lease 5m
assert_eq "lease = 300" "$out" "config set lease"
check_ok q config get max-retries
assert_eq 6 "$out" "config get in a new process"
check_ok q config get backoff_max
assert_eq 7200 "$out" "config get backoff_max"
check_ok q config show --json
assert_eq true "$(jq '. == {"max-retries": 6, "backoff-base": 1.5, "backoff-max": 7200,
	"job-timeout": 90, "lease": 300, "durability": "normal", "max-output": 8388608}' <<<"$out")" "config show --json after set"
check_ok q config show
assert_eq 5 "$(grep -c '(changed)$' <<<"$out")" "every value marked changed"
assert_match '^max-retries +6 ' "$(grep '^max-retries ' <<<"$out")" "config show line after set"
# Setting a value back to its default.
check_ok q config set backoff-max 1h
assert_eq "backoff-max = 3600" "$out" "config set back to the default"
check_ok q config show
assert_eq "" "$(grep '^backoff-max .*(changed)' <<<"$out")" "the default is no longer marked changed"

# --- New jobs copy max-retries and job-timeout; the old job keeps what it had.
check_ok q enqueue --id new true
check_ok q enqueue --id new-json '{"command":"true"}'
check_ok q enqueue --id own --max-retries 1 --timeout 5s true
assert_eq "3 0" "$(q info --json old | jq -r '"\(.max_retries) \(.timeout)"')" "old job keeps max_retries 3, timeout 0"
assert_eq "6 90" "$(q info --json new | jq -r '"\(.max_retries) \(.timeout)"')" "new job takes max-retries 6, job-timeout 90"
assert_eq "6 90" "$(q info --json new-json | jq -r '"\(.max_retries) \(.timeout)"')" "new JSON job takes the config"
assert_eq "1 5" "$(q info --json own | jq -r '"\(.max_retries) \(.timeout)"')" "options beat the config"
check_ok q config set max-retries 0
check_ok q enqueue --id newer true
assert_eq 0 "$(q info --json newer | jq -r .max_retries)" "max-retries 0 applies too"
assert_eq 6 "$(q info --json new | jq -r .max_retries)" "the earlier job keeps 6"

# --- A wrong value is refused before a store is made, like a wrong key.
use_fresh_store fresh
before=$(snapshot)
assert_eq none "$before" "no store in the fresh home"
reject 2 "invalid max-retries 'abc'" q config set max-retries abc
reject 2 "invalid lease '1'" q config set lease 1

# --- durability: a choice of two words; every process that opens the store applies it.
before=$(snapshot)
reject 2 "^queuectl: invalid durability 'fast': must be normal or full$" q config set durability fast
reject 2 "^queuectl: invalid durability 'FULL': must be normal or full$" q config set durability FULL
check_ok q config set durability full
assert_eq "durability = full" "$out" "config set durability"
check_ok q config get durability
assert_eq full "$out" "durability read back by another process"
check_ok q enqueue --id durable-job true
assert_eq durable-job "$out" "enqueue with durability full"
check_ok q config show --json
assert_eq full "$(jq -r .durability <<<"$out")" "durability in config show --json"

finish
