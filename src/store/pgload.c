/*
 * pgload.c - libpq, loaded when a PostgreSQL store is opened instead of when any command
 * starts.
 *
 * Debian's libpq brings OpenSSL, GSSAPI (Kerberos), LDAP and their own dependencies with
 * it, and loading them (relocations, constructors) made every process start later, SQLite
 * stores' too (DECISIONS.md, "libpq loaded by PostgreSQL stores alone").  So the binary is
 * not linked with the library: pg_open calls pq_load, which opens it with dlopen, and the
 * functions pg.c uses are defined below with the library's names and prototypes (from its
 * own header), each calling through the pointer that dlsym found, as src/web/mhd.c does for
 * libmicrohttpd.  pg.c calls them as the library's manual says.
 *
 * The binary does not export these names (it is not linked with --export-dynamic), so the
 * library's calls to its own functions stay inside it.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <string.h>

#include "pgload.h"

#ifndef PQ_SONAME
#define PQ_SONAME "libpq.so.5" /* meson.build writes the one it built against */
#endif

/* Every function of the library that queuectl calls. */
#define PQ_FUNCTIONS(X)                                                                       \
	X(PQclear)                                                                             \
	X(PQcmdTuples)                                                                         \
	X(PQconnectPoll)                                                                       \
	X(PQconnectStartParams)                                                                \
	X(PQconnectdbParams)                                                                   \
	X(PQconninfo)                                                                          \
	X(PQconninfoFree)                                                                      \
	X(PQconninfoParse)                                                                     \
	X(PQconsumeInput)                                                                      \
	X(PQdb)                                                                                \
	X(PQerrorMessage)                                                                      \
	X(PQexec)                                                                              \
	X(PQexecParams)                                                                        \
	X(PQexecPrepared)                                                                      \
	X(PQfinish)                                                                            \
	X(PQfreemem)                                                                           \
	X(PQgetisnull)                                                                         \
	X(PQgetvalue)                                                                          \
	X(PQhost)                                                                              \
	X(PQnotifies)                                                                          \
	X(PQntuples)                                                                           \
	X(PQport)                                                                              \
	X(PQprepare)                                                                           \
	X(PQresultErrorField)                                                                  \
	X(PQresultErrorMessage)                                                                \
	X(PQresultStatus)                                                                      \
	X(PQsetNoticeProcessor)                                                                \
	X(PQsocket)                                                                            \
	X(PQstatus)                                                                            \
	X(PQtransactionStatus)                                                                 \
	X(PQunescapeBytea)                                                                     \
	X(PQuser)

#define POINTER(f) __typeof__(&f) f;
static struct {
	PQ_FUNCTIONS(POINTER)
} lib;
static void *handle;

int pq_load(struct error *err)
{
	void *h, *p;

	if (handle)
		return 0;
	if (!(h = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return error_set(err, QE_FAIL, "cannot load the PostgreSQL client library: %s",
				 dlerror());
	/* A function pointer from dlsym's void *: copied, as POSIX allows and ISO C does not say. */
#define LOAD(f)                                                                              \
	if (!(p = dlsym(h, #f))) {                                                             \
		dlclose(h);                                                                    \
		return error_set(err, QE_FAIL, "%s has no %s", PQ_SONAME, #f);                 \
	}                                                                                      \
	memcpy(&lib.f, &p, sizeof p);
	PQ_FUNCTIONS(LOAD)
#undef LOAD
	handle = h;
	return 0;
}

void PQclear(PGresult *res)
{
	lib.PQclear(res);
}

char *PQcmdTuples(PGresult *res)
{
	return lib.PQcmdTuples(res);
}

PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	return lib.PQconnectPoll(conn);
}

PGconn *PQconnectStartParams(const char *const *keywords, const char *const *values,
			     int expand_dbname)
{
	return lib.PQconnectStartParams(keywords, values, expand_dbname);
}

PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values,
			  int expand_dbname)
{
	return lib.PQconnectdbParams(keywords, values, expand_dbname);
}

PQconninfoOption *PQconninfo(PGconn *conn)
{
	return lib.PQconninfo(conn);
}

void PQconninfoFree(PQconninfoOption *connOptions)
{
	lib.PQconninfoFree(connOptions);
}

PQconninfoOption *PQconninfoParse(const char *conninfo, char **errmsg)
{
	return lib.PQconninfoParse(conninfo, errmsg);
}

int PQconsumeInput(PGconn *conn)
{
	return lib.PQconsumeInput(conn);
}

char *PQdb(const PGconn *conn)
{
	return lib.PQdb(conn);
}

char *PQerrorMessage(const PGconn *conn)
{
	return lib.PQerrorMessage(conn);
}

PGresult *PQexec(PGconn *conn, const char *query)
{
	return lib.PQexec(conn, query);
}

PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
		       const char *const *paramValues, const int *paramLengths,
		       const int *paramFormats, int resultFormat)
{
	return lib.PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
				paramFormats, resultFormat);
}

PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
			 const char *const *paramValues, const int *paramLengths,
			 const int *paramFormats, int resultFormat)
{
	return lib.PQexecPrepared(conn, stmtName, nParams, paramValues, paramLengths,
				  paramFormats, resultFormat);
}

void PQfinish(PGconn *conn)
{
	lib.PQfinish(conn);
}

void PQfreemem(void *ptr)
{
	lib.PQfreemem(ptr);
}

int PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	return lib.PQgetisnull(res, tup_num, field_num);
}

char *PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	return lib.PQgetvalue(res, tup_num, field_num);
}

char *PQhost(const PGconn *conn)
{
	return lib.PQhost(conn);
}

PGnotify *PQnotifies(PGconn *conn)
{
	return lib.PQnotifies(conn);
}

int PQntuples(const PGresult *res)
{
	return lib.PQntuples(res);
}

char *PQport(const PGconn *conn)
{
	return lib.PQport(conn);
}

PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
		    const Oid *paramTypes)
{
	return lib.PQprepare(conn, stmtName, query, nParams, paramTypes);
}

char *PQresultErrorField(const PGresult *res, int fieldcode)
{
	return lib.PQresultErrorField(res, fieldcode);
}

char *PQresultErrorMessage(const PGresult *res)
{
	return lib.PQresultErrorMessage(res);
}

ExecStatusType PQresultStatus(const PGresult *res)
{
	return lib.PQresultStatus(res);
}

PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg)
{
	return lib.PQsetNoticeProcessor(conn, proc, arg);
}

int PQsocket(const PGconn *conn)
{
	return lib.PQsocket(conn);
}

ConnStatusType PQstatus(const PGconn *conn)
{
	return lib.PQstatus(conn);
}

PGTransactionStatusType PQtransactionStatus(const PGconn *conn)
{
	return lib.PQtransactionStatus(conn);
}

unsigned char *PQunescapeBytea(const unsigned char *strtext, size_t *retbuflen)
{
	return lib.PQunescapeBytea(strtext, retbuflen);
}

char *PQuser(const PGconn *conn)
{
	return lib.PQuser(conn);
}
