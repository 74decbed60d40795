#!/bin/bash
# t2200-bad-input: bad input that t0100, t0110 and the per-command tests leave out.  Each is
# refused with one line on stderr naming what is wrong, exit status 2, nothing on stdout,
# and a store left exactly as it was.  Covers:
# - commands too long (1 MiB via a --file line, via stdin, via a word list; the limit's
#   edge), with bytes that are not UTF-8 (argument, JSON, --file), with NUL in --file
#   lines (escaped and raw);
# - out-of-range, negative, huge and malformed numbers for every numeric option and JSON
#   field: enqueue --priority, --max-retries; JSON priority, max_retries, timeout, delay,
#   attempts; list --limit; worker start --count; config set backoff-base, lease,
#   job-timeout;
# - bad durations wherever one is accepted (enqueue --timeout, JSON timeout and delay,
#   config set, purge --older-than, worker stop --timeout) and bad timestamps wherever one
#   is accepted (enqueue --run-at, JSON run_at, created_at, updated_at);
# - unknown ids, ambiguous and empty prefixes for logs and logs --follow.
# Commands: enqueue, list, worker start, worker stop, config set, purge, logs.
. "$TEST_DIR/lib.sh"

# Jobs whose ids share prefixes, so that a short prefix is ambiguous.
check_ok q enqueue --id abc1 true
check_ok q enqueue --id abc2 true
check_ok q enqueue --id zz9 true
before=$(snapshot)

# re TEXT: TEXT as a grep -E pattern that matches it literally.
re() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# repeat CHAR N: the character N times.
repeat() {
	head -c "$2" /dev/zero | tr '\0' "$1"
}

# --- Commands too long.  The limit is 131071 bytes, the most one argv string may hold
# (Linux's MAX_ARG_STRLEN less the NUL): a job must be runnable as 'sh -c COMMAND'.  One
# argument cannot be longer than that either (execve refuses it before queuectl runs), so
# a 1 MiB command can only come from a file, stdin, or a list of words.
mib=$(repeat a 1048576)
printf '{"command":"%s"}\n' "$mib" >"$TMP/mib.jsonl"
reject 2 '^queuectl: line 1: invalid job: invalid command: 1048576 bytes is more than the limit of 131071$' \
	q enqueue --file "$TMP/mib.jsonl"
reject 2 '^queuectl: line 1: invalid job: invalid command: 1048576 bytes is more than the limit of 131071$' \
	q enqueue --file - <"$TMP/mib.jsonl"
# The long line after good ones: still nothing stored.
{ printf '{"id":"short%d","command":"true"}\n' 1 2 3; cat "$TMP/mib.jsonl"; } >"$TMP/mib4.jsonl"
reject 2 '^queuectl: line 4: invalid job: invalid command: 1048576 bytes is more than the limit' \
	q enqueue --file "$TMP/mib4.jsonl"
# Eight words of 131000 bytes, each with its NUL: 1048008 bytes.
w=$(repeat b 131000)
reject 2 '^queuectl: invalid argv: 1048008 bytes is more than the limit of 131071$' \
	q enqueue -- "$w" "$w" "$w" "$w" "$w" "$w" "$w" "$w"
reject 2 'invalid argv: 1048008 bytes is more than the limit' \
	q enqueue --id big1 --priority 5 -- "$w" "$w" "$w" "$w" "$w" "$w" "$w" "$w"
# The edge, counted in bytes, not characters: 65536 two-byte characters are 131072 bytes.
printf '{"command":"%s"}\n' "$(repeat c 131072)" >"$TMP/edge.jsonl"
reject 2 '^queuectl: line 1: invalid job: invalid command: 131072 bytes is more than the limit of 131071$' \
	q enqueue --file "$TMP/edge.jsonl"
printf '{"command":"%s"}\n' "$(printf 'é%.0s' $(seq 65536))" >"$TMP/edge2.jsonl"
reject 2 'invalid command: 131072 bytes is more than the limit of 131071$' q enqueue --file "$TMP/edge2.jsonl"
# One byte less is a command (and the only change to the store in this test's refusals).
check_ok q enqueue --id edge "$(repeat c 131071)"
assert_eq 131071 "$(q info --json edge | jq -j .command | wc -c)" "command at the limit, stored whole"
check_ok q delete edge
# The job that came and went stays counted (the metrics' counters only grow): a new digest.
before=$(snapshot)

