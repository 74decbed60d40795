/*
 * worker.c - the worker's event loop.
 *
 * One thread, one poll(): a signalfd brings SIGCHLD (a job ended) and the stop signals; the
 * store's wake descriptor brings "a job was enqueued"; the poll timeout is the nearest of the
 * heartbeat, a job's timeout, and the moment the next delayed job becomes due.  Nothing
 * sleeps: an idle worker costs no CPU and starts a new job as soon as it is enqueued.
 *
 * Jobs start with posix_spawn (glibc uses clone(CLONE_VM|CLONE_VFORK), so the cost does not
 * grow with the worker's memory as fork's does), each in its own process group so that a
 * terminal's Ctrl+C reaches the worker only, and a timeout can kill the whole job.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "worker.h"

extern char **environ;

/* A job whose result could not be recorded (database busy) is retried this often. */
#define RETRY_MS 500

struct slot {
	bool used;
	pid_t pid;	  /* 0 once reaped */
	struct job job;	  /* as claimed */
	char *log_path;
	int64_t started_at;  /* wall clock, ms */
	int64_t deadline;    /* monotonic ms of the job's timeout; 0 = none */
	int64_t kill_at;     /* monotonic ms to send SIGKILL; 0 = not yet signalled */
	bool timed_out;
	bool stopped;	     /* killed by a hard stop: released, not failed */
	int status;	     /* wait status, once reaped */
	int64_t finished_at;
};

struct worker {
	struct queue *q;
	const struct worker_opts *opts;
	struct worker_info info;
	struct slot *slots;
	int busy;	  /* slots in use */
	int stopping;	  /* 0 serving, 1 draining, 2 stopping the jobs */
	int sigfd, wakefd;
	int64_t lease_ms;
	int64_t next_tick;   /* monotonic: heartbeat, lease renewal, recovery */
	int64_t next_claim;  /* monotonic: when to try to claim again; 0 = now */
	int64_t next_retry;  /* monotonic: retry recording results; 0 = nothing to retry */
};

