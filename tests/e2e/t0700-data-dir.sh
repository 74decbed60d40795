#!/bin/bash
# t0700-data-dir.sh - where the data lives: $QUEUECTL_HOME, else $XDG_DATA_HOME/queuectl,
# else ~/.local/share/queuectl; --db PATH and $QUEUECTL_DB point elsewhere; never the current
# directory.  Directories are created 0700 and the database 0600, whatever the umask.
# Commands: --db, enqueue, list, status, worker start (for the files a worker makes).
. "$TEST_DIR/lib.sh"

mode() {
	stat -c %a "$1"
}

# ids: the job ids that list --json shows, for the environment given as arguments.
ids() {
	env "$@" "$QUEUECTL" list --json | jq -r '[.[].id] | join(" ")'
}

# Everything must come out owner-only through queuectl's own modes, not through the umask.
umask 000
mkdir "$TMP/cwd"
cd "$TMP/cwd" || fail "cannot cd"

# --- $QUEUECTL_HOME (set by lib.sh): created 0700, database 0600.
check_ok q enqueue --id home1 'echo in home'
assert_eq 700 "$(mode "$QUEUECTL_HOME")" "mode of \$QUEUECTL_HOME"
assert_eq 600 "$(mode "$DB")" "mode of the database"
assert_eq home1 "$(ids)" "job in \$QUEUECTL_HOME"
# A worker adds its files: the WAL, the shared memory, the job logs.  All owner-only.
start_worker
wait_for 20 state_is home1 completed
assert_eq "" "$(find "$QUEUECTL_HOME" -perm /077 -printf '%m %p\n')" \
	"files under \$QUEUECTL_HOME readable by others (while a worker runs)"
assert_match . "$(find "$QUEUECTL_HOME" -name '*.log')" "a job log exists"
kill -TERM "$worker_pid"
wait "$worker_pid"
assert_eq "" "$(find "$QUEUECTL_HOME" -perm /077 -printf '%m %p\n')" "files readable by others"
# Missing parents are made too, owner-only.
check_ok env QUEUECTL_HOME="$TMP/deep/er/home" "$QUEUECTL" enqueue --id deep true
for d in "$TMP/deep" "$TMP/deep/er" "$TMP/deep/er/home"; do
	assert_eq 700 "$(mode "$d")" "mode of $d"
done
assert_eq 600 "$(mode "$TMP/deep/er/home/queuectl.db")" "mode of the deep database"

# --- $XDG_DATA_HOME/queuectl when $QUEUECTL_HOME is not set.
check_ok env -u QUEUECTL_HOME XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/user" "$QUEUECTL" enqueue --id xdg1 true
[ -f "$TMP/xdg/queuectl/queuectl.db" ] || fail "no database at \$XDG_DATA_HOME/queuectl/queuectl.db"
assert_eq 700 "$(mode "$TMP/xdg/queuectl")" "mode of \$XDG_DATA_HOME/queuectl"
assert_eq 600 "$(mode "$TMP/xdg/queuectl/queuectl.db")" "mode of the XDG database"
[ ! -e "$TMP/user" ] || fail "created something under \$HOME although \$XDG_DATA_HOME is set"
assert_eq xdg1 "$(ids -u QUEUECTL_HOME XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/user")" "job under XDG"
# $QUEUECTL_HOME wins over $XDG_DATA_HOME.
assert_eq home1 "$(ids XDG_DATA_HOME="$TMP/xdg")" "\$QUEUECTL_HOME beats \$XDG_DATA_HOME"

# --- ~/.local/share/queuectl when neither is set; a relative $XDG_DATA_HOME is ignored.
check_ok env -u QUEUECTL_HOME -u XDG_DATA_HOME HOME="$TMP/user" "$QUEUECTL" enqueue --id user1 true
[ -f "$TMP/user/.local/share/queuectl/queuectl.db" ] || fail "no database in ~/.local/share/queuectl"
assert_eq 700 "$(mode "$TMP/user/.local/share/queuectl")" "mode of ~/.local/share/queuectl"
assert_eq 600 "$(mode "$TMP/user/.local/share/queuectl/queuectl.db")" "mode of the default database"
assert_eq user1 "$(ids -u QUEUECTL_HOME XDG_DATA_HOME=rel/xdg HOME="$TMP/user")" \
	"a relative \$XDG_DATA_HOME is ignored"
assert_eq user1 "$(ids -u QUEUECTL_HOME XDG_DATA_HOME= HOME="$TMP/user")" "an empty \$XDG_DATA_HOME is ignored"

# --- $QUEUECTL_DB and --db.
check_ok env QUEUECTL_DB="$TMP/elsewhere/jobs.db" "$QUEUECTL" enqueue --id env1 true
assert_eq 700 "$(mode "$TMP/elsewhere")" "mode of the \$QUEUECTL_DB directory"
assert_eq 600 "$(mode "$TMP/elsewhere/jobs.db")" "mode of the \$QUEUECTL_DB database"
assert_eq env1 "$(ids QUEUECTL_DB="$TMP/elsewhere/jobs.db")" "job in \$QUEUECTL_DB"
assert_eq home1 "$(ids)" "\$QUEUECTL_HOME untouched by \$QUEUECTL_DB"
check_ok q --db "$TMP/other/by-option.db" enqueue --id opt1 true
assert_eq 600 "$(mode "$TMP/other/by-option.db")" "mode of the --db database"
check_ok q --db="$TMP/other/by-option.db" list --json
assert_eq opt1 "$(jq -r '[.[].id] | join(" ")' <<<"$out")" "--db=PATH"
check_ok env QUEUECTL_DB="$TMP/elsewhere/jobs.db" "$QUEUECTL" --db "$TMP/other/by-option.db" list --json
assert_eq opt1 "$(jq -r '[.[].id] | join(" ")' <<<"$out")" "--db beats \$QUEUECTL_DB"
assert_eq home1 "$(ids QUEUECTL_DB=)" "an empty \$QUEUECTL_DB is ignored"

