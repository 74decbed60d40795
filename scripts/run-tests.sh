#!/bin/sh
# run-tests.sh - run the whole suite in a build directory and end with one summary line,
# "N passed, N failed" (", N skipped: NAMES" after it when a test could not run here), that
# CI and people read the same way.
#
# Usage: scripts/run-tests.sh BUILD_DIR [meson test arguments...]
# A test that the source tree has and the build lacks is not nothing: it counts as failed.
# tests/unit/test_NAME.c should be the test unit-NAME, tests/e2e/tNNNN-NAME.sh the test
# tNNNN-NAME; when one is missing from BUILD_DIR (configured before cmocka was installed, or
# before the test file was added), BUILD_DIR is configured again first, and a test still
# missing after that is reported and counted as failed.  The suites checked are those the
# arguments ask for: unit and e2e, or those named with --suite (less those with --no-suite).
#
# The suite 'pg' (run unless --suite leaves it out or --no-suite pg) needs a PostgreSQL
# server: one throwaway cluster (tests/pg/cluster.sh) serves the whole run, each test in a
# schema of its own, and is removed at the end.
set -u
build=$1
shift
src=$(dirname "$0")/..

suites=
no_suites=
prev=
for a; do
	case $prev in
	--suite) suites="$suites $a" ;;
	--no-suite) no_suites="$no_suites $a" ;;
	esac
	case $a in
	--suite=*) suites="$suites ${a#--suite=}" ;;
	--no-suite=*) no_suites="$no_suites ${a#--no-suite=}" ;;
	esac
	prev=$a
done
wanted() {
	case " ${suites:-unit e2e} " in *" $1 "*) ;; *) return 1 ;; esac
	case " $no_suites " in *" $1 "*) return 1 ;; esac
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-run-tests.XXXXXX") || exit 1
pg_dir=
trap 'rm -rf "$tmp"; [ -z "$pg_dir" ] || "$src/tests/pg/cluster.sh" stop "$pg_dir"' EXIT
trap 'exit 130' INT TERM

# The tests of the wanted suites that the source tree has and the build does not, one a line.
missing() {
	{
		if wanted unit; then
			for f in "$src"/tests/unit/test_*.c; do
				[ -e "$f" ] || continue
				f=${f##*/test_}
				echo "unit-${f%.c}"
			done
		fi
		if wanted e2e; then
			for f in "$src"/tests/e2e/t[0-9]*.sh; do
				[ -e "$f" ] || continue
				f=${f##*/}
				echo "${f%.sh}"
			done
		fi
	} >"$tmp/expected"
	meson introspect --tests "$build" 2>/dev/null |
		grep -o '"name": "[^"]*"' | sed 's/^"name": "//; s/"$//' >"$tmp/registered"
	grep -vxF -f "$tmp/registered" "$tmp/expected"
}

lacking=$(missing)
if [ -n "$lacking" ]; then
	echo "run-tests.sh: $build lacks" $lacking "- configuring it again" >&2
	meson setup --reconfigure "$build" >"$tmp/setup.log" 2>&1 || {
		cat "$tmp/setup.log" >&2
		echo "run-tests.sh: meson setup --reconfigure $build failed" >&2
		exit 1
	}
fi

# A cluster for the suite 'pg'; should it fail to start, each pg test tries one of its own
# (tests/pg/with-cluster.sh) and fails with the reason.
if { [ -z "$suites" ] || case " $suites " in *" pg "*) true ;; *) false ;; esac; } &&
	case " $no_suites " in *" pg "*) false ;; *) true ;; esac &&
	[ -z "${QUEUECTL_TEST_PG:-}" ]; then
	if "$src/tests/pg/cluster.sh" start >"$tmp/pg.env"; then
		. "$tmp/pg.env"
		pg_dir=$QUEUECTL_TEST_PG_DIR
		export QUEUECTL_TEST_PG QUEUECTL_TEST_PG_TCP QUEUECTL_TEST_PG_DIR
	fi
fi

: >"$tmp/start"
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?

# meson names the log after a --wrapper (testlog-valgrind.json): take the newest, and only
# one written by this run (a failed build writes none, and an old one would pass for it).
log=$(find "$build/meson-logs" -name 'testlog*.json' -newer "$tmp/start" 2>/dev/null |
	xargs -r ls -t | head -n 1)
passed=0 failed=0 skipped=
if [ -n "$log" ]; then
	passed=$(grep -c '"result": "OK"' "$log")
	failed=$(grep -v '"result": "OK"' "$log" | grep -vc '"result": "SKIP"')
	skipped=$(grep '"result": "SKIP"' "$log" | grep -o '"name": "[^"]*"' | cut -d'"' -f4)
else
	echo "run-tests.sh: meson test wrote no test log: no test ran" >&2
	[ $rc -ne 0 ] || rc=1
fi
for t in $(missing); do
	case $t in
	unit-*) why="not built: cmocka is not installed (scripts/deps.sh test), or tests/unit/meson.build does not list ${t#unit-}" ;;
	*) why="not registered by tests/e2e/meson.build" ;;
	esac
	echo "MISSING $t: $why"
	failed=$((failed + 1))
	rc=1
done
# A test that cannot run here (one that needs root, run as another user) exits 77: it is
# neither passed nor failed, and named, so that nobody takes the run for a whole one.
if [ -n "$skipped" ]; then
	echo "$passed passed, $failed failed, $(echo "$skipped" | wc -l) skipped:" $skipped
else
	echo "$passed passed, $failed failed"
fi
exit $rc
