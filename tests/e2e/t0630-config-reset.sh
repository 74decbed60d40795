#!/bin/bash
# t0630-config-reset.sh - config reset KEY returns one setting to its default and leaves the
# others as they are; config reset with no key returns them all.  It prints the settings it
# reset ("KEY = VALUE", or {"KEY": value} with --json), and config show no longer marks them
# "(changed)".  An unknown key is refused and changes nothing.
# Commands: config reset, config set, config get, config show, enqueue, info.
. "$TEST_DIR/lib.sh"

keys='max-retries, backoff-base, backoff-max, job-timeout, lease, durability, max-output'

# show_json: the settings as one compact, sorted JSON object.
show_json() { q config show --json | jq -cS .; }
# changed: the names that config show marks "(changed)", space-separated.
changed() { q config show | grep ' (changed)$' | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//'; }
# settings JQ: the defaults with JQ applied, compact and sorted (settings '.lease = 60').
settings() { jq -cS "$1" <<<"$defaults"; }

# --- An unknown key is refused before a store is made.
before=$(snapshot)
assert_eq none "$before" "no store yet"
reject 2 "^queuectl: unknown config key 'nope' \(valid: $keys\)$" q config reset nope
reject 2 "^queuectl: unknown config key 'nope'" q config reset nope --json
! store_exists || fail "config reset of an unknown key made a store"

# --- The defaults, as a fresh store has them.
check_ok q config show --json
defaults=$(jq -cS . <<<"$out")
assert_eq '{"backoff-base":2,"backoff-max":3600,"durability":"normal","job-timeout":0,"lease":30,"max-output":8388608,"max-retries":3}' \
	"$defaults" "the defaults"
assert_eq "" "$(changed)" "nothing changed in a fresh store"

# --- Change four settings.
check_ok q config set max-retries 7
check_ok q config set backoff-base 1.5
check_ok q config set lease 60
check_ok q config set durability full
assert_eq "$(settings '.["max-retries"] = 7 | .["backoff-base"] = 1.5 | .lease = 60 | .durability = "full"')" \
	"$(show_json)" "settings after four changes"
assert_eq "max-retries backoff-base lease durability" "$(changed)" "changed settings"
check_ok q enqueue --id seven true --delay 1h
assert_eq 7 "$(q info --json seven | jq .max_retries)" "a job takes max-retries 7"

# --- Reset one: it alone returns to its default.
check_ok q config reset max-retries
assert_eq "max-retries = 3" "$out" "config reset max-retries prints the value"
assert_eq "" "$err" "stderr of config reset"
check_ok q config get max-retries
assert_eq 3 "$out" "max-retries after its reset"
assert_eq "$(settings '.["backoff-base"] = 1.5 | .lease = 60 | .durability = "full"')" \
	"$(show_json)" "the other settings are untouched"
assert_eq "backoff-base lease durability" "$(changed)" "max-retries no longer marked changed"
check_ok q config show
assert_match '^max-retries +3 ' "$(grep '^max-retries ' <<<"$out")" "config show line of max-retries"
assert_match '^lease +60 .* \(changed\)$' "$(grep '^lease ' <<<"$out")" "config show line of lease"
# It applies to new jobs; a job keeps what it copied when it was enqueued.
check_ok q enqueue --id three true --delay 1h
assert_eq 3 "$(q info --json three | jq .max_retries)" "a new job takes the default max-retries"
assert_eq 7 "$(q info --json seven | jq .max_retries)" "an old job keeps its max-retries"

# The underscore spelling, and --json.
check_ok q config reset backoff_base
assert_eq "backoff-base = 2" "$out" "config reset backoff_base"
check_ok q config reset lease --json
assert_eq '{"lease":30}' "$(jq -c . <<<"$out")" "config reset lease --json"
assert_eq 1 "$(jq -s length <<<"$out")" "config reset --json prints one JSON value"
check_ok q config reset --json backoff-base
assert_eq '{"backoff-base":2}' "$(jq -c . <<<"$out")" "config reset --json KEY"
assert_eq number "$(jq -r '.["backoff-base"] | type' <<<"$out")" "config reset --json: a real is a number"
assert_eq "$(settings '.durability = "full"')" "$(show_json)" "settings after three resets"
assert_eq "durability" "$(changed)" "only durability still changed"
# Resetting a setting at its default leaves it there.
check_ok q config reset job-timeout
assert_eq "job-timeout = 0" "$out" "config reset of an unchanged setting"
assert_eq "$(settings '.durability = "full"')" "$(show_json)" "settings after resetting an unchanged one"

# --- Refusals change nothing.
before=$(snapshot)
reject 2 "^queuectl: unknown config key 'durabilty' \(valid: $keys\)$" q config reset durabilty
reject 2 "^queuectl: unknown config key 'MAX-RETRIES'" q config reset MAX-RETRIES
reject 2 "^queuectl: unknown config key ''" q config reset ''
reject 2 "^queuectl: config reset: unexpected argument 'lease' \(see 'queuectl help config reset'\)$" \
	q config reset durability lease
reject 2 "^queuectl: config reset: unknown option '--all'" q config reset --all
reject 2 "^queuectl: config reset: option '--json' takes no value" q config reset durability --json=1
assert_eq "durability" "$(changed)" "durability still changed after the refusals"

# --- Reset all: every setting at its default, each printed once, in config show's order.
check_ok q config set max-retries 9
check_ok q config set backoff-max 2h
check_ok q config set job-timeout 90s
assert_eq "max-retries backoff-max job-timeout durability" "$(changed)" "changed before reset all"
check_ok q config reset
assert_eq "$(q config show | awk '{print $1}')" "$(awk '{print $1}' <<<"$out")" \
	"config reset prints every setting, in config show's order"
assert_eq "max-retries = 3|backoff-base = 2|backoff-max = 3600|job-timeout = 0|lease = 30|durability = normal|max-output = 8388608" \
	"$(tr '\n' '|' <<<"$out" | sed 's/|$//')" "config reset prints the defaults"
assert_eq "$defaults" "$(show_json)" "every setting at its default"
assert_eq "" "$(changed)" "nothing marked changed after reset all"

# And with --json: the same object as config show --json.
check_ok q config set lease 5m
check_ok q config set durability full
check_ok q config reset --json
assert_eq 1 "$(jq -s length <<<"$out")" "config reset --json prints one JSON value"
assert_eq "$defaults" "$(jq -cS . <<<"$out")" "config reset --json: every default"
assert_eq "$defaults" "$(show_json)" "every setting at its default after reset --json"
assert_eq "" "$(changed)" "nothing marked changed"

finish
