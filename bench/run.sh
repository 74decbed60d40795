#!/bin/bash
# run.sh - queuectl's benchmark harness: measures queuectl against small C reference
# programs (bench/*.c) and against its peers task-spooler and nq, and writes the figures
# with the machine and the exact commands to bench/RESULTS.md.
#
# Usage: bench/run.sh [--quick] [--only LIST] [--queuectl PATH] [--out FILE]
#   --quick      smaller counts, for iteration (under 3 minutes on an
#                idle 2-core machine); writes bench/RESULTS-quick.md unless --out
#   --only       run only these measurements, comma-separated, of: drain (1 and 7),
#                word (2), enqueue (3), batch (4), pickup (5), scale (6), slots (8),
#                syscalls (9), web (10), profile (11), pg (12); a partial run writes no file unless
#                --out (the results go to standard output, as always)
#   --queuectl   the binary to measure (default: build/queuectl); it is copied first, so a
#                rebuild during the run changes nothing
#
# Every comparison runs its contenders in turn within each repetition (A B C A B C ...),
# so that a noisy machine slows them alike; the figure reported is the median.  The C
# programs are built, and the work files kept, in a fresh directory under $TMPDIR (default
# /tmp), removed at the end; every process started is stopped.  Installs task-spooler, nq,
# strace and PostgreSQL (for measurement 12's throwaway server) with apt-get when missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
quick=0
qsrc=$repo/build/queuectl
out=
all_measurements='drain word enqueue batch pickup scale slots syscalls web profile pg'
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
	DRAIN_N=200		# jobs per drain (measurements 1, 2 and 7)
	SHELL_N=100		# jobs per drain of the command line /bin/true (measurement 2)
	ENQ_CALLS=100		# enqueue calls per contender
	BATCH_N=10000		# jobs in the batch file
	PICKUP_N=50		# jobs timed for pickup latency
	SCALE_BIG=100000	# the big store (the small one is always 1,000)
	SCALE_CALLS=10		# calls per command at each size
	CLAIM_ROUNDS=3		# worker starts per store size
	RSS_JOBS=100		# jobs run by the worker whose memory is read
	SLOTS_N=200		# jobs 'sleep 0.5' in measurement 8
	SLOTS_P=64		# and the slots (xargs -P) that run them
	SYS_N=200		# jobs run under strace in measurement 9
	WEB_SECS=3		# seconds of wrk per URL in measurement 10
	WEB_CLIENTS=20		# event streams following a drain in measurement 10
	PROF_N=500		# jobs drained under perf in measurement 11
	PG_BIG=50000		# the big PostgreSQL store of measurement 12
	[ -n "$only" ] || : "${out:=$here/RESULTS-quick.md}"
else
	mode=full
	REPS=3
	DRAIN_N=5000
	SHELL_N=1000
	ENQ_CALLS=1000
	BATCH_N=100000
	PICKUP_N=1000
	SCALE_BIG=1000000
	SCALE_CALLS=30
	CLAIM_ROUNDS=5
	RSS_JOBS=500
	SLOTS_N=2000
	SLOTS_P=256
	SYS_N=500		# counts per job vary little: enough to dwarf start-up (column 4)
	WEB_SECS=10
	WEB_CLIENTS=100
	PROF_N=5000
	PG_BIG=1000000
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
	for p in task-spooler nq strace linux-perf gcc pkg-config libsqlite3-dev libpq-dev postgresql pgbouncer wrk curl bc; do
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
pids=$T/pids			# workers, tsp blockers, PostgreSQL clusters started by a measurement

# What a measurement left running when it failed: its workers, task-spooler's blockers and
# server, nq's queued jobs.  Run after each measurement (they run in subshells) and at exit.
stop_strays() {
	local p
	if [ -f "$pids" ]; then
		while read -r p; do
			case $p in
			tsp:*) TS_SOCKET=$tsp_socket tsp -k "${p#tsp:}" >/dev/null 2>&1 ;;
			pg:*) "$repo/tests/pg/cluster.sh" stop "${p#pg:}" >/dev/null 2>&1 ;;
			*) kill "$p" 2>/dev/null ;;
			esac
		done < <(tac "$pids") # the last started first: workers before their server
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
	cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags sqlite3 libpq) -o "$B/$(basename "$src" .c)" \
		"$src" $(pkg-config --libs sqlite3 libpq) || fail "cannot build $src"
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
# jsonl_argv N PATH: N jobs of a word list of one word, run without a shell.
jsonl_argv() { awk -v n="$1" -v c="$2" 'BEGIN { for (i = 0; i < n; i++) printf "{\"argv\":[\"%s\"]}\n", c }'; }

sections=$T/sections; mkdir -p "$sections"
# section N: the markdown of measurement N, from standard input.
section() { cat >"$sections/$1.md"; }
# goal N TARGET FIGURE MET: one row of the summary of targets at the top of the results.
# (Measurements run in subshells, so the rows go to files.)
goal() { echo "| $1 | $2 | $3 | $4 |" >>"$sections/goals-$1"; }
# oldgoal N TARGET FIGURE MET: the same for a target of an earlier issue, kept as a guard.
oldgoal() { echo "| $1 | $2 | $3 | $4 |" >>"$sections/oldgoals-$1"; }

# --- 1, 7: drain throughput and durability; 2: start cost -----------------------------------
# Before a timed drain: the previous contender's writes (a WAL of megabytes, task-spooler's
# output files) go to disk now, not during this one.
settle() { sync; }

