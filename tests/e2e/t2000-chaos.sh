#!/bin/bash
# t2000-chaos: workers SIGKILLed at random while they work, and an 'enqueue --file' SIGKILLed
# in the middle of its transaction.  Covers:
# - 3,000 jobs that each append their id to one file; three 'worker start --count 2'
#   processes; about once a second a random worker is frozen, the jobs then processing are
#   noted, and it is SIGKILLed and replaced by a new worker (which recovers the dead one's
#   jobs at its start).  Afterwards every job is completed with one attempt, none is
#   processing, every id ran at least once, and an id ran more than once only if it was
#   processing at a kill, at most once more per kill that caught it; no more re-runs than
#   kills times slots; 'worker stop' stops the three survivors.
# - Frozen workers beside the kills: every fourth time the victim is not killed but frozen
#   (SIGSTOP) for longer than the lease (4 s here, measured), then let go (SIGCONT).  Every
#   150th job runs for 6 s, longer than the lease, so that a freeze can catch one still
#   running.  Each run appends "start PID TIME" and "end PID TIME" to a file of its job, and
#   no two runs of one job may overlap (a run without an end was killed).
# - 'enqueue --file' of 50,000 lines SIGKILLed at random points while its transaction is
#   being written: the store then holds all 50,000 jobs or none, is intact, and takes the
#   whole file afterwards.  (SQLite only: with PostgreSQL the test ends before this.)
# Commands: enqueue --file, worker start, worker stop, status --json, list --json.
. "$TEST_DIR/lib.sh"

count() { q status --json | jq ".$1"; }
nworkers() { [ "$(q status --json | jq '.workers | length')" = "$1" ]; }
ncompleted() { [ "$(count completed)" = "$1" ]; }
# workers_are PID...: status lists exactly these worker pids.
workers_are() {
	[ "$(printf '%s\n' "$@" | sort -n)" = "$(q status --json | jq -r '.workers[].pid' | sort -n)" ]
}

n=3000
chaos_secs=40 # the kill loop stops after this long, or once every job is done
lease=4
check_ok q config set lease ${lease}s
seq -f 'j%04g' 1 $n >"$TMP/want"
mkdir "$TMP/runs"
# The sleep after the echo widens the window in which a kill catches a job whose effect is
# already done: those are the jobs that run twice.
i=0
while read -r id; do
	i=$((i + 1))
	nap=0.02
	[ $((i % 150)) = 0 ] && nap=6
	r=$TMP/runs/$id
	printf '{"id":"%s","command":"echo start $$ $(date +%%s.%%N) >>%s; echo %s >>%s/ran; sleep %s; echo end $$ $(date +%%s.%%N) >>%s"}\n' \
		"$id" "$r" "$id" "$TMP" "$nap" "$r"
done <"$TMP/want" >"$TMP/jobs.jsonl"
check_ok q enqueue --file "$TMP/jobs.jsonl"
assert_eq $n "$(printf '%s\n' "$out" | wc -l)" "ids printed by enqueue --file"

alive=()
for _ in 1 2 3; do
	start_worker --count 2
	alive+=("$worker_pid")
done
wait_for 10 nworkers 3

