/*
 * events.c - GET /api/v1/events: a stream of Server-Sent Events for the dashboard, without
 * polling: "status" (counts by state, queues with their oldest due job, workers, the last
 * hour's completed and failed attempts per minute) whenever the store changes, and with
 * ?job=ID that job ("job") and the output of its current run as it is written ("output").
 *
 * One thread, the hub, watches the store for every stream (queue_changes_fd): when it
 * changes, the hub reads the status, at most every STATUS_MIN_MS however busy the queue,
 * keeps it in struct web and wakes each stream through its own eventfd.  Each stream runs
 * in its connection's thread (http.c) and blocks on that eventfd and, when following a job,
 * an inotify watch of the logs directory; it takes web->lock only to read.  A hundred
 * streams thus cost the store what one does, and a write wakes one thread, not a hundred.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../logs.h"
#include "../view.h"
#include "web.h"

#define STATUS_MIN_MS 500  /* at most two status events a second */
#define BACKSTOP_MS 5000   /* look again anyway: writes made on another machine wake no one */
#define KEEPALIVE_MS 15000 /* a comment, so that idle streams outlive --timeout and proxies */
#define OUTPUT_CHUNK 65536
#define CHART_MS 5000	   /* the per-minute chart is read again at least this often */
#define CHART_MIN_MS 1000  /* and at most this often, when the counts change */

struct events {
	struct web *web;
	struct events *next; /* in web->streams */
	int wake;	 /* eventfd: the hub read a new status */
	int ino;	 /* inotify on the followed job's log directory, or -1 */
	char *job;	 /* the followed job, or NULL */
	int run;	 /* its run whose output is sent */
	off_t off;	 /* how much of that run's log was sent */
	char *last_status, *last_job; /* what was sent last, not to send it again */
	int64_t read_at, sent_at;     /* time_mono_ms of the last refresh and the last byte */
	bool started, dirty, gone;    /* dirty: the log grew since the last refresh */
	struct buf out;
	size_t done; /* bytes of out already handed to the library */
};

static void event(struct buf *b, const char *name, const char *json)
{
	buf_addf(b, "event: %s\ndata: %s\n\n", name, json);
}

static int add_worker(void *ctx, const struct worker_info *w)
{
	json_array_append_new(ctx, view_worker(w));
	return 0;
}

static int add_summary(void *ctx, const struct queue_summary *qs)
{
	json_t *o = json_object();

	json_object_set_new(o, "queue", json_string(qs->name));
	json_object_set_new(o, "counts", view_counts(qs->counts));
	json_object_set_new(o, "oldest_due_seconds",
			    qs->oldest_due_ms >= 0 ? json_integer(qs->oldest_due_ms / 1000)
						   : json_null());
	json_array_append_new(ctx, o);
	return 0;
}

struct minutes {
	int64_t start; /* the first minute's start, ms */
	long long completed[60], failed[60];
};

static int add_finished(void *ctx, const struct finished *f)
{
	struct minutes *m = ctx;
	int64_t i = (f->finished_at - m->start) / 60000;

	if (i >= 0 && i < 60) {
		if (!strcmp(f->outcome, "completed"))
			m->completed[i]++;
		else
			m->failed[i]++;
	}
	return 0;
}

/*
 * The last hour's attempts per minute: {minute_start, completed_per_minute,
 * failed_per_minute}.  It reads every attempt of the hour, so the streams read it again
 * only when its minute has passed, or CHART_MIN_MS after the counts changed, or every
 * CHART_MS (an attempt that changes no count: a failure that fails again).
 */
