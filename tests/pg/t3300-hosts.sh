#!/bin/bash
# t3300-hosts: many machines on one PostgreSQL server, simulated with namespaces.  Three
# "hosts", each its own UTS, mount, pid and network namespace: its own host name, its own
# /etc/machine-id and boot id (a copy of /etc and a file, bind-mounted in its mount
# namespace), its own /proc, and a network reaching the server only through a veth pair
# (10.213.H.2 in the host, 10.213.H.1 on the server's side, where the server listens).
# Hosts 2 and 3 have the same host name.  Each host runs two workers of two slots, as user
# "qpass" with a password.
#   1. 10,000 jobs drained by 3 hosts x 4 slots: each runs exactly once, every host ran
#      some, nothing left.
#   2. Every worker of host 3 SIGKILLed in the middle of a drain of jobs that each take 3 s:
#      its jobs are run again on the other hosts, not before their leases ran out (host 2,
#      of the same name, recovers on every tick meanwhile and must not take host 3's dead
#      pids for its own) and soon after (two leases at most), and every job completes.
#   3. Host 1's link cut (its veth taken down) while it runs 4 jobs of 20 s, for longer than
#      the lease: its own workers stop them before they start anywhere else, host 2 runs
#      them; host 3's 4 jobs, beside host 2 of the same name, run once each, untouched;
#      once the link is back everything completes, and host 1 runs jobs again.
# The jobs of 2 and 3 write "start" and "end" lines with their times to a file per job,
# from a process of a session of its own, so that the end is written even when the job's
# process group is killed, and only once the last process of the run has gone; each run
# also holds a lock on the job's file, so two runs at once are caught by the kernel too.
#
# It needs root (namespaces, veth pairs), and mount namespaces, which a chroot cannot make
# (its root is no mount point): otherwise it exits 77 (skipped, said on stderr); where they
# can be made, a host that cannot be made fails it.  Everything it makes goes at the
# end, also on failure: the namespaces die with their first process (killed, or
# --pdeathsig'ed if this script is killed), the veth pairs with them, the cluster is its own.
if [ "$(id -u)" -ne 0 ] || ! unshare --uts --net --mount --pid --fork --mount-proc true 2>/dev/null; then
	echo "t3300-hosts: skipped: it makes namespaces and veth pairs: it needs root, and no chroot" >&2
	exit 77
fi
. "$TEST_DIR/lib.sh"

lease=6
hosts="1 2 3"
declare -A init name mid boot url workers nse_of
name=([1]=qh-one [2]=qh-twin [3]=qh-twin)

teardown() {
	local h
	# Every process of a host goes with its first one, and nsenter and unshare with them:
	# no "Killed" from bash for them.
	disown -a
	for h in $hosts; do
		ip link del "qh${h}a" 2>/dev/null
		[ -z "${init[$h]:-}" ] || kill -KILL "${init[$h]}" 2>/dev/null
	done
	[ -z "${QUEUECTL_TEST_PG_DIR:-}" ] || "$PG_TEST_DIR/cluster.sh" stop "$QUEUECTL_TEST_PG_DIR"
	cleanup
}
trap teardown EXIT

