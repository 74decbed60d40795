#!/bin/bash
# t2300-bad-store: a store that cannot be written, is damaged, or is not there.  Each
# failure is one line on stderr starting 'queuectl: ' that names the file and the cause,
# exit status 1, and the store left as it was.  Covers:
# - a read-only database: the file's mode, the directory's mode (no room for the -wal and
#   -shm files), the immutable flag, a read-only file system;
# - a damaged database: pages in the middle overwritten; random bytes; the SQLite database
#   of another program (not to be taken over);
# - a data directory that cannot be created (under a file, under a read-only directory);
# - a full disk: RLIMIT_FSIZE during a large 'enqueue --file', a full tmpfs during one and
#   before any;
# - a database locked by another process for longer than QUEUECTL_BUSY_TIMEOUT.
# Cases that need root (chattr, mounts) or an unprivileged user are skipped, with a note,
# where the machine does not allow them.
# Commands: enqueue, enqueue --file, config set, delete, list --json, status.
. "$TEST_DIR/lib.sh"

check_ok q enqueue --id keep1 true
check_ok q enqueue --id keep2 'echo two'
before=$(snapshot)

# A big batch (about 2 MB of store) for the disk-full cases, whose limit is 1 MiB.
seq 1 10000 | sed 's/.*/{"command":"echo &"}/' >"$TMP/big.jsonl"

skip() {
	echo "# skipped: $*"
}

# Checks that must hold for a user whom file modes bind.  As root they do not (root writes
# through them), so as root the same commands run as 'nobody' through setpriv or runuser,
# with the test's directories opened for traversal (x only) so that nobody can reach the
# store but not change it.  Not root: the commands run as they are.
unpriv=()
if [ "$(id -u)" != 0 ]; then
	unpriv=(env)
elif setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	unpriv=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif runuser -u nobody -- true 2>/dev/null; then
	unpriv=(runuser -u nobody --)
