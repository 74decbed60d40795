/*
 * http.c - the server around the routes: libmicrohttpd set up with a thread per connection,
 * what every request goes through before its route (size limit, token, same origin,
 * read-only), JSON errors, and the wait for a stop signal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web.h"

/* One request's state across the library's calls of on_request. */
struct conn {
	struct buf body;
	bool too_big;
	bool answered; /* a response was queued before the body was read */
};

const char *web_arg(const struct web_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void web_json(struct web_resp *resp, int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	resp->status = status;
	resp->type = NULL;
	resp->body.len = 0;
	buf_adds(&resp->body, s ? s : "null");
	buf_add(&resp->body, "\n", 1);
	free(s);
	json_decref(v);
}

int web_error(struct web_resp *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	web_json(resp, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
	return 0;
}

int web_queue_error(struct web_resp *resp, const struct error *err)
{
	switch (err->code) {
	case QE_INPUT:
		return web_error(resp, 400, "invalid", "%s", err->msg);
	case QE_NOTFOUND:
		return web_error(resp, 404, "not_found", "%s", err->msg);
	case QE_CONFLICT:
		return web_error(resp, 409, "conflict", "%s", err->msg);
	case QE_BUSY:
		return web_error(resp, 503, "busy", "%s", err->msg);
	default:
		/* The store failed (I/O, a full disk): nothing this request can change. */
		return web_error(resp, 503, "store", "%s", err->msg);
	}
}

bool api_is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

/*
 * Whether the request carries the token: "Authorization: Bearer TOKEN", compared in a time
 * that depends on the token's length only, never on how much of it a guess got right.
 */
static bool token_ok(const char *want, const char *header)
{
	size_t wlen = strlen(want), glen;
	unsigned char d;

	if (!header || strncasecmp(header, "Bearer ", 7))
		return false;
	header += 7;
	glen = strlen(header);
	d = glen != wlen;
	for (size_t i = 0; i < wlen; i++)
		d |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? header[i] : 0);
	return d == 0;
}

/* Whether a host name (a Host header without its port) is this machine's loopback. */
static bool host_is_loopback(const char *host, size_t len)
{
	char h[64];
	struct in_addr a4;

	if (len == 0 || len >= sizeof h)
		return false;
	memcpy(h, host, len);
	h[len] = '\0';
	if (!strcasecmp(h, "localhost") || !strcmp(h, "[::1]"))
		return true;
	return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* The Host header less its port. */
static size_t host_len(const char *host)
{
	const char *end;

	if (host[0] == '[')
		return (end = strchr(host, ']')) ? (size_t)(end - host + 1) : strlen(host);
	end = strrchr(host, ':');
	return end ? (size_t)(end - host) : strlen(host);
}

/*
 * A write without the token must come from the dashboard itself: a browser says where a
 * request comes from (Sec-Fetch-Site, Origin) and a page of another site cannot hide it.
 * A request that says neither is not a browser's, and so no cross-site forgery.
 */
static bool same_origin(struct MHD_Connection *c)
{
	const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return false;
	if (origin) {
		if (!host || strncmp(origin, "http://", 7) || strcmp(origin + 7, host))
			return false;
	}
	return true;
}

/* Static files carry no data: the dashboard's page loads before it has the token. */
static bool is_static(const char *path)
{
	return strncmp(path, "/api/", 5) && strcmp(path, "/metrics") && strcmp(path, "/healthz");
}

/*
 * What every request must pass before its route; fills resp and returns false when it
 * does not.
 */
static bool admit(struct web *web, struct MHD_Connection *c, const char *method,
		  const char *path, struct web_resp *resp)
{
	const struct web_config *cfg = web->cfg;
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	bool authed = false;

	if (cfg->token) {
		authed = token_ok(cfg->token, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
									   MHD_HTTP_HEADER_AUTHORIZATION));
		if (!authed && !is_static(path)) {
			web_error(resp, 401, "unauthorized",
				  "missing or wrong token: send 'Authorization: Bearer TOKEN'");
			return false;
		}
	} else if (!host || !host_is_loopback(host, host_len(host))) {
		/*
		 * No token: served on loopback only, and only to pages that name it so: a site
		 * whose name was made to point at 127.0.0.1 (DNS rebinding) sends its own name.
		 */
		web_error(resp, 403, "forbidden", "the Host header must name this machine's loopback");
		return false;
	}
	if (api_is_write(method)) {
		if (cfg->read_only) {
			web_error(resp, 403, "read_only", "this server is read-only (--read-only)");
			return false;
		}
		if (!authed && !same_origin(c)) {
			web_error(resp, 403, "cross_origin",
				  "a write from another site needs the token");
			return false;
		}
	}
	return true;
}

static enum MHD_Result respond(struct MHD_Connection *c, struct web_resp *resp)
{
	struct MHD_Response *r = resp->stream ? resp->stream : MHD_create_response_from_buffer(
		resp->body.len, resp->body.data ? resp->body.data : (void *)"",
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (resp->stream) {
		resp->status = 200;
		resp->type = "text/event-stream";
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->type ? resp->type : "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	ok = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct web *web = cls;
	struct conn *st = *con_cls;
	struct web_resp resp = { .status = 200, .body = BUF_INIT };
	enum MHD_Result ok;

	if (!st) {
		const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_CONTENT_LENGTH);

		*con_cls = st = xcalloc(1, sizeof *st);
		/* Refused before its body is read: the library then closes the connection. */
		if (len && strtoull(len, NULL, 10) > web->cfg->body_max)
			web_error(&resp, 413, "too_large", "the body is larger than %zu bytes",
				  web->cfg->body_max);
		else if (!admit(web, c, method, url, &resp))
			;
		else
			return MHD_YES;
		st->answered = true;
		ok = respond(c, &resp);
		buf_release(&resp.body);
		return ok;
	}
	if (st->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (st->too_big || st->body.len + *upload_size > web->cfg->body_max)
			st->too_big = true; /* chunked: no length said in advance */
		else
			buf_add(&st->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (st->too_big) {
		web_error(&resp, 413, "too_large", "the body is larger than %zu bytes",
			  web->cfg->body_max);
	} else {
		struct web_req req = { .method = method, .path = url, .body = st->body.data,
				       .body_len = st->body.len, .conn = c };

		pthread_mutex_lock(&web->lock);
		api_handle(web, &req, &resp);
		pthread_mutex_unlock(&web->lock);
	}
	ok = respond(c, &resp);
	buf_release(&resp.body);
	return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode why)
{
	struct conn *st = *con_cls;

	if (st) {
		buf_release(&st->body);
		free(st);
	}
	*con_cls = NULL;
}

/* Parse ADDR:PORT or [ADDR6]:PORT (localhost is 127.0.0.1) into ss. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
			struct error *err)
{
	char host[64];
	const char *colon;
	long long port;
	size_t n;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			goto bad;
		n = (size_t)(end - s - 1);
		colon = end + 1;
		s++;
	} else {
		if (!(colon = strrchr(s, ':')))
			goto bad;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof host)
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	if (parse_int(colon + 1, 0, 65535, "port", &port, err))
		return error_set(err, QE_INPUT, "invalid --listen '%.64s': bad port", s);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*sslen = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(struct sockaddr_in6);
		return 0;
	}
bad:
	return error_set(err, QE_INPUT,
			 "invalid --listen '%.64s': give ADDR:PORT with a numeric address "
			 "(127.0.0.1:5000, [::1]:5000)",
			 s);
}

static bool addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static void log_error(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* A client that leaves, a closed dashboard tab in the middle of its event stream, is no error. */
	if (strstr(msg, "no longer available"))
		return;
	fprintf(stderr, "queuectl: web: %s", msg);
}

int web_serve(struct queue *q, const struct web_config *cfg, struct error *err)
{
	struct web web = { .q = q, .cfg = cfg };
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char addr[INET6_ADDRSTRLEN];
	sigset_t stop, old;
	int sig = 0;

	if (parse_listen(cfg->listen, &ss, &sslen, err))
		return err->code;
	if (!addr_is_loopback(&ss) && !cfg->token)
		return error_set(err, QE_INPUT,
				 "listening on '%.64s', beyond this machine, needs a token: "
				 "--token-file FILE or QUEUECTL_WEB_TOKEN",
				 cfg->listen);
	if (mhd_load(err))
		return err->code;
	/* Blocked before the library's threads start, so that they inherit it and sigwait sees it. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&web.lock, NULL);
	if ((web.stopping = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_mutex_destroy(&web.lock);
		return error_set(err, QE_FAIL, "eventfd: %s", strerror(errno));
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_ERROR_LOG |
				     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, &web,
			     MHD_OPTION_EXTERNAL_LOGGER, log_error, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_END);
	if (!d) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_mutex_destroy(&web.lock);
		close(web.stopping);
		return error_set(err, QE_FAIL, "cannot listen on '%.64s': %s", cfg->listen,
				 errno ? strerror(errno) : "the server did not start");
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
	printf(ss.ss_family == AF_INET ? "serving http://%s:%u/\n" : "serving http://[%s]:%u/\n",
	       addr, info ? (unsigned)info->port : 0);
	fflush(stdout);
	while (sigwait(&stop, &sig) != 0)
		;
	/* The event streams' threads wait on this too: the library joins them next. */
	eventfd_write(web.stopping, 1);
	MHD_stop_daemon(d);
	events_stop(&web);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_destroy(&web.lock);
	close(web.stopping);
	free(web.status);
	json_decref(web.chart);
	return 0;
}
