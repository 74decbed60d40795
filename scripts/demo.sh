#!/bin/sh
# demo.sh - a short tour of queuectl on a throwaway queue: enqueue a few jobs (one fails),
# run a worker until they settle, then show status, the dead letter queue and a job's log.
#
# Usage: scripts/demo.sh [path/to/queuectl]
set -eu
q=${1:-build/queuectl}
case $q in /*) ;; *) q=$(pwd)/$q ;; esac
QUEUECTL_HOME=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-demo.XXXXXX")
export QUEUECTL_HOME
trap 'rm -rf "$QUEUECTL_HOME"' EXIT

if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); else bold= plain=; fi
step() { printf '\n%s$ queuectl %s%s\n' "$bold" "$*" "$plain"; "$q" "$@"; }

echo "queuectl demo: data in $QUEUECTL_HOME (removed at the end)"
step config set backoff-base 1
step config set max-retries 2
step enqueue "echo hello from queuectl"
step enqueue '{"id":"report","command":"sleep 1; date -u; echo report done"}'
step enqueue --id flaky -- sh -c 'echo "trying attempt $QUEUECTL_ATTEMPT"; exit 3'
step enqueue --priority 10 --id urgent "echo I jump the queue"
step status
step worker start --count 2 --detach

# Settled: nothing pending, running or waiting for a retry.
until [ "$("$q" status | awk '$1 ~ /^(pending|processing|failed)$/ { n += $2 } END { print n }')" = 0 ]; do
	sleep 0.2
done
step worker stop
step status
step list
step dlq list
step logs flaky
step info report