# --- Bytes that are not UTF-8 text.  In an argument the command is checked by queuectl; in
# JSON the parser refuses them and says where.
utf8='^queuectl: invalid command: not valid UTF-8 text \(or has control characters\)$'
reject 2 "$utf8" q enqueue $'echo \xff'
reject 2 "$utf8" q enqueue $'echo \xc3'          # a sequence cut short
reject 2 "$utf8" q enqueue $'echo \xc0\xaf'      # an overlong '/'
reject 2 "$utf8" q enqueue $'echo \xed\xa0\x80'  # a UTF-16 surrogate
reject 2 "$utf8" q enqueue $'echo \xf4\x90\x80\x80' # past U+10FFFF
reject 2 '^queuectl: invalid argv: word 2 is not valid UTF-8 text \(or has control characters\)$' q enqueue -- echo $'\xfe'
reject 2 "$utf8" q enqueue $'echo \x7f'           # DEL is a control character
reject 2 '^queuectl: invalid job JSON at line 1, column 17: unable to decode byte 0xff' \
	q enqueue $'{"command":"echo \xff"}'
reject 2 '^queuectl: invalid job JSON at line 1, column 24: invalid Unicode .\\uDCFF.' \
	q enqueue '{"command":"echo \udcff"}'
reject 2 '^queuectl: invalid job: "command" must be a string, not an integer$' q enqueue '{"command":0}'
printf '{"id":"u1","command":"true"}\n{"command":"echo \xff"}\n' >"$TMP/utf8.jsonl"
reject 2 '^queuectl: invalid job JSON at line 2, column 17: unable to decode byte 0xff' \
	q enqueue --file "$TMP/utf8.jsonl"
printf '{"id":"u1","command":"true"}\n{"command":"echo \\u007f"}\n' >"$TMP/del.jsonl"
reject 2 '^queuectl: line 2: invalid job: invalid command: not valid UTF-8 text' \
	q enqueue --file "$TMP/del.jsonl"
# A line that is not JSON at all, with a bad byte in it.
printf 'echo \xff\n' >"$TMP/notjson.jsonl"
reject 2 "^queuectl: invalid job JSON at line 1, column 4: '\\[' or '\\{' expected" \
	q enqueue --file "$TMP/notjson.jsonl"

# --- NUL in a --file line: escaped in a string, raw in a string, raw after the object.
printf '{"id":"n1","command":"true"}\n{"command":"a\\u0000b"}\n' >"$TMP/nul1.jsonl"
reject 2 '^queuectl: line 2: invalid job: invalid command: it contains a NUL byte$' \
	q enqueue --file "$TMP/nul1.jsonl"
printf '{"id":"n1","command":"true"}\n{"command":"a\0b"}\n' >"$TMP/nul2.jsonl"
reject 2 '^queuectl: invalid job JSON at line 2, column 13: control character 0x0' \
	q enqueue --file "$TMP/nul2.jsonl"
printf '{"command":"ab"}\0\n' >"$TMP/nul3.jsonl"
reject 2 '^queuectl: invalid job JSON at line 1, column 17: end of file expected' \
	q enqueue --file "$TMP/nul3.jsonl"
reject 2 'invalid job: invalid id' q enqueue '{"id":"a\u0000","command":"x"}'
reject 2 'invalid job: invalid queue name' q enqueue '{"queue":"q\u0000","command":"x"}'

# --- Numbers: options.  Only plain decimal integers in range: no sign '+', no spaces,
# no hex, no exponent, and 20 digits are out of range, not wrapped.
reject 2 "^queuectl: invalid --priority '99999999999999999999': must be between -1000000 and 1000000$" \
	q enqueue --priority 99999999999999999999 true
reject 2 "invalid --priority '-99999999999999999999': must be between -1000000 and 1000000$" \
	q enqueue --priority -99999999999999999999 true
reject 2 "invalid --priority '-1000001': must be between" q enqueue --priority -1000001 true
reject 2 "invalid --priority '9223372036854775808': must be between" q enqueue --priority 9223372036854775808 true
for bad in +5 ' 5' '5 ' 0x10 '' 5.0 -; do
	reject 2 "^queuectl: invalid --priority '$(re "$bad")': not a whole number$" q enqueue --priority "$bad" true
done
reject 2 "invalid --max-retries '-99999999999999999999': must be between 0 and 1000" \
	q enqueue --max-retries -99999999999999999999 true
reject 2 "^queuectl: invalid --max-retries '': not a whole number$" q enqueue --max-retries '' true
for bad in 0 -1 257 99999999999999999999; do
	reject 2 "^queuectl: invalid --count '$(re "$bad")': must be between 1 and 256$" q worker start --count "$bad"
