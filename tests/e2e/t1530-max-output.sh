#!/bin/bash
# t1530-max-output: output past the max-output setting is not kept.  The first and the last
# halves of an attempt's output stay, with a marker between; while a job runs, its log is
# cut back about every second, so the disk never holds much more than the limit.
# Commands: config set max-output, enqueue, worker start, logs, info.
. "$TEST_DIR/lib.sh"

check_ok q config set max-output 64K
assert_eq "max-output = 65536" "$out" "64K in bytes"
check_fail 2 "^queuectl: invalid max-output '1K': must be between 64K and 1024G$" \
	q config set max-output 1K
check_fail 2 "^queuectl: invalid max-output '10X': not a size" q config set max-output 10X
# A sign is no size (the fuzzer found -10432800032841m overflowing the multiplication).
check_fail 2 "^queuectl: invalid max-output '-10432800032841m': not a size" \
	q config set max-output -10432800032841m
check_fail 2 "^queuectl: invalid max-output '\+4M': not a size" q config set max-output +4M

# Fast: 10 MB in one go, the job over before any check while it runs.
check_ok q enqueue --id fast "echo FIRST; head -c 10000000 /dev/zero | tr '\\0' x; echo; echo LAST"
# Slow: 6 MB in 200 KB pieces 0.1 s apart; after each piece it notes its log's size.
check_ok q enqueue --id slow "echo FIRST
for i in \$(seq 30); do
	head -c 200000 /dev/zero | tr '\\0' y
	size=\$(stat -L -c %s /proc/\$\$/fd/1)
	echo \$size >>'$TMP/sizes'
	sleep 0.1
done
echo; echo LAST"
start_worker --count 2
wait_for 60 state_is fast completed
wait_for 60 state_is slow completed

for id in fast slow; do
	check_ok q info --json "$id"
	log=$(jq -r '.history[0].log' <<<"$out")
	size=$(stat -c %s "$log")
	[ "$size" -le $((65536 + 4096)) ] || fail "$id: log of $size bytes, past max-output"
	[ "$size" -ge 60000 ] || fail "$id: log of only $size bytes"
	assert_eq FIRST "$(head -n 1 "$log")" "$id: the first line kept"
	assert_eq LAST "$(tail -n 1 "$log")" "$id: the last line kept"
	assert_eq 1 "$(grep -c -a 'queuectl: output past max-output left out here' "$log")" "$id: one marker"
	assert_match "job $id: [0-9]+ bytes of output past max-output left out" \
		"$(cat "$TMP/worker.log")" "$id: the worker says so"
done
# While the slow job ran, its log was cut back: it never held more than 64 KiB and what a
# second of writing adds (about 2 MB here), against 6 MB written.
max=$(sort -n "$TMP/sizes" | tail -n 1)
echo "# the slow job's log peaked at $max bytes"
[ "$max" -lt 3000000 ] || fail "the slow job's log reached $max bytes while it ran"

finish
