#!/bin/bash
# web.sh - the HTTP server of 'queuectl web' under load, at a large store: requests per
# second and latency percentiles (wrk --latency) of /api/v1/status, a filtered job list and
# /metrics, then N clients following the event stream while a worker drains a busy queue,
# and the server's peak memory (VmHWM).  Figures, not pass or fail: not part of 'make test'.
#
# Usage: bench/web.sh [--jobs N] [--clients N] [--seconds S] [--queuectl PATH]
#   defaults: 1,000,000 jobs, 100 clients, 10 s per URL, build/queuectl.
# Everything runs on loopback in a temporary directory, removed at the end with every
# process started.  Needs wrk (Debian package wrk) and curl.
set -u

here=$(cd "$(dirname "$0")" && pwd)
qbin=$(dirname "$here")/build/queuectl
jobs=1000000 clients=100 secs=10
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) jobs=$2; shift ;;
	--clients) clients=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--queuectl) qbin=$2; shift ;;
	*) echo "usage: bench/web.sh [--jobs N] [--clients N] [--seconds S] [--queuectl PATH]" >&2; exit 2 ;;
	esac
	shift
done
command -v wrk >/dev/null || { echo "web.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-webbench.XXXXXX")
export QUEUECTL_HOME=$tmp/home
pids=
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
q() { "$qbin" "$@"; }

echo "# queuectl web at $jobs jobs ($(nproc) cores, $(uname -r))"
# Ten queues, a tenth of the jobs dead, the rest pending in the future (nothing runs them).
awk -v n="$jobs" 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"command\":\"echo job %d\",\"queue\":\"q%d\",\"delay\":\"1d\"}\n", i, i % 10 }' >"$tmp/jobs.jsonl"
start=$(date +%s.%N)
q enqueue --file "$tmp/jobs.jsonl" >/dev/null || exit 1
echo "enqueue --file of $jobs jobs: $(echo "$(date +%s.%N) - $start" | bc) s"

# serve NAME [OPTION...]: start 'queuectl web' on a free port; its pid in web, its URL in base.
serve() {
	local name=$1
	shift
	"$qbin" web --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	web=$!
	pids="$pids $web"
	until grep -q '^serving' "$tmp/$name.out"; do
		kill -0 "$web" 2>/dev/null || { cat "$tmp/$name.err"; exit 1; }
		sleep 0.1	# the server says when it listens: nothing to wait on but its output
	done
	base=$(sed -n 's|^serving \(http://[^/]*\)/$|\1|p' "$tmp/$name.out")
}
serve web

for path in /api/v1/status '/api/v1/jobs?state=pending&queue=q3&limit=100' \
	"/api/v1/jobs?state=pending&limit=100&cursor=$((jobs / 2))" /metrics; do
	echo
	echo "## GET $path (wrk -t2 -c8 -d${secs}s --latency)"
	wrk -t2 -c8 -d"${secs}s" --latency "$base$path" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx'
done

# The event streams on a store of their own (with room for every client: 64 connections by
# default), since a worker of one queue claims past every job of
# the large store not yet due (the claim index is by priority, then age), which would
# measure the claim, not the streams.
kill "$web"
wait "$web" 2>/dev/null
export QUEUECTL_HOME=$tmp/home2
serve web2 --max-connections $((clients + 16))
echo
echo "## $clients clients following /api/v1/events while a worker drains 2,000 jobs"
for i in $(seq "$clients"); do
	curl -sN "$base/api/v1/events" >"$tmp/sse.$i" &
	pids="$pids $!"
done
for i in $(seq 2000); do echo '{"command":"true","queue":"busy"}'; done >"$tmp/busy.jsonl"
# For reference, the same drain on a store that nobody follows.
QUEUECTL_HOME=$tmp/home3 q enqueue --file "$tmp/busy.jsonl" >/dev/null
start=$(date +%s.%N)
QUEUECTL_HOME=$tmp/home3 q worker start --queue busy --count 4 --until-idle >/dev/null 2>&1
echo "drain of 2,000 jobs, nobody following: $(echo "$(date +%s.%N) - $start" | bc) s"
q enqueue --file "$tmp/busy.jsonl" >/dev/null
start=$(date +%s.%N)
q worker start --queue busy --count 4 --until-idle >/dev/null 2>&1
echo "drain of 2,000 jobs with $clients followers: $(echo "$(date +%s.%N) - $start" | bc) s"
# The last status goes out at most 500 ms after the last write: wait for it, 10 s at most.
end=$(($(date +%s) + 10))
while :; do
	got=0
	for i in $(seq "$clients"); do
		grep -q '"completed":2000' "$tmp/sse.$i" 2>/dev/null && got=$((got + 1))
	done
	[ "$got" -eq "$clients" ] || [ "$(date +%s)" -ge "$end" ] && break
	sleep 0.1
done
echo "clients that saw every job completed: $got of $clients"
echo "status events per client: $(grep -c '^event: status' "$tmp/sse.1")"
echo "server peak memory (VmHWM): $(awk '/VmHWM/ { print $2, $3 }' /proc/"$web"/status)"