done
reject 2 "^queuectl: invalid --count 'two': not a whole number$" q worker start --count two
reject 2 "^queuectl: invalid --count '': not a whole number$" q worker start --count ''
for bad in 99999999999999999999 -99999999999999999999 1000000001; do
	reject 2 "^queuectl: invalid --limit '$(re "$bad")': must be between 1 and 1000000000$" q list --limit "$bad"
done

# --- Numbers: JSON fields.  Beyond 64 bits the parser refuses; in 64 bits, the range.
job() { # job FIELDS...: the JSON of a job with command "x" and these fields
	local IFS=,
	printf '{"command":"x",%s}' "$*"
}
reject 2 '^queuectl: invalid job: "priority" must be an integer, not a real number$' q enqueue "$(job '"priority":1e300')"
reject 2 '"priority" must be between -1000000 and 1000000, not -99999999999$' q enqueue "$(job '"priority":-99999999999')"
reject 2 '"priority" must be between -1000000 and 1000000, not -9223372036854775808$' \
	q enqueue "$(job '"priority":-9223372036854775808')"
reject 2 '^queuectl: invalid job JSON at line 1, column 46: too big integer' q enqueue "$(job '"priority":99999999999999999999')"
reject 2 '^queuectl: invalid job JSON at line 1, column 47: too big negative integer' \
	q enqueue "$(job '"priority":-99999999999999999999')"
reject 2 '"max_retries" must be between 0 and 1000, not 1001$' q enqueue "$(job '"max_retries":1001')"
reject 2 '"max_retries" must be between 0 and 1000, not 9223372036854775807$' \
	q enqueue "$(job '"max_retries":9223372036854775807')"
reject 2 'invalid job JSON at line 1, column 50: too big negative integer' \
	q enqueue "$(job '"max_retries":-99999999999999999999')"
reject 2 '"max_retries" must be an integer, not a real number$' q enqueue "$(job '"max_retries":3.0')"
reject 2 '^queuectl: invalid job: "timeout" must be seconds or a duration string like "90s", not a real number$' \
	q enqueue "$(job '"timeout":1e300')"
reject 2 '"timeout" must be seconds or a duration string like "90s", not a real number' q enqueue "$(job '"timeout":1.0')"
reject 2 '"timeout" must be between 0 and 316224000, not 99999999999$' q enqueue "$(job '"timeout":99999999999')"
reject 2 '"timeout" must be between 0 and 316224000, not 9223372036854775807$' \
	q enqueue "$(job '"timeout":9223372036854775807')"
reject 2 '"timeout" must be between 0 and 316224000, not -9223372036854775808$' \
	q enqueue "$(job '"timeout":-9223372036854775808')"
reject 2 'invalid job JSON at line 1, column 44: too big integer' q enqueue "$(job '"timeout":9223372036854775808')"
reject 2 '"delay" must be seconds or a duration string like "90s", not a real number' q enqueue "$(job '"delay":1e300')"
reject 2 '"delay" must be between 0 and 316224000, not 99999999999$' q enqueue "$(job '"delay":99999999999')"
reject 2 'invalid job JSON at line 1, column 44: too big negative integer' \
	q enqueue "$(job '"delay":-99999999999999999999')"
reject 2 '"attempts" must be between 0 and 0, not -1$' q enqueue "$(job '"attempts":-1')"
reject 2 '"attempts" must be an integer, not a real number$' q enqueue "$(job '"attempts":1e300')"
# The same through --file, where the message names the line.
printf '%s\n' '{"id":"ok1","command":"x"}' "$(job '"priority":-99999999999')" >"$TMP/num.jsonl"
reject 2 '^queuectl: line 2: invalid job: "priority" must be between' q enqueue --file "$TMP/num.jsonl"
printf '%s\n' '{"id":"ok1","command":"x"}' "$(job '"timeout":1e300')" >"$TMP/num.jsonl"
reject 2 '^queuectl: line 2: invalid job: "timeout" must be seconds or a duration' q enqueue --file "$TMP/num.jsonl"

# --- Numbers: settings.
reject 2 "^queuectl: invalid backoff-base '1e300': must be between 1 and 1000$" q config set backoff-base 1e300
for bad in 1e400 1e-400 0x10 '' ' 2' '2 '; do
	reject 2 "^queuectl: invalid backoff-base '$(re "$bad")': not a number$" q config set backoff-base "$bad"
done
reject 2 "^queuectl: invalid lease '0': must be between 2 and 86400 seconds$" q config set lease 0
reject 2 "^queuectl: lease: invalid duration '99999999999': longer than 10 years$" q config set lease 99999999999
reject 2 "^queuectl: job-timeout: invalid duration '99999999999': longer than 10 years$" \
	q config set job-timeout 99999999999
