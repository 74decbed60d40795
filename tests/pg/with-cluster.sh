#!/bin/sh
# with-cluster.sh - run a test against PostgreSQL: the cluster that QUEUECTL_TEST_PG names
# (scripts/run-tests.sh starts one for the whole run), else a throwaway one of its own
# (tests/pg/cluster.sh), so that a single 'meson test pg-...' works by itself.
#
# Usage: tests/pg/with-cluster.sh PROGRAM [ARGS...]
# The unit tests get QUEUECTL_TEST_DB, a URL with a schema new for each test (tmpdb.h: the
# "{}"); the end-to-end tests make their own from QUEUECTL_TEST_PG (lib.sh), told to by
# QUEUECTL_TEST_BACKEND=postgresql.
set -eu
if [ -z "${QUEUECTL_TEST_PG:-}" ]; then
	exec "$(dirname "$0")/cluster.sh" run "$0" "$@"
fi
export QUEUECTL_TEST_DB="$QUEUECTL_TEST_PG&schema=unit-{}"
export QUEUECTL_TEST_BACKEND=postgresql
exec "$@"