# --- The hosts.  The first process of each is a bash that sets its name, binds its
# machine-id and boot id, and stays (reaping orphans, as an init does).
host_up() {
	[ -e "$TMP/h$1/ready" ] && return 0
	gone "${unshare_pid:?}" && fail "host $1: cannot make its namespaces: $(cat "$TMP/h$1/init.log")"
	return 1
}
in_host() { nsenter -t "${init[$1]}" -u -n -m -p -- "${@:2}"; }
for h in $hosts; do
	ip link show "qh${h}a" >/dev/null 2>&1 && fail "qh${h}a exists: another run of this test?"
	d=$TMP/h$h
	mkdir -p "$d/home"
	mid[$h]=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	boot[$h]=$(cat /proc/sys/kernel/random/uuid)
	# A copy of /etc with the host's machine-id: a fresh system may have no such file to
	# mount over.
	cp -a /etc "$d/etc" || fail "host $h: cannot copy /etc"
	echo "${mid[$h]}" >"$d/etc/machine-id"
	echo "${boot[$h]}" >"$d/boot_id"
	setpriv --pdeathsig KILL unshare --uts --net --mount --pid --fork --kill-child --mount-proc \
		bash -c 'hostname "$1" && mount --bind "$2/etc" /etc &&
			 mount --bind "$2/boot_id" /proc/sys/kernel/random/boot_id &&
			 ip link set lo up && touch "$2/ready" || exit 1
			 while :; do sleep 3600; done' init "${name[$h]}" "$d" >"$d/init.log" 2>&1 &
	unshare_pid=$!
	wait_for 20 host_up "$h"
	init[$h]=$(pgrep -P "$unshare_pid")
	[ -n "${init[$h]}" ] || fail "host $h: no first process"
	ip link add "qh${h}a" type veth peer name "qh${h}b" netns "${init[$h]}" ||
		fail "host $h: cannot make its veth pair"
	ip addr add "10.213.$h.1/24" dev "qh${h}a" && ip link set "qh${h}a" up ||
		fail "host $h: cannot set up the server's end of its link"
	in_host "$h" ip addr add "10.213.$h.2/24" dev "qh${h}b" &&
		in_host "$h" ip link set "qh${h}b" up || fail "host $h: cannot set up its end of the link"
done

# Each host sees itself, not this machine.
for h in $hosts; do
	assert_eq "${name[$h]} ${mid[$h]} ${boot[$h]}" \
		"$(in_host "$h" sh -c 'echo "$(hostname) $(cat /etc/machine-id) $(cat /proc/sys/kernel/random/boot_id)"')" \
		"host $h's name, machine id and boot id"
done

# --- The server: a cluster of its own, listening on the server's end of every link, where
# only "qpass" with its password gets in.
QUEUECTL_TEST_PG_DIR=
eval "$(QUEUECTL_TEST_PG_LISTEN=10.213.1.1,10.213.2.1,10.213.3.1 QUEUECTL_TEST_PG_ALLOW=10.213.0.0/16 \
	"$PG_TEST_DIR/cluster.sh" start)" || fail "cannot start the cluster"