reject 2 "^queuectl: job-timeout: invalid duration '316224001': longer than 10 years$" \
	q config set job-timeout 316224001

# --- Durations, in every place one is accepted.
dur="expected seconds or a number with s, m, h, d or w \(like 90s, 5m, 1h30m\)$"
for bad in -1 1e300 1h30 1.5h 5S ' 5s' '5s ' 0x10 5sec; do
	reject 2 "^queuectl: invalid duration '$(re "$bad")': $dur" q enqueue --timeout "$bad" true
done
reject 2 "^queuectl: invalid duration '': empty$" q enqueue --timeout '' true
reject 2 "^queuectl: invalid duration '99999999999': longer than 10 years$" q enqueue --timeout 99999999999 true
reject 2 "^queuectl: invalid duration '9223372036854775808s': longer than 10 years$" \
	q enqueue --timeout 9223372036854775808s true
reject 2 "invalid duration '523w': longer than 10 years$" q enqueue --delay 523w true
reject 2 "invalid duration '3661d1s': longer than 10 years$" q enqueue --delay 3661d1s true
reject 2 "^queuectl: invalid job: \"timeout\": invalid duration '': empty$" q enqueue "$(job '"timeout":""')"
reject 2 "^queuectl: invalid job: \"timeout\": invalid duration ' 5s': $dur" q enqueue "$(job '"timeout":" 5s"')"
reject 2 "^queuectl: invalid job: \"delay\": invalid duration '1h30': $dur" q enqueue "$(job '"delay":"1h30"')"
reject 2 "^queuectl: invalid job: \"delay\": invalid duration '-5s': $dur" q enqueue "$(job '"delay":"-5s"')"
reject 2 "^queuectl: invalid job: \"delay\": invalid duration '99999999999': longer than 10 years$" \
	q enqueue "$(job '"delay":"99999999999"')"
for key in lease job-timeout backoff-max; do
	reject 2 "^queuectl: $key: invalid duration '1h30': $dur" q config set $key 1h30
	reject 2 "^queuectl: $key: invalid duration '': empty$" q config set $key ''
	reject 2 "^queuectl: $key: invalid duration '-1': $dur" q config set $key -1
	reject 2 "^queuectl: $key: invalid duration '1.5h': $dur" q config set $key 1.5h
done
reject 2 "^queuectl: invalid duration '': empty$" q purge --state completed --older-than ''
reject 2 "^queuectl: invalid duration '1h30': $dur" q purge --state dead --older-than 1h30
reject 2 "^queuectl: invalid duration '1e3': $dur" q purge --state completed --older-than 1e3
reject 2 "^queuectl: invalid duration '99999999999': longer than 10 years$" \
	q purge --state completed --older-than 99999999999
for bad in -1 abc 1h30 1.5s; do
	reject 2 "^queuectl: invalid duration '$(re "$bad")': $dur" q worker stop --timeout "$bad"
done
reject 2 "^queuectl: invalid duration '': empty$" q worker stop --timeout ''
reject 2 "^queuectl: invalid duration '99999999999': longer than 10 years$" q worker stop --timeout 99999999999

# --- Timestamps, in every place one is accepted.
iso="expected ISO-8601 like 2025-11-04T10:30:00Z$"
for bad in 2025-11-04T10:30:00+24:00 2025-11-04T10:30:00+05:60 2025-11-04T10:30:00+05 \
	2025-11-04T10:30:00+0500 2025-11-04T10:30:00.Z '2025-11-04T10:30:00Z ' ' 2025-11-04T10:30:00Z' \
	'2025-11-04  10:30:00Z' 2025-11-4T10:30:00Z 10000-01-01T00:00:00Z '' 1762252200; do
	reject 2 "^queuectl: invalid timestamp '$(re "$bad")': $iso" q enqueue --run-at "$bad" true
done
for bad in 1969-12-31T23:59:59Z 2025-11-04T24:00:00Z 2025-11-04T10:60:00Z 2025-11-04T10:30:60Z \
	2100-02-29T00:00:00Z 2025-00-10T00:00:00Z 2025-11-00T00:00:00Z 2025-04-31T00:00:00Z; do
	reject 2 "^queuectl: invalid timestamp '$(re "$bad")': no such date or time$" q enqueue --run-at "$bad" true
done
reject 2 "^queuectl: invalid job: \"run_at\": invalid timestamp '': $iso" q enqueue "$(job '"run_at":""')"
reject 2 "^queuectl: invalid job: \"run_at\": invalid timestamp '2025-11-04T24:00:00Z': no such date" \
	q enqueue "$(job '"run_at":"2025-11-04T24:00:00Z"')"