static json_t *chart(struct web *web, int64_t now, const long long counts[JOB_NSTATES],
		     bool fresh, struct error *err)
{
	int64_t age = time_mono_ms() - web->chart_at;
	bool same = !memcmp(counts, web->chart_counts, sizeof web->chart_counts);
	struct minutes m;
	json_t *o, *c, *fl;
	int64_t start = (now / 60000 - 59) * 60000; /* the last 60 minutes, this one last */
	char first[TIME_BUFSZ];

	time_format(start, false, first);
	if (!fresh && web->chart && age < CHART_MS && (same || age < CHART_MIN_MS) &&
	    !strcmp(json_string_value(json_object_get(web->chart, "minute_start")), first))
		return json_incref(web->chart);
	memset(&m, 0, sizeof m);
	m.start = start;
	if (queue_finished_since(web->q, m.start, NULL, add_finished, &m, err))
		return NULL;
	o = json_object();
	c = json_array();
	fl = json_array();
	for (int i = 0; i < 60; i++) {
		json_array_append_new(c, json_integer(m.completed[i]));
		json_array_append_new(fl, json_integer(m.failed[i]));
	}
	json_object_set_new(o, "minute_start", view_time(m.start, false));
	json_object_set_new(o, "completed_per_minute", c);
	json_object_set_new(o, "failed_per_minute", fl);
	json_decref(web->chart);
	web->chart = json_incref(o);
	web->chart_at = time_mono_ms();
	memcpy(web->chart_counts, counts, sizeof web->chart_counts);
	return o;
}

static json_t *status_object(struct web *web, bool fresh, struct error *err)
{
	long long counts[JOB_NSTATES];
	json_t *o = NULL, *queues = json_array(), *workers = json_array(), *ch;
	int64_t now;

	if (queue_now(web->q, &now, err) || queue_counts(web->q, counts, err) ||
	    queue_summaries(web->q, add_summary, queues, err) ||
	    queue_workers(web->q, add_worker, workers, err) ||
	    !(ch = chart(web, now, counts, fresh, err))) {
		json_decref(queues);
		json_decref(workers);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "now", view_time(now, true));
	json_object_set_new(o, "counts", view_counts(counts));
	json_object_set_new(o, "queues", queues);
	json_object_set_new(o, "workers", workers);
	json_object_update(o, ch);
	json_decref(ch);
	return o;
}

json_t *events_status(struct web *web, struct error *err)
{
	return status_object(web, true, err);
}

/*
 * Read the status into web->status (as web->status_event: "status", or "error" with the
 * message); with web->lock held.  "now" is left out: it changes every time, and a status is
 * sent again only when something else did.
 */
static void status_read(struct web *web)
{
	struct error err;
	json_t *o = status_object(web, false, &err);

	free(web->status);
	if (o) {
		json_object_del(o, "now");
		web->status_event = "status";
		web->status = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
	} else {
		o = json_pack("{s:s}", "message", err.msg);
		web->status_event = "error";
		web->status = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
}

/* Send the status the hub read last if this stream has not sent it yet; lock held. */
static void status(struct events *ev)
{
	struct web *web = ev->web;

	if (!web->status)
		status_read(web);
	if (!ev->last_status || strcmp(web->status, ev->last_status)) {
		event(&ev->out, web->status_event, web->status);
		free(ev->last_status);
		ev->last_status = xstrdup(web->status);
	}
}

/* Watch the directory of the followed run's log (made if missing: the worker would). */
static void watch_log(struct events *ev, const char *path)
{
	char *dir = xstrdup(path);
	struct error err;

	if (ev->ino < 0)
		ev->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ev->ino >= 0 && mkdir_p(dirname(dir), 0700, &err) == 0)
		inotify_add_watch(ev->ino, dir,
				  IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
	free(dir);
}

/* Send the followed job if it changed, and what its run's log has gained; lock held. */
static void follow(struct events *ev)
{
	struct error err;
	struct job job;
	char *s, *path, chunk[OUTPUT_CHUNK];
	json_t *o;
	ssize_t n;
	int fd, run;

	if (queue_get(ev->web->q, ev->job, &job, &err)) {
		s = json_dumps(json_pack("{s:s}", "message", err.msg), JSON_COMPACT);
		event(&ev->out, "gone", s);
		free(s);
		ev->gone = true;
		return;
	}
	o = view_job(&job, true);
	json_object_del(o, "output"); /* the stream sends it as it grows */
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!ev->last_job || strcmp(s, ev->last_job))
		event(&ev->out, "job", s);
	free(ev->last_job);
	ev->last_job = s;
	/* A running or finished job: its latest run; one waiting to run: the next. */
	run = job.state == JOB_PENDING || job.state == JOB_FAILED ? job.runs + 1 : job.runs;
	job_release(&job);
	if (run != ev->run) {
		ev->run = run;
		ev->off = 0;
		path = queue_log_path(ev->web->q, ev->job, run);
		watch_log(ev, path);
		free(path);
	}
	path = queue_log_path(ev->web->q, ev->job, ev->run);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		/* The start of a long log is left out: the tail is what a person follows. */
		off_t size = lseek(fd, 0, SEEK_END);

		if (ev->off == 0 && size > OUTPUT_CHUNK)
			ev->off = size - OUTPUT_CHUNK;
		/* Not logs_same: an empty log taken back as a spare, its bytes another run's. */
		while ((n = pread(fd, chunk, sizeof chunk, ev->off)) > 0 && logs_same(fd, path)) {
			struct buf text = BUF_INIT;

			utf8_sanitize(&text, chunk, (size_t)n);
			o = json_pack("{s:i,s:I,s:s%}", "run", ev->run, "offset", (json_int_t)ev->off,
				      "text", text.data ? text.data : "", text.len);
			s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			event(&ev->out, "output", s);
			free(s);
			json_decref(o);
			buf_release(&text);
			ev->off += n;
		}
		close(fd);
	}
	free(path);
}

