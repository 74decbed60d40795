#!/bin/bash
# t1300-crash-recovery: a worker killed with SIGKILL in the middle of its jobs.  Covers: its
# jobs stay processing until another worker starts on this host, which sees at once that the
# dead worker's pid is gone (far sooner than the 30 s lease) and returns them to pending
# without counting an attempt; every job then completes with attempts 1 and one history row;
# the dead worker leaves 'status'; the killed attempt's processes are not left running beside
# the new attempt (no job runs twice at the same time).
. "$TEST_DIR/lib.sh"

count() { q status --json | jq ".$1"; }
has_count() { [ "$(count "$1")" = "$2" ]; }
all_exist() { for f in "$@"; do [ -e "$f" ] || return 1; done; }

check_ok q config get lease
assert_eq 30 "$out" "default lease" # recovery below must not be lease expiry

# Each run records its shell's pid, then sleeps.  A run that finds the pid of an earlier run
# of the same job still alive (a zombie is not) notes its attempt in ID.overlap.
cat >"$TMP/job.sh" <<'EOF'
id=$1 dir=$(dirname "$0")
if [ -e "$dir/$id.pid" ] && stat=$(cat "/proc/$(cat "$dir/$id.pid")/stat" 2>/dev/null) &&
	stat=${stat##*) } && [ "${stat%% *}" != Z ]; then
	echo "$QUEUECTL_ATTEMPT" >>"$dir/$id.overlap"
fi
echo $$ >"$dir/$id.pid"
sleep 2
EOF
jobs="j1 j2 j3"
for id in $jobs; do
	check_ok q enqueue --id "$id" --max-retries 0 "sh $TMP/job.sh $id"
done

start_worker --count 3
victim=$worker_pid
wait_for 10 all_exist "$TMP/j1.pid" "$TMP/j2.pid" "$TMP/j3.pid"
assert_eq 3 "$(count processing)" "jobs processing before the crash"
kill -KILL "$victim"
wait "$victim" 2>/dev/null # no "Killed" notice from bash
assert_eq 137 "$?" "exit status of the killed worker"

# Nobody has noticed yet: the jobs are still the dead worker's.
assert_eq 3 "$(count processing)" "jobs processing after the crash"
check_ok q status --json
assert_eq "$victim" "$(jq -r '.workers[].pid' <<<"$out")" "the dead worker is still listed"

started=$(date +%s)
start_worker
rescuer=$worker_pid
wait_for 20 has_count completed 3
elapsed=$(($(date +%s) - started))
checks=$((checks + 1))
[ "$elapsed" -lt 15 ] || fail "recovery took ${elapsed}s: the dead pid was not noticed at once"
assert_match "returned 3 jobs of dead worker $victim to pending" "$(cat "$TMP/worker.log")" \
	"the new worker's log"

check_ok q status --json
assert_eq "0 0 3 0 0" "$(jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead)"' <<<"$out")" \
	"counts by state"
assert_eq "$rescuer" "$(jq -r '.workers[].pid' <<<"$out")" "workers: the dead one is gone"
for id in $jobs; do
	check_ok q info --json "$id"
	assert_eq "completed 1 2" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$out")" \
		"$id: state, attempts, runs"
	assert_eq "2:1:completed" "$(jq -r '[.history[] | "\(.run):\(.attempt):\(.outcome)"] | join(" ")' <<<"$out")" \
		"$id: history (the killed run is not an attempt)"
done

stop_worker "$rescuer"
assert_eq 0 "$rc" "exit status of the new worker"

# No job ran twice at once: the killed worker's job processes must not be left running
# beside the new attempt.
out= err=
for id in $jobs; do
	assert_eq "" "$(cat "$TMP/$id.overlap" 2>/dev/null)" \
		"$id: the new attempt started while the killed attempt was still running"
done

finish