const char *worker_hostname(void)
{
	static char host[256];

	if (!host[0] && (gethostname(host, sizeof host - 1) < 0 || !host[0]))
		strcpy(host, "localhost");
	return host;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr per event, timestamped: a detached worker's log file is this. */
static void say(const char *fmt, ...)
{
	char t[TIME_BUFSZ];
	va_list ap;

	fprintf(stderr, "%s worker[%d]: ", time_format(time_now_ms(), true, t), (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the
 * pid, it names a process uniquely, so a reused pid is never mistaken for a worker.
 */
static long long process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long start = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields restart after the last ')'. */
	if (!(p = strrchr(buf, ')')))
		return -1;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

static bool worker_alive(const struct worker_info *w)
{
	return process_start(w->pid) == w->pid_start;
}

/* The delay until a monotonic deadline, for poll(), clamped to [0, max]. */
static int until(int64_t deadline, int64_t now, int max)
{
	int64_t d = deadline - now;

	return d < 0 ? 0 : d > max ? max : (int)d;
}

struct reap_ctx {
	struct worker *w;
	int workers, jobs;
};

/*
 * A dead worker's job may still be running: its process group outlived the worker.  Stop
 * it before the job is handed out again, or it would run twice at once.  The group is the
 * recorded pid's; if that pid is now another process (other start time), the group is not
 * ours to kill.  If no process has the pid any more, a group with that id can only be the
 * job's leftovers, since Linux does not hand out a pid still in use as a group id.
 */
static int kill_orphan(void *arg, const struct job *job)
{
	long long start;

	(void)arg;
	if (job->pid <= 1)
		return 0;
	start = process_start(job->pid);
	if (start < 0 || start == job->pid_start) {
		if (kill(-job->pid, SIGKILL) == 0)
			say("stopped process group %d of job %s, left by its dead worker", job->pid,
			    job->id);
	}
	return 0;
}

/* A worker of this host whose process is gone: give its jobs back now, not at lease expiry. */
static int reap_dead(void *arg, const struct worker_info *info)
{
	struct reap_ctx *rc = arg;
	struct error err;
	int n;

	struct store_filter f = { .state = JOB_PROCESSING, .worker = info->id };

	if (!strcmp(info->id, rc->w->info.id) || strcmp(info->host, worker_hostname()) ||
	    worker_alive(info))
		return 0;
	if (store_list(rc->w->q->store, &f, kill_orphan, NULL, &err) < 0) {
		say("cannot list the jobs of dead worker %d: %s", info->pid, err.msg);
		return 0;
	}
	n = store_release(rc->w->q->store, info->id, NULL, &err);
	if (n < 0 || store_worker_remove(rc->w->q->store, info->id, &err)) {
		say("cannot recover the jobs of dead worker %d: %s", info->pid, err.msg);
		return 0;
	}
	if (n > 0)
		say("returned %d job%s of dead worker %d to pending", n, n == 1 ? "" : "s",
		    info->pid);
	rc->workers++;
	rc->jobs += n;
	return 0;
}

/*
 * Crash recovery, run at start and on every tick: jobs of workers on this host that died
 * go back at once; jobs whose lease expired (a worker elsewhere, or one that hung) go back
 * when it does.  A job released this way has not had an attempt counted.
 */
static void recover(struct worker *w)
{
	struct reap_ctx rc = { .w = w };
	int64_t now = time_now_ms();
	struct error err;
	int n;

	if (store_worker_list(w->q->store, reap_dead, &rc, &err))
		say("cannot list workers: %s", err.msg);
	n = store_recover(w->q->store, now, now - 2 * w->lease_ms, &err);
	if (n < 0)
		say("cannot recover expired jobs: %s", err.msg);
	else if (n > 0)
		say("returned %d job%s with expired leases to pending", n, n == 1 ? "" : "s");
	if (rc.jobs > 0 || n > 0)
		w->next_claim = 0;
}

static void tick(struct worker *w)
{
	const struct config *cfg;
	int64_t now = time_now_ms();
	struct error err;

	/* Settings changed with 'config set' reach a running worker here. */
	w->q->cfg_loaded = false;
	if (queue_config(w->q, &cfg, &err) == 0)
		w->lease_ms = cfg->lease * 1000;
	if (store_worker_beat(w->q->store, w->info.id, now, &err) < 0 ||
	    (w->busy && store_renew(w->q->store, w->info.id, now + w->lease_ms, &err) < 0))
		say("heartbeat failed (will retry): %s", err.msg);
	recover(w);
	/* The fallback for a missed wake-up (or a job enqueued on another machine). */
	if (w->next_claim < 0)
		w->next_claim = 0;
	w->next_tick = time_mono_ms() + w->lease_ms / 3;
}

/* The environment of a job: ours, less any QUEUECTL_JOB_ID/ATTEMPT, plus the job's own. */
static char **job_env(const struct job *job)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 3, sizeof *env);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "QUEUECTL_JOB_ID=", 16) &&
		    strncmp(environ[i], "QUEUECTL_ATTEMPT=", 17))
			env[k++] = environ[i];
	env[k++] = xasprintf("QUEUECTL_JOB_ID=%s", job->id);
	env[k++] = xasprintf("QUEUECTL_ATTEMPT=%d", job->attempts + 1);
	env[k] = NULL;
	return env;
}

static void free_env(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	/* The last two are ours; the rest belong to environ. */
	free(env[n - 1]);
	free(env[n - 2]);
	free(env);
}

/*
 * Start a claimed job: /bin/sh -c COMMAND in a new process group, stdin from /dev/null,
 * stdout and stderr to the log of this run, no descriptor beyond 0-2, default signal
 * dispositions and an empty mask (the worker blocks signals for its signalfd).
 */
