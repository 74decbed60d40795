/*
 * benchpg.h - a connection to the store of a queuectl URL (postgresql://...?schema=NAME),
 * for the reference programs that read or write a PostgreSQL store themselves.  libpq does
 * not know queuectl's one parameter, schema (default "queuectl"): it is taken out of the
 * URL here, as src/store/pg.c takes it out, and becomes the search path.  Header-only, like
 * bench.h, which it needs first.
 */
#ifndef BENCHPG_H
#define BENCHPG_H

#include <libpq-fe.h>

static inline int is_url(const char *db)
{
	return strstr(db, "://") != NULL;
}

/*
 * Connect to the database of a store's URL, with the schema's name put in schema (size
 * bytes); dies if it cannot.
 */
static inline PGconn *pg_connect_url(const char *url, char *schema, size_t size)
{
	char *conninfo = strdup(url), *q = strchr(conninfo, '?'), *p, *end;
	PGconn *c;

	snprintf(schema, size, "queuectl");
	/* schema=NAME, the first parameter (after '?') or a later one (after '&'). */
	for (p = q; p; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, "schema=", 7))
			continue;
		end = strchr(p + 1, '&');
		snprintf(schema, size, "%.*s", (int)((end ? end : p + strlen(p)) - p - 8), p + 8);
		if (end)
			memmove(p + 1, end + 1, strlen(end + 1) + 1);
		else
			*p = '\0';
		break;
	}
	if (strchr(schema, '"') || strchr(schema, '%'))
		die("schema '%s': only plain names here", schema);
	c = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		die("cannot connect: %s", PQerrorMessage(c));
	return c;
}

/* Connect to the store URL names, its schema the search path; dies if it cannot. */
static inline PGconn *pg_store(const char *url)
{
	char schema[256], sql[400];
	PGconn *c = pg_connect_url(url, schema, sizeof schema);
	PGresult *r;

	snprintf(sql, sizeof sql, "SET search_path TO \"%s\"", schema);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return c;
}

/* One row, one column of a query as a number; dies on error. */
static inline long long pg_number(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die("%s: %s", sql, PQerrorMessage(c));
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

#endif