static void refresh(struct events *ev)
{
	pthread_mutex_lock(&ev->web->lock);
	status(ev);
	if (ev->job && !ev->gone)
		follow(ev);
	pthread_mutex_unlock(&ev->web->lock);
	ev->read_at = time_mono_ms();
	ev->dirty = false;
}

static void drain(int fd)
{
	char b[4096];

	while (fd >= 0 && read(fd, b, sizeof b) > 0)
		;
}

/* The library asks for more of the stream: block until there is some. */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct events *ev = cls;

	for (;;) {
		if (ev->done < ev->out.len) {
			size_t n = ev->out.len - ev->done;

			if (n > max)
				n = max;
			memcpy(buf, ev->out.data + ev->done, n);
			ev->done += n;
			ev->sent_at = time_mono_ms();
			return (ssize_t)n;
		}
		ev->out.len = ev->done = 0;
		if (!ev->started) {
			ev->started = true;
			buf_adds(&ev->out, "retry: 2000\n\n");
			refresh(ev);
			continue;
		}
		if (ev->gone)
			return MHD_CONTENT_READER_END_OF_STREAM;
		{
			struct pollfd p[3] = { { ev->web->stopping, POLLIN, 0 },
					       { ev->wake, POLLIN, 0 }, { ev->ino, POLLIN, 0 } };
			int64_t now = time_mono_ms(), wait = ev->sent_at + KEEPALIVE_MS - now;
			bool woken = false;

			/* The log's growth is sent at most every STATUS_MIN_MS, as the status is. */
			if (ev->dirty && ev->read_at + STATUS_MIN_MS - now < wait)
				wait = ev->read_at + STATUS_MIN_MS - now;
			if (wait < 0)
				wait = 0;
			if (poll(p, ev->ino >= 0 ? 3 : 2, (int)wait) > 0) {
				if (p[0].revents)
					return MHD_CONTENT_READER_END_OF_STREAM;
				woken = p[1].revents != 0;
				drain(ev->wake);
				if (ev->ino >= 0 && p[2].revents) {
					drain(ev->ino);
					ev->dirty = true;
				}
			}
			now = time_mono_ms();
			if (woken || (ev->dirty && now >= ev->read_at + STATUS_MIN_MS))
				refresh(ev);
			if (ev->out.len == 0 && now - ev->sent_at >= KEEPALIVE_MS)
				buf_adds(&ev->out, ": keepalive\n\n");
		}
	}
}