static int spawn(struct worker *w, struct slot *s, struct error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char *dir, **env;
	char *argv[] = { "/bin/sh", "-c", s->job.command, NULL };
	int rc;

	dir = xasprintf("%s/logs/%s", store_files_dir(w->q->store), s->job.id);
	/* Most jobs start once and the logs directory exists: one mkdir, not one per level. */
	rc = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : mkdir_p(dir, 0700, err);
	free(dir);
	if (rc)
		return rc;
	s->log_path = queue_log_path(w->q, s->job.id, s->job.runs);

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, s->log_path,
					 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	env = job_env(&s->job);
	rc = posix_spawn(&s->pid, argv[0], &fa, &attr, argv, env);
	free_env(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return error_set(err, QE_FAIL, "cannot start job '%s': %s", s->job.id,
				 strerror(rc));
	s->started_at = time_now_ms();
	s->deadline = s->job.timeout ? time_mono_ms() + s->job.timeout * 1000 : 0;
	/* Not fatal: without it, only a crash of this worker would leave the job unstopped. */
	if (store_started(w->q->store, s->job.id, w->info.id, (int)s->pid, process_start(s->pid),
			  err) < 0)
		say("cannot record the process of job %s: %s", s->job.id, err->msg);
	return 0;
}

static void slot_clear(struct worker *w, struct slot *s)
{
	job_release(&s->job);
	free(s->log_path);
	memset(s, 0, sizeof *s);
	w->busy--;
}

/* Fill free slots with due jobs until none is left. */
static void claim_jobs(struct worker *w)
{
	struct error err;
	int64_t when;

	while (w->busy < w->opts->slots) {
		struct slot *s = NULL;
		int rc;

		for (int i = 0; i < w->opts->slots && !s; i++)
			if (!w->slots[i].used)
				s = &w->slots[i];
		rc = queue_claim(w->q, w->info.id, w->opts->queues, w->opts->nqueues, &s->job, &err);
		if (rc < 0) {
			say("cannot claim a job (will retry): %s", err.msg);
			w->next_claim = time_mono_ms() + RETRY_MS;
			return;
		}
		if (rc == 0)
			break;
		s->used = true;
		w->busy++;
		if (spawn(w, s, &err)) {
			/* Not the job's fault: hand it back for another try, uncounted. */
			say("%s", err.msg);
			queue_release(w->q, &s->job, &err);
			slot_clear(w, s);
			w->next_claim = time_mono_ms() + RETRY_MS;
			return;
		}
		say("started job %s (attempt %d of %d, pid %d): %s", s->job.id,
		    s->job.attempts + 1, s->job.max_retries + 1, (int)s->pid, s->job.command);
	}
	/* Nothing due now: sleep until the next delayed job is, or until woken. */
	w->next_claim = -1;
	if (w->busy < w->opts->slots) {
		struct claim_req req = { .queues = w->opts->queues, .nqueues = w->opts->nqueues };
		int rc = store_next_due(w->q->store, &req, &when, &err);

		if (rc < 0) {
			say("cannot find the next due job (will retry): %s", err.msg);
			w->next_claim = time_mono_ms() + RETRY_MS;
		} else if (rc > 0) {
			w->next_claim = time_mono_ms() + (when - time_now_ms());
		}
	}
}

/* The tail of a log file: at most JOB_OUTPUT_TAIL bytes from its end (malloc'd). */
static char *read_tail(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	off_t from;
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		from = st.st_size > JOB_OUTPUT_TAIL ? st.st_size - JOB_OUTPUT_TAIL : 0;
		buf = xmalloc((size_t)(st.st_size - from) + 1);
		n = pread(fd, buf, (size_t)(st.st_size - from), from);
		*len = n > 0 ? (size_t)n : 0;
		buf[*len] = '\0';
	}
	close(fd);
	return buf;
}

/* Describe how an attempt ended, in words a person reads in 'list' and 'info'. */
static void describe(const struct slot *s, struct job_result *res, char *buf, size_t size)
{
	char d[TIME_BUFSZ];

	res->ok = false;
	res->has_exit_code = WIFEXITED(s->status);
	res->exit_code = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : 0;
	if (s->timed_out) {
		snprintf(buf, size, "timed out after %s", duration_format(s->job.timeout, d));
	} else if (WIFEXITED(s->status)) {
		int code = WEXITSTATUS(s->status);

		res->ok = code == 0;
		/* 127 and 126 are the shell's own words for "no such command" and "cannot run it". */
		if (code == 127)
			snprintf(buf, size, "command not found (exit status 127)");
		else if (code == 126)
			snprintf(buf, size, "command cannot be run (exit status 126)");
		else
			snprintf(buf, size, "exit status %d", code);
	} else if (WIFSIGNALED(s->status)) {
		const char *name = sigabbrev_np(WTERMSIG(s->status));

		snprintf(buf, size, "killed by signal %d%s%s%s", WTERMSIG(s->status),
			 name ? " (SIG" : "", name ? name : "", name ? ")" : "");
	} else {
		snprintf(buf, size, "ended with wait status %#x", s->status);
	}
	res->error = buf;
}

/*
 * Record a reaped job's result.  Returns false if the store could not be written (the slot
 * is kept and retried); true once it is done with, recorded or not.
 */
