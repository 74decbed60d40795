#!/bin/bash
# t0680-libpq-loaded.sh - libpq is loaded by PostgreSQL stores alone (src/store/pgload.c):
# the binary is not linked with it, and with a broken libpq first on the library path every
# command on a SQLite store works while a postgresql:// URL fails with one line naming it.
# Commands: enqueue, worker start, status, info.
. "$TEST_DIR/lib.sh"

sqlite_db="$TMP/sqlite.db"
assert_eq 0 "$(ldd "$QUEUECTL" | grep -c 'libpq\.')" "libpq among the binary's libraries"

mkdir "$TMP/badlib"
soname=$(objdump -p "$(pkg-config --variable=libdir libpq)/libpq.so" |
	awk '$1 == "SONAME" { print $2 }')
assert_match '^libpq\.so\.' "$soname" "libpq's soname"
echo 'not a library' >"$TMP/badlib/$soname"
bad=$TMP/badlib

LD_LIBRARY_PATH=$bad check_ok q --db "$sqlite_db" enqueue --id j1 true
LD_LIBRARY_PATH=$bad check_ok q --db "$sqlite_db" worker start --until-idle
LD_LIBRARY_PATH=$bad check_ok q --db "$sqlite_db" info --json j1
assert_eq completed "$(jq -r .state <<<"$out")" "a SQLite job ran"
LD_LIBRARY_PATH=$bad check_ok q --db "$sqlite_db" status

LD_LIBRARY_PATH=$bad check_fail 1 "^queuectl: cannot load the PostgreSQL client library: .*$soname" \
	q --db postgresql://nobody@127.0.0.1:1/none status
LD_LIBRARY_PATH=$bad check_fail 1 "^queuectl: cannot load the PostgreSQL client library: .*$soname" \
	q --db postgresql://nobody@127.0.0.1:1/none enqueue true
# The variable too, and a URL with a password: it is not in the message.
LD_LIBRARY_PATH=$bad QUEUECTL_DB=postgres://u:s3cretpw@127.0.0.1:1/none check_fail 1 \
	"cannot load the PostgreSQL client library" q list
case $err in *s3cretpw*) fail "the password is in the message" ;; esac
finish