# --- Never the current directory.
assert_eq "" "$(ls -A "$TMP/cwd")" "files created in the current directory"

# --- Places that cannot hold a database.  None of this touches the store in $QUEUECTL_HOME.
before=$(snapshot)
reject 2 "^queuectl: the database path is empty$" q --db '' list
reject 2 "^queuectl: cannot find the data directory: set QUEUECTL_HOME or HOME$" \
	env -u QUEUECTL_HOME -u XDG_DATA_HOME -u HOME "$QUEUECTL" list
: >"$TMP/plain-file"
reject 1 "^queuectl: cannot create directory '.*/plain-file': a file is in the way$" \
	env QUEUECTL_HOME="$TMP/plain-file" "$QUEUECTL" list
reject 1 "^queuectl: cannot open database '.*/cwd': Is a directory$" q --db "$TMP/cwd" list
printf 'not a database\n%.0s' $(seq 300) >"$TMP/garbage.db"
chmod 600 "$TMP/garbage.db"
sum=$(sha256sum <"$TMP/garbage.db")
reject 1 "^queuectl: open: '.*/garbage.db' is not a queuectl database" q --db "$TMP/garbage.db" list
reject 1 "is not a queuectl database" q --db "$TMP/garbage.db" enqueue true
assert_eq "$sum" "$(sha256sum <"$TMP/garbage.db")" "the file that is not a database is left as it was"

# --- What another user could have planted or could change is refused, as ssh refuses
# ~/.ssh: the refusal names the path and the fix, and nothing is read, run or written.
mkdir -m 777 "$TMP/open"
reject 1 "^queuectl: refusing the directory '$TMP/open': group or others may write it; fix: chmod go-w '$TMP/open'\$" \
	env QUEUECTL_HOME="$TMP/open" "$QUEUECTL" list
assert_eq "" "$(ls -A "$TMP/open")" "a refused data directory is left empty"
reject 1 "refusing the directory '$TMP/open'" q --db "$TMP/open/jobs.db" enqueue true
chmod 700 "$TMP/open"
check_ok q --db "$TMP/open/jobs.db" enqueue --id mine true
# A database others may write: refused by every command, the worker too, and left as it was.
chmod 666 "$TMP/open/jobs.db"
sum=$(sha256sum <"$TMP/open/jobs.db")
reject 1 "^queuectl: refusing the file '$TMP/open/jobs.db': group or others may write it; fix: chmod go-w '$TMP/open/jobs.db'\$" \
	q --db "$TMP/open/jobs.db" list
reject 1 "refusing the file" q --db "$TMP/open/jobs.db" worker start --until-idle
assert_eq "$sum" "$(sha256sum <"$TMP/open/jobs.db")" "a refused database is left as it was"
chmod 600 "$TMP/open/jobs.db"
check_ok q --db "$TMP/open/jobs.db" list --quiet
assert_eq mine "$out" "the job is there once the mode is fixed"
# A directory above the data directory that others may write, unless sticky as /tmp is.
mkdir -p "$TMP/shared/home" && chmod 777 "$TMP/shared" && chmod 700 "$TMP/shared/home"
reject 1 "^queuectl: refusing the directory '$TMP/shared': group or others may write it" \
	env QUEUECTL_HOME="$TMP/shared/home" "$QUEUECTL" list
chmod 1777 "$TMP/shared"
check_ok env QUEUECTL_HOME="$TMP/shared/home" "$QUEUECTL" list
# A database that is a symbolic link is not followed.
ln -s "$TMP/open/jobs.db" "$TMP/link.db"
reject 1 "^queuectl: cannot open database '$TMP/link.db': it is a symbolic link\$" \
	q --db "$TMP/link.db" list
# The directories of job logs are never symbolic links.
mkdir -p "$TMP/elsewhere-logs"
ln -s "$TMP/elsewhere-logs" "$TMP/open/jobs.db.d"
reject 1 "^queuectl: refusing '$TMP/open/jobs.db.d': it is a symbolic link\$" \
	q --db "$TMP/open/jobs.db" worker start --until-idle
assert_eq "" "$(ls -A "$TMP/elsewhere-logs")" "nothing written through the link"
rm "$TMP/open/jobs.db.d"
# Files of another user: as root, a directory and a database that belong to nobody.
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$TMP/theirs"
	chown nobody "$TMP/theirs"
	reject 1 "^queuectl: refusing the directory '$TMP/theirs': it belongs to nobody, not to you; use one of your own\$" \
		env QUEUECTL_HOME="$TMP/theirs" "$QUEUECTL" list
	chown nobody "$TMP/open/jobs.db"
	reject 1 "^queuectl: refusing the file '$TMP/open/jobs.db': it belongs to nobody" \
		q --db "$TMP/open/jobs.db" list
	chown root "$TMP/open/jobs.db"
fi

# --- Bad input in a home with no database yet does not create one.
export QUEUECTL_HOME="$TMP/fresh"
DB="$QUEUECTL_HOME/queuectl.db"
before=$(snapshot)
assert_eq none "$before" "no database in the fresh home"
reject 2 "invalid job JSON" q enqueue '{"command":'
reject 2 "invalid --priority" q enqueue --priority x true
reject 2 "unknown state" q list --state nope
reject 2 "unknown config key" q config set nope 1
[ ! -e "$DB" ] || fail "bad input created '$DB'"

finish
