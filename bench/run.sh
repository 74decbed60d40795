#!/bin/bash
# run.sh - queuectl's benchmark harness: measures queuectl against small C reference
# programs (bench/*.c) and against its peers task-spooler and nq, and writes the figures
# with the machine and the exact commands to bench/RESULTS.md.
#
# Usage: bench/run.sh [--quick] [--only LIST] [--queuectl PATH] [--out FILE]
#   --quick      smaller counts, for iteration (under 2 minutes on an
#                idle 2-core machine); writes bench/RESULTS-quick.md unless --out
#   --only       run only these measurements, comma-separated, of: drain (1 and 7),
#                start (2), enqueue (3), batch (4), pickup (5), scale (6); a partial run
#                writes no file unless --out (the results go to standard output, as always)
#   --queuectl   the binary to measure (default: build/queuectl); it is copied first, so a
#                rebuild during the run changes nothing
#
# Every comparison runs its contenders in turn within each repetition (A B C A B C ...),
# so that a noisy machine slows them alike; the figure reported is the median.  The C
# programs are built, and the work files kept, in a fresh directory under $TMPDIR (default
# /tmp), removed at the end; every process started is stopped.  Installs task-spooler and
# nq with apt-get when missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
quick=0
qsrc=$repo/build/queuectl
out=
all_measurements='drain start enqueue batch pickup scale'
only=

while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--queuectl) qsrc=${2:?--queuectl needs a path}; shift ;;
	--out) out=${2:?--out needs a path}; shift ;;
	--only)
		only=${2:?--only needs a list}; shift
		for m in ${only//,/ }; do
			case " $all_measurements " in *" $m "*) ;;
			*) echo "run.sh: unknown measurement '$m' (one of: $all_measurements)" >&2; exit 2 ;;
			esac
		done ;;
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ $quick = 1 ]; then
	mode=quick
	REPS=3			# repetitions of each whole-run comparison (a median of 2 is a mean)
	DRAIN_N=200		# jobs per drain (measurements 1 and 7)
	START_N=100		# jobs per drain in measurement 2
	ENQ_CALLS=100		# enqueue calls per contender
	BATCH_N=10000		# jobs in the batch file
	PICKUP_N=50		# jobs timed for pickup latency
	SCALE_BIG=100000	# the big store (the small one is always 1,000)
	SCALE_CALLS=10		# calls per command at each size
	CLAIM_ROUNDS=3		# worker starts per store size
	RSS_JOBS=100		# jobs run by the worker whose memory is read
	[ -n "$only" ] || : "${out:=$here/RESULTS-quick.md}"
else
	mode=full
	REPS=3
	DRAIN_N=5000
	START_N=1000
	ENQ_CALLS=1000
	BATCH_N=100000
	PICKUP_N=1000
	SCALE_BIG=1000000
	SCALE_CALLS=30
	CLAIM_ROUNDS=5
	RSS_JOBS=500
	[ -n "$only" ] || : "${out:=$here/RESULTS.md}"
fi
SCALE_SMALL=1000
measurements=${only//,/ }
: "${measurements:=$all_measurements}"
# task-spooler keeps each queued job as a client process connected to its server, and the
# server takes about 1,000 connections at most: the 994th queued 'tsp true' blocks for ever.
# So it drains at most TSP_N jobs, queued before the first runs; its rate is over those.
TSP_N=$((DRAIN_N < 900 ? DRAIN_N : 900))

say() { printf '%s run.sh: %s\n' "$(date +%T)" "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# --- peers: installed like scripts/deps.sh does, only what is missing -----------------------
deps() {
	local p missing='' sudo=''
	for p in task-spooler nq gcc pkg-config libsqlite3-dev; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || fail "missing packages:$missing (run as root)"
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq || fail "apt-get update failed"
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		fail "cannot install$missing"
}
deps

# --- the work directory, the binaries -----------------------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-bench.XXXXXX") || fail "cannot make a temporary directory"
B=$T/bin			# the reference programs, built from bench/*.c
Q=$T/queuectl			# the copy of queuectl measured
tsp_socket=$T/tsp.socket	# task-spooler's server, private to this run
nq_dir=$T/nq			# nq's queue, private to this run
pids=$T/pids			# workers and tsp blockers started by a measurement

# What a measurement left running when it failed: its workers, task-spooler's blockers and
# server, nq's queued jobs.  Run after each measurement (they run in subshells) and at exit.
stop_strays() {
	local p
	if [ -f "$pids" ]; then
		while read -r p; do
			case $p in
			tsp:*) TS_SOCKET=$tsp_socket tsp -k "${p#tsp:}" >/dev/null 2>&1 ;;
			*) kill "$p" 2>/dev/null ;;
			esac
		done <"$pids"
		rm -f "$pids"
	fi
	if [ -S "$tsp_socket" ]; then
		TS_SOCKET=$tsp_socket tsp -K >/dev/null 2>&1
		rm -f "$tsp_socket"
	fi
	[ -d "$nq_dir" ] && NQDIR=$nq_dir timeout 30 nq -w >/dev/null 2>&1
	return 0
}
cleanup() {
	stop_strays
	wait
	rm -rf "$T"
}
# A measurement runs in a process group of its own (mpid, see the run below), so that an
# interrupted run stops it and every program it started (a drain, its worker) at once:
# bash runs a trap only once its foreground command is done, which could take minutes.
mpid=
interrupted() {
	[ -n "$mpid" ] && kill -TERM -- -"$mpid" 2>/dev/null
	exit 130
}
trap cleanup EXIT
trap interrupted INT TERM

