#!/bin/bash
# t1310-reboot: a worker of this machine's earlier boot.  Workers run in mount namespaces
# that give them one machine id (a copy of /etc) and a boot id each; the newer boot's worker
# runs in a time namespace that makes the machine seem to have booted a second ago.  Covers:
# while the old boot's worker still beats, a worker of another boot with our machine id (a
# clone that kept it) leaves its job alone, though that worker last beat before the clone
# booted; once the old worker and its job are killed (the machine went down) and the machine
# is back, its new worker returns the job to pending as soon as the old one has missed a
# beat, long before its 60 s lease, without counting an attempt and without signalling any
# pid; the old worker leaves 'status'.
# Needs root for unshare(1): skipped otherwise (exit 77, which run-tests.sh counts apart).
. "$TEST_DIR/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare --mount --time --fork true 2>/dev/null; then
	echo "t1310-reboot: skipped: it needs root, and unshare --mount --time" >&2
	exit 77
fi

# One machine id for both boots, in a copy of /etc (a fresh system may have no machine-id
# file to mount over); a boot id each.
cp -a /etc "$TMP/etc" || fail "cannot copy /etc"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$TMP/etc/machine-id"
for boot in old clone new; do
	cat /proc/sys/kernel/random/uuid >"$TMP/boot-$boot"
done

# in_boot BOOT_FILE [unshare options...] -- COMMAND...: COMMAND as booted with that boot id.
in_boot() {
	local boot=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	unshare --mount "${opts[@]}" sh -c 'mount --bind "$1" /etc &&
		mount --bind "$2" /proc/sys/kernel/random/boot_id && shift 2 && exec "$@"' \
		sh "$TMP/etc" "$boot" "$@"
}
worker_field() { q status --json | jq -r --argjson p "$1" ".workers[] | select(.pid == \$p) | .$2"; }
workers() { q status --json | jq -r '[.workers[].pid] | sort | join(" ")'; }
now_past() { [ "$(date +%s)" -ge "$1" ]; }

check_ok q config set lease 60s
# The first run records its group and stays; the second completes.
check_ok q enqueue --id j1 --max-retries 0 \
	"echo \$\$ >>$TMP/j1.runs; [ \$(wc -l <$TMP/j1.runs) -ge 2 ] || exec sleep 600"

# The worker's pid is its own (in_boot execs it, but runs in a subshell here): from status.
in_boot "$TMP/boot-old" -- "$QUEUECTL" worker start >>"$TMP/worker.log" 2>&1 &
worker_pids="$worker_pids $!"
wait_for 20 test -s "$TMP/j1.runs"
wait_for 10 state_is j1 processing
check_ok q status --json
old=$(jq -r '.workers[0].pid' <<<"$out")
worker_pids="$worker_pids $old"
old_machine=$(jq -r --argjson p "$old" '.workers[] | select(.pid == $p) | .machine' <<<"$out")
assert_match "^$(cat "$TMP/etc/machine-id"):$(cat "$TMP/boot-old"):" "$old_machine" \
	"the old boot's worker's machine"
beat=$(worker_field "$old" heartbeat_at | sed 's/\.[0-9]*//')
beat=$(date -d "$beat" +%s)

# A machine cloned with our machine id, booted a second ago, while the old boot's worker
# beats on: that worker last beat before this boot (it beats at its first tick, 10 s after it
# registered), but it has not missed a beat.
wait_for 10 now_past $((beat + 5))
up=$(cut -d. -f1 /proc/uptime)
in_boot "$TMP/boot-clone" --time --boottime -$((up - 1)) --fork --kill-child -- \
	"$QUEUECTL" worker start >>"$TMP/worker.log" 2>&1 &
worker_pids="$worker_pids $!"
# The clone's worker runs a job of its own: it has started, and recovered, by then.
check_ok q enqueue --id j2 true
wait_for 20 state_is j2 completed
clone=$(q status --json | jq -r --argjson p "$old" '.workers[] | select(.pid != $p) | .pid')
worker_pids="$worker_pids $clone"
assert_match "^$(cat "$TMP/etc/machine-id"):$(cat "$TMP/boot-clone"):" \
	"$(worker_field "$clone" machine)" "the clone's worker's machine"
assert_eq "processing 1" "$(job_state j1) $(wc -l <"$TMP/j1.runs")" \
	"j1 while its worker, of another boot, still beats"
grep -q "restarted\|expired leases" "$TMP/worker.log" &&
	fail "a job was returned while its worker lived: $(cat "$TMP/worker.log")"
check_ok q worker stop --id "$(worker_field "$clone" id)"
wait_for 10 gone "$clone"

# The machine goes down: the old worker and its job die.  It comes back (another boot id,
# booted a second ago), some seconds after the old worker's last beat.
kill -KILL "$old"
kill -KILL -- "-$(head -n 1 "$TMP/j1.runs")"
wait_for 10 gone "$old"
beat=$(worker_field "$old" heartbeat_at | sed 's/\.[0-9]*//')
beat=$(date -d "$beat" +%s)
wait_for 20 now_past $((beat + 4))
up=$(cut -d. -f1 /proc/uptime)
in_boot "$TMP/boot-new" --time --boottime -$((up - 1)) --fork --kill-child -- \
	"$QUEUECTL" worker start >>"$TMP/worker.log" 2>&1 &
worker_pids="$worker_pids $!"
wait_for 40 state_is j1 completed
new=$(q status --json | jq -r --argjson p "$old" '.workers[] | select(.pid != $p) | .pid')
worker_pids="$worker_pids $new"
assert_match "^$(cat "$TMP/etc/machine-id"):$(cat "$TMP/boot-new"):" \
	"$(worker_field "$new" machine)" "the new boot's worker's machine"
assert_match "returned 1 job of worker $old, from before this machine restarted, to pending" \
	"$(cat "$TMP/worker.log")" "the new worker's log"
grep -q "expired leases" "$TMP/worker.log" && fail "the lease ran out first: $(cat "$TMP/worker.log")"
check_ok q info --json j1
assert_eq "completed 1 2" "$(jq -r '"\(.state) \(.attempts) \(.runs)"' <<<"$out")" \
	"j1: state, attempts, runs (the run lost with the boot is not an attempt)"
assert_eq "$new" "$(workers)" "workers: the old boot's one is gone"

check_ok q worker stop
assert_eq "" "$(workers)" "workers after worker stop"
wait_for 10 gone "$new"
finish