static bool record(struct worker *w, struct slot *s)
{
	struct job_result res = {
		.started_at = s->started_at,
		.finished_at = s->finished_at,
		.log_path = s->log_path,
	};
	enum job_state next;
	char why[128], d[TIME_BUFSZ];
	struct error err;
	int rc;

	if (s->stopped) {
		rc = queue_release(w->q, &s->job, &err);
		if (rc < 0)
			goto busy;
		say("job %s stopped and returned to pending", s->job.id);
		queue_notify(w->q);
		return true;
	}
	describe(s, &res, why, sizeof why);
	res.output = read_tail(s->log_path, &res.output_len);
	rc = queue_finish(w->q, &s->job, &res, &next, &err);
	free((char *)res.output);
	if (rc < 0)
		goto busy;
	if (rc == 0)
		say("job %s finished (%s) but was no longer ours: its lease had expired; result "
		    "dropped", s->job.id, res.ok ? "ok" : why);
	else if (next == JOB_COMPLETED)
		say("job %s completed in %.3fs", s->job.id,
		    (double)(s->finished_at - s->started_at) / 1000.0);
	else if (next == JOB_FAILED)
		say("job %s failed: %s; retry %d of %d in %s", s->job.id, why, s->job.attempts + 1,
		    s->job.max_retries,
		    duration_format((job_retry_delay_ms(s->job.attempts + 1, w->q->cfg.backoff_base,
							w->q->cfg.backoff_max) + 999) / 1000, d));
	else
		say("job %s failed: %s; moved to the dead letter queue after %d attempt%s",
		    s->job.id, why, s->job.attempts + 1, s->job.attempts ? "s" : "");
	/* A retry scheduled, or a slot freed: other idle workers may want to look again. */
	if (rc > 0 && next == JOB_FAILED)
		queue_notify(w->q);
	return true;
busy:
	say("cannot record the result of job %s (will retry): %s", s->job.id, err.msg);
	return false;
}

static struct slot *slot_of(struct worker *w, pid_t pid)
{
	for (int i = 0; i < w->opts->slots; i++)
		if (w->slots[i].used && w->slots[i].pid == pid)
			return &w->slots[i];
	return NULL;
}

static void reap(struct worker *w)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct slot *s = slot_of(w, pid);

		if (!s)
			continue;
		s->pid = 0;
		s->status = status;
		s->finished_at = time_now_ms();
		/* What a timed-out or stopped job left behind in its group goes with it. */
		if (s->timed_out || s->stopped)
			kill(-pid, SIGKILL);
		if (record(w, s))
			slot_clear(w, s);
		else if (!w->next_retry)
			w->next_retry = time_mono_ms() + RETRY_MS;
	}
	w->next_claim = 0;
}

/* Results that could not be written earlier. */
static void retry_records(struct worker *w)
{
	w->next_retry = 0;
	for (int i = 0; i < w->opts->slots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || s->pid)
			continue;
		if (record(w, s))
			slot_clear(w, s);
		else
			w->next_retry = time_mono_ms() + RETRY_MS;
	}
}

/* SIGTERM to every running job's group now, SIGKILL after the grace period. */
static void stop_jobs(struct worker *w)
{
	int64_t now = time_mono_ms();

	for (int i = 0; i < w->opts->slots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || !s->pid || s->kill_at)
			continue;
		s->stopped = !s->timed_out;
		kill(-s->pid, SIGTERM);
		s->kill_at = now + w->opts->grace_ms;
	}
}

/* Timeouts and overdue SIGKILLs; returns the nearest deadline still ahead (0 = none). */
static int64_t check_deadlines(struct worker *w)
{
	int64_t now = time_mono_ms(), next = 0;

	for (int i = 0; i < w->opts->slots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || !s->pid)
			continue;
		if (s->kill_at && now >= s->kill_at) {
			kill(-s->pid, SIGKILL);
			s->kill_at = now + w->opts->grace_ms; /* and again, should it linger */
		} else if (!s->kill_at && s->deadline && now >= s->deadline) {
			say("job %s timed out after %llds: stopping it", s->job.id,
			    (long long)s->job.timeout);
			s->timed_out = true;
			kill(-s->pid, SIGTERM);
			s->kill_at = now + w->opts->grace_ms;
		}
		int64_t d = s->kill_at ? s->kill_at : s->deadline;

		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

static void on_signal(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below, whatever woke us */
		/* 'worker stop' asks for a graceful stop only: asking twice changes nothing. */
		if (si.ssi_code == SI_QUEUE && si.ssi_int == WORKER_STOP_GRACEFUL && w->stopping)
			continue;
		w->stopping++;
		if (w->stopping == 1) {
			say("received SIG%s: finishing %d running job%s, then exiting (again to stop "
			    "them)", sigabbrev_np((int)si.ssi_signo), w->busy, w->busy == 1 ? "" : "s");
		} else if (w->stopping == 2) {
			say("received SIG%s again: stopping %d running job%s",
			    sigabbrev_np((int)si.ssi_signo), w->busy, w->busy == 1 ? "" : "s");
			stop_jobs(w);
		}
	}
}