# Another engineer may be rebuilding queuectl: wait a little for the binary to come back.
for _ in $(seq 60); do [ -x "$qsrc" ] && break; sleep 1; done
[ -x "$qsrc" ] || fail "no queuectl at '$qsrc' (build it: ninja -C build)"
cp "$qsrc" "$Q" || fail "cannot copy '$qsrc'"
"$Q" --version >/dev/null || fail "'$qsrc' does not run"

mkdir -p "$B"
for src in "$here"/*.c; do
	# shellcheck disable=SC2046
	cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags sqlite3) -o "$B/$(basename "$src" .c)" \
		"$src" $(pkg-config --libs sqlite3) || fail "cannot build $src"
done

# --- small helpers -------------------------------------------------------------------------
# The median of the numbers on standard input (n/a if none).
median() {
	sort -g | awk '/^-?[0-9.e+]+$/ { v[n++] = $1 }
		END { if (!n) print "n/a"; else if (n % 2) print v[(n-1)/2];
		      else printf "%.9g\n", (v[n/2-1] + v[n/2]) / 2 }'
}
# calc EXPR: floating-point arithmetic; n/a in, n/a out.
calc() {
	case "$*" in *n/a*) echo n/a; return ;; esac
	awk "BEGIN { printf \"%.6g\n\", $* }"
}
# fmt VALUE DECIMALS
fmt() {
	case $1 in n/a|'') echo n/a ;; *) awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, v }' ;; esac
}
# yesno CONDITION: "yes" if the awk condition holds, n/a if a value is missing.
yesno() {
	case "$*" in *n/a*) echo n/a; return ;; esac
	awk "BEGIN { print ($*) ? \"yes\" : \"**no**\" }"
}
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f\n", b - a }'; }

res=$T/res; mkdir -p "$res"
# add NAME VALUE: one more measurement of NAME.
add() { echo "$2" >>"$res/$1"; }
med() { if [ -f "$res/$1" ]; then median <"$res/$1"; else echo n/a; fi; }

# A fresh database in the schema this queuectl creates.
newdb() { rm -rf "$1" "$1.d" "$1-wal" "$1-shm"; "$Q" --db "$1" status >/dev/null; }
rmdb() { rm -rf "$1" "$1.d" "$1-wal" "$1-shm"; }

# jsonl N COMMAND: N jobs of one command, in enqueue --file's format.
jsonl() { awk -v n="$1" -v c="$2" 'BEGIN { for (i = 0; i < n; i++) printf "{\"command\":\"%s\"}\n", c }'; }

sections=$T/sections; mkdir -p "$sections"
# section N: the markdown of measurement N, from standard input.
section() { cat >"$sections/$1.md"; }
# goal N TARGET FIGURE MET: one row of the summary of targets at the top of the results.
# (Measurements run in subshells, so the rows go to files.)
goal() { echo "| $1 | $2 | $3 | $4 |" >>"$sections/goals-$1"; }

# --- 1, 7: drain throughput and durability; 2: start cost -----------------------------------
# Before a timed drain: the previous contender's writes (a WAL of megabytes, task-spooler's
# output files) go to disk now, not during this one.
settle() { sync; }

# drain_queuectl NAME N COMMAND DURABILITY: queue N jobs COMMAND in a fresh database, time a
# worker with 2 slots draining them; notes the seconds and the CPU per job (ms).
drain_queuectl() {
	local db=$T/drain-$1.db out ns self jobs
	newdb "$db"
	if [ "$4" = full ] && ! "$Q" --db "$db" config set durability full >/dev/null 2>"$T/full.err"; then
		echo n/a >"$res/drain.$1.na"
		rmdb "$db"
		return 0
	fi
	jsonl "$2" "$3" >"$T/jobs.jsonl"
	"$Q" --db "$db" enqueue --file "$T/jobs.jsonl" >/dev/null
	settle
	out=$("$B/drain" "$Q" "$db" 2 "$2" "$T/drain-$1.log") || return 1
	read -r ns _ self jobs <<<"$out"
	add "drain.$1" "$(calc "$ns / 1e9")"
	add "cpu.$1.self" "$(calc "$self / 1e6 / $2")"
	add "cpu.$1.jobs" "$(calc "$jobs / 1e6 / $2")"
	rmdb "$db"
}

# spawn_ref NAME N sh COMMAND | NAME N exec PATH: the C reference, 2 at a time.
spawn_ref() {
	local out ns self jobs
	settle
	out=$("$B/spawn_ref" "$2" 2 "$3" "$4") || return 1
	read -r ns self jobs <<<"$out"
	add "drain.$1" "$(calc "$ns / 1e9")"
	add "cpu.$1.self" "$(calc "$self / 1e6 / $2")"
	add "cpu.$1.jobs" "$(calc "$jobs / 1e6 / $2")"
}

drain_tsp() {
	local t last b1 b2
	export TS_SOCKET=$tsp_socket TS_MAXFINISHED=$((TSP_N + 100)) TMPDIR=$T/tsp-out
	rm -rf "$TMPDIR"; mkdir -p "$TMPDIR"
	tsp -K >/dev/null 2>&1 || true
	tsp -S 2
	# Both slots held by blockers while the jobs are queued, so that all are queued
	# before the first runs ("slots pre-filled"); killing the blockers starts the drain.
	b1=$(tsp sleep 3600) b2=$(tsp sleep 3600)
	printf 'tsp:%s\ntsp:%s\n' "$b1" "$b2" >>"$pids"
	# Untimed, but minutes of a full run: no subshell to read the id but for the last job.
	for _ in $(seq $((TSP_N - 1))); do timeout 60 tsp true >/dev/null || return 1; done
	last=$(timeout 60 tsp true) || return 1
	settle
	t=$(now)
	tsp -k "$b1" || true; tsp -k "$b2" || true
	tsp -w "$last" >/dev/null 2>&1 || true; tsp -w $((last - 1)) >/dev/null 2>&1 || true
	add drain.tsp "$(since "$t")"
	[ "$(tsp -l | awk '$2 == "finished" && $4 == 0' | wc -l)" -ge "$TSP_N" ] ||
		say "warning: task-spooler did not finish all $TSP_N jobs with status 0"
	tsp -K >/dev/null 2>&1 || true
	: >"$pids"
	rm -rf "$TMPDIR"
	unset TS_SOCKET TS_MAXFINISHED TMPDIR
}

# rate NAME N: jobs/s of the median run of NAME (n/a if it could not run).
rate() { if [ -f "$res/drain.$1.na" ]; then echo n/a; else calc "$2 / $(med "drain.$1")"; fi; }
# cpu NAME self|jobs: median CPU per job, ms.
cpu() { fmt "$(med "cpu.$1.$2")" 3; }

measure_drain() {
	local r t
	yes true | head -n "$DRAIN_N" >"$T/true.lines"
	for r in $(seq "$REPS"); do
		say "drain: repetition $r of $REPS ($DRAIN_N jobs per contender)"
		drain_queuectl true "$DRAIN_N" true normal
		drain_queuectl full "$DRAIN_N" true full
		spawn_ref ref_sh "$DRAIN_N" sh true
		settle; t=$(now); xargs -P2 -n1 sh -c <"$T/true.lines"; add drain.xargs "$(since "$t")"
		drain_tsp
	done

	local q f rs x ts tspnote=''
	q=$(rate true "$DRAIN_N") f=$(rate full "$DRAIN_N")
	rs=$(rate ref_sh "$DRAIN_N") x=$(rate xargs "$DRAIN_N") ts=$(rate tsp "$TSP_N")
	[ "$TSP_N" = "$DRAIN_N" ] || tspnote="
It drains $TSP_N jobs, not $DRAIN_N, and its rate is over those."
	goal 1 "drain >= 0.90 x the C reference" "$(fmt "$(calc "$q / $rs")" 2) x" "$(yesno "$q >= 0.9 * $rs")"
	goal 1 "drain >= xargs" "$(fmt "$(calc "$q / $x")" 2) x" "$(yesno "$q >= $x")"
	goal 1 "drain >= 2 x task-spooler" "$(fmt "$(calc "$q / $ts")" 2) x" "$(yesno "$q >= 2 * $ts")"
	section 1 <<EOF
## 1. Drain throughput

$DRAIN_N jobs \`true\` queued, then drained with 2 at a time; queuectl with durable state per
job (\`worker start --count 2\`, timed from starting the worker until the store counts them all
completed). Median of $REPS runs, contenders in turn.

| contender | median | unit | ratio to C reference | target | met |
|---|---:|---|---:|---|---|
| queuectl \`worker start --count 2\` | $(fmt "$q" 0) | jobs/s | $(fmt "$(calc "$q / $rs")" 2) | >= 0.90 x C reference | $(yesno "$q >= 0.9 * $rs") |
| C reference: posix_spawn \`/bin/sh -c true\`, 2 at a time (\`spawn_ref\`) | $(fmt "$rs" 0) | jobs/s | 1.00 | | |
| \`xargs -P2 -n1 sh -c\` | $(fmt "$x" 0) | jobs/s | $(fmt "$(calc "$x / $rs")" 2) | queuectl >= xargs | $(yesno "$q >= $x") |
| task-spooler \`tsp -S 2\` ($TSP_N jobs) | $(fmt "$ts" 0) | jobs/s | $(fmt "$(calc "$ts / $rs")" 2) | queuectl >= 2 x tsp | $(yesno "$q >= 2 * $ts") |
| nq | not measured | | | | |

CPU per job (medians): queuectl's worker $(cpu true self) ms and its jobs $(cpu true jobs) ms; the C
reference $(cpu ref_sh self) ms and its jobs $(cpu ref_sh jobs) ms.

nq is not in the drain: it runs one job at a time, and each job starts as soon as it is queued
(every \`nq\` call forks a process that waits on the locks of all earlier jobs), so there is no
"queue first, then drain with 2 slots" to compare. Its enqueue cost is in measurement 3.
task-spooler runs \`true\` by execvp, without a shell; its time counts from the \`tsp -k\` of the
two blockers that held its slots while the jobs were queued.$tspnote Each job queued is a
\`tsp\` client process that waits, connected to the server, and the server takes about 1,000
connections at most (the 994th \`tsp true\` blocks for ever), so at most 900 are queued.

\`\`\`sh
# queuectl (fresh database per run)
queuectl --db D status; queuectl --db D enqueue --file jobs.jsonl   # $DRAIN_N lines {"command":"true"}
bench/drain queuectl D 2 $DRAIN_N LOG     # starts 'queuectl --db D worker start --count 2', polls counts every 5 ms
# C reference
bench/spawn_ref $DRAIN_N 2 sh true
# xargs
xargs -P2 -n1 sh -c < true.lines             # $DRAIN_N lines 'true'
# task-spooler (private TS_SOCKET, TS_MAXFINISHED=$((TSP_N + 100)), TMPDIR for its output files)
tsp -S 2; b1=\$(tsp sleep 3600); b2=\$(tsp sleep 3600)
for i in \$(seq $((TSP_N - 1))); do tsp true > /dev/null; done; last=\$(tsp true)
# timed from here:
tsp -k \$b1; tsp -k \$b2; tsp -w \$last; tsp -w \$((last - 1))
\`\`\`
EOF
	local fnote
	fnote="\`queuectl config set durability full\` was refused by this queuectl: $(head -c 200 "$T/full.err" 2>/dev/null)"
	[ -f "$res/drain.full.na" ] || fnote="synchronous=FULL syncs the WAL at every commit."
	section 7 <<EOF
## 7. Durability cost

The drain of measurement 1 (\`true\`, 2 slots, $DRAIN_N jobs) with the default \`durability
normal\` (SQLite synchronous=NORMAL in WAL mode) and with \`durability full\`
(synchronous=FULL), in turn in the same repetitions. $fnote

| contender | median | unit | ratio to normal |
|---|---:|---|---:|
| queuectl, durability normal | $(fmt "$q" 0) | jobs/s | 1.00 |
| queuectl, durability full | $(fmt "$f" 0) | jobs/s | $(fmt "$(calc "$f / $q")" 2) |

\`\`\`sh
queuectl --db D config set durability full
queuectl --db D enqueue --file jobs.jsonl; bench/drain queuectl D 2 $DRAIN_N LOG
\`\`\`
EOF
}

# Measurement 2.  `true` is a builtin of dash, so `sh -c true` execs only once, as a direct
# exec of `true` would: that pair cannot show the shell's cost.  `/bin/true` can: a shell
# runs it as a second exec, and `/bin/true;` (not a plain word list) always needs the shell.
measure_start() {
	local r
	for r in $(seq "$REPS"); do
		say "start: repetition $r of $REPS ($START_N jobs per contender)"
		drain_queuectl word "$START_N" /bin/true normal
		drain_queuectl shell "$START_N" '/bin/true;' normal
		spawn_ref ref_exec "$START_N" exec /bin/true
		spawn_ref ref_shell "$START_N" sh /bin/true
	done

	local w s re rs slot_w slot_s slot_re slot_rs
	w=$(rate word "$START_N") s=$(rate shell "$START_N")
	re=$(rate ref_exec "$START_N") rs=$(rate ref_shell "$START_N")
	# 2 slots busy all along: each job holds one for 2 / rate seconds.
	slot_w=$(calc "2e3 / $w") slot_s=$(calc "2e3 / $s")
	slot_re=$(calc "2e3 / $re") slot_rs=$(calc "2e3 / $rs")
	section 2 <<EOF
## 2. Start cost of a job: word list or shell

The drain of measurement 1 ($START_N jobs, 2 slots) with the command \`/bin/true\`, a plain
word list naming a program (a shell runs it as a second exec; queuectl may exec it directly),
and with \`/bin/true;\`, which needs the shell; beside the C reference for both forms. (Not
\`true\`: it is a builtin of dash, so \`sh -c true\` execs only once anyway.) Median of $REPS
runs, contenders in turn.

| contender | median | unit | slot time per job | ratio to posix_spawn \`/bin/true\` | CPU per job: starter | CPU per job: the job |
|---|---:|---|---:|---:|---:|---:|
| queuectl, command \`/bin/true\` (word list) | $(fmt "$w" 0) | jobs/s | $(fmt "$slot_w" 2) ms | $(fmt "$(calc "$w / $re")" 2) | $(cpu word self) ms | $(cpu word jobs) ms |
| queuectl, command \`/bin/true;\` (needs the shell) | $(fmt "$s" 0) | jobs/s | $(fmt "$slot_s" 2) ms | $(fmt "$(calc "$s / $re")" 2) | $(cpu shell self) ms | $(cpu shell jobs) ms |
| C reference, posix_spawn \`/bin/true\` | $(fmt "$re" 0) | jobs/s | $(fmt "$slot_re" 2) ms | 1.00 | $(cpu ref_exec self) ms | $(cpu ref_exec jobs) ms |
| C reference, posix_spawn \`/bin/sh -c /bin/true\` | $(fmt "$rs" 0) | jobs/s | $(fmt "$slot_rs" 2) ms | $(fmt "$(calc "$rs / $re")" 2) | $(cpu ref_shell self) ms | $(cpu ref_shell jobs) ms |

The shell's exec costs $(fmt "$(calc "$slot_rs - $slot_re")" 2) ms of slot time per job in the C reference (posix_spawn
\`/bin/sh -c /bin/true\` minus posix_spawn \`/bin/true\`). In queuectl, the shell form minus the
word-list form is $(fmt "$(calc "$slot_s - $slot_w")" 2) ms: about 0 (within the noise) while it runs every command through
\`/bin/sh -c\`, about the C reference's difference once it execs word lists directly.

CPU per job (medians): "starter" is the queuectl worker or the C reference itself (its
bookkeeping and the posix_spawn calls), "the job" the CPU of the reaped jobs (what the
kernel charges a fork and the exec of \`sh\` and/or \`/bin/true\`). On 2 cores both compete
for the same CPUs; the worker's figure has the 10 ms resolution of a clock tick summed over
the drain.

\`\`\`sh
queuectl --db D enqueue --file jobs.jsonl     # $START_N lines {"command":"/bin/true"}, or "/bin/true;"
bench/drain queuectl D 2 $START_N LOG
bench/spawn_ref $START_N 2 exec /bin/true
bench/spawn_ref $START_N 2 sh /bin/true
\`\`\`
EOF
}

# --- 3: one enqueue per call --------------------------------------------------------------
measure_enqueue() {
	local db=$T/enq.db held=$T/enq-held.db lines h
	mkdir -p "$nq_dir"
	newdb "$db"; newdb "$held"
	# The second database stays open in another process, as it does while a worker runs.
	"$B/hold" "$held" >"$T/hold.out" &
	h=$!; echo "$h" >>"$pids"
	for _ in $(seq 100); do grep -q ready "$T/hold.out" && break; sleep 0.1; done
	grep -q ready "$T/hold.out" || return 1
	say "enqueue: $ENQ_CALLS calls of each contender, in turn"
	export NQDIR=$nq_dir TS_SOCKET=$tsp_socket TMPDIR=$T/tsp-out TS_MAXFINISHED=$((ENQ_CALLS + 100))
	mkdir -p "$TMPDIR"
	tsp -S 2
	lines=$("$B/calltime" "$ENQ_CALLS" "$Q" --db "$db" enqueue true \
		::: "$Q" --db "$held" enqueue true ::: /bin/true \
		::: "$B/insert_one" "$db" ::: "$B/insert_one" "$held" \
		::: "$(command -v nq)" true ::: "$(command -v tsp)" true) || return 1
	timeout 60 nq -w >/dev/null 2>&1 || true
	tsp -K >/dev/null 2>&1 || true
	kill "$h"; wait "$h" || true
	: >"$pids"
	unset NQDIR TS_SOCKET TMPDIR TS_MAXFINISHED
	# one line per contender: p50 p90 p99 failures (ns)
	local q qh t i ih n ts nf
	ms() { echo "$lines" | sed -n "$1p" | awk -v f="$2" '{ printf "%.3f\n", $f / 1e6 }'; }
	q=$(ms 1 1) qh=$(ms 2 1) t=$(ms 3 1) i=$(ms 4 1) ih=$(ms 5 1) n=$(ms 6 1) ts=$(ms 7 1)
	nf=$(echo "$lines" | awk '{ s += $4 } END { print s + 0 }')
	[ "$nf" = 0 ] || say "warning: $nf calls failed"
	goal 3 "enqueue <= 2 x /bin/true (database not open elsewhere)" "$(fmt "$(calc "$q / $t")" 2) x" "$(yesno "$q <= 2 * $t")"
	goal 3 "enqueue <= 2 x /bin/true (database held open)" "$(fmt "$(calc "$qh / $t")" 2) x" "$(yesno "$qh <= 2 * $t")"
	section 3 <<EOF
## 3. Enqueue, one CLI call per job

Wall time of one call (posix_spawn to waitpid, stdout to /dev/null), $ENQ_CALLS calls of each,
the contenders in turn; no worker running, so no job runs. Two databases: one that no other
process has open, so that SQLite checkpoints the WAL and deletes it each time the command
closes it (4 fdatasyncs per call), and one held open by \`bench/hold\` as a running worker
would hold it (no checkpoint on close).

| contender | median | p90 | p99 | unit | ratio to /bin/true | target | met |
|---|---:|---:|---:|---|---:|---|---|
| \`queuectl enqueue true\`, database not open elsewhere | $q | $(ms 1 2) | $(ms 1 3) | ms | $(fmt "$(calc "$q / $t")" 2) | <= 2 x /bin/true | $(yesno "$q <= 2 * $t") |
| \`queuectl enqueue true\`, database held open | $qh | $(ms 2 2) | $(ms 2 3) | ms | $(fmt "$(calc "$qh / $t")" 2) | <= 2 x /bin/true | $(yesno "$qh <= 2 * $t") |
| \`/bin/true\` | $t | $(ms 3 2) | $(ms 3 3) | ms | 1.00 | | |
| C reference: open, insert one row (\`insert_one\`), database not open elsewhere | $i | $(ms 4 2) | $(ms 4 3) | ms | $(fmt "$(calc "$i / $t")" 2) | | |
| C reference (\`insert_one\`), database held open | $ih | $(ms 5 2) | $(ms 5 3) | ms | $(fmt "$(calc "$ih / $t")" 2) | | |
| \`nq true\` | $n | $(ms 6 2) | $(ms 6 3) | ms | $(fmt "$(calc "$n / $t")" 2) | | |
| \`tsp true\` (server with 2 slots) | $ts | $(ms 7 2) | $(ms 7 3) | ms | $(fmt "$(calc "$ts / $t")" 2) | | |

nq's and task-spooler's jobs run in the background as they are queued (theirs start at once);
queuectl's wait for a worker.

\`\`\`sh
bench/hold H &     # H: the database held open
bench/calltime $ENQ_CALLS queuectl --db D enqueue true ::: queuectl --db H enqueue true ::: /bin/true \\
	::: bench/insert_one D ::: bench/insert_one H \\
	::: /usr/bin/nq true ::: /usr/bin/tsp true        # NQDIR, TS_SOCKET private
\`\`\`
EOF
}

# --- 4: batch enqueue ---------------------------------------------------------------------
measure_batch() {
	local r t db=$T/batch.db
	jsonl "$BATCH_N" true >"$T/batch.jsonl"
	for r in $(seq "$REPS"); do
		say "batch: repetition $r of $REPS ($BATCH_N jobs)"
		newdb "$db"
		t=$(now); "$Q" --db "$db" enqueue --file "$T/batch.jsonl" >/dev/null || return 1
		add batch.q "$(since "$t")"
		newdb "$db"
		t=$(now); "$B/insert_batch" "$db" "$BATCH_N" || return 1
		add batch.ref "$(since "$t")"
	done
	rmdb "$db"
	local q ref
	q=$(calc "$BATCH_N / $(med batch.q)") ref=$(calc "$BATCH_N / $(med batch.ref)")
	goal 4 "batch enqueue >= 0.5 x the C reference" "$(fmt "$(calc "$q / $ref")" 2) x" "$(yesno "$q >= 0.5 * $ref")"
	section 4 <<EOF
## 4. Batch enqueue

$BATCH_N jobs \`true\` through one \`enqueue --file\` (one transaction), against a C program
inserting the same rows into the same schema (indexes and count triggers included) in
transactions of 10,000. Each into a fresh database; wall time of the whole process. Median of
$REPS runs, in turn.

| contender | median | unit | ratio to C reference | target | met |
|---|---:|---|---:|---|---|
| \`queuectl enqueue --file\` | $(fmt "$q" 0) | jobs/s | $(fmt "$(calc "$q / $ref")" 2) | >= 0.5 x C reference | $(yesno "$q >= 0.5 * $ref") |
| C reference (\`insert_batch\`) | $(fmt "$ref" 0) | jobs/s | 1.00 | | |

\`\`\`sh
queuectl --db D status; queuectl --db D enqueue --file batch.jsonl > /dev/null   # $BATCH_N lines {"command":"true"}
queuectl --db D2 status; bench/insert_batch D2 $BATCH_N
\`\`\`
EOF
}

# --- 5: pickup latency --------------------------------------------------------------------
measure_pickup() {
	local db=$T/pickup.db w lines rc=0
	newdb "$db"
	mkdir -p "$T/stamps"
	"$Q" --db "$db" worker start 2>"$T/pickup-worker.log" &
	w=$!; echo "$w" >>"$pids"
	# Serving once its row is in the workers table.
	for _ in $(seq 100); do
		"$Q" --db "$db" status 2>/dev/null | grep -q "^$w " && break
		sleep 0.1
	done
	say "pickup: $PICKUP_N jobs, each to an idle worker, and as many direct starts"
	lines=$("$B/pickup" idle "$Q" "$db" "$B/stamp" "$T/stamps" "$PICKUP_N") || rc=1
	kill "$w"; wait "$w" || true
	: >"$pids"
	rm -rf "$T/stamps"; rmdb "$db"
	[ $rc = 0 ] || return 1
	local q50 q99 d50 d99
	read -r q50 q99 <<<"$(echo "$lines" | sed -n 1p | awk '{ printf "%.3f %.3f\n", $1 / 1e6, $2 / 1e6 }')"
	read -r d50 d99 <<<"$(echo "$lines" | sed -n 2p | awk '{ printf "%.3f %.3f\n", $1 / 1e6, $2 / 1e6 }')"
	goal 5 "pickup p50 within 5 ms, p99 within 20 ms of the reference" \
		"+$(fmt "$(calc "$q50 - $d50")" 2) / +$(fmt "$(calc "$q99 - $d99")" 2) ms" \
		"$(yesno "$q50 - $d50 <= 5 && $q99 - $d99 <= 20")"
	section 5 <<EOF
## 5. Pickup latency

An idle worker (\`worker start\`, 1 slot); the job is \`bench/stamp FILE\`, which writes the
wall clock at its first instruction. Latency: from \`queuectl enqueue\` returning (noted by the
driver that ran it with posix_spawn and waited) to the stamp. Reference: from just before a
posix_spawn of the same command to its stamp. $PICKUP_N of each, in turn; after each job the
driver waits until it is recorded completed, plus 20 ms, so the worker is idle again.

| contender | p50 | p99 | unit | p50 / p99 over the reference | target | met |
|---|---:|---:|---|---:|---|---|
| queuectl: enqueue returned -> job started | $q50 | $q99 | ms | +$(fmt "$(calc "$q50 - $d50")" 3) / +$(fmt "$(calc "$q99 - $d99")" 3) ms | p50 within 5 ms, p99 within 20 ms of the reference | $(yesno "$q50 - $d50 <= 5 && $q99 - $d99 <= 20") |
| reference: posix_spawn -> job started | $d50 | $d99 | ms | | | |

\`\`\`sh
queuectl --db D worker start &
bench/pickup idle queuectl D bench/stamp STAMPDIR $PICKUP_N
# each job: queuectl --db D enqueue -- bench/stamp STAMPDIR/qN
\`\`\`
EOF
}

# --- 6: scale -----------------------------------------------------------------------------
measure_scale() {
	local small=$T/small.db big=$T/big.db ids ibig t lines built
	say "scale: building stores of $SCALE_SMALL and $SCALE_BIG jobs"
	newdb "$small"; newdb "$big"
	ids=$("$B/insert_batch" --mixed "$small" "$SCALE_SMALL") || return 1
	t=$(now)
	ibig=$("$B/insert_batch" --mixed --batch 50000 "$big" "$SCALE_BIG") || return 1
	built=$(since "$t")
	say "scale: big store built in ${built%.*} s; timing commands"
	lines=$("$B/calltime" "$SCALE_CALLS" \
		"$Q" --db "$small" status ::: "$Q" --db "$big" status \
		::: "$Q" --db "$small" list --state pending --limit 20 \
		::: "$Q" --db "$big" list --state pending --limit 20 \
		::: "$Q" --db "$small" info "$ids" ::: "$Q" --db "$big" info "$ibig" \
		::: "$Q" --db "$small" enqueue true ::: "$Q" --db "$big" enqueue true) || return 1
	mkdir -p "$T/stamps"
	say "scale: $CLAIM_ROUNDS worker starts on each store"
	lines="$lines
$("$B/pickup" claim "$Q" "$B/stamp" "$T/stamps" "$CLAIM_ROUNDS" "$small" "$big")" || return 1
	rm -rf "$T/stamps"
	say "scale: worker memory after $RSS_JOBS jobs on each store"
	local rs rb dbsize
	# The small store has only 150 jobs pending (15%): queue RSS_JOBS more in each, so that
	# the worker has as many to run in both (the big one's older pending jobs go first).
	jsonl "$RSS_JOBS" true >"$T/rss.jsonl"
	"$Q" --db "$small" enqueue --file "$T/rss.jsonl" >/dev/null
	"$Q" --db "$big" enqueue --file "$T/rss.jsonl" >/dev/null
	rs=$("$B/drain" "$Q" "$small" 2 "$RSS_JOBS" "$T/rss-small.log") || return 1
	rb=$("$B/drain" "$Q" "$big" 2 "$RSS_JOBS" "$T/rss-big.log") || return 1
	read -r _ rs _ <<<"$rs"; read -r _ rb _ <<<"$rb"
	dbsize=$(du -sm "$big" | cut -f1)
	rmdb "$small"; rmdb "$big"

	# calltime lines 1-8 (small, big per command), pickup claim lines 9-10: p50 ns first.
	ms() { echo "$lines" | sed -n "$1p" | awk '{ printf "%.2f\n", $1 / 1e6 }'; }
	row() { # LABEL LINE_SMALL LINE_BIG
		local a b met; a=$(ms "$2") b=$(ms "$3")
		met=$(yesno "$b < 50 && $b <= 1.5 * $a")
		goal 6 "$1 at $SCALE_BIG jobs: < 50 ms and <= 1.5 x at $SCALE_SMALL" \
			"$b ms, $(fmt "$(calc "$b / $a")" 2) x" "$met"
		echo "| $1 | $a | $b | ms | $(fmt "$(calc "$b / $a")" 2) | < 50 ms and <= 1.5 x | $met |"
	}
	local mib_s mib_b
	mib_s=$(calc "$rs / 1024") mib_b=$(calc "$rb / 1024")
	# shellcheck disable=SC2016 # the backquotes below are markdown
	section 6 <<EOF
## 6. Scale

Two stores in mixed states (80% completed, 15% pending, 3% dead, 1.8% failed waiting for
a retry, 0.2% processing by a worker elsewhere; one history row per attempt), built by
\`insert_batch --mixed\` straight into the schema queuectl created: $SCALE_SMALL jobs and
$SCALE_BIG jobs ($dbsize MiB, built in ${built%.*} s). Median wall time of $SCALE_CALLS calls
of each command, sizes in turn (no other process has the database open, so the enqueue
includes SQLite's checkpoint on close). The claim: a job \`stamp FILE\` at the highest
priority is enqueued, then \`worker start --count 1\` is started; the time from starting the
worker to the job's first instruction (worker start-up, recovery pass, one claim, one
spawn), median of $CLAIM_ROUNDS rounds.

| command | $SCALE_SMALL jobs | $SCALE_BIG jobs | unit | ratio | target | met |
|---|---:|---:|---|---:|---|---|
$(row '`status`' 1 2)
$(row '`list --state pending --limit 20`' 3 4)
$(row '`info ID`' 5 6)
$(row '`enqueue true`' 7 8)
$(row 'worker start -> first job started (one claim)' 9 10)
| worker peak resident memory (VmHWM) after $RSS_JOBS jobs, 2 slots | $(fmt "$mib_s" 1) | $(fmt "$mib_b" 1) | MiB | $(fmt "$(calc "$mib_b / $mib_s")" 2) | < 16 MiB | $(yesno "$mib_b < 16 && $mib_s < 16") |

\`\`\`sh
queuectl --db S status; bench/insert_batch --mixed S $SCALE_SMALL
queuectl --db L status; bench/insert_batch --mixed --batch 50000 L $SCALE_BIG
bench/calltime $SCALE_CALLS queuectl --db S status ::: queuectl --db L status ::: \\
	queuectl --db S list --state pending --limit 20 ::: ... info ID ::: ... enqueue true
bench/pickup claim queuectl bench/stamp STAMPDIR $CLAIM_ROUNDS S L
queuectl --db S enqueue --file rss.jsonl; queuectl --db L enqueue --file rss.jsonl   # $RSS_JOBS lines {"command":"true"}
bench/drain queuectl S 2 $RSS_JOBS LOG; bench/drain queuectl L 2 $RSS_JOBS LOG   # VmHWM from /proc/PID/status
\`\`\`
EOF
	goal 6 "worker resident memory < 16 MiB" "$(fmt "$mib_s" 1) / $(fmt "$mib_b" 1) MiB" \
		"$(yesno "$mib_b < 16 && $mib_s < 16")"
}

# --- the run ------------------------------------------------------------------------------
start=$(now)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "$mode run of $("$Q" --version) in $T"
for m in $measurements; do
	set -m		# job control: the next background job gets a process group of its own
	( set -e; "measure_$m" ) &
	mpid=$!
	set +m
	wait "$mpid"
	rc=$?
	mpid=
	stop_strays
	if [ $rc != 0 ]; then
		say "measurement '$m' failed (status $rc)"
		echo "## $m: failed (status $rc; see the run's output)" >"$sections/failed-$m.md"
	fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
total=$(since "$start")

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$repo" --no-optional-locks diff --quiet HEAD -- src 2>/dev/null; then
	commit="$commit (with uncommitted changes in src/)"
fi
fsinfo=$(df -T "$T" | awk 'NR == 2 { print $2 " on " $1 }')
dev=$(df "$T" | awk 'NR == 2 { print $1 }'); dev=${dev#/dev/}
rota=$(cat "/sys/class/block/${dev}/queue/rotational" 2>/dev/null ||
	cat "/sys/class/block/$(basename "$(readlink -f "/sys/class/block/$dev/..")")/queue/rotational" 2>/dev/null)
disk="rotational=${rota:-unknown} as the kernel reports it (virtual disks often say 1)"

[ -n "$out" ] && mkdir -p "$(dirname "$out")"
{
	echo "# queuectl benchmark results"
	echo
	if [ -n "$only" ]; then
		echo "Written by \`bench/run.sh$([ $quick = 1 ] && echo ' --quick') --only $only\`: a partial $mode run. Medians;"
	else
		echo "Written by \`bench/run.sh\` ($mode mode: \`make bench$([ $quick = 1 ] && echo '-quick')\`). Medians;"
	fi
	echo "every comparison ran its contenders in turn in the same run. Do not edit by hand: run it"
	echo "again."
	if [ $quick = 1 ]; then
		echo
		echo "Quick mode: small counts, so fixed costs (a worker's start-up) weigh more and the"
		echo "figures are noisier; judge the targets on the full run, \`make bench\`."
	fi
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
	echo "| queuectl | $("$Q" --version), commit $commit, \`${qsrc#"$repo"/}\` |"
	echo "| cores | $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) |"
	echo "| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
	echo "| kernel | $(uname -sr) |"
	echo "| work directory | ${TMPDIR:-/tmp}: $fsinfo, $disk |"
	echo "| SQLite | $(pkg-config --modversion sqlite3) |"
	echo "| peers | task-spooler $(dpkg-query -W -f='${Version}' task-spooler), nq $(dpkg-query -W -f='${Version}' nq), $(xargs --version | head -1) |"
	echo "| load average (1, 5, 15 min) | $load_start at start, $load_end at end |"
	echo "| run time | $(fmt "$total" 0) s |"
	echo
	echo "## Targets"
	echo
	echo "Each target of the issue, the figure it is judged on, and whether it is met; the tables"
	echo "below have the details. Measurements 2 and 7 have no target: they give figures only."
	echo
	echo "| measurement | target | figure | met |"
	echo "|---|---|---|---|"
	for f in 1 2 3 4 5 6 7; do
		cat "$sections/goals-$f" 2>/dev/null
	done
	for m in $measurements; do
		[ -f "$sections/failed-$m.md" ] && echo "| $m | the measurement failed: see the run's output | | **no** |"
	done
	if [ -z "$only" ]; then
		limit=$([ $quick = 1 ] && echo 120 || echo 900)
		echo "| all | the whole $mode run under $((limit / 60)) minutes | $(fmt "$total" 0) s | $(yesno "$total < $limit") |"
	fi
	echo
	echo "Reproduce: \`bench/run.sh$([ $quick = 1 ] && echo ' --quick')\`. In the commands below, \`bench/X\` is the"
	echo "program built from \`bench/X.c\` (\`cc -O2 -Wall -Wextra -Werror\`, pkg-config sqlite3),"
	echo "\`queuectl\` the copy measured, and D a fresh database."
	echo
	for f in 1 2 3 4 5 6 7; do
		[ -f "$sections/$f.md" ] && { cat "$sections/$f.md"; echo; }
	done
	cat "$sections"/failed-*.md 2>/dev/null
} >"$T/results.md"
if [ -n "$out" ]; then
	cp "$T/results.md" "$out" || fail "cannot write '$out'"
	say "wrote $out in $(fmt "$total" 0) s"
fi
cat "$T/results.md"
