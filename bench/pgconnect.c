/*
 * pgconnect.c - the floor of a command on PostgreSQL: a process, linked with libpq, that
 * connects to the store of a queuectl URL and, in one round trip, sets the search path and
 * reads one row of the jobs table, then exits.  Every queuectl command pays at least this:
 * the process, libpq and the libraries it loads, the server's new backend, one round trip
 * to a backend that has yet to read the table's description.
 *
 *   pgconnect URL
 *
 * Prints nothing; fails if it cannot connect or read.
 */
#include "bench.h"
#include "benchpg.h"

int main(int argc, char **argv)
{
	char schema[256], sql[400];
	PGconn *c;

	if (argc != 2)
		die("usage: pgconnect URL");
	c = pg_connect_url(argv[1], schema, sizeof schema);
	snprintf(sql, sizeof sql,
		 "SET search_path TO \"%s\"; SELECT count(*) FROM (SELECT 1 FROM jobs LIMIT 1) j",
		 schema);
	(void)pg_number(c, sql);
	PQfinish(c);
	return 0;
}