# The kill loop.  The victim is frozen (SIGSTOP) first, so that the list of processing jobs
# taken next holds every job it could have been running when the SIGKILL lands; the list
# also holds the other workers' jobs, which only makes it larger.  Each kill's list goes to
# its own file: caught.N.
elapsed() { [ $(($(date +%s%3N) - $1)) -gt "$2" ]; }
started=$(date +%s)
kills=0 freezes=0
: >"$TMP/killed"
while [ $(($(date +%s) - started)) -lt $chaos_secs ] && [ "$(count completed)" -lt $n ]; do
	# A random pause of 0.5 to 1.5 s chooses the moment of the kill: once a second on average.
	pause=$((500 + RANDOM % 1000))
	sleep "$((pause / 1000)).$(printf %03d $((pause % 1000)))"
	k=$((RANDOM % 3))
	victim=${alive[$k]}
	kill -STOP "$victim"
	q list --state processing --json | jq -r '.[].id' >"$TMP/caught.$kills" ||
		fail "list of processing jobs at kill $kills"
	if [ $((kills % 4)) = 3 ]; then
		# Frozen for longer than the lease, measured, then let go: it lives on.
		t0=$(date +%s%3N)
		wait_for 20 elapsed "$t0" $((lease * 1000 + 1000))
		kill -CONT "$victim"
		freezes=$((freezes + 1))
		kills=$((kills + 1))
		continue
	fi
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null
	assert_eq 137 "$?" "exit status of killed worker $victim"
	echo "$victim" >>"$TMP/killed"
	kills=$((kills + 1))
	start_worker --count 2
	alive[k]=$worker_pid
done
chaos=$(($(date +%s) - started))
# The test means something only if kills caught jobs running (on a fast machine the jobs
# may all be done after a few kills).
checks=$((checks + 1))
[ $kills -ge 5 ] || fail "only $kills kills in ${chaos}s"
checks=$((checks + 1))
[ -n "$(cat "$TMP"/caught.*)" ] || fail "no kill caught a job processing"
echo "# $kills kills ($freezes of them freezes) in ${chaos}s; $(count completed) of $n jobs completed by then"

# The survivors drain the rest.  The kill loop ran for at most $chaos_secs s, so the total
# stays near a minute.
wait_for 400 ncompleted $n
# The killed workers are forgotten (the last one by its replacement, which may still be
# starting), and only the three alive are listed.
wait_for 10 workers_are "${alive[@]}"
echo "# all $n jobs completed $(($(date +%s) - started))s after the first kill"

check_ok q status --json
assert_eq "0 0 $n 0 0" "$(jq -r '"\(.pending) \(.processing) \(.completed) \(.failed) \(.dead)"' <<<"$out")" \
	"counts by state"
assert_eq "$(cat "$TMP/want")" "$(sort -u "$TMP/ran")" "ids that ran at least once"
# No two runs of one job overlap: each run's interval (from its start and end lines, by its
# shell's pid; a run without an end was killed) against every other's.
overlaps=$(for f in "$TMP"/runs/*; do
	awk -v id="${f##*/}" '$1 == "start" { s[$2] = $3 } $1 == "end" { e[$2] = $3 }
		END { for (a in e) for (b in e) if (a < b && s[a] < e[b] && s[b] < e[a]) print id }' "$f"
done | head -n 5 | tr '\n' ' ')
assert_eq "" "$overlaps" "jobs with two runs at once"
check_ok q list --json
assert_eq $n "$(jq '[.[] | select(.state == "completed" and .attempts == 1)] | length' <<<"$out")" \
	"completed jobs with one attempt (a crash does not count as one)"

# Every extra run must be paid for by a kill that caught the job processing.
sort "$TMP/ran" | uniq -c | awk '$1 > 1 { print $2, $1 - 1 }' >"$TMP/extra"
cat "$TMP"/caught.* | sort | uniq -c | awk '{ print $2, $1 }' >"$TMP/caught"
over=$(awk 'NR == FNR { caught[$1] = $2; next } $2 > caught[$1] + 0 { print }' \
	"$TMP/caught" "$TMP/extra" | head -n 5 | tr '\n' ' ')
assert_eq "" "$over" "ids run more often than kills caught them processing (id, extra runs)"
dups=$(awk '{ s += $2 } END { print s + 0 }' "$TMP/extra")
# A kill of a 2-slot worker runs again its 2 running jobs, and the jobs that had ended but
# whose results it had not written yet: with claims ahead the next jobs start first, so up
# to 2 more.
checks=$((checks + 1))
[ "$dups" -le $((kills * 4)) ] || fail "$dups extra runs for $kills kills of 2-slot workers"
# The store's own run counter agrees: a job claimed again after a kill must have been
# processing at that kill.
sql "SELECT id, runs - 1 FROM jobs WHERE runs > 1" | tr '|' ' ' >"$TMP/reclaimed"
over=$(awk 'NR == FNR { caught[$1] = $2; next } $2 > caught[$1] + 0 { print }' \
	"$TMP/caught" "$TMP/reclaimed" | head -n 5 | tr '\n' ' ')