static int setup(struct worker *w, struct error *err)
{
	const struct config *cfg;
	char rnd[JOB_ID_GEN_LEN + 1];
	sigset_t set;

	if (queue_config(w->q, &cfg, err))
		return err->code;
	w->lease_ms = cfg->lease * 1000;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd < 0)
		return error_set(err, QE_FAIL, "signalfd: %s", strerror(errno));
	if ((w->wakefd = store_wait_fd(w->q->store, err)) < 0)
		return err->code;

	id_generate(rnd);
	w->info.id = xasprintf("%s-%d-%.6s", worker_hostname(), (int)getpid(), rnd);
	w->info.host = xstrdup(worker_hostname());
	w->info.pid = (int)getpid();
	w->info.pid_start = process_start(getpid());
	w->info.slots = w->opts->slots;
	w->info.queues = w->opts->queues_text ? xstrdup(w->opts->queues_text) : NULL;
	w->info.started_at = w->info.heartbeat_at = time_now_ms();
	if (store_worker_add(w->q->store, &w->info, err))
		return err->code;
	w->slots = xcalloc((size_t)w->opts->slots, sizeof *w->slots);
	return 0;
}

int worker_run(struct queue *q, const struct worker_opts *opts, struct error *err)
{
	struct worker w = { .q = q, .opts = opts, .sigfd = -1, .wakefd = -1 };
	int rc;

	/* One write per log line, not one per fprintf piece: lines from workers sharing a file
	 * stay whole, and a busy worker makes fewer syscalls. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	/*
	 * Keep freed memory instead of handing it back: otherwise every job's output buffer
	 * grows the heap with brk and shrinks it again, and each shrink flushes the TLBs of
	 * every CPU the just-spawned job shared our memory on (a tenth of the worker's CPU per
	 * job in perf).  The worker's heap stays small either way.
	 */
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if ((rc = setup(&w, err)))
		goto out;
	say("serving %s with %d slot%s (id %s)", opts->queues_text ? opts->queues_text : "all queues",
	    opts->slots, opts->slots == 1 ? "" : "s", w.info.id);
	recover(&w);
	w.next_tick = time_mono_ms() + w.lease_ms / 3;
	if (opts->ready_fd >= 0) {
		(void)!write(opts->ready_fd, "", 1);
		close(opts->ready_fd);
	}
	for (;;) {
		struct pollfd pfd[2] = { { w.sigfd, POLLIN, 0 }, { w.wakefd, POLLIN, 0 } };
		int64_t now, deadline;
		int timeout;

		if (!w.stopping && w.next_claim >= 0 && w.next_claim <= time_mono_ms())
			claim_jobs(&w);
		if (w.stopping && w.busy == 0)
			break;

		now = time_mono_ms();
		timeout = until(w.next_tick, now, 60000);
		if (!w.stopping && w.next_claim >= 0)
			timeout = until(w.next_claim, now, timeout);
		if (w.next_retry)
			timeout = until(w.next_retry, now, timeout);
		if ((deadline = check_deadlines(&w)))
			timeout = until(deadline, now, timeout);

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			rc = error_set(err, QE_FAIL, "poll: %s", strerror(errno));
			break;
		}
		/* Whatever woke us, every check below is cheap when it has nothing to do. */
		if (pfd[0].revents & POLLIN)
			on_signal(&w);
		if (pfd[1].revents & POLLIN) {
			store_wait_drain(q->store);
			w.next_claim = 0;
		}
		reap(&w);
		if (w.next_retry && w.next_retry <= time_mono_ms())
			retry_records(&w);
		if (w.next_tick <= time_mono_ms())
			tick(&w);
	}
	say("stopped");
out:
	if (w.info.id) {
		struct error ignored;

		/* Jobs still held (an error above) go back now rather than at lease expiry. */
		store_release(q->store, w.info.id, NULL, &ignored);
		store_worker_remove(q->store, w.info.id, &ignored);
	}
	for (int i = 0; w.slots && i < opts->slots; i++)
		if (w.slots[i].used)
			slot_clear(&w, &w.slots[i]);
	free(w.slots);
	worker_info_release(&w.info);
	if (w.sigfd >= 0)
		close(w.sigfd);
	return rc;
}