# drain_queuectl NAME N command|argv WHAT DURABILITY [SLOTS]: queue N jobs in a fresh
# database, each the command line WHAT or the word list of the one word WHAT, and time a
# worker with SLOTS (2) slots draining them; notes the seconds, the CPU per job (ms) and the
# worker's peak resident memory (KiB).
drain_queuectl() {
	local db=$T/drain-$1.db out ns kib self jobs
	newdb "$db"
	if [ "$5" = full ] && ! "$Q" --db "$db" config set durability full >/dev/null 2>"$T/full.err"; then
		echo n/a >"$res/drain.$1.na"
		rmdb "$db"
		return 0
	fi
	if [ "$3" = argv ]; then jsonl_argv "$2" "$4"; else jsonl "$2" "$4"; fi >"$T/jobs.jsonl"
	"$Q" --db "$db" enqueue --file "$T/jobs.jsonl" >/dev/null
	settle
	out=$("$B/drain" "$Q" "$db" "${6:-2}" "$2" "$T/drain-$1.log") || return 1
	read -r ns kib self jobs <<<"$out"
	add "drain.$1" "$(calc "$ns / 1e9")"
	add "rss.$1" "$kib"
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

# drain_tsp PROGRAM: task-spooler, 2 slots, draining TSP_N jobs PROGRAM (which it execs
# directly, without a shell).
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
	for _ in $(seq $((TSP_N - 1))); do timeout 60 tsp "$1" >/dev/null || return 1; done
	last=$(timeout 60 tsp "$1") || return 1
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
		drain_queuectl true "$DRAIN_N" command true normal
		drain_queuectl full "$DRAIN_N" command true full
		spawn_ref ref_sh "$DRAIN_N" sh true
		settle; t=$(now); xargs -P2 -n1 sh -c <"$T/true.lines"; add drain.xargs "$(since "$t")"
	done

	local q f rs x cq cr
	q=$(rate true "$DRAIN_N") f=$(rate full "$DRAIN_N")
	rs=$(rate ref_sh "$DRAIN_N") x=$(rate xargs "$DRAIN_N")
	cq=$(med cpu.true.self) cr=$(med cpu.ref_sh.self)
	goal 1 "drain of \`true\` >= 0.90 x the C reference" "$(fmt "$(calc "$q / $rs")" 2) x" "$(yesno "$q >= 0.9 * $rs")"
	goal 1 "drain of \`true\` >= 1.0 x \`xargs -P2\`" "$(fmt "$(calc "$q / $x")" 2) x" "$(yesno "$q >= $x")"
	goal 1 "worker CPU per job <= 3 x the C reference's (command line)" \
		"$(fmt "$cq" 3) / $(fmt "$cr" 3) ms = $(fmt "$(calc "$cq / $cr")" 2) x" "$(yesno "$cq <= 3 * $cr")"
	section 1 <<EOF
## 1. Drain throughput

$DRAIN_N jobs \`true\` (a command line, run by \`/bin/sh -c\`) queued, then drained with 2 at a
time; queuectl with durable state per job (\`worker start --count 2\`, timed from starting the
worker until the store counts them all completed). Median of $REPS runs, contenders in turn.

| contender | median | unit | ratio to C reference | target | met |
|---|---:|---|---:|---|---|
| queuectl \`worker start --count 2\` | $(fmt "$q" 0) | jobs/s | $(fmt "$(calc "$q / $rs")" 2) | >= 0.90 x C reference | $(yesno "$q >= 0.9 * $rs") |
| C reference: posix_spawn \`/bin/sh -c true\`, 2 at a time (\`spawn_ref\`) | $(fmt "$rs" 0) | jobs/s | 1.00 | | |
| \`xargs -P2 -n1 sh -c\` | $(fmt "$x" 0) | jobs/s | $(fmt "$(calc "$x / $rs")" 2) | queuectl >= 1.0 x xargs | $(yesno "$q >= $x") |
| task-spooler | in measurement 2 | | | | |
| nq | not measured | | | | |

CPU per job (medians):

| | starter | its jobs | starter's ratio to the C reference's | target | met |
|---|---:|---:|---:|---|---|
| queuectl's worker | $(cpu true self) ms | $(cpu true jobs) ms | $(fmt "$(calc "$cq / $cr")" 2) | <= 3 x | $(yesno "$cq <= 3 * $cr") |
| C reference (\`spawn_ref\`) | $(cpu ref_sh self) ms | $(cpu ref_sh jobs) ms | 1.00 | | |

"Starter" is the queuectl worker or the C reference itself (its bookkeeping and the spawns),
"its jobs" the CPU of the reaped jobs. The worker's figure is read from /proc/PID/stat in
clock ticks (10 ms) summed over the drain; the C reference's from getrusage.

nq is not in the drain: it runs one job at a time, and each job starts as soon as it is queued
(every \`nq\` call forks a process that waits on the locks of all earlier jobs), so there is no
"queue first, then drain with 2 slots" to compare. Its enqueue cost is in measurement 3.
task-spooler execs its jobs without a shell, so it is compared with queuectl's word lists,
in measurement 2.

\`\`\`sh
# queuectl (fresh database per run)
queuectl --db D status; queuectl --db D enqueue --file jobs.jsonl   # $DRAIN_N lines {"command":"true"}
bench/drain queuectl D 2 $DRAIN_N LOG     # starts 'queuectl --db D worker start --count 2', polls counts every 5 ms
# C reference
bench/spawn_ref $DRAIN_N 2 sh true
# xargs
xargs -P2 -n1 sh -c < true.lines             # $DRAIN_N lines 'true'
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

# Measurement 2: word lists.  The command line `/bin/true` beside them shows what the shell
# costs queuectl; it is not `true`, a builtin of dash, whose `sh -c true` execs only once.
measure_word() {
	local r
	for r in $(seq "$REPS"); do
		say "word: repetition $r of $REPS ($DRAIN_N jobs per contender, task-spooler $TSP_N, shell $SHELL_N)"
		drain_queuectl argv "$DRAIN_N" argv /bin/true normal
		spawn_ref ref_exec "$DRAIN_N" exec /bin/true
		drain_queuectl shell "$SHELL_N" command /bin/true normal
		spawn_ref ref_shell "$SHELL_N" sh /bin/true
		drain_tsp /bin/true
	done

	local w s re rs ts slot_w slot_s slot_re slot_rs cw cs cr tspnote=''
	w=$(rate argv "$DRAIN_N") s=$(rate shell "$SHELL_N")
	re=$(rate ref_exec "$DRAIN_N") rs=$(rate ref_shell "$SHELL_N") ts=$(rate tsp "$TSP_N")
	# 2 slots busy all along: each job holds one for 2 / rate seconds.
	slot_w=$(calc "2e3 / $w") slot_s=$(calc "2e3 / $s")
	slot_re=$(calc "2e3 / $re") slot_rs=$(calc "2e3 / $rs")
	cw=$(med cpu.argv.self) cs=$(med cpu.shell.self) cr=$(med cpu.ref_exec.self)
	[ "$TSP_N" = "$DRAIN_N" ] || tspnote=" It drains $TSP_N jobs, not $DRAIN_N, and its rate is over those."
	goal 2 "word-list drain of \`/bin/true\` >= 0.90 x posix_spawn of \`/bin/true\`" \
		"$(fmt "$(calc "$w / $re")" 2) x" "$(yesno "$w >= 0.9 * $re")"
	goal 2 "word-list drain of \`/bin/true\` >= 2 x task-spooler" \
		"$(fmt "$(calc "$w / $ts")" 2) x" "$(yesno "$w >= 2 * $ts")"
	goal 2 "worker CPU per job <= 3 x the C reference's (word list)" \
		"$(fmt "$cw" 3) / $(fmt "$cr" 3) ms = $(fmt "$(calc "$cw / $cr")" 2) x" "$(yesno "$cw <= 3 * $cr")"
	section 2 <<EOF
## 2. Word lists: drain without a shell

$DRAIN_N jobs \`{"argv":["/bin/true"]}\` (a word list, exec'd directly) drained with 2 slots as
in measurement 1, against the C reference and task-spooler, which execs its jobs without a
shell.$tspnote Beside them, for the shell's cost, $SHELL_N jobs of the command line
\`/bin/true\` (run by \`/bin/sh -c\`, which execs \`/bin/true\` in turn) and the C reference for
that form (fewer jobs, to keep the whole run short: they have no target). Median of $REPS
runs, contenders in turn.

| contender | jobs | median | unit | slot time per job | ratio to posix_spawn \`/bin/true\` | target | met |
|---|---:|---:|---|---:|---:|---|---|
| queuectl, word list \`/bin/true\` | $DRAIN_N | $(fmt "$w" 0) | jobs/s | $(fmt "$slot_w" 2) ms | $(fmt "$(calc "$w / $re")" 2) | >= 0.90 x | $(yesno "$w >= 0.9 * $re") |
| C reference, posix_spawn \`/bin/true\` | $DRAIN_N | $(fmt "$re" 0) | jobs/s | $(fmt "$slot_re" 2) ms | 1.00 | | |
| task-spooler \`tsp -S 2\`, \`/bin/true\` | $TSP_N | $(fmt "$ts" 0) | jobs/s | $(fmt "$(calc "2e3 / $ts")" 2) ms | $(fmt "$(calc "$ts / $re")" 2) | queuectl >= 2 x tsp: $(fmt "$(calc "$w / $ts")" 2) x | $(yesno "$w >= 2 * $ts") |
| queuectl, command line \`/bin/true\` | $SHELL_N | $(fmt "$s" 0) | jobs/s | $(fmt "$slot_s" 2) ms | $(fmt "$(calc "$s / $re")" 2) | | |
| C reference, posix_spawn \`/bin/sh -c /bin/true\` | $SHELL_N | $(fmt "$rs" 0) | jobs/s | $(fmt "$slot_rs" 2) ms | $(fmt "$(calc "$rs / $re")" 2) | | |

The shell's exec costs $(fmt "$(calc "$slot_rs - $slot_re")" 2) ms of slot time per job in the C reference (posix_spawn
\`/bin/sh -c /bin/true\` minus posix_spawn \`/bin/true\`), and $(fmt "$(calc "$slot_s - $slot_w")" 2) ms in queuectl (the command
line minus the word list).

CPU per job (medians), as in measurement 1:

| | starter | its jobs | starter's ratio to the C reference's (\`exec\`) | target | met |
|---|---:|---:|---:|---|---|
| queuectl's worker, word list | $(cpu argv self) ms | $(cpu argv jobs) ms | $(fmt "$(calc "$cw / $cr")" 2) | <= 3 x | $(yesno "$cw <= 3 * $cr") |
| queuectl's worker, command line | $(cpu shell self) ms | $(cpu shell jobs) ms | $(fmt "$(calc "$cs / $cr")" 2) | | |
| C reference, \`exec /bin/true\` | $(cpu ref_exec self) ms | $(cpu ref_exec jobs) ms | 1.00 | | |
| C reference, \`sh /bin/true\` | $(cpu ref_shell self) ms | $(cpu ref_shell jobs) ms | $(fmt "$(calc "$(med cpu.ref_shell.self) / $cr")" 2) | | |

\`\`\`sh
queuectl --db D enqueue --file jobs.jsonl     # $DRAIN_N lines {"argv":["/bin/true"]}
bench/drain queuectl D 2 $DRAIN_N LOG
bench/spawn_ref $DRAIN_N 2 exec /bin/true
queuectl --db D enqueue --file jobs.jsonl     # $SHELL_N lines {"command":"/bin/true"}
bench/drain queuectl D 2 $SHELL_N LOG
bench/spawn_ref $SHELL_N 2 sh /bin/true
# task-spooler (private TS_SOCKET, TS_MAXFINISHED=$((TSP_N + 100)), TMPDIR for its output files)
tsp -S 2; b1=\$(tsp sleep 3600); b2=\$(tsp sleep 3600)
for i in \$(seq $((TSP_N - 1))); do tsp /bin/true > /dev/null; done; last=\$(tsp /bin/true)
# timed from here:
tsp -k \$b1; tsp -k \$b2; tsp -w \$last; tsp -w \$((last - 1))
\`\`\`

task-spooler's time counts from the \`tsp -k\` of the two blockers that held its slots while
the jobs were queued. Each job queued is a \`tsp\` client process that waits, connected to the
server, and the server takes about 1,000 connections at most (the 994th \`tsp /bin/true\`
blocks for ever), so at most 900 are queued.
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
	# The peers start their jobs at once, in the background: whichever call followed theirs
	# would share the CPU with those jobs and pay for their files at its first fsync.  So
	# they take turns apart from queuectl and the C reference, each run beside /bin/true.
	lines=$("$B/calltime" "$ENQ_CALLS" "$Q" --db "$db" enqueue true \
		::: "$Q" --db "$held" enqueue true ::: /bin/true \
		::: "$B/insert_one" "$db" ::: "$B/insert_one" "$held") || return 1
	lines=$lines$'\n'$("$B/calltime" "$ENQ_CALLS" "$(command -v nq)" true \
		::: "$(command -v tsp)" true ::: /bin/true) || return 1
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
	goal 3 "one \`enqueue\` <= 1.1 x the C insert of one row (database not open elsewhere)" \
		"$(fmt "$(calc "$q / $i")" 2) x" "$(yesno "$q <= 1.1 * $i")"
	goal 3 "one \`enqueue\` <= 1.1 x the C insert of one row (database held open)" \
		"$(fmt "$(calc "$qh / $ih")" 2) x" "$(yesno "$qh <= 1.1 * $ih")"
	section 3 <<EOF
## 3. Enqueue, one CLI call per job

Wall time of one call (posix_spawn to waitpid, stdout to /dev/null), $ENQ_CALLS calls of each,
the contenders in turn; no worker running, so no job runs. Two databases: one that no other
process has open, so that SQLite checkpoints the WAL and deletes it each time the command
closes it (4 fdatasyncs per call), and one held open by \`bench/hold\` as a running worker
would hold it (no checkpoint on close).

| contender | median | p90 | p99 | unit | ratio to /bin/true | ratio to the C reference | target | met |
|---|---:|---:|---:|---|---:|---:|---|---|
| \`queuectl enqueue true\`, database not open elsewhere | $q | $(ms 1 2) | $(ms 1 3) | ms | $(fmt "$(calc "$q / $t")" 2) | $(fmt "$(calc "$q / $i")" 2) | <= 1.1 x \`insert_one\` | $(yesno "$q <= 1.1 * $i") |
| \`queuectl enqueue true\`, database held open | $qh | $(ms 2 2) | $(ms 2 3) | ms | $(fmt "$(calc "$qh / $t")" 2) | $(fmt "$(calc "$qh / $ih")" 2) | <= 1.1 x \`insert_one\`, held open | $(yesno "$qh <= 1.1 * $ih") |
| \`/bin/true\` | $t | $(ms 3 2) | $(ms 3 3) | ms | 1.00 | | | |
| C reference: open, insert one row (\`insert_one\`), database not open elsewhere | $i | $(ms 4 2) | $(ms 4 3) | ms | $(fmt "$(calc "$i / $t")" 2) | 1.00 | | |
| C reference (\`insert_one\`), database held open | $ih | $(ms 5 2) | $(ms 5 3) | ms | $(fmt "$(calc "$ih / $t")" 2) | 1.00 | | |
| \`nq true\` | $n | $(ms 6 2) | $(ms 6 3) | ms | $(fmt "$(calc "$n / $t")" 2) | | | |
| \`tsp true\` (server with 2 slots) | $ts | $(ms 7 2) | $(ms 7 3) | ms | $(fmt "$(calc "$ts / $t")" 2) | | | |

nq's and task-spooler's jobs run in the background as they are queued (theirs start at once);
queuectl's wait for a worker. They take turns in a run of their own, beside \`/bin/true\`
again ($(ms 8 1) ms there): their jobs, running in the background, would slow whichever
call followed theirs.

\`\`\`sh
bench/hold H &     # H: the database held open
bench/calltime $ENQ_CALLS queuectl --db D enqueue true ::: queuectl --db H enqueue true ::: /bin/true \\
	::: bench/insert_one D ::: bench/insert_one H
bench/calltime $ENQ_CALLS /usr/bin/nq true ::: /usr/bin/tsp true ::: /bin/true   # NQDIR, TS_SOCKET private
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
	goal 4 "\`enqueue --file\` of $BATCH_N >= 0.9 x the C batch reference" "$(fmt "$(calc "$q / $ref")" 2) x" "$(yesno "$q >= 0.9 * $ref")"
	section 4 <<EOF
## 4. Batch enqueue

$BATCH_N jobs \`true\` through one \`enqueue --file\` (one transaction), against a C program
inserting the same rows into the same schema (indexes and count triggers included) in
transactions of 10,000. Each into a fresh database; wall time of the whole process. Median of
$REPS runs, in turn.

| contender | median | unit | ratio to C reference | target | met |
|---|---:|---|---:|---|---|
| \`queuectl enqueue --file\` | $(fmt "$q" 0) | jobs/s | $(fmt "$(calc "$q / $ref")" 2) | >= 0.9 x C reference | $(yesno "$q >= 0.9 * $ref") |
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
	oldgoal 5 "pickup p50 within 5 ms, p99 within 20 ms of the reference" \
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
		oldgoal 6 "$1 at $SCALE_BIG jobs: < 50 ms and <= 1.5 x at $SCALE_SMALL" \
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
	oldgoal 6 "worker resident memory < 16 MiB" "$(fmt "$mib_s" 1) / $(fmt "$mib_b" 1) MiB" \
		"$(yesno "$mib_b < 16 && $mib_s < 16")"
}

# --- 8: many slots ------------------------------------------------------------------------
measure_slots() {
	local r t
	yes 'sleep 0.5' | head -n "$SLOTS_N" >"$T/sleep.lines"
	for r in $(seq "$REPS"); do
		say "slots: repetition $r of $REPS ($SLOTS_N jobs 'sleep 0.5', $SLOTS_P at a time)"
		drain_queuectl slots "$SLOTS_N" command 'sleep 0.5' normal "$SLOTS_P"
		settle; t=$(now)
		xargs -d '\n' -n1 -P"$SLOTS_P" sh -c <"$T/sleep.lines" || return 1
		add drain.xargs_slots "$(since "$t")"
	done

	local q x floor mib
	q=$(med drain.slots) x=$(med drain.xargs_slots)
	# The least it can take: as many rounds of 0.5 s as SLOTS_P slots need.
	floor=$(calc "int(($SLOTS_N + $SLOTS_P - 1) / $SLOTS_P) * 0.5")
	mib=$(calc "$(med rss.slots) / 1024")
	goal 8 "\`worker start --count $SLOTS_P\`: $SLOTS_N \`sleep 0.5\` within 1.1 x the time of \`xargs -P$SLOTS_P\`" \
		"$(fmt "$q" 2) / $(fmt "$x" 2) s = $(fmt "$(calc "$q / $x")" 2) x" "$(yesno "$q <= 1.1 * $x")"
	goal 8 "the worker's memory with $SLOTS_P slots reported" "peak RSS $(fmt "$mib" 1) MiB" "$([ "$mib" = n/a ] && echo '**no**' || echo yes)"
	section 8 <<EOF
## 8. Many slots

$SLOTS_N jobs \`sleep 0.5\` (command lines, run by \`/bin/sh -c\`) drained by one \`worker start
--count $SLOTS_P\` (timed from starting the worker until the store counts them all completed),
against \`xargs -P$SLOTS_P\` running the same through \`sh -c\`. The least either can take is
$(fmt "$floor" 1) s ($SLOTS_N / $SLOTS_P rounds of 0.5 s, rounded up). Median of $REPS runs, in turn.

| contender | median | unit | ratio to xargs | target | met |
|---|---:|---|---:|---|---|
| queuectl \`worker start --count $SLOTS_P\` | $(fmt "$q" 2) | s | $(fmt "$(calc "$q / $x")" 2) | <= 1.1 x xargs | $(yesno "$q <= 1.1 * $x") |
| \`xargs -d '\\n' -n1 -P$SLOTS_P sh -c\` | $(fmt "$x" 2) | s | 1.00 | | |

The worker's peak resident memory (VmHWM in /proc/PID/status, read just before it is
stopped): $(fmt "$mib" 1) MiB (median); its CPU per job $(cpu slots self) ms.

\`\`\`sh
queuectl --db D status; queuectl --db D enqueue --file jobs.jsonl   # $SLOTS_N lines {"command":"sleep 0.5"}
bench/drain queuectl D $SLOTS_P $SLOTS_N LOG    # worker start --count $SLOTS_P; VmHWM from /proc/PID/status
xargs -d '\\n' -n1 -P$SLOTS_P sh -c < sleep.lines   # $SLOTS_N lines 'sleep 0.5'
\`\`\`
EOF
}

# --- 9: the worker's system calls ----------------------------------------------------------
# strace_worker NAME N command|argv WHAT: strace -c (the worker only, not its jobs) of a
# worker with 2 slots running N jobs until idle; the counts to $res/sys.NAME as
# "syscall calls" lines.
strace_worker() {
	local db=$T/sys-$1.db
	newdb "$db"
	if [ "$2" -gt 0 ]; then
		if [ "$3" = argv ]; then jsonl_argv "$2" "$4"; else jsonl "$2" "$4"; fi >"$T/jobs.jsonl"
		"$Q" --db "$db" enqueue --file "$T/jobs.jsonl" >/dev/null
	fi
	timeout 600 strace -c -o "$T/strace-$1.out" "$Q" --db "$db" worker start --count 2 --until-idle \
		2>"$T/sys-$1.log" || return 1
	[ "$("$Q" --db "$db" status | awk '$1 == "completed" { print $2 }')" = "$2" ] ||
		fail "strace: the worker did not complete $2 jobs (see $T/sys-$1.log)"
	# Rows between the two rules: % time, seconds, usecs/call, calls, [errors,] syscall.
	awk '/^------/ { rule++; next } rule == 1 { print $NF, $4 }' "$T/strace-$1.out" >"$res/sys.$1"
	rmdb "$db"
}

measure_syscalls() {
	say "syscalls: strace -c of a worker running $SYS_N jobs of each form, and none"
	strace_worker shell "$SYS_N" command /bin/true
	strace_worker argv "$SYS_N" argv /bin/true
	strace_worker idle 0 command /bin/true

	# The calls per 1,000 jobs, the 20 most frequent of both forms and any that syncs the
	# disk (durability's cost), then the total.
	local table
	table=$(awk -v n="$SYS_N" '
		FILENAME ~ /shell$/ { s[$1] = $2; all[$1] = 1; ts += $2 }
		FILENAME ~ /argv$/ { a[$1] = $2; all[$1] = 1; ta += $2 }
		FILENAME ~ /idle$/ { i[$1] = $2; all[$1] = 1; ti += $2 }
		END {
			for (c in all) printf "%d %s %.0f %.0f %d\n", s[c] + a[c], c,
				s[c] * 1000 / n, a[c] * 1000 / n, i[c]
			printf "-1 **total** %.0f %.0f %d\n", ts * 1000 / n, ta * 1000 / n, ti
		}' "$res/sys.shell" "$res/sys.argv" "$res/sys.idle" |
		sort -k1,1nr | awk '$1 >= 0 && ++k <= 20 || $2 ~ /^(f(data)?sync|sync_file_range|msync)$/ || $1 < 0' |
		awk '{ printf "| %s | %s | %s | %s |\n", ($2 ~ /total/ ? $2 : "`" $2 "`"), $3, $4, $5 }')
	section 9 <<EOF
## 9. The worker's system calls

\`strace -c\` of the worker alone (no \`-f\`: the jobs' own calls are not counted, nor those of
the child between its clone and its exec) running $SYS_N jobs \`/bin/true\` with 2 slots until
the store is idle, as a command line and as a word list, scaled to 1,000 jobs; and, for the
start-up and shutdown that these include, the same worker on an empty store (raw counts).
Under strace every call is slower, so this counts calls and does not time them. The 20
calls made most often, any call that syncs the disk, then the total of all:

| system call | command line, per 1,000 jobs | word list, per 1,000 jobs | empty store, whole run |
|---|---:|---:|---:|
$table

\`\`\`sh
queuectl --db D status; queuectl --db D enqueue --file jobs.jsonl   # $SYS_N lines {"command":"/bin/true"} or {"argv":["/bin/true"]}
strace -c -o FILE queuectl --db D worker start --count 2 --until-idle
\`\`\`
EOF
}

# --- 10: the web server --------------------------------------------------------------------
# bench/web.sh does the work; this turns its output into the results' table and targets.
measure_web() {
	say "web: wrk against 'queuectl web' at $SCALE_BIG jobs, then $WEB_CLIENTS event streams"
	"$here/web.sh" --queuectl "$Q" --jobs "$SCALE_BIG" --seconds "$WEB_SECS" \
		--clients "$WEB_CLIENTS" >"$T/web.out" || return 1

	# One line per URL: the URL, requests/s, p50 and p99 in ms, responses other than 2xx.
	local rows url rps p50 p99 non table='' alone with seen mib
	rows=$(awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
			if (v ~ /m$/) return v * 60000; return v * 1000 }
		/^## GET/ { url = $3 }
		/^ +50%/ { p50[url] = ms($2) }
		/^ +99%/ { p99[url] = ms($2) }
		/^Requests\/sec/ { rps[url] = $2; order[++n] = url }
		/^ *Non-2xx/ { bad[url] = $NF }
		END { for (i = 1; i <= n; i++) { u = order[i]
			printf "%s %.0f %.1f %.1f %d\n", u, rps[u], p50[u], p99[u], bad[u] } }' "$T/web.out")
	[ -n "$rows" ] || fail "web: no figures in $T/web.out"
	while read -r url rps p50 p99 non; do
		goal 10 "\`GET $url\` at $SCALE_BIG jobs: p99 < 50 ms" "$p99 ms ($rps req/s)" \
			"$(yesno "$p99 < 50 && $non == 0")"
		table="$table| \`$url\` | $rps | $p50 | $p99 | $non |"$'\n'
	done <<<"$rows"
	alone=$(sed -n 's/^drain of 2,000 jobs, nobody following: \(.*\) s$/\1/p' "$T/web.out")
	with=$(sed -n 's/^drain of 2,000 jobs with [0-9]* followers: \(.*\) s$/\1/p' "$T/web.out")
	seen=$(sed -n 's/^clients that saw every job completed: //p' "$T/web.out")
	mib=$(awk '/VmHWM/ { printf "%.1f", $(NF - 1) / 1024 }' "$T/web.out")
	goal 10 "$WEB_CLIENTS event streams following a drain of 2,000 jobs: within 1.5 x the drain unfollowed" \
		"$(fmt "$with" 2) / $(fmt "$alone" 2) s = $(fmt "$(calc "$with / $alone")" 2) x; $seen saw the end" \
		"$(yesno "$with <= 1.5 * $alone")"
	goal 10 "the server's memory reported" "peak RSS $mib MiB" "$([ -n "$mib" ] && echo yes || echo '**no**')"
	section 10 <<EOF
## 10. The web server

\`bench/web.sh\`: \`queuectl web\` over a store of $SCALE_BIG jobs in ten queues (a tenth dead,
the rest pending a day ahead), each URL loaded for $WEB_SECS s by \`wrk -t2 -c8 --latency\`
(8 connections at once, on loopback). Then, on a store of its own, $WEB_CLIENTS clients follow
\`/api/v1/events\` (curl) while \`worker start --count 4\` drains 2,000 \`true\` jobs of one
queue, against the same drain of a store nobody follows.

| URL | requests/s | p50 ms | p99 ms | non-2xx |
|---|---:|---:|---:|---:|
${table%$'\n'}

- drain of 2,000 jobs: $(fmt "$alone" 2) s unfollowed, $(fmt "$with" 2) s with $WEB_CLIENTS streams following ($(fmt "$(calc "$with / $alone")" 2) x); clients that received the final status: $seen
- the server's peak resident memory (VmHWM): $mib MiB

\`\`\`sh
bench/web.sh --queuectl queuectl --jobs $SCALE_BIG --seconds $WEB_SECS --clients $WEB_CLIENTS
\`\`\`

Its output:

\`\`\`
$(cat "$T/web.out")
\`\`\`
EOF
}

# --- 11: where the time goes ----------------------------------------------------------------
# perf_table NAME: from $T/perf-NAME.data (recorded with call graphs), the process's samples
# split between user space and the kernel, the kernel's time by system call (inclusive: the
# call and all it leads to), then the user-space functions with 0.5 % of them or more.
perf_table() {
	local f=$T/perf-$1.data
	perf report -i "$f" --no-children --percentage relative --sort dso --stdio 2>/dev/null |
		awk '/^ +[0-9.]+%/ { if ($2 ~ /kernel/) k += $1; else u += $1 }
			END { printf "| %.1f | user space | |\n| %.1f | kernel | |\n", u, k }'
	perf report -i "$f" --children --percentage relative --sort sym --stdio --no-call-graph 2>/dev/null |
		awk '/^ +[0-9.]+%/ && $4 ~ /^(__x64_sys_|__do_sys_clone3$|ksys_write$|ksys_read$)/ {
			name = $4; sub(/^(__x64_sys_|__do_sys_|ksys_)/, "", name)
			if (!(name in seen) && $1 + 0 >= 0.5) printf "| %.1f | kernel | `%s` (system call) |\n", $1, name
			seen[name] = 1 }'
	perf report -i "$f" --no-children --percentage relative --sort dso,sym --stdio --no-call-graph 2>/dev/null |
		awk '/^ +[0-9.]+%/ && $3 == "[.]" && $1 + 0 >= 0.5 {
			printf "| %.1f | `%s` | %s |\n", $1, $2, $4 }'
}

measure_profile() {
	local db=$T/prof.db
	perf record -q -e cpu-clock -o "$T/perf-probe.data" -- true 2>/dev/null ||
		fail "profile: perf cannot record here (perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid))"
	say "profile: perf record of a worker draining $PROF_N jobs 'true', and of the C reference"
	newdb "$db"
	jsonl "$PROF_N" true >"$T/jobs.jsonl"
	"$Q" --db "$db" enqueue --file "$T/jobs.jsonl" >/dev/null
	# --no-inherit: the starter's own process, not its jobs (the worker has no threads).
	perf record -q -g --no-inherit -e cpu-clock -F 4999 -o "$T/perf-worker.data" -- \
		"$Q" --db "$db" worker start --count 2 --until-idle 2>"$T/prof.log" >/dev/null || return 1
	perf record -q -g --no-inherit -e cpu-clock -F 4999 -o "$T/perf-ref.data" -- \
		"$B/spawn_ref" "$PROF_N" 2 sh true >/dev/null || return 1
	section 11 <<EOF
## 11. Where the time goes

\`perf record -g --no-inherit -e cpu-clock\` (4,999 samples a second, the starter's own
process only, not its jobs) of the worker draining $PROF_N jobs \`true\` with 2 slots, and of
the C reference (\`spawn_ref\`) starting as many. For each: the share of its samples in user
space and in the kernel; the kernel's time by system call, each with all it leads to (0.5 %
or more); then user-space functions by their own time (0.5 % or more; the queuectl binary
holds SQLite and Jansson, linked in). Percentages of the process's own samples; multiply by
its CPU per job (measurement 1) for milliseconds. Measurement 9 counts the calls.

The worker (\`queuectl\`):

| % | where | what |
|---:|---|---|
$(perf_table worker)

The C reference (\`spawn_ref\`):

| % | where | what |
|---:|---|---|
$(perf_table ref)

\`\`\`sh
perf record -g --no-inherit -e cpu-clock -F 4999 -o perf.data -- queuectl --db D worker start --count 2 --until-idle
perf report -i perf.data --children --percentage relative --sort sym --stdio --no-call-graph
perf record -g --no-inherit -e cpu-clock -F 4999 -o perf.data -- bench/spawn_ref $PROF_N 2 sh true
\`\`\`
EOF
}

# --- 12: PostgreSQL -----------------------------------------------------------------------
# A throwaway cluster started as the tests start one (tests/pg/cluster.sh: initdb in a new
# temporary directory, as the unprivileged user "postgres" when run as root, fsync and
# synchronous_commit off), stopped by stop_strays.  Workers, and the C programs beside
# them, reach it over TCP on loopback as the user qpass, as workers on other machines
# would (the password in PGPASSWORD, never on a command line); the commands of the scale
# table over its unix socket, as the cluster's superuser.  QUEUECTL_HOME keeps the workers'
# log files in the work directory.
pg_start() {
	local vars
	vars=$("$repo/tests/pg/cluster.sh" start) || return 1
	eval "$vars"
	echo "pg:$QUEUECTL_TEST_PG_DIR" >>"$pids"
	pg_tcp="postgresql://qpass@$QUEUECTL_TEST_PG_TCP/queuectl"
	pg_unix=$QUEUECTL_TEST_PG
	pg_n=0
	export PGPASSWORD=qpass-secret QUEUECTL_HOME=$T/pghome
	mkdir -p "$QUEUECTL_HOME"
}
pg_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$QUEUECTL_TEST_PG_DIR" -p "$(cat "$QUEUECTL_TEST_PG_DIR/port")" \
		-U postgres -d queuectl "$@"
}
# pg_new BASE: a new schema of queuectl's through the URL BASE; its URL in $pg_url, its
# name in $pg_schema.
pg_new() {
	pg_n=$((pg_n + 1)) pg_schema=bench$pg_n
	case $1 in *\?*) pg_url="$1&schema=$pg_schema" ;; *) pg_url="$1?schema=$pg_schema" ;; esac
	"$Q" --db "$pg_url" status >/dev/null
}
pg_drop() { pg_sql -c "SET client_min_messages = warning; DROP SCHEMA $1 CASCADE"; }


# drain_pg NAME N command|argv WHAT SLOTS WORKERS: as drain_queuectl, on a new schema.
drain_pg() {
	local out ns kib self jobs
	pg_new "$pg_tcp" || return 1
	if [ "$3" = argv ]; then jsonl_argv "$2" "$4"; else jsonl "$2" "$4"; fi >"$T/jobs.jsonl"
	"$Q" --db "$pg_url" enqueue --file "$T/jobs.jsonl" >/dev/null || return 1
	settle
	out=$("$B/drain" "$Q" "$pg_url" "$5" "$2" "$T/drain-$1.log" "$6") || return 1
	read -r ns kib self jobs <<<"$out"
	add "drain.$1" "$(calc "$ns / 1e9")"
	add "cpu.$1.self" "$(calc "$self / 1e6 / $2")"
	pg_drop "$pg_schema"
}

# pgclaim_ref NAME N [PROGRAM]: the C reference, 4 processes, on a new schema of N jobs.
pgclaim_ref() {
	local ns
	pg_new "$pg_tcp" || return 1
	jsonl_argv "$2" /bin/true >"$T/jobs.jsonl"
	"$Q" --db "$pg_url" enqueue --file "$T/jobs.jsonl" >/dev/null || return 1
	settle
	ns=$("$B/pgclaim" "$pg_url" 4 "$2" ${3:+"$3"}) || return 1
	add "drain.$1" "$(calc "$ns / 1e9")"
	pg_drop "$pg_schema"
}

# pg_mixed SCHEMA N: N jobs in mixed states, as insert_batch --mixed makes them for SQLite
# (80% completed, 15% pending, 3% dead, 1.8% failed with a retry due in a day, 0.2%
# processing by a worker elsewhere; one history row per attempt), made by the server
# itself, its figures folded as queuectl's own batch leaves them (pg_commit), then vacuumed
# and analysed as autovacuum leaves a store at rest.  Prints the id
# of a completed job from the middle.
pg_mixed() {
	pg_sql -At <<EOF
SET search_path TO $1;
INSERT INTO jobs (id, command, state, queue, priority, attempts, max_retries, runs, timeout,
		  run_at, created_at, updated_at, started_at, finished_at, last_error, exit_code,
		  worker_id, lease_until)
SELECT md5(k || ':' || random()), 'true', st, 'default', 0, att, 3, att + pr, 0,
	CASE WHEN st = 'failed' THEN now_ms + 86400000 ELSE t END, t,
	CASE WHEN att + pr > 0 THEN t + 5 ELSE t END, CASE WHEN att + pr > 0 THEN t + 1 END,
	CASE WHEN att > 0 THEN t + 5 END,
	CASE WHEN st IN ('dead', 'failed') THEN 'exit status 1' END,
	CASE WHEN st IN ('dead', 'failed') THEN 1 WHEN st = 'completed' THEN 0 END,
	CASE WHEN pr = 1 THEN 'bench-old-worker' END, CASE WHEN pr = 1 THEN now_ms + 86400000 END
FROM (SELECT k, now_ms, now_ms - ($2 - k) * 10 AS t, st,
	     CASE st WHEN 'completed' THEN 1 WHEN 'dead' THEN 4 WHEN 'failed' THEN 1 ELSE 0 END AS att,
	     (st = 'processing')::int AS pr
      FROM (SELECT k, (extract(epoch FROM now()) * 1000)::bigint AS now_ms,
		   CASE WHEN k % 1000 < 800 THEN 'completed' WHEN k % 1000 < 950 THEN 'pending'
			WHEN k % 1000 < 980 THEN 'dead' WHEN k % 1000 < 998 THEN 'failed'
			ELSE 'processing' END AS st
	    FROM generate_series(0, $2 - 1) k) a) b
ORDER BY k;
INSERT INTO attempts (job_id, run, attempt, started_at, finished_at, outcome, error, exit_code,
		      worker_id)
SELECT id, r, r, started_at, finished_at, CASE WHEN r < attempts THEN 'failed' ELSE state END,
	last_error, exit_code, 'bench-old-worker'
FROM jobs, generate_series(1, attempts) r WHERE attempts > 0;
SELECT fold_figures_now();
VACUUM ANALYZE jobs;
VACUUM ANALYZE attempts;
VACUUM ANALYZE figures;
VACUUM ANALYZE figure_changes;
SELECT id FROM jobs WHERE state = 'completed' AND seq >= $2 / 2 ORDER BY seq LIMIT 1;
EOF
}

measure_pg() {
	local r w lines rc=0
	say "pg: starting a throwaway PostgreSQL cluster"
	pg_start || return 1

	# 1. Drains of `true`, PostgreSQL beside SQLite, in turn.
	for r in $(seq "$REPS"); do
		say "pg: drain, repetition $r of $REPS ($DRAIN_N jobs on PostgreSQL, then on SQLite)"
		drain_pg pgdrain "$DRAIN_N" command true 2 1
		drain_queuectl sqlite11 "$DRAIN_N" command true normal
	done

	# 2. Claim and finish: 4 workers against the C reference, in turn.
	for r in $(seq "$REPS"); do
		say "pg: claim and finish, repetition $r of $REPS ($DRAIN_N jobs, 4 workers, then the C reference)"
		drain_pg pgclaim_q "$DRAIN_N" argv /bin/true 1 4
		pgclaim_ref pgclaim_ref "$DRAIN_N" /bin/true
		pgclaim_ref pgclaim_db "$DRAIN_N"
	done

	# 3. Pickup through NOTIFY, against a direct start.
	pg_new "$pg_tcp" || return 1
	mkdir -p "$T/stamps"
	"$Q" --db "$pg_url" worker start 2>"$T/pg-pickup-worker.log" &
	w=$!; echo "$w" >>"$pids"
	for _ in $(seq 100); do
		"$Q" --db "$pg_url" status 2>/dev/null | grep -q "^$w " && break
		sleep 0.1
	done
	say "pg: pickup, $PICKUP_N jobs, each to an idle worker, and as many direct starts"
	lines=$("$B/pickup" idle "$Q" "$pg_url" "$B/stamp" "$T/stamps" "$PICKUP_N") || rc=1
	kill "$w"; wait "$w" || true
	rm -rf "$T/stamps"
	[ $rc = 0 ] || return 1
	pg_drop "$pg_schema"
	local q50 q99 d50 d99
	read -r q50 q99 <<<"$(echo "$lines" | sed -n 1p | awk '{ printf "%.3f %.3f\n", $1 / 1e6, $2 / 1e6 }')"
	read -r d50 d99 <<<"$(echo "$lines" | sed -n 2p | awk '{ printf "%.3f %.3f\n", $1 / 1e6, $2 / 1e6 }')"

	# 4. Commands at $SCALE_SMALL and $PG_BIG jobs.
	local small big ids ibig t built psmall pbig
	say "pg: building stores of $SCALE_SMALL and $PG_BIG jobs"
	# PgBouncer in front of the cluster, pooling sessions, as the tests start it; the
	# cluster's stop stops it.
	pg_pool=$("$repo/tests/pg/cluster.sh" pool "$QUEUECTL_TEST_PG_DIR") || return 1
	pg_new "$pg_unix" || return 1
	small=$pg_url psmall="$pg_pool&schema=$pg_schema"
	ids=$(pg_mixed "$pg_schema" "$SCALE_SMALL") || return 1
	pg_new "$pg_unix" || return 1
	big=$pg_url pbig="$pg_pool&schema=$pg_schema"
	t=$(now)
	ibig=$(pg_mixed "$pg_schema" "$PG_BIG") || return 1
	built=$(since "$t")
	say "pg: big store built in ${built%.*} s; timing commands"
	lines=$("$B/calltime" "$SCALE_CALLS" \
		"$Q" --db "$small" status ::: "$Q" --db "$big" status \
		::: "$Q" --db "$small" list --limit 20 ::: "$Q" --db "$big" list --limit 20 \
		::: "$Q" --db "$small" list --state pending --limit 20 \
		::: "$Q" --db "$big" list --state pending --limit 20 \
		::: "$Q" --db "$small" info "$ids" ::: "$Q" --db "$big" info "$ibig" \
		::: "$Q" --db "$small" enqueue true ::: "$Q" --db "$big" enqueue true \
		::: "$B/pgconnect" "$small" ::: "$B/pgconnect" "$big" \
		::: "$Q" --db "$psmall" status ::: "$Q" --db "$pbig" status \
		::: "$Q" --db "$psmall" list --limit 20 ::: "$Q" --db "$pbig" list --limit 20 \
		::: "$Q" --db "$psmall" list --state pending --limit 20 \
		::: "$Q" --db "$pbig" list --state pending --limit 20 \
		::: "$Q" --db "$psmall" info "$ids" ::: "$Q" --db "$pbig" info "$ibig" \
		::: "$Q" --db "$psmall" enqueue true ::: "$Q" --db "$pbig" enqueue true \
		::: "$B/pgconnect" "$psmall" ::: "$B/pgconnect" "$pbig") || return 1
	local dbsize
	dbsize=$(pg_sql -At -c "SELECT pg_database_size('queuectl') / 1048576")

	# The figures.
	local pq sq pc rc_ rd
	pq=$(rate pgdrain "$DRAIN_N") sq=$(rate sqlite11 "$DRAIN_N")
	pc=$(rate pgclaim_q "$DRAIN_N") rc_=$(rate pgclaim_ref "$DRAIN_N") rd=$(rate pgclaim_db "$DRAIN_N")
	goal 12 "drain of $DRAIN_N \`true\` on PostgreSQL beside SQLite (no target: figures)" \
		"$(fmt "$pq" 0) / $(fmt "$sq" 0) jobs/s = $(fmt "$(calc "$pq / $sq")" 2) x" "(no target)"
	goal 12 "claim and finish, 4 workers, >= 0.8 x the C reference (SKIP LOCKED claim, run, update)" \
		"$(fmt "$(calc "$pc / $rc_")" 2) x" "$(yesno "$pc >= 0.8 * $rc_")"
	goal 12 "pickup through NOTIFY: p50 within 5 ms of a direct start" \
		"+$(fmt "$(calc "$q50 - $d50")" 2) ms" "$(yesno "$q50 - $d50 <= 5")"
	ms() { echo "$lines" | sed -n "$1p" | awk '{ printf "%.2f\n", $1 / 1e6 }'; }
	row() { # LABEL LINE_SMALL LINE_BIG [HOW]
		local a b met; a=$(ms "$2") b=$(ms "$3")
		met=$(yesno "$b < 50 && $b <= 1.5 * $a")
		goal 12 "$1 at $PG_BIG jobs on PostgreSQL${4:+ $4}: < 50 ms and <= 1.5 x at $SCALE_SMALL" \
			"$b ms, $(fmt "$(calc "$b / $a")" 2) x" "$met"
		echo "| $1 | $a | $b | ms | $(fmt "$(calc "$b / $a")" 2) | < 50 ms and <= 1.5 x | $met |"
	}
	local pgver
	pgver=$(psql --version | awk '{ print $NF }')
	# shellcheck disable=SC2016 # the backquotes below are markdown
	section 12 <<EOF
## 12. PostgreSQL

A throwaway PostgreSQL $pgver cluster on this machine (\`tests/pg/cluster.sh start\`, as the
tests start it: \`fsync\`, \`synchronous_commit\` and \`full_page_writes\` off, 32 MB of
shared buffers), a new schema for each store. Workers and the C programs beside them connect
over TCP on loopback (127.0.0.1, a password in \`PGPASSWORD\`), as workers on other machines
would; the commands of the last table over the cluster's unix socket.

**Drain.** $DRAIN_N jobs \`true\` (command lines) drained by one \`worker start --count 2\`, on
PostgreSQL and on SQLite (as in measurement 1), in turn; timed from starting the worker
until every job is completed (\`bench/drain\`: on PostgreSQL, until no job is pending or
processing). Median of $REPS runs. No target; the figures side by side:

| store | median | unit | ratio to SQLite | worker CPU per job |
|---|---:|---|---:|---:|
| PostgreSQL | $(fmt "$pq" 0) | jobs/s | $(fmt "$(calc "$pq / $sq")" 2) | $(cpu pgdrain self) ms |
| SQLite (durability normal) | $(fmt "$sq" 0) | jobs/s | 1.00 | $(cpu sqlite11 self) ms |

**Claim and finish.** $DRAIN_N jobs \`{"argv":["/bin/true"]}\` taken by 4 worker processes
(\`worker start --count 1\` each), against \`bench/pgclaim\`: 4 processes, each with its
connection, each claiming one job at a time with the worker's own statement (\`S_CLAIM\`:
\`FOR UPDATE SKIP LOCKED\` in claim order, the rows updated in the same statement), running
\`/bin/true\` as the worker does, and recording it completed with one update fenced on owner,
state and run. The worker writes more per job than that: the job's pid, the attempt's
history row, its log file. Last row, for scale: \`pgclaim\` running nothing (the database's
part alone). Median of $REPS runs, in turn.

| contender | median | unit | ratio to the C reference | target | met |
|---|---:|---|---:|---|---|
| queuectl, 4 x \`worker start --count 1\` | $(fmt "$pc" 0) | jobs/s | $(fmt "$(calc "$pc / $rc_")" 2) | >= 0.8 x | $(yesno "$pc >= 0.8 * $rc_") |
| C reference: claim, run \`/bin/true\`, update (\`pgclaim\`, 4 processes) | $(fmt "$rc_" 0) | jobs/s | 1.00 | | |
| C reference running nothing: claim, update | $(fmt "$rd" 0) | jobs/s | $(fmt "$(calc "$rd / $rc_")" 2) | | |

**Pickup.** As measurement 5, through PostgreSQL: an idle \`worker start\` (1 slot) woken by
\`NOTIFY\` on its listening connection; from \`queuectl enqueue\` returning to the job's first
instruction, against a posix_spawn of the same command. $PICKUP_N of each, in turn.

| contender | p50 | p99 | unit | p50 / p99 over the reference | target | met |
|---|---:|---:|---|---:|---|---|
| queuectl on PostgreSQL: enqueue returned -> job started | $q50 | $q99 | ms | +$(fmt "$(calc "$q50 - $d50")" 3) / +$(fmt "$(calc "$q99 - $d99")" 3) ms | p50 within 5 ms | $(yesno "$q50 - $d50 <= 5") |
| reference: posix_spawn -> job started | $d50 | $d99 | ms | | | |

**Scale.** Two stores in mixed states, as in measurement 6 (80% completed, 15% pending, 3%
dead, 1.8% failed waiting for a retry, 0.2% processing; one history row per attempt), made
by the server (\`INSERT ... SELECT\` from \`generate_series\`, then \`VACUUM ANALYZE\`, as
autovacuum leaves a store at rest): $SCALE_SMALL and $PG_BIG jobs (the database $dbsize MiB,
built in ${built%.*} s). Median wall time of $SCALE_CALLS calls of each command, sizes in turn,
each call a new process and connection.  Last row, the floor under them all: \`bench/pgconnect\`,
a C program linked with libpq that connects, sets the search path and reads one row of the
jobs table in one round trip, and exits; a command cannot cost less than the process, libpq
with the libraries it loads, and the server's new backend.

| command | $SCALE_SMALL jobs | $PG_BIG jobs | unit | ratio | target | met |
|---|---:|---:|---|---:|---|---|
$(row '`status`' 1 2)
$(row '`list --limit 20`' 3 4)
$(row '`list --state pending --limit 20`' 5 6)
$(row '`info ID`' 7 8)
$(row '`enqueue true`' 9 10)
| floor: \`bench/pgconnect\` (connect, one round trip, exit) | $(ms 11) | $(ms 12) | ms | $(fmt "$(calc "$(ms 12) / $(ms 11)")" 2) | | |

The same commands through PgBouncer $(pgbouncer --version | awk 'NR == 1 { print $2 }') on the same machine, pooling sessions (\`pool_mode
session\`, \`DISCARD ALL\` between clients), as a deployment whose many short-lived clients
should not each start a server backend would run it (README, "Many machines"): the
command's connection is to PgBouncer, which hands it a backend already started.

| command, through PgBouncer | $SCALE_SMALL jobs | $PG_BIG jobs | unit | ratio | target | met |
|---|---:|---:|---|---:|---|---|
$(row '`status`' 13 14 'through PgBouncer')
$(row '`list --limit 20`' 15 16 'through PgBouncer')
$(row '`list --state pending --limit 20`' 17 18 'through PgBouncer')
$(row '`info ID`' 19 20 'through PgBouncer')
$(row '`enqueue true`' 21 22 'through PgBouncer')
| floor: \`bench/pgconnect\` through PgBouncer | $(ms 23) | $(ms 24) | ms | $(fmt "$(calc "$(ms 24) / $(ms 23)")" 2) | | |

\`\`\`sh
tests/pg/cluster.sh start      # U: postgresql://qpass@127.0.0.1:PORT/queuectl, PGPASSWORD set
queuectl --db 'U?schema=S' enqueue --file jobs.jsonl   # a new schema S per run
bench/drain queuectl 'U?schema=S' 2 $DRAIN_N LOG        # $DRAIN_N lines {"command":"true"}
bench/drain queuectl D 2 $DRAIN_N LOG                   # SQLite, as in measurement 1
bench/drain queuectl 'U?schema=S' 1 $DRAIN_N LOG 4      # $DRAIN_N lines {"argv":["/bin/true"]}, 4 workers
bench/pgclaim 'U?schema=S' 4 $DRAIN_N /bin/true
bench/pgclaim 'U?schema=S' 4 $DRAIN_N
queuectl --db 'U?schema=S' worker start &
bench/pickup idle queuectl 'U?schema=S' bench/stamp STAMPDIR $PICKUP_N
psql ... < (INSERT ... SELECT ... FROM generate_series(0, N - 1); VACUUM ANALYZE)   # pg_mixed in run.sh
bench/calltime $SCALE_CALLS queuectl --db 'SOCKET_URL&schema=SMALL' status ::: ... --db 'SOCKET_URL&schema=BIG' status \\
	::: ... list --limit 20 ::: ... list --state pending --limit 20 ::: ... info ID ::: ... enqueue true \\
	::: bench/pgconnect 'SOCKET_URL&schema=SMALL' ::: bench/pgconnect 'SOCKET_URL&schema=BIG' \\
	::: ... the same with 'POOL_URL&schema=...'   # POOL_URL: tests/pg/cluster.sh pool DIR
\`\`\`
EOF
}

# --- the run ------------------------------------------------------------------------------
# The source of the binary measured: read at the start, not when the run ends.
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$repo" --no-optional-locks diff --quiet HEAD -- src 2>/dev/null; then
	commit="$commit (with uncommitted changes in src/)"
fi
start=$(now)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "$mode run of $("$Q" --version) in $T"
mtimes=''
for m in $measurements; do
	mstart=$(now)
	set -m		# job control: the next background job gets a process group of its own
	( set -e; "measure_$m" ) &
	mpid=$!
	set +m
	wait "$mpid"
	rc=$?
	mpid=
	stop_strays
	mtimes="$mtimes${mtimes:+, }$m $(fmt "$(since "$mstart")" 0)"
	if [ $rc != 0 ]; then
		say "measurement '$m' failed (status $rc)"
		echo "## $m: failed (status $rc; see the run's output)" >"$sections/failed-$m.md"
	fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
total=$(since "$start")

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
	case " $measurements " in *" pg "*) echo "| PostgreSQL | $(psql --version | awk '{ print $NF }'), a throwaway cluster (measurement 12) |" ;; esac
	echo "| peers | task-spooler $(dpkg-query -W -f='${Version}' task-spooler), nq $(dpkg-query -W -f='${Version}' nq), $(xargs --version | head -1) |"
	echo "| load average (1, 5, 15 min) | $load_start at start, $load_end at end |"
	echo "| run time | $(fmt "$total" 0) s ($mtimes) |"
	echo
	echo "## Targets"
	echo
	echo "Each target of issues 12 (1 to 9), 14 (10) and 13 (12), the figure it is judged on, and"
	echo "whether it is met; the tables below have the details. Measurements 7, 9 and 11 have no"
	echo "target: they give figures only."
	echo
	echo "| measurement | target | figure | met |"
	echo "|---|---|---|---|"
	for f in 1 2 3 4 5 6 7 8 9 10 11 12; do
		cat "$sections/goals-$f" 2>/dev/null
	done
	for m in $measurements; do
		[ -f "$sections/failed-$m.md" ] && echo "| $m | the measurement failed: see the run's output | | **no** |"
	done
	if [ -z "$only" ]; then
		limit=$([ $quick = 1 ] && echo 180 || echo 1800)
		echo "| all | the whole $mode run under $((limit / 60)) minutes | $(fmt "$total" 0) s | $(yesno "$total < $limit") |"
	fi
	echo
	if cat "$sections"/oldgoals-* >/dev/null 2>&1; then
		echo "Targets of earlier issues, kept so that a regression shows:"
		echo
		echo "| measurement | target | figure | met |"
		echo "|---|---|---|---|"
		for f in 1 2 3 4 5 6 7 8 9 10 11 12; do
			cat "$sections/oldgoals-$f" 2>/dev/null
		done
		echo
	fi
	echo "Reproduce: \`bench/run.sh$([ $quick = 1 ] && echo ' --quick')\`. In the commands below, \`bench/X\` is the"
	echo "program built from \`bench/X.c\` (\`cc -O2 -Wall -Wextra -Werror\`, pkg-config sqlite3 libpq),"
	echo "\`queuectl\` the copy measured, and D a fresh database."
	echo
	for f in 1 2 3 4 5 6 7 8 9 10 11 12; do
		[ -f "$sections/$f.md" ] && { cat "$sections/$f.md"; echo; }
	done
	cat "$sections"/failed-*.md 2>/dev/null
} >"$T/results.md"
if [ -n "$out" ]; then
	cp "$T/results.md" "$out" || fail "cannot write '$out'"
	say "wrote $out in $(fmt "$total" 0) s"
fi
cat "$T/results.md"