assert_eq "" "$over" "jobs claimed again without a kill that caught them (id, extra claims)"
echo "# $dups extra runs of $(wc -l <"$TMP/extra") jobs, $(wc -l <"$TMP/reclaimed") jobs claimed again"

check_ok q worker stop
assert_eq "stopped 3 workers" "$out" "worker stop"
for w in "${alive[@]}"; do
	wait_for 10 gone "$w"
	wait "$w"
	assert_eq 0 "$?" "exit status of worker $w"
done

# What follows kills enqueues while their transaction spills into SQLite's write-ahead log:
# a server has no such file, and the PostgreSQL run ends here.
if [ -n "$PG" ]; then
	finish
	exit 0
fi

# --- enqueue --file SIGKILLed mid-transaction: all of the file or nothing.
big=50000
for i in $(seq 1 $big); do printf '{"command":"echo %d"}\n' "$i"; done >"$TMP/big.jsonl"

# wal_over DB BYTES PID: the enqueue has written BYTES of its transaction to the WAL, or ended.
wal_over() {
	[ "$(stat -c %s "$1-wal" 2>/dev/null || echo 0)" -ge "$2" ] || gone "$3"
}
total() { q --db "$1" status --json | jq .total; }

mid=0
for trial in 1 2 3 4; do
	db=$TMP/kill$trial.db
	check_ok q --db "$db" status # the schema alone, so that the WAL grows only with jobs
	# Kill once the transaction has spilled between ~100 KB and ~6 MB to the WAL (the
	# whole file makes about 10 MB): a random point inside it.
	at=$((100000 + (RANDOM * 32768 + RANDOM) % 6000000))
	"$QUEUECTL" --db "$db" enqueue --file "$TMP/big.jsonl" >"$TMP/big.out" 2>"$TMP/big.err" &
	pid=$!
	worker_pids="$worker_pids $pid"
	wait_for 60 wal_over "$db" $at $pid
	kill -KILL $pid
	wait $pid 2>/dev/null
	rc=$?
	got=$(total "$db")
	echo "# trial $trial: killed at WAL size >= $at bytes: exit $rc, $got jobs stored"
	if [ $rc -eq 137 ]; then
		mid=$((mid + 1))
		checks=$((checks + 1))
		[ "$got" = 0 ] || [ "$got" = $big ] || fail "trial $trial: killed enqueue left $got jobs"
	else
		assert_eq "0 $big" "$rc $got" "trial $trial: enqueue ended before the kill"
	fi
	assert_eq ok "$(sqlite3 "$db" 'PRAGMA integrity_check')" "trial $trial: integrity check"
	assert_eq "$got" "$(sqlite3 "$db" 'SELECT count(*) FROM jobs')" \
		"trial $trial: the counts table agrees with the rows"
done
checks=$((checks + 1))
[ $mid -ge 2 ] || fail "only $mid of 4 kills landed while the enqueue was running"

# Once more on the last store, to the end: the killed transaction left no lock behind.
before_n=$(total "$db")
check_ok q --db "$db" enqueue --file "$TMP/big.jsonl"
assert_eq $big "$(printf '%s\n' "$out" | wc -l)" "ids printed by the complete enqueue"
assert_eq $((before_n + big)) "$(total "$db")" "jobs stored by the complete enqueue"
assert_eq ok "$(sqlite3 "$db" 'PRAGMA integrity_check')" "integrity after the complete enqueue"
out=

finish