port=${QUEUECTL_TEST_PG_TCP##*:}
PG=$QUEUECTL_TEST_PG
PG_SCHEMA=${PG_SCHEMA:-e2e-t3300-hosts-$$}
export PGPASSWORD=qpass-secret
DB="postgresql://qpass@127.0.0.1:$port/queuectl?schema=$PG_SCHEMA"
export QUEUECTL_DB=$DB
for h in $hosts; do
	url[$h]="postgresql://qpass@10.213.$h.1:$port/queuectl?schema=$PG_SCHEMA"
done
check_ok q config set lease $lease

# --- Workers on the hosts.  nsenter forks into the pid namespace: the worker is its child.
start_host_worker() {
	local h=$1 n
	env QUEUECTL_HOME="$TMP/h$1/home" QUEUECTL_DB="${url[$h]}" \
		nsenter -t "${init[$h]}" -u -n -m -p -- "$QUEUECTL" worker start --count 2 \
		>>"$TMP/h$h.log" 2>&1 &
	n=$!
	wait_for 20 eval "pgrep -P $n >/dev/null"
	workers[$h]="${workers[$h]:-} $(pgrep -P $n)"
	nse_of[$(pgrep -P $n)]=$n
}
start_host() {
	start_host_worker "$1"
	start_host_worker "$1"
	wait_for 20 registered "$1" 2
}
registered() {
	[ "$(sql "SELECT count(*) FROM workers WHERE machine LIKE '${mid[$1]}:%'")" -eq "$2" ]
}
# SIGTERM, and each exits 0.
stop_host() {
	local w
	for w in ${workers[$1]}; do
		kill -TERM "$w"
		reaped "${nse_of[$w]}"
		assert_eq 0 "$rc" "exit status of a worker of host $1"
	done
	workers[$1]=
}
alive() {
	local w
	for w in ${workers[$1]}; do gone "$w" && fail "a worker of host $1 died: $(cat "$TMP/h$1.log")"; done
	return 0
}

counts() { q status --json | jq -c '[.completed, .pending, .processing, .failed]'; }
all_done() { [ "$(counts)" = "[$1,0,0,0]" ]; }
# The jobs that host $1's workers hold.
held_by() {
	sql "SELECT j.id FROM jobs j JOIN workers w ON w.id = j.worker_id
	     WHERE j.state = 'processing' AND w.machine LIKE '${mid[$1]}:%' ORDER BY j.id"
}

# --- An observed job: bash job.sh SECS DIR, as job $QUEUECTL_JOB_ID.  Its lock taken, it
# starts a process in a session of its own (out of the job's process group), which writes
# "start RUN TIME_US MACHINE" and, once every process of the run holding its pipe has gone,
# "end RUN TIME_US"; the job works (sleeps) only once the start is written.
cat >"$TMP/job.sh" <<-'EOF'
	secs=$1 dir=$2 id=$QUEUECTL_JOB_ID
	exec 9>>"$dir/$id.lock"
	flock -n 9 || echo "$id $(date +%s%6N) $(cat /etc/machine-id)" >>"$dir/overlaps"
	coproc obs {
		exec 9>&-
		exec setsid bash -c 'echo "start $2 $(date +%s%6N) $(cat /etc/machine-id)" >>"$1"
			echo written
			cat >/dev/null
			echo "end $2 $(date +%s%6N)" >>"$1"' obs "$dir/$id.runs" "$SRANDOM$SRANDOM"
	}
	read -r _ <&"${obs[0]}" || exit 1
	exec 7>&"${obs[1]}"
	sleep "$secs"
EOF
# Every run in DIR has an end, and no two runs of one job overlap, by their times and by
# their locks.
check_runs() {
	[ ! -e "$1/overlaps" ] || fail "a run found its job's lock held: $(cat "$1/overlaps")"
	assert_eq "" "$(awk '
		{ job = FILENAME; sub(".*/", "", job) }
		$1 == "start" { s[job, $2] = $3 + 0; runs[job] = runs[job] " " $2 }
		$1 == "end" { e[job, $2] = $3 + 0 }
		END {
			for (job in runs) {
				n = split(runs[job], t, " ")
				for (i = 1; i <= n; i++) {
					if (!((job, t[i]) in e)) {
						print job ": a run without an end"
						continue
					}
					for (j = 1; j < i; j++)
						if ((job, t[j]) in e && s[job, t[i]] < e[job, t[j]] &&
						    s[job, t[j]] < e[job, t[i]])
							print job ": two runs at once"
				}
			}
		}' "$1"/*.runs)" "runs that overlap or never ended"
}
# The start times (us) of job $2's runs in dir $1 on machine $3 ("" for any), or elsewhere
# ("!" before it).
starts() {
	awk -v m="$3" '$1 == "start" && (m == "" || $4 == m || (m ~ /^!/ && "!" $4 != m)) { print $3 }' \
		"$1/$2.runs" 2>/dev/null
}
enqueue_observed() { # PREFIX COUNT SECS DIR
	mkdir -p "$4"
	jq -cn --arg p "$1" --argjson n "$2" --arg cmd "bash $TMP/job.sh $3 $4" \
		'range(1; $n + 1) | {id: "\($p)\(.)", command: $cmd}' >"$TMP/$1.jsonl"
	check_ok q enqueue --file "$TMP/$1.jsonl"
}

for h in $hosts; do start_host "$h"; done
# Three machines, told apart by machine id, boot id and pid namespace, whatever their names.
for h in $hosts; do
	assert_eq "${name[$h]} ${name[$h]}" \
		"$(sql "SELECT string_agg(host, ' ') FROM workers WHERE machine LIKE '${mid[$h]}:${boot[$h]}:%'")" \
		"host $h's workers"
done

# --- 1. 10,000 jobs over 3 hosts x 4 slots: each runs exactly once.
n=10000
t0=$(date +%s%3N)
jq -cn --arg f "$TMP/runs1" --argjson n $n \
	'range(1; $n + 1) | {id: "a\(.)", command: "echo $QUEUECTL_JOB_ID >>\($f)"}' >"$TMP/a.jsonl"
check_ok q enqueue --file "$TMP/a.jsonl"
# The runs file first: a line count is cheap to poll, a status is a connection.
drained() { [ "$(cat "$TMP/runs1" 2>/dev/null | wc -l)" -ge $n ] && all_done $n; }
wait_for 900 drained
echo "drained $n jobs over 3 hosts x 4 slots in $(( $(date +%s%3N) - t0 )) ms"
for h in $hosts; do alive "$h"; done
assert_eq $n "$(wc -l <"$TMP/runs1")" "runs"
assert_eq $n "$(sort -u "$TMP/runs1" | wc -l)" "jobs run"
assert_eq "" "$(sql "SELECT id FROM jobs WHERE runs <> 1 OR attempts <> 1 LIMIT 5")" "jobs run more than once"
for h in $hosts; do
	ran=$(sql "SELECT count(*) FROM attempts WHERE machine LIKE '${mid[$h]}:%'")
	echo "host $h ran $ran"
	[ "$ran" -gt 0 ] || fail "host $h ran none of the $n jobs"
done
total=$n

# --- 2. Every worker of host 3 SIGKILLed in the middle of a drain.
k=36
enqueue_observed b $k 3 "$TMP/runs2"
total=$((total + k))
running_on() { # H N: host H holds at least N jobs that have started
	local c=0 j
	for j in $(held_by "$1"); do [ -n "$(starts "$TMP/runs2" "$j" "${mid[$1]}")" ] && c=$((c + 1)); done
	[ "$c" -ge "$2" ]
}
wait_for 60 running_on 3 3
# Their leases' ends as the server has them, read before the kill (a renewal meanwhile
# only moves them later).
leases=$(sql "SELECT j.id || ' ' || j.lease_until FROM jobs j JOIN workers w ON w.id = j.worker_id
	      WHERE j.state = 'processing' AND w.machine LIKE '${mid[3]}:%'")
killed_at=$(date +%s%6N)
for w in ${workers[3]}; do
	disown "${nse_of[$w]}" # no "Killed" from bash
	kill -KILL "$w"
done
for w in ${workers[3]}; do wait_for 20 gone "${nse_of[$w]}"; done
workers[3]=
wait_for 120 all_done $total
check_runs "$TMP/runs2"
latest=0
while read -r j until; do
	first=$(starts "$TMP/runs2" "$j" "${mid[3]}")
	[ -n "$first" ] || continue
	again=$(starts "$TMP/runs2" "$j" "!${mid[3]}")
	[ -n "$again" ] || fail "job $j, killed with host 3, did not run elsewhere"
	assert_eq 1 "$(echo "$again" | wc -l)" "runs of job $j elsewhere"
	[ "$again" -ge $((until * 1000)) ] ||
		fail "job $j ran again $(( (until * 1000 - again) / 1000 )) ms before its lease ran out"
	# Recovered at the next tick of a worker elsewhere (lease / 3) after the lease's end,
	# then claimed before the younger jobs still pending: two leases is a deadline for
	# that on a loaded machine, not a measure.
	[ "$again" -le $(( (until + 2 * lease * 1000) * 1000 )) ] ||
		fail "job $j ran again $(( (again - until * 1000) / 1000 )) ms after its lease ran out (lease ${lease} s)"
	[ "$again" -le "$latest" ] || latest=$again
	checks=$((checks + 1))
done <<<"$leases"
[ "$latest" -gt 0 ] || fail "no job of host 3 had started when it was killed"
echo "the jobs of host 3 ran again elsewhere at most $(( (latest - killed_at) / 1000 )) ms after the kill (lease ${lease} s)"
assert_eq "" "$(sql "SELECT id FROM jobs WHERE id LIKE 'b%' AND state <> 'completed'")" "jobs of the drain lost"
for h in 1 2; do alive "$h"; done

# --- 3. Host 1's link cut while it runs 4 jobs of 20 s.  Host 2 waits, idle, beside host
# 3 (of the same name) which runs 4 more.
stop_host 2
start_host 3
enqueue_observed c 8 20 "$TMP/runs3"
total=$((total + 8))
all_started() {
	local i
	for i in $(seq 1 8); do [ -n "$(starts "$TMP/runs3" "c$i" "")" ] || return 1; done
}
wait_for 60 all_started
one=$(held_by 1)
three=$(held_by 3)
assert_eq "4 4" "$(echo $one | wc -w) $(echo $three | wc -w)" "jobs held by hosts 1 and 3"
start_host 2
ip link set qh1a down || fail "cannot cut host 1's link"
cut_at=$(date +%s%3N)
elsewhere() {
	local j
	for j in $one; do [ -n "$(starts "$TMP/runs3" "$j" "!${mid[1]}")" ] || return 1; done
}
wait_for 90 elsewhere
# The cut lasts two leases (its length, not a synchronisation): the jobs may run
# elsewhere sooner, since their leases date from the last renewal before the cut.
cut_long() { [ $(( $(date +%s%3N) - cut_at )) -ge $((2 * lease * 1000)) ]; }
wait_for 60 cut_long
ip link set qh1a up || fail "cannot restore host 1's link"
up_at=$(date +%s%3N)
echo "host 1's link was cut for $((up_at - cut_at)) ms"
# Both of host 1's workers reach the server again (heartbeat_at is the server's clock,
# which is this kernel's).
beat_again() {
	[ "$(sql "SELECT count(*) FROM workers WHERE machine LIKE '${mid[1]}:%' AND heartbeat_at > $up_at")" -eq 2 ]
}
wait_for 180 beat_again
echo "host 1's workers beat again $(( $(date +%s%3N) - up_at )) ms after the link came back"
wait_for 120 all_done $total
check_runs "$TMP/runs3"
for j in $one; do
	assert_eq 1 "$(starts "$TMP/runs3" "$j" "${mid[1]}" | wc -l)" "runs of job $j on host 1"
	assert_eq 1 "$(starts "$TMP/runs3" "$j" "!${mid[1]}" | wc -l)" "runs of job $j elsewhere"
	assert_match "${mid[2]}|${mid[3]}" "$(grep '^start' "$TMP/runs3/$j.runs")" "job $j's runs"
	# Stopped, not finished: its run on host 1 ended well before its 20 s.
	s=$(awk -v m="${mid[1]}" '$1 == "start" && $4 == m { r = $2; s = $3 } $1 == "end" && $2 == r { print $3 - s }' \
		"$TMP/runs3/$j.runs")
	[ "$s" -lt 15000000 ] || fail "job $j ran on host 1 for $s us: not stopped"
	gap=$(awk -v m="${mid[1]}" '$1 == "start" && $4 == m { r = $2 } $1 == "end" && $2 == r { e = $3 }
				    $1 == "start" && $4 != m { s = $3 } END { print s - e }' "$TMP/runs3/$j.runs")
	echo "job $j: stopped on host 1 ${gap} us before it started elsewhere"
done
for j in $three; do
	assert_eq "${mid[3]}" "$(awk '$1 == "start" { print $4 }' "$TMP/runs3/$j.runs")" "the runs of job $j"
done
assert_eq "" "$(sql "SELECT id FROM jobs WHERE id IN ('$(echo $three | sed "s/ /','/g")')
		     AND (runs <> 1 OR attempts <> 1)")" "host 3's jobs run more than once"

# Host 1 works again: alone, it runs new jobs.
for h in $hosts; do alive "$h"; done
stop_host 2
stop_host 3
for i in 1 2 3 4; do check_ok q enqueue --id "d$i" true; done
total=$((total + 4))
wait_for 120 all_done $total
assert_eq 4 "$(sql "SELECT count(*) FROM attempts WHERE job_id LIKE 'd%' AND machine LIKE '${mid[1]}:%'")" \
	"jobs run by host 1 after its link came back"
stop_host 1
finish
