#!/bin/sh
# run.sh - build the libFuzzer harnesses, replay every saved regression input once, then fuzz
# each harness for a bounded time; one summary line per harness, and a non-zero exit status
# if any crash, leak, timeout or sanitizer report happened.  What CI runs.
#
# Usage: fuzz/run.sh [SECONDS [NAME...]]
#   SECONDS  how long to fuzz each harness (default 20)
#   NAME     only these harnesses (job_json jsonl time config argv text; default all)
#
# Each harness starts from its seed corpus, fuzz/corpus/NAME/, which it reads but never
# writes: what it finds goes to a temporary directory, removed at the end.  A failing input
# is saved as fuzz/out/artifacts/fuzz_NAME-crash-... (or leak-, timeout-, oom-) and printed
# in base64; once the bug is understood, copy it to fuzz/regressions/NAME/ under a name
# that says what it is, so that every later run replays it.  To replay or debug one input:
#   fuzz/out/fuzz_NAME FILE...
set -u
cd "$(dirname "$0")/.."

secs=${1:-20}
[ $# -gt 0 ] && shift
names=${*:-job_json jsonl time config argv text}

fuzz/build.sh || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-fuzz-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# fuzz_argv makes its throwaway store under $TMPDIR: here, it goes even if the harness dies.
export TMPDIR="$tmp"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
mkdir -p fuzz/out/artifacts

# The failure in a harness's log: the input being replayed, what the sanitizer or our CHECK
# said, and where the input was saved.  On stdout, in order with the summary lines.
report() {
	sed -n '/^Running: \|fuzz check failed\|==[0-9]*==\s*ERROR\|runtime error:\|^SUMMARY\|ERROR: libFuzzer\|Test unit written\|^Base64:/p' \
		"$1" | head -n 40 | sed 's/^/    /'
}

# A log with a sanitizer report fails even if the exit status says otherwise.
clean_log() {
	! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:\|fuzz check failed\|ERROR: libFuzzer' "$1"
}

stat_of() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=0
for name in $names; do
	bin=fuzz/out/fuzz_$name
	if [ ! -x "$bin" ]; then
		printf '%-14s FAILED: no such harness\n' "fuzz_$name"
		failed=1
		continue
	fi
	# Value profiling (comparison operands as coverage) is what finds the edges of ranges,
	# like a time zone offset that moves a time before 1970; fuzz_argv is too slow for it.
	case $name in
	job_json | jsonl) opts="-dict=fuzz/json.dict -use_value_profile=1" ;;
	argv) opts=-dict=fuzz/argv.dict ;;
	*) opts=-use_value_profile=1 ;;
	esac

	nreg=0
	if [ -d "fuzz/regressions/$name" ]; then
		nreg=$(find "fuzz/regressions/$name" -type f | wc -l)
	fi
	if [ "$nreg" -gt 0 ]; then
		log=$tmp/$name-regressions.log
		if ! "$bin" -timeout=10 -rss_limit_mb=2048 "fuzz/regressions/$name"/* >"$log" 2>&1 ||
			! clean_log "$log"; then
			printf '%-14s FAILED replaying its %d regression inputs (not fuzzed):\n' \
				"fuzz_$name" "$nreg"
			report "$log"
			failed=1
			continue
		fi
	fi

	log=$tmp/$name.log
	mkdir "$tmp/corpus-$name"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="fuzz/out/artifacts/fuzz_$name-" $opts \
		"$tmp/corpus-$name" "fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(stat_of number_of_executed_units "$log")
	speed=$(stat_of average_exec_per_sec "$log")
	new=$(stat_of new_units_added "$log")
	if [ $rc -ne 0 ] || ! clean_log "$log"; then
		printf '%-14s FAILED (exit %d) after %s runs:\n' "fuzz_$name" "$rc" "${runs:-?}"
		report "$log"
		failed=1
	else
		printf '%-14s ok  %3s s  %9s runs  %7s exec/s  %4s new inputs  %2d regressions\n' \
			"fuzz_$name" "$secs" "$runs" "$speed" "$new" "$nreg"
	fi
done
exit $failed