reject 2 "^queuectl: invalid job: \"created_at\": invalid timestamp '2025-02-29T00:00:00Z': no such date or time$" \
	q enqueue "$(job '"created_at":"2025-02-29T00:00:00Z"')"
reject 2 "^queuectl: invalid job: \"created_at\": invalid timestamp '1969-12-31T23:59:59Z': no such date" \
	q enqueue "$(job '"created_at":"1969-12-31T23:59:59Z"')"
reject 2 "^queuectl: invalid job: \"updated_at\": invalid timestamp 'yesterday': $iso" \
	q enqueue "$(job '"updated_at":"yesterday"')"
reject 2 "^queuectl: invalid job: \"updated_at\": invalid timestamp '2025-11-04T10:30:00': $iso" \
	q enqueue "$(job '"updated_at":"2025-11-04T10:30:00"')"
reject 2 '^queuectl: invalid job: "updated_at" must be an ISO-8601 timestamp string, not an integer$' \
	q enqueue "$(job '"updated_at":5')"
reject 2 '"created_at" must be an ISO-8601 timestamp string, not a real number$' \
	q enqueue "$(job '"created_at":1.5')"
printf '%s\n' '{"id":"ok1","command":"x"}' "$(job '"updated_at":"2025-13-01T00:00:00Z"')" >"$TMP/ts.jsonl"
reject 2 "^queuectl: line 2: invalid job: \"updated_at\": invalid timestamp '2025-13-01T00:00:00Z': no such date" \
	q enqueue --file "$TMP/ts.jsonl"

# --- Unknown ids and ambiguous or empty prefixes for logs, with and without --follow
# (--follow must not wait for a job that does not exist).
# (Generated ids resolve from a prefix; these two are given so that the test knows them.)
check_ok q enqueue --id abc10000000000000000000000000001 --delay 1h true
check_ok q enqueue --id abc20000000000000000000000000002 --delay 1h true
before=$(snapshot)
reject 2 "^queuectl: job id prefix 'ab' is ambiguous: 'abc10000000000000000000000000001', 'abc20000000000000000000000000002', \.\.\.$" q logs ab
reject 2 "^queuectl: job id prefix 'abc' is ambiguous" q logs --follow abc
reject 1 "^queuectl: no job 'nope'$" q logs nope
reject 1 "^queuectl: no job 'nope'$" timeout 10 "$QUEUECTL" logs --follow nope
reject 1 "^queuectl: no job 'zz9x'$" q logs -f zz9x
reject 2 "^queuectl: empty job id$" q logs ''
reject 2 "^queuectl: empty job id$" q logs --follow ''

assert_eq "abc1 abc2 zz9 abc10000000000000000000000000001 abc20000000000000000000000000002" "$(q list --json | jq -r '[.[].id] | join(" ")')" "the jobs, after every refusal"

# --- Timestamps at and before the epoch.  Inside queuectl a run_at or created_at of 0
# means "not given", which makes the epoch itself an edge.
# Before 1970 is refused however it is written: with an offset that puts the instant
# before the epoch, too.
reject 2 "^queuectl: invalid timestamp '1970-01-01T00:00:00\+01:00': no such date or time$" \
	q enqueue --run-at 1970-01-01T00:00:00+01:00 true
reject 2 "^queuectl: invalid job: \"created_at\": invalid timestamp '1970-01-01T00:59:59\+01:00': no such date" \
	q enqueue "$(job '"created_at":"1970-01-01T00:59:59+01:00"')"
# "run_at" and "delay" together are refused whatever the run_at, the epoch itself included.
reject 2 '^queuectl: invalid job: give "run_at" or "delay", not both$' \
	q enqueue "$(job '"run_at":"1970-01-01T00:00:00Z"' '"delay":3600')"
reject 2 '^queuectl: enqueue: give --run-at or --delay, not both' \
	q enqueue --run-at 1970-01-01T00:00:00Z --delay 1h true

# --- Control characters that the input carries never reach the terminal: a message that
# quotes an id, an option or a help topic shows them as '?' and stays on one line.
esc=$(printf '\033[31mred\nline2')
reject 1 "^queuectl: no job '\?\[31mred\?line2'$" q info "$esc"
reject 2 "^queuectl: unknown option '--x\?\[2J' \(see 'queuectl --help'\)$" q "$(printf -- '--x\033[2J')"
reject 2 "^queuectl: no command 'a\?b' \(see 'queuectl --help'\)$" q help "$(printf 'a\tb')"
reject 2 "^queuectl: invalid timestamp '\?\[0m': " q enqueue --run-at "$(printf '\033[0m')" true

finish
