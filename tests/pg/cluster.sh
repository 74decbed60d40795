#!/bin/sh
# cluster.sh - a throwaway PostgreSQL cluster for the tests: initdb in a new temporary
# directory, a server on a unix socket in that directory and on a free loopback port, run as
# an unprivileged user, stopped and removed at the end.
#
# Usage:
#   tests/pg/cluster.sh run CMD [ARGS...]   start a cluster, run CMD with the variables below
#                                           exported, stop and remove the cluster; exits as CMD
#   tests/pg/cluster.sh start               start one and print the variables (sh syntax)
#   tests/pg/cluster.sh stop DIR            stop the cluster in DIR and remove DIR
#   tests/pg/cluster.sh restart DIR         restart its server (fast: sessions are cut off)
#   tests/pg/cluster.sh halt DIR            stop its server, keeping its data
#   tests/pg/cluster.sh resume DIR          start a halted server again
#   tests/pg/cluster.sh pool DIR            start PgBouncer in front of it, pooling sessions,
#                                           and print its URL (as QUEUECTL_TEST_PG's);
#                                           stop stops it too
#
# The variables:
#   QUEUECTL_TEST_PG      a URL of the database "queuectl" over the unix socket, as the
#                         superuser, without a password
#   QUEUECTL_TEST_PG_TCP  HOST:PORT of the same server on loopback, where only passwords
#                         are accepted: the user "qpass" has the password "qpass-secret"
#   QUEUECTL_TEST_PG_DIR  the cluster's directory (for stop, restart, halt, resume)
#
# Read by start and run, for a test that reaches the server from other network namespaces
# (tests/pg/t3300-hosts.sh):
#   QUEUECTL_TEST_PG_LISTEN  more addresses to listen on beside 127.0.0.1, comma-separated;
#                            they must exist when the server starts
#   QUEUECTL_TEST_PG_ALLOW   a network (CIDR) from which "qpass", and no other user, may
#                            connect to "queuectl" with its password
#
# initdb refuses to run as root: as root, the server runs as the "postgres" user that
# Debian's postgresql package creates.  The binaries are the newest major version installed
# under /usr/lib/postgresql.
set -eu

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "cluster.sh: no PostgreSQL server under /usr/lib/postgresql (scripts/deps.sh test)" >&2
	exit 1
fi

# Run a server program as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_ctl_() {
	dir=$1
	shift
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 "$@" >/dev/null
}

start() {
	# A root directory that others cannot search keeps the server's user from its own
	# programs.  No installed system has one, but a chroot made by mktemp -d does (a fresh
	# system for tests, as CI's): it gets the mode an installed system's root has.
	if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %a /)" = 700 ] &&
		! runuser -u postgres -- test -x "$bindir/initdb" 2>/dev/null; then
		echo "cluster.sh: / has mode 700, so that the postgres user could not run initdb: chmod 755 /" >&2
		chmod 755 /
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/queuectl-pg.XXXXXX")
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --auth-host=scram-sha-256 \
		-E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		return 1
	}
	# Speed over safety: the data is thrown away.  Enough connections for the tests that
	# start many workers side by side.
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1${QUEUECTL_TEST_PG_LISTEN:+,$QUEUECTL_TEST_PG_LISTEN}'
		unix_socket_directories = '$dir'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 300
		shared_buffers = 32MB
	EOF
	[ -z "${QUEUECTL_TEST_PG_ALLOW:-}" ] ||
		echo "host queuectl qpass $QUEUECTL_TEST_PG_ALLOW scram-sha-256" >>"$dir/data/pg_hba.conf"
	# A free port: try ports at random until one server starts (another may take a port
	# between any check and the bind, so the bind is the check).
	tries=0
	while :; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		if pg_ctl_ "$dir" -o "-p $port" start 2>/dev/null; then
			echo "$port" >"$dir/port"
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 10 ]; then
			cat "$dir/server.log" >&2
			echo "cluster.sh: the server did not start" >&2
			rm -rf "$dir"
			return 1
		fi
	done
	psql_ "$dir" postgres -c "CREATE DATABASE queuectl" \
		-c "CREATE ROLE qpass LOGIN PASSWORD 'qpass-secret'" \
		-c "GRANT ALL ON DATABASE queuectl TO qpass" >/dev/null
	psql_ "$dir" queuectl -c "GRANT ALL ON SCHEMA public TO qpass" >/dev/null
	QUEUECTL_TEST_PG="postgresql:///queuectl?host=$dir&port=$port&user=postgres"
	QUEUECTL_TEST_PG_TCP="127.0.0.1:$port"
	QUEUECTL_TEST_PG_DIR=$dir
}

