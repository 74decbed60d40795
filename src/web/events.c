/*
 * events.c - GET /api/v1/events: a stream of Server-Sent Events for the dashboard, without
 * polling: "status" (counts by state, queues with their oldest due job, workers, the last
 * hour's completed and failed attempts per minute) whenever the store changes, and with
 * ?job=ID that job ("job") and the output of its current run as it is written ("output").
 *
 * Each stream runs in its connection's own thread (http.c): it blocks on its own change
 * descriptor (queue_changes_fd) and, when following a job, an inotify watch of the job's
 * log directory, takes web->lock only to read, and sends status at most every
 * STATUS_MIN_MS however busy the queue, so a busy store costs a stream a few reads a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

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
	int changes;	 /* queue_changes_fd */
	int ino;	 /* inotify on the followed job's log directory, or -1 */
	char *job;	 /* the followed job, or NULL */
	int run;	 /* its run whose output is sent */
	off_t off;	 /* how much of that run's log was sent */
	char *last_status, *last_job; /* what was sent last, not to send it again */
	int64_t status_at, sent_at;   /* time_mono_ms of the last status and the last byte */
	int64_t woke_at;	      /* of the first change not yet sent */
	bool started, dirty, gone;
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
 * Send the status if it changed; with web->lock held.  A status another stream read less
 * than STATUS_MIN_MS ago, and after the change that woke this one, is used as it is: every
 * stream then sends the same, and one write wakes a hundred streams for one read.
 */
static void status(struct events *ev)
{
	struct web *web = ev->web;
	struct error err;
	json_t *o;
	char *s;

	if (!web->status || time_mono_ms() - web->status_at >= STATUS_MIN_MS ||
	    web->status_at < ev->woke_at) {
		if (!(o = status_object(web, false, &err))) {
			s = json_dumps(json_pack("{s:s}", "message", err.msg), JSON_COMPACT);
			event(&ev->out, "error", s);
			free(s);
			return;
		}
		/* "now" changes every time: compare what else there is. */
		json_object_del(o, "now");
		free(web->status);
		web->status = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		web->status_at = time_mono_ms();
		json_decref(o);
	}
	if (!ev->last_status || strcmp(web->status, ev->last_status)) {
		event(&ev->out, "status", web->status);
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
		inotify_add_watch(ev->ino, dir, IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
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
		while ((n = pread(fd, chunk, sizeof chunk, ev->off)) > 0) {
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
	ev->status_at = time_mono_ms();
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
					       { ev->changes, POLLIN, 0 }, { ev->ino, POLLIN, 0 } };
			int64_t now = time_mono_ms(), wait = BACKSTOP_MS;

			if (ev->dirty)
				wait = ev->status_at + STATUS_MIN_MS - now;
			if (ev->sent_at + KEEPALIVE_MS - now < wait)
				wait = ev->sent_at + KEEPALIVE_MS - now;
			if (wait < 0)
				wait = 0;
			if (poll(p, ev->ino >= 0 ? 3 : 2, (int)wait) > 0) {
				if (p[0].revents)
					return MHD_CONTENT_READER_END_OF_STREAM;
				drain(ev->changes);
				drain(ev->ino);
				if (!ev->dirty)
					ev->woke_at = time_mono_ms();
				ev->dirty = true;
			}
			/*
			 * Judged by the clock, not by poll timing out: a store written without
			 * pause wakes every poll at once, and must still get its status.
			 */
			now = time_mono_ms();
			if ((ev->dirty && now >= ev->status_at + STATUS_MIN_MS) ||
			    now - ev->status_at >= BACKSTOP_MS)
				refresh(ev);
			if (ev->out.len == 0 && now - ev->sent_at >= KEEPALIVE_MS)
				buf_adds(&ev->out, ": keepalive\n\n");
		}
	}
}

static void events_free(void *cls)
{
	struct events *ev = cls;

	if (ev->changes >= 0)
		close(ev->changes);
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
	if ((fd = queue_changes_fd(web->q, &err)) < 0) {
		web_queue_error(resp, &err);
		return NULL;
	}
	ev = xcalloc(1, sizeof *ev);
	ev->web = web;
	ev->changes = fd;
	ev->ino = -1;
	ev->run = -1;
	ev->job = job ? xstrdup(job) : NULL;
	ev->sent_at = time_mono_ms();
	return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, ev, events_free);
}
