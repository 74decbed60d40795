/*
 * web.h - queuectl web: an HTTP server for the dashboard, the JSON API under /api/v1/, the
 * Prometheus metrics and a health check, over the queue API only (queue.h).
 *
 * http.c runs the server (libmicrohttpd, its own threads: DECISIONS.md says why) and does
 * what every request shares: the body and its limit, the token, the same-origin check, the
 * read-only mode, the JSON errors.  api.c holds the routes, metrics.c the metrics.  One
 * struct queue serves every request, one request at a time (web->lock).
 */
#ifndef QUEUECTL_WEB_H
#define QUEUECTL_WEB_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../error.h"
#include "../queue.h"
#include "../util.h"

/* What 'queuectl web' was told. */
struct web_config {
	const char *listen;	 /* ADDR:PORT, [ADDR6]:PORT; port 0 picks a free one */
	const char *token;	 /* required on every request when set; NULL: none */
	bool read_only;		 /* no write route is served */
	unsigned max_connections;
	unsigned timeout;	 /* seconds a connection may stay idle */
	size_t body_max;	 /* bytes of a request body */
};

/* Defaults of the limits, also in the man page. */
#define WEB_MAX_CONNECTIONS 64
#define WEB_TIMEOUT 30
#define WEB_BODY_MAX (8u << 20)

/* The server's state shared by every request. */
struct web {
	struct queue *q;
	pthread_mutex_t lock; /* held around every use of q */
	const struct web_config *cfg;
	int stopping; /* readable once the server stops: event streams end at once */
	/*
	 * The event streams' hub (events.c): one thread that watches the store for them all,
	 * reads the status when it changes, and wakes the streams (a list, under lock).
	 */
	struct events *streams;
	pthread_t hub;
	bool hub_started;
	int changes;		  /* the hub's queue_changes_fd */
	char *status;		  /* the last status read, as JSON text */
	const char *status_event; /* "status", or "error" when status is the error's */
	json_t *chart; /* the per-minute part, read again less often (events.c: chart) */
	int64_t chart_at;
	long long chart_counts[JOB_NSTATES]; /* the counts when it was read */
};

/* A request as the routes see it, its body read whole. */
struct web_req {
	const char *method;
	const char *path;
	const char *body; /* NUL-terminated; NULL when there was none */
	size_t body_len;
	void *conn;	  /* the library's connection: web_arg reads its query */
};

/* The response a route fills in: a status, a content type and a body, or a stream. */
struct web_resp {
	int status;
	const char *type; /* NULL: application/json */
	struct buf body;
	void *stream; /* a struct MHD_Response of its own (events.c), sent instead of body */
};

/* A query argument of the request (already decoded), or NULL. */
const char *web_arg(const struct web_req *req, const char *name);

/* Answer with JSON (takes the reference) and a status. */
void web_json(struct web_resp *resp, int status, json_t *v);
/* Answer {"error":{"code":code,"message":msg}}; returns 0 so routes can return it. */
int web_error(struct web_resp *resp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Answer with the error a queue call left in err: its QE_* code picks status and code. */
int web_queue_error(struct web_resp *resp, const struct error *err);

/* Load libmicrohttpd (mhd.c): QE_FAIL naming what is missing.  web_serve calls it. */
int mhd_load(struct error *err);
/*
 * Serve until SIGINT or SIGTERM.  Prints "serving http://ADDR:PORT/" on stdout once the
 * socket listens.  QE_INPUT for a bad address or a missing token, QE_FAIL if it cannot listen.
 */
int web_serve(struct queue *q, const struct web_config *cfg, struct error *err);

/* The routes (api.c): fill resp for req; the caller holds web->lock. */
void api_handle(struct web *web, const struct web_req *req, struct web_resp *resp);
/*
 * GET /api/v1/events[?job=ID] (events.c): the library's response for a stream of events,
 * or NULL with resp filled with the error.  The caller holds web->lock.
 */
void *events_stream(struct web *web, const char *job, struct web_resp *resp);
/* Stop the event streams' hub, once the server's threads are gone (stopping is set). */
void events_stop(struct web *web);
/* The dashboard's status object (counts, queues, workers, the last hour); lock held. */
json_t *events_status(struct web *web, struct error *err);
/* GET of a dashboard file (static.c, generated from web/): true if path is one. */
bool static_file(const char *path, struct web_resp *resp);
/* GET /metrics (metrics.c): the Prometheus text format; the caller holds web->lock. */
void metrics_render(struct web *web, struct web_resp *resp);
/* Whether a request is a write (POST, PUT, DELETE, PATCH): read-only refuses those. */
bool api_is_write(const char *method);

#endif