psql_() {
	dir=$1 db=$2
	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port")" -U postgres -d "$db" "$@"
}

# PgBouncer in front of the cluster in $1, on a unix socket in $1/pool: pool_mode session and
# DISCARD ALL between clients, so that a client's session is a server's for as long as it
# lasts (queuectl's search path, LISTEN, advisory locks).  PgBouncer refuses to run as root.
pool() {
	dir=$1
	mkdir -p "$dir/pool"
	cat >"$dir/pool/pgbouncer.ini" <<-EOF
		[databases]
		queuectl = host=$dir port=$(cat "$dir/port") dbname=queuectl user=postgres
		[pgbouncer]
		listen_addr =
		unix_socket_dir = $dir/pool
		listen_port = 6432
		auth_type = trust
		auth_file = $dir/pool/users.txt
		pool_mode = session
		server_reset_query = DISCARD ALL
		logfile = $dir/pool/pgbouncer.log
		pidfile = $dir/pool/pgbouncer.pid
	EOF
	echo '"postgres" ""' >"$dir/pool/users.txt"
	[ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir/pool"
	as_owner pgbouncer -d -q "$dir/pool/pgbouncer.ini" || return 1
	tries=0
	until [ -S "$dir/pool/.s.PGSQL.6432" ] && [ -s "$dir/pool/pgbouncer.pid" ]; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			echo "cluster.sh: PgBouncer did not start" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "postgresql:///queuectl?host=$dir/pool&port=6432&user=postgres"
}

stop() {
	case $1 in
	*/queuectl-pg.*) ;;
	*) echo "cluster.sh: '$1' is not a cluster of this script" >&2; return 1 ;;
	esac
	[ ! -s "$1/pool/pgbouncer.pid" ] || kill "$(cat "$1/pool/pgbouncer.pid")" 2>/dev/null || true
	[ ! -f "$1/data/postmaster.pid" ] || pg_ctl_ "$1" -m immediate stop || true
	rm -rf "$1"
}

case ${1:-} in
run)
	shift
	start
	trap 'stop "$QUEUECTL_TEST_PG_DIR"' EXIT
	trap 'exit 130' INT TERM
	export QUEUECTL_TEST_PG QUEUECTL_TEST_PG_TCP QUEUECTL_TEST_PG_DIR
	set +e
	"$@"
	exit $?
	;;
start)
	start
	echo "QUEUECTL_TEST_PG='$QUEUECTL_TEST_PG'"
	echo "QUEUECTL_TEST_PG_TCP='$QUEUECTL_TEST_PG_TCP'"
	echo "QUEUECTL_TEST_PG_DIR='$QUEUECTL_TEST_PG_DIR'"
	;;
stop) stop "$2" ;;
restart) pg_ctl_ "$2" -m fast -o "-p $(cat "$2/port")" restart ;;
halt) pg_ctl_ "$2" -m fast stop ;;
resume) pg_ctl_ "$2" -o "-p $(cat "$2/port")" start ;;
pool) pool "$2" ;;
*)
	echo "usage: cluster.sh run CMD... | start | stop DIR | restart DIR | halt DIR | resume DIR | pool DIR" >&2
	exit 2
	;;
esac