/*
 * The hub's thread: wait for the store to change, then read the status (at most every
 * STATUS_MIN_MS, and every BACKSTOP_MS anyway) and wake every stream.  Judged by the clock,
 * not by poll timing out: a store written without pause wakes every poll at once, and must
 * still get its status.
 */
static void *hub(void *arg)
{
	struct web *web = arg;
	int64_t read_at = time_mono_ms();
	bool dirty = false;

	for (;;) {
		struct pollfd p[2] = { { web->stopping, POLLIN, 0 }, { web->changes, POLLIN, 0 } };
		int64_t now = time_mono_ms();
		int64_t wait = (dirty ? read_at + STATUS_MIN_MS : read_at + BACKSTOP_MS) - now;

		if (poll(p, 2, wait < 0 ? 0 : (int)wait) > 0) {
			if (p[0].revents)
				return NULL;
			drain(web->changes);
			dirty = true;
		}
		now = time_mono_ms();
		if ((dirty && now >= read_at + STATUS_MIN_MS) || now - read_at >= BACKSTOP_MS) {
			pthread_mutex_lock(&web->lock);
			status_read(web);
			for (struct events *ev = web->streams; ev; ev = ev->next)
				eventfd_write(ev->wake, 1);
			pthread_mutex_unlock(&web->lock);
			read_at = now;
			dirty = false;
		}
	}
}

/* Start the hub with the first stream; lock held. */
static int hub_start(struct web *web, struct error *err)
{
	int e;

	if (web->hub_started)
		return 0;
	if ((web->changes = queue_changes_fd(web->q, err)) < 0)
		return err->code;
	if ((e = pthread_create(&web->hub, NULL, hub, web)) != 0) {
		close(web->changes);
		web->changes = -1;
		return error_set(err, QE_FAIL, "cannot start a thread: %s", strerror(e));
	}
	web->hub_started = true;
	return 0;
}

void events_stop(struct web *web)
{
	if (web->hub_started) {
		pthread_join(web->hub, NULL);
		close(web->changes);
		web->hub_started = false;
	}
}

static void events_free(void *cls)
{
	struct events *ev = cls;
	struct events **pp;

	pthread_mutex_lock(&ev->web->lock);
	for (pp = &ev->web->streams; *pp && *pp != ev; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = ev->next;
	pthread_mutex_unlock(&ev->web->lock);
	close(ev->wake);
	if (ev->ino >= 0)
		close(ev->ino);
	free(ev->job);
	free(ev->last_status);
	free(ev->last_job);
	buf_release(&ev->out);
	free(ev);
}

void *events_stream(struct web *web, const char *job, struct web_resp *resp)
{
	struct MHD_Response *r;
	struct events *ev;
	struct error err;
	struct job j;
	int fd;

	if (job) {
		if (!id_valid(job) || queue_get(web->q, job, &j, &err)) {
			web_error(resp, 404, "not_found", "no job '%.64s'", job);
			return NULL;
		}
		job_release(&j);
	}
	/* Out of threads or descriptors: the server cannot take another stream now. */
	if (hub_start(web, &err) ||
	    ((fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 &&
	     error_set(&err, QE_FAIL, "eventfd: %s", strerror(errno)))) {
		web_error(resp, 503, "unavailable", "%s", err.msg);
		return NULL;
	}
	ev = xcalloc(1, sizeof *ev);
	ev->web = web;
	ev->wake = fd;
	ev->ino = -1;
	ev->run = -1;
	ev->job = job ? xstrdup(job) : NULL;
	ev->sent_at = time_mono_ms();
	ev->next = web->streams;
	web->streams = ev;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, ev, events_free);
	if (!r) {
		/* The library frees ev only with a response: unlinked (it is first) and freed here. */
		web->streams = ev->next;
		close(ev->wake);
		free(ev->job);
		free(ev);
		web_error(resp, 503, "unavailable", "cannot make a response: out of memory");
	}
	return r;
}