fi
# The binary may sit where nobody cannot reach it (a private checkout): nobody runs a copy.
uqbin=$QUEUECTL
if [ "$(id -u)" = 0 ] && [ ${#unpriv[@]} -gt 0 ]; then
	chmod 0711 "$TMP" "$QUEUECTL_HOME"
	uqbin=$TMP/queuectl-for-nobody
	cp "$QUEUECTL" "$uqbin"
	chmod 0755 "$uqbin"
fi
# uq ARGS...: queuectl as the unprivileged user.
uq() {
	"${unpriv[@]}" "$uqbin" "$@"
}

# For the cases that need root: a mount namespace of our own, held by a sleeping process,
# so that mounts made in it vanish with it, whatever happens to this test.
nspid=
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	unshare -m --propagation private sleep 600 &
	nspid=$!
	worker_pids="$worker_pids $nspid"
	ns_ready() { [ "$(readlink /proc/$nspid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]; }
	wait_for 10 ns_ready
fi
ns() {
	nsenter -t "$nspid" -m -- "$@"
}

# An immutable file must lose its flag before the cleanup can remove it.
immutable=
# The namespace holder is ended here, and waited for, so that bash reports no "Killed".
trap 'if [ -n "$immutable" ]; then chattr -i "$immutable"; fi
	if [ -n "$nspid" ]; then kill -KILL "$nspid"; wait "$nspid" 2>/dev/null; fi
	cleanup' EXIT

# ---------------------------------------------------------------------------------------
# Read-only database file.
if [ ${#unpriv[@]} -gt 0 ]; then
	chmod 0444 "$DB"
	for cmd in "enqueue true" "enqueue --file $TMP/big.jsonl" "config set max-retries 5" "delete keep1"; do
		# shellcheck disable=SC2086
		check_fail 1 "^queuectl: cannot open database '$DB': Permission denied$" uq $cmd
	done
	chmod 0600 "$DB"
	assert_unchanged "$before"

	# The file is writable but its directory is not: the -wal and -shm files cannot be made.
	if [ "$(id -u)" = 0 ]; then
		chown 65534 "$DB" # nobody's file, in root's directory
	else
		chmod 0500 "$QUEUECTL_HOME"
	fi
	check_fail 1 "^queuectl: open: database '$DB' is read-only$" uq enqueue true
	check_fail 1 "^queuectl: open: database '$DB' is read-only$" uq config set lease 60
	if [ "$(id -u)" = 0 ]; then chown 0 "$DB"; else chmod 0700 "$QUEUECTL_HOME"; fi
	assert_unchanged "$before"
else
	skip "read-only file and directory: running as root with neither setpriv nor runuser"
fi

# The immutable flag stops root too (where the file system has the flag).
if [ "$(id -u)" = 0 ] && chattr +i "$DB" 2>/dev/null; then
	immutable=$DB
	check_fail 1 "^queuectl: cannot open database '$DB': Operation not permitted$" q enqueue true
	check_fail 1 "^queuectl: cannot open database '$DB': Operation not permitted$" q delete keep1
	chattr -i "$DB"
	immutable=
	assert_unchanged "$before"
else
	skip "immutable database file: not root, or no chattr +i on this file system"
fi

# A read-only file system: the data directory bind-mounted read-only in our namespace.
if [ -n "$nspid" ] && ns mount --bind "$QUEUECTL_HOME" "$QUEUECTL_HOME" &&
	ns mount -o remount,bind,ro "$QUEUECTL_HOME"; then
	check_fail 1 "^queuectl: cannot open database '$DB': Read-only file system$" ns "$QUEUECTL" enqueue true
	check_fail 1 "^queuectl: cannot open database '$DB': Read-only file system$" \
		ns "$QUEUECTL" config set max-retries 1
	ns umount "$QUEUECTL_HOME"
	assert_unchanged "$before"
else
	skip "read-only file system: no mount namespace"
fi

# ---------------------------------------------------------------------------------------
# Damaged databases.  They cannot be dumped, so "unchanged" is the file's own digest.
digest() {
	cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Pages in the middle overwritten: a store of 2,000 jobs, its middle third replaced by a
# repeated word (not random, so that every run breaks the same pages).
cdb=$TMP/corrupt.db
head -n 2000 "$TMP/big.jsonl" >"$TMP/2000.jsonl"
check_ok q --db "$cdb" enqueue --file "$TMP/2000.jsonl"
pages=$(($(stat -c %s "$cdb") / 4096))
assert_eq "" "$(ls "$cdb"-* 2>/dev/null)" "-wal and -shm files left after a clean exit"
yes corrupt | head -c $((pages / 3 * 4096)) | dd of="$cdb" bs=4096 seek=$((pages / 3)) conv=notrunc status=none
sum=$(digest "$cdb")
malformed="'$cdb' is not a queuectl database \(database disk image is malformed\)$"
# 2,000 more jobs with random ids land all over the id index: the damage is met.
check_fail 1 "^queuectl: (line [0-9]+: )?enqueue: $malformed" q --db "$cdb" enqueue --file "$TMP/2000.jsonl"
assert_eq "$sum" "$(digest "$cdb" "$cdb"-wal)" "the damaged store, after the failed enqueue"

# Random bytes (t0700 has a text file).
head -c 65536 /dev/urandom >"$TMP/random.db"
sum=$(digest "$TMP/random.db")
check_fail 1 "^queuectl: open: '$TMP/random.db' is not a queuectl database \(file is not a database\)$" \
	q --db "$TMP/random.db" enqueue true
check_fail 1 "is not a queuectl database" q --db "$TMP/random.db" status
assert_eq "$sum" "$(digest "$TMP/random.db" "$TMP/random.db"-*)" "the random file, after the refusals"

# ---------------------------------------------------------------------------------------
# A data directory that cannot be created.  No store may appear anywhere.
: >"$TMP/plain"
check_fail 1 "^queuectl: cannot create directory '$TMP/plain': a file is in the way$" \
	env QUEUECTL_HOME="$TMP/plain/sub/home" "$QUEUECTL" enqueue true
check_fail 1 "^queuectl: cannot create directory '$TMP/plain': a file is in the way$" \
	q --db "$TMP/plain/sub/q.db" enqueue true
if [ ${#unpriv[@]} -gt 0 ]; then
	mkdir -m 0555 "$TMP/locked-dir"
	check_fail 1 "^queuectl: cannot create directory '$TMP/locked-dir/home': Permission denied$" \
		"${unpriv[@]}" env QUEUECTL_HOME="$TMP/locked-dir/home" "$uqbin" enqueue true
	check_fail 1 "^queuectl: cannot create directory '$TMP/locked-dir/a': Permission denied$" \
		uq --db "$TMP/locked-dir/a/b/q.db" status
	assert_eq "" "$(ls -A "$TMP/locked-dir")" "files made in the read-only directory"
	chmod 0755 "$TMP/locked-dir"
else
	skip "data directory under a read-only directory: running as root with no way to drop it"
fi
assert_unchanged "$before"

# ---------------------------------------------------------------------------------------
# Disk full, the portable way: a file size limit of 1 MiB (bash counts 1024-byte blocks)
# while 'enqueue --file' writes some 2 MB of jobs to the WAL.  SIGXFSZ is ignored, so
# the write fails with EFBIG instead of killing the process.  Whether the WAL outgrows the
# limit while the jobs are inserted or at the commit depends on SQLite's page cache; the
# message names the step either way.
check_fail 1 "^queuectl: (line [0-9]+: enqueue|commit): cannot write '$DB': " \
	bash -c 'trap "" XFSZ; ulimit -f 1024; exec "$0" "$@"' "$QUEUECTL" enqueue --file "$TMP/big.jsonl"
assert_unchanged "$before"
check_ok q enqueue --id after-efbig true # the store is not left locked or broken
check_ok q delete after-efbig
# The job that came and went stays counted (the metrics' counters only grow): a new digest.
before=$(snapshot)

# Disk full for real: a 1 MiB tmpfs in our mount namespace.
full=
if [ -n "$nspid" ] && mkdir "$TMP/full" && ns mount -t tmpfs -o size=1m,mode=0700 tmpfs "$TMP/full"; then
	full=$TMP/full
	tdb=$full/queuectl.db
	nq() { ns env QUEUECTL_HOME="$full" "$QUEUECTL" "$@"; }
	nsnap() { ns sqlite3 "$tdb" .dump | sha256sum | cut -d' ' -f1; }
	check_ok nq enqueue --id tiny true
	fbefore=$(nsnap)
	# Full in the middle of the batch.
	check_fail 1 "^queuectl: (line [0-9]+: enqueue|commit): disk full writing '$tdb'$" nq enqueue --file "$TMP/big.jsonl"
	assert_eq "$fbefore" "$(nsnap)" "the store on the full tmpfs, after the batch"
	# The job that comes and goes stays counted (the metrics' counters only grow): the
	# rest of the store is as it was.
	uncounted() { ns sqlite3 "$tdb" .dump | grep -v '^INSERT INTO counters' | sha256sum; }
	ubefore=$(uncounted)
	check_ok nq enqueue --id small true # the failed batch left room, and a working store
	check_ok nq delete small
	assert_eq "$ubefore" "$(uncounted)" "the store on the full tmpfs, after a small job came and went"
	fbefore=$(nsnap)
else
	skip "full tmpfs: no mount namespace or no tmpfs"
fi

# ---------------------------------------------------------------------------------------
# Locked: another process holds the write lock (an open BEGIN IMMEDIATE in sqlite3, fed
# through a fifo) for longer than the busy timeout of 300 ms.
mkfifo "$TMP/lock.fifo"
sqlite3 "$DB" <"$TMP/lock.fifo" >"$TMP/lock.out" 2>&1 &
lockpid=$!
worker_pids="$worker_pids $lockpid"
exec 7>"$TMP/lock.fifo"
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&7
wait_for 10 grep -qx locked "$TMP/lock.out"
export QUEUECTL_BUSY_TIMEOUT=300
locked="database '$DB' is locked \(still busy after 300 ms\)$"
t0=$(date +%s%3N)
check_fail 1 "^queuectl: enqueue: $locked" q enqueue true
elapsed=$(($(date +%s%3N) - t0))
checks=$((checks + 1))
[ $elapsed -lt 8000 ] || fail "the refusal took ${elapsed} ms: QUEUECTL_BUSY_TIMEOUT=300 was not used"
check_fail 1 "^queuectl: [a-z ]+: $locked" q enqueue --file "$TMP/2000.jsonl"
check_fail 1 "^queuectl: set config: $locked" q config set max-retries 7
check_fail 1 "^queuectl: [a-z ]+: $locked" q delete keep1
# Readers are not blocked by a writer.
check_ok q status --json
assert_eq 2 "$(jq .total <<<"$out")" "status while the store is locked"
echo "ROLLBACK;" >&7
exec 7>&-
reaped $lockpid
assert_eq 0 "$rc" "exit status of the sqlite3 that held the lock"
unset QUEUECTL_BUSY_TIMEOUT
assert_unchanged "$before"
check_ok q enqueue --id after-lock true # and once the lock is gone, writes go through

# ---------------------------------------------------------------------------------------
# The damaged store of 2,000 jobs again: a list walks every job, so it meets the damage.
# It streams, so rows before the damage may be printed, but what stdout holds must not
# pass for the whole list: a reader that parses it as JSON must fail, as list.c's own
# comment promises.
run q --db "$cdb" list --json
checks=$((checks + 1))
[ "$status" -eq 1 ] || fail "list --json of a damaged store exited $status, expected 1"
assert_match "^queuectl: list jobs: $malformed" "$err" "list --json of a damaged store: stderr"
checks=$((checks + 1))
if jq -e . >/dev/null 2>&1 <<<"$out"; then
	n=$(jq length <<<"$out")
	out=
	fail "list --json of a damaged store exited 1 but printed a complete JSON array of $n" \
		"jobs: it passes for the whole list"
fi
out=

# Another program's SQLite database: queuectl must not add its tables to it (nor turn on
# WAL), not even for a command that only reads.
odb=$TMP/notes.db
sqlite3 "$odb" "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');"
osum=$(digest "$odb")
odump=$(sqlite3 "$odb" .dump)
check_fail 1 "^queuectl: .*'$odb' is not a queuectl database" q --db "$odb" status
check_fail 1 "^queuectl: .*'$odb' is not a queuectl database" q --db "$odb" enqueue true
assert_eq "$odump" "$(sqlite3 "$odb" .dump)" "another program's database: its content"
assert_eq "$osum" "$(digest "$odb")" "another program's database: its bytes"

# The tmpfs filled up before queuectl starts: even opening the store needs room (for its
# -shm file), and the message must say so and name the store.
if [ -n "$full" ]; then
	ns sh -c "cat /dev/zero >'$full/filler' 2>/dev/null; true"
	check_fail 1 "^queuectl: .*disk full writing '$tdb'$" nq enqueue --id more true
	check_fail 1 "^queuectl: .*disk full writing '$tdb'$" nq config set lease 60
	ns rm "$full/filler"
	assert_eq "$fbefore" "$(nsnap)" "the store on the full tmpfs, after the refusals"
	check_ok nq enqueue --id more true # room again: it works
	ns umount "$full"
fi

finish
