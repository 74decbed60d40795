/*
 * worker.c - the worker proper: slots, claiming, recording results, recovering the jobs of
 * dead workers, and stopping, gracefully or hard.
 *
 * One thread on one event loop (loop.h): a signalfd brings SIGCHLD (a job ended) and the
 * stop signals; the store's wake descriptor brings "a job was enqueued"; timed tasks claim
 * jobs, enforce their timeouts, send the heartbeat and retry results that could not be
 * written.  Nothing sleeps: an idle worker costs no CPU and starts a new job as soon as it
 * is enqueued.  How a job's process starts and how its end reads are exec.h's; pids and
 * this machine are host.h's.
 *
 * Every call into the store below the queue layer is in the section "Traffic with the
 * store", so that moving to the queue layer's worker functions is an edit of that section.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "host.h"
#include "loop.h"
#include "util.h"
#include "logs.h"
#include "watchdog.h"
#include "worker.h"

/* A job whose result could not be recorded (database busy) is retried this often. */
#define RETRY_MS 500

/*
 * A job that cannot be started by no fault of its own (no process could be made, its log
 * not opened) is tried this many times, RETRY_MS, 2 RETRY_MS, ... apart, before its attempt
 * fails with the reason.
 */
#define START_TRIES 4

/*
 * A job killed by a stop signal is held this long before it is recorded as failed: if the
 * worker receives a stop signal meanwhile, the job was stopped with it, not by its fault.
 */
#define STOP_WINDOW_MS 1000

/*
 * How often running jobs' logs are held to max-output: a job may write past it for this
 * long before its middle is cut out.
 */
#define OUTPUT_CHECK_MS 1000

/*
 * A started job's pid reaches the store once the job has run this long, with a round due
 * then: a job that ends sooner never has it written (see run_round).
 */
#define PID_WRITE_MS 100

/* The longest gap between ticks, whatever the lease: a changed setting arrives this soon. */
#define TICK_MAX_MS 10000

/*
 * Claiming ahead.  While its jobs are short, a worker claims jobs beyond those it can start:
 * as many as its slots should free within half of AHEAD_MS, by the mean time its jobs have
 * taken (ahead_now), and no more than twice its slots or AHEAD_MAX.  When a job ends, the
 * next one starts at once, its claim committed already, and the round that records the
 * result and claims again runs while it does.  A job claimed ahead and not started within
 * AHEAD_MS goes back to pending, and the worker claims ahead no more until its jobs are
 * short again: a long job keeps another from the other workers no longer than that.
 */
#define AHEAD_MS 100
#define AHEAD_MAX 16

/*
 * While jobs claimed ahead keep the slots busy, a result waits this long for others to
 * share its round (one transaction, fewer pages written per job).
 */
#define BATCH_MS 10

struct slot {
	bool used;
	bool ready;	  /* claimed ahead, not started yet (AHEAD_MS) */
	int64_t ready_at; /* monotonic ms of that claim */
	long ready_seq;	  /* claims ahead start in the order they were made */
	pid_t pid;	  /* 0 once reaped, or when it never started */
	struct job job;	  /* as claimed */
	char *log_path;
	int log_fd;	     /* the log, open while the slot is in use; -1 if none */
	char *spawn_error;   /* the command could not be started: the attempt's error */
	int spawn_errno;     /* why, when the program could not be run */
	int start_tries;     /* failed starts not by the job's fault */
	int64_t start_at;    /* monotonic ms of the next try to start; 0 = none pending */
	int64_t started_at;  /* wall clock, ms */
	int64_t started_mono;
	int64_t deadline;    /* monotonic ms of the job's timeout; 0 = none */
	int64_t kill_at;     /* monotonic ms to send SIGKILL; 0 = not yet signalled */
	bool timed_out;
	bool stopped;	     /* killed by a hard stop: released, not failed */
	bool forsaken;	     /* outlived the worker's kill-at: its result is not to be trusted */
	int status;	     /* wait status, once reaped */
	int64_t finished_at;
	int64_t reaped_mono; /* monotonic ms of the reaping */
	int64_t output_cut;  /* bytes of output left out (max-output) */
	bool log_empty;	     /* the attempt wrote nothing: its log is not kept (take_back) */
	bool pid_recorded;   /* the store has the pid (queue_started) */
	bool ended;	     /* its result (or a release) waits to be written */
	/* Written in the round under way, if it commits: */
	bool pid_writing, result_writing;
	int written;	      /* queue_finish's or queue_release's return */
	enum job_state next;  /* queue_finish's verdict */
};

struct worker {
	struct queue *q;
	const struct worker_opts *opts;
	struct worker_info info;
	struct loop *loop;
	/*
	 * nslots entries: up to opts->slots jobs running (or waiting to start again), the
	 * results of ended ones until they are written, and up to ahead jobs claimed ahead.
	 */
	struct slot *slots;
	int nslots, ahead;
	double mean_ms;	 /* how long jobs take, a moving mean; 0 = none has ended yet */
	int nready;	 /* jobs claimed ahead, not started */
	long claims;	 /* numbers the claims ahead (ready_seq) */
	/*
	 * The spare logs, one per slot at most, whichever entry's job takes or gives one:
	 * where each is (logs_spare_path), and it open, or -1 where there is none.
	 */
	char **spare_path;
	int *spare_fd;
	int busy;	  /* slots in use */
	int stopping;	  /* 0 serving, 1 draining, 2 stopping the jobs */
	int signals;	  /* stop signals received: the second one stops the jobs */
	long started;	  /* jobs started, for --max-jobs */
	int sigfd, wakefd;
	int64_t lease_ms;
	int64_t max_output;
	int64_t next_output; /* monotonic: hold the running jobs' logs to max-output */
	struct watchdog *wd;
	int64_t kill_at;     /* monotonic: the watchdog kills our jobs then, unless renewed */
	int64_t next_tick;   /* monotonic: heartbeat, lease renewal, recovery */
	int64_t next_claim;  /* monotonic: when to try to claim again; -1 = when woken */
	int64_t next_write;  /* monotonic: a round must write results or pids; 0 = none */
	struct job *claimed; /* a round's claims, one per slot */
	int64_t next_retry;  /* monotonic: retry recording results; 0 = nothing to retry */
	int64_t end;	     /* monotonic: --for runs out; 0 = no limit */
	bool check_stop;     /* read our row's stop request ('worker stop') */
	struct error lost;   /* the store is not the one opened any more (QE_OK: it is) */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr per event, timestamped: a detached worker's log file is this. */
static void say(const char *fmt, ...)
{
	static pid_t pid; /* the worker's, once: a line is not worth a system call */
	char t[TIME_BUFSZ];
	va_list ap;

	if (!pid)
		pid = getpid();
	fprintf(stderr, "%s worker[%d]: ", time_format(time_now_ms(), true, t), (int)pid);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- Traffic with the queue layer ---
 *
 * Each function here is one call of queue.h with the worker's logging around it.
 */

/*
 * The watchdog's safety margin: it kills our jobs this long before their leases end, so
 * that they are dead before another worker can recover them, though the watchdog itself is
 * scheduled late or the clocks drift apart a little.  max(1 s, lease/5); see DECISIONS.md.
 */
static int64_t watchdog_margin_ms(int64_t lease_ms)
{
	return lease_ms / 5 > 1000 ? lease_ms / 5 : 1000;
}

/* A new deadline for the watchdog: our jobs' process groups die then unless renewed. */
static void set_kill_at(struct worker *w, int64_t at)
{
	w->kill_at = at;
	if (watchdog_deadline(w->wd, at) < 0)
		say("cannot reach the watchdog: %s", strerror(errno));
}

/*
 * Once our kill-at has passed (the worker was frozen, or could not renew its leases for
 * that long), the watchdog has killed our running jobs and another worker may own them
 * now: what they did is not to be trusted, and nothing of it is recorded.
 */
static void check_kill_at(struct worker *w)
{
	if (time_mono_ms() < w->kill_at)
		return;
	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (s->used && s->pid && !s->forsaken) {
			s->forsaken = true;
			say("job %s: this worker did not renew its lease in time (was it frozen?): "
			    "its run is killed and will not be recorded", s->job.id);
		}
	}
}

/* Settings changed with 'config set' reach a running worker here. */
static void reload_config(struct worker *w)
{
	const struct config *cfg;
	struct error err;
	int64_t at;

	queue_config_reload(w->q);
	if (queue_config(w->q, &cfg, &err) == 0) {
		w->lease_ms = cfg->lease * 1000;
		w->max_output = cfg->max_output;
		/* A shorter lease applies to the next claims before the next renewal. */
		at = time_mono_ms() + w->lease_ms - watchdog_margin_ms(w->lease_ms);
		if (at < w->kill_at)
			set_kill_at(w, at);
	}
}

/* The worker's row in the workers table, for status and stop. */
static int register_worker(struct worker *w, struct error *err)
{
	return queue_worker_register(w->q, &w->info, err);
}

/* Jobs still held go back now rather than at lease expiry. */
static void unregister_worker(struct worker *w)
{
	struct error ignored;

	queue_worker_unregister(w->q, w->info.id, &ignored);
}

/*
 * The worker's heartbeat, and the leases of the jobs it holds.  A worker whose row is gone
 * (pruned while it could not beat) registers again: it exists as long as it lives.
 */
static void heartbeat(struct worker *w)
{
	struct error err;
	/* Read before the renewal: the store's "now" in it is later, so our kill-at is sooner
	 * than the lease's end by at least the margin (see watchdog_margin_ms). */
	int64_t before = time_mono_ms();
	int n = queue_heartbeat(w->q, w->info.id, &err);

	if (n >= 0)
		set_kill_at(w, before + w->lease_ms - watchdog_margin_ms(w->lease_ms));
	if (n < 0)
		say("heartbeat failed (will retry): %s", err.msg);
	else if (n == 0 && register_worker(w, &err) < 0)
		say("cannot register again (will retry): %s", err.msg);
	else if (n == 0)
		say("registered again: this worker's row was gone");
}

/*
 * A dead worker: kill_job on each of its processing jobs (unless NULL), then return them to
 * pending and remove its row.  Returns how many jobs went back.
 */
static int unregister_dead(struct worker *w, const struct worker_info *dead,
			   job_visit_fn *kill_job, struct error *err)
{
	struct job_filter f = { .state = JOB_PROCESSING, .worker = dead->id };
	int n;

	if (kill_job && queue_list(w->q, &f, kill_job, w, err) < 0)
		return error_prefix(err, "cannot list the jobs of dead worker %d: ", dead->pid);
	if ((n = queue_worker_unregister(w->q, dead->id, err)) < 0)
		return error_prefix(err, "cannot recover the jobs of dead worker %d: ", dead->pid);
	return n;
}

/*
 * Jobs whose lease ran out go back to pending, and workers silent for twice the lease
 * leave the table.  Returns how many jobs.
 */
static int recover_leases(struct worker *w, struct error *err)
{
	/* Never our own jobs: a worker that is running them must not hand them out. */
	int n = queue_recover_leases(w->q, w->info.id, err);

	if (n >= 0 && queue_prune_workers(w->q, err) < 0)
		return err->code;
	return n;
}

/* Which process runs the job, so a worker that outlives us can stop it. */
/* How long until the next job we could claim is due; 1, or 0 if none. */
static int next_due(struct worker *w, int64_t *in_ms, struct error *err)
{
	return queue_next_due(w->q, w->opts->queues, w->opts->nqueues, in_ms, err);
}

/* The descriptor that says a job was enqueued. */
static int wait_fd(struct worker *w, struct error *err)
{
	return queue_wait_fd(w->q, err);
}

static void wait_drain(struct worker *w)
{
	queue_wait_drain(w->q);
}


/* --- Recovery of other workers --- */

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
	start = host_process_start(job->pid);
	if (start < 0 || start == job->pid_start) {
		if (host_kill_group(job->pid, SIGKILL) == 0)
			say("stopped process group %d of job %s, left by its dead worker", job->pid,
			    job->id);
	}
	return 0;
}

struct reap_ctx {
	struct worker *w;
	int64_t now;	   /* the store's clock, read when first needed */
	int64_t booted_at; /* when this machine booted, on the store's clock; -1: unknown */
	int workers, jobs;
};

/* Room for the store's clock being set back a little between two readings. */
#define REBOOT_MARGIN_MS 1000

/*
 * Whether the worker info, of this machine's earlier boot (host_rebooted_since), is gone:
 * it last beat before this boot began, and it has since missed a beat (every worker beats
 * at least every TICK_MAX_MS).  The second holds off a live machine that merely shares our
 * machine id, a clone that was never given its own: it beats on.
 *
 * The boot's time on the store's clock is the store's now less the uptime, read in that
 * order, so that a slow round trip only makes the boot seem earlier, the safe side.  Nothing
 * of this machine's wall clock is trusted, only that its boot clock runs at the store
 * clock's rate.
 */
static bool gone_since_boot(struct reap_ctx *rc, const struct worker_info *info)
{
	struct error err;
	int64_t up;

	if (!rc->now) {
		rc->booted_at = -1;
		if (queue_now(rc->w->q, &rc->now, &err)) {
			say("cannot read the store's clock: %s", err.msg);
			rc->now = -1;
		} else if ((up = host_uptime_ms()) >= 0 && rc->now > up) {
			rc->booted_at = rc->now - up;
		}
	}
	return rc->booted_at > 0 && info->heartbeat_at < rc->booted_at - REBOOT_MARGIN_MS &&
	       info->heartbeat_at < rc->now - TICK_MAX_MS - REBOOT_MARGIN_MS;
}

/*
 * A worker gone for good gives its jobs back now, not at lease expiry: one of this machine
 * whose process is gone (its leftover process groups killed first), or one of this
 * machine's earlier boot that fell silent before this boot began (its processes died with
 * that boot; its pids mean nothing now, so nothing is killed).
 */
static int reap_dead(void *arg, const struct worker_info *info)
{
	struct reap_ctx *rc = arg;
	job_visit_fn *kill_job;
	struct error err;
	bool rebooted;
	int n;

	if (!strcmp(info->id, rc->w->info.id))
		return 0;
	if (host_is_local(info)) {
		if (host_process_alive(info->pid, info->pid_start))
			return 0;
		kill_job = kill_orphan;
		rebooted = false;
	} else if (host_rebooted_since(info) && gone_since_boot(rc, info)) {
		kill_job = NULL;
		rebooted = true;
	} else
		return 0;
	if ((n = unregister_dead(rc->w, info, kill_job, &err)) < 0) {
		say("%s", err.msg);
		return 0;
	}
	if (n > 0 && rebooted)
		say("returned %d job%s of worker %d, from before this machine restarted, to pending",
		    n, n == 1 ? "" : "s", info->pid);
	else if (n > 0)
		say("returned %d job%s of dead worker %d to pending", n, n == 1 ? "" : "s",
		    info->pid);
	rc->workers++;
	rc->jobs += n;
	return 0;
}

/*
 * Crash recovery, run at start and on every tick: jobs of workers on this machine that
 * died, or that ran before it restarted, go back at once; jobs whose lease expired (a worker elsewhere, or one that hung) go
 * back when it does.  A job released this way has not had an attempt counted.
 */
static void recover(struct worker *w)
{
	struct reap_ctx rc = { .w = w };
	struct error err;
	int n;

	if (queue_workers(w->q, reap_dead, &rc, &err))
		say("cannot list workers: %s", err.msg);
	n = recover_leases(w, &err);
	if (n < 0)
		say("cannot recover expired jobs: %s", err.msg);
	else if (n > 0)
		say("returned %d job%s with expired leases to pending", n, n == 1 ? "" : "s");
	if (rc.jobs > 0 || n > 0)
		w->next_claim = 0;
}

/* --- Slots and jobs --- */

/* Jobs running, or waiting to start again after a failed start: what opts->slots bounds. */
static int running(const struct worker *w)
{
	int n = 0;

	for (int i = 0; i < w->nslots; i++) {
		const struct slot *s = &w->slots[i];

		n += s->used && !s->ready && (s->pid || s->start_at);
	}
	return n;
}

/* A round is due by at (it may come sooner). */
static void write_by(struct worker *w, int64_t at)
{
	if (!w->next_write || at < w->next_write)
		w->next_write = at;
}

/* A round by at, that claims too unless the worker stops. */
static void round_by(struct worker *w, int64_t at)
{
	write_by(w, at);
	if (!w->stopping && (w->next_claim < 0 || at < w->next_claim))
		w->next_claim = at;
}

/*
 * No more claims from here (how: 1 to let the running jobs finish, 2 to stop them): jobs
 * waiting to start again go back (retry_run), and so do those claimed ahead, with a round
 * now.
 */
static void begin_stop(struct worker *w, int how)
{
	int64_t now = time_mono_ms();

	w->stopping = how;
	w->next_retry = now;
	if (w->nready)
		write_by(w, now);
}

/*
 * Begin a graceful stop, as a first SIGTERM does but without counting as one: no new job
 * is claimed, the running ones finish, then the worker exits.
 */
static void drain(struct worker *w, const char *why)
{
	if (w->stopping)
		return;
	begin_stop(w, 1);
	if (running(w))
		say("%s: finishing %d running job%s, then exiting", why, running(w),
		    running(w) == 1 ? "" : "s");
	else
		say("%s: exiting", why);
}

/* A job was started (or failed to start by its own fault): --max-jobs counts it. */
static void count_start(struct worker *w)
{
	char why[64];

	w->started++;
	if (w->opts->max_jobs > 0 && w->started >= w->opts->max_jobs) {
		snprintf(why, sizeof why, "started %ld job%s (--max-jobs)", w->started,
			 w->started == 1 ? "" : "s");
		drain(w, why);
	}
}

/* The first place in the spares that holds one (have), or that is free; -1 if none. */
static int spare_find(const struct worker *w, bool have)
{
	for (int i = 0; i < w->opts->slots; i++)
		if ((w->spare_fd[i] >= 0) == have)
			return i;
	return -1;
}

/*
 * Put a spare in place as the attempt's log, made first if there is none: a rename, where
 * creating the log would allocate an inode.  If it cannot be, exec_spawn opens the log
 * itself.
 */
static void place_spare(struct worker *w, struct slot *s)
{
	int i = spare_find(w, true);

	if (i < 0 && ((i = spare_find(w, false)) < 0 ||
		      (w->spare_fd[i] = logs_spare_make(w->spare_path[i])) < 0))
		return;
	if (logs_spare_place(w->spare_path[i], s->log_path) == 0) {
		s->log_fd = w->spare_fd[i];
		w->spare_fd[i] = -1;
	} else if (errno == ENOENT) {
		/* Gone from under us (a sweep took it for a killed worker's): make another. */
		close(w->spare_fd[i]);
		w->spare_fd[i] = -1;
	}
}

/*
 * The log of an attempt that wrote nothing is not kept: it becomes a spare again, or, if
 * there are as many as slots already, goes.  Returns whether log_fd is now a spare's.
 */
static bool take_back(struct worker *w, struct slot *s)
{
	int i = spare_find(w, false);

	if (i >= 0 && logs_spare_return(s->log_path, w->spare_path[i]) == 0) {
		w->spare_fd[i] = s->log_fd;
		return true;
	}
	if (i < 0)
		unlink(s->log_path);
	return false;
}

/*
 * Start a claimed job in its slot.  On failure, *job_fault says whether the command itself
 * cannot be run (see exec_spawn).
 */
static int start_job(struct worker *w, struct slot *s, bool *job_fault, struct error *err)
{
	const char *sh[EXEC_SHELL_ARGC + 1];
	char *env[3];
	int rc;

	*job_fault = false;
	if (!s->log_path)
		s->log_path = queue_log_path(w->q, s->job.id, s->job.runs);
	if (s->log_fd < 0)
		place_spare(w, s);
	/* A word list runs as it is; a command line through /bin/sh -c. */
	if (!s->job.argv)
		exec_shell_argv(s->job.command, sh);
	env[0] = xasprintf("QUEUECTL_JOB_ID=%s", s->job.id);
	env[1] = xasprintf("QUEUECTL_ATTEMPT=%d", s->job.attempts + 1);
	env[2] = NULL;
	struct exec_spec spec = {
		.argv = s->job.argv ? (const char *const *)s->job.argv : sh,
		.env = (const char *const *)env,
		.log_path = s->log_path,
		.log_fd = &s->log_fd,
	};

	rc = exec_spawn(&spec, &s->pid, job_fault, err);
	s->spawn_errno = rc ? errno : 0;
	free(env[0]);
	free(env[1]);
	s->started_at = time_now_ms();
	s->started_mono = time_mono_ms();
	if (rc)
		return rc;
	if (watchdog_job(w->wd, s->pid) < 0)
		say("cannot reach the watchdog: %s", strerror(errno));
	s->deadline = s->job.timeout ? time_mono_ms() + s->job.timeout * 1000 : 0;
	/* Its pid goes to the store PID_WRITE_MS from now, should it run that long (run_round). */
	s->pid_recorded = false;
	write_by(w, time_mono_ms() + PID_WRITE_MS);
	return 0;
}

static void finish_slot(struct worker *w, struct slot *s);

/* retry_run runs at at, or sooner. */
static void retry_at(struct worker *w, int64_t at)
{
	if (!w->next_retry || at < w->next_retry)
		w->next_retry = at;
}

/*
 * Start the job claimed into slot s.  A start that fails by no fault of the job is tried
 * again later, the job held meanwhile (its lease renewed as any), not handed back: handing
 * it back made a new run of it every RETRY_MS for ever.  After START_TRIES, or at once when
 * the command itself cannot be run, the attempt fails with the reason.
 */
static void try_start(struct worker *w, struct slot *s)
{
	struct error err;
	bool job_fault;

	s->start_at = 0;
	if (start_job(w, s, &job_fault, &err) == 0) {
		say("started job %s (attempt %d of %d, pid %d): %s", s->job.id,
		    s->job.attempts + 1, s->job.max_retries + 1, (int)s->pid, s->job.command);
		count_start(w);
		return;
	}
	if (!job_fault && ++s->start_tries < START_TRIES) {
		int64_t delay = (int64_t)RETRY_MS << (s->start_tries - 1);

		say("cannot start job %s (try %d of %d, again in %.1f s): %s", s->job.id,
		    s->start_tries, START_TRIES, (double)delay / 1000, err.msg);
		s->start_at = time_mono_ms() + delay;
		retry_at(w, s->start_at);
		return;
	}
	s->spawn_error = job_fault ? xstrdup(err.msg)
				   : xasprintf("not started after %d tries: %s", START_TRIES,
					       err.msg);
	s->finished_at = s->started_at;
	finish_slot(w, s);
	count_start(w);
}

/* A slot freed: there is room to claim again. */
static void slot_clear(struct worker *w, struct slot *s)
{
	job_release(&s->job);
	if (s->log_fd >= 0 && !(s->log_empty && take_back(w, s)))
		close(s->log_fd);
	free(s->log_path);
	free(s->spawn_error);
	if (s->ready)
		w->nready--;
	memset(s, 0, sizeof *s);
	s->log_fd = -1;
	w->busy--;
	w->next_claim = 0;
}


/* How an attempt ended, for queue_finish: why holds the words. */
static void describe(const struct slot *s, struct job_result *res, char *why, size_t size)
{
	if (s->spawn_error && s->job.argv && s->spawn_errno &&
	    exec_error_is_job_fault(s->spawn_errno)) {
		/* As the shell would: 127 for a program not found, 126 for one not runnable. */
		res->ok = false;
		res->has_exit_code = true;
		res->exit_code = s->spawn_errno == ENOENT ? 127 : 126;
		snprintf(why, size, "%s: '%s': %s (exit status %d)",
			 res->exit_code == 127 ? "command not found" : "command cannot be run",
			 s->job.argv[0], strerror(s->spawn_errno), res->exit_code);
	} else if (s->spawn_error) {
		snprintf(why, size, "%s", s->spawn_error);
		res->ok = false;
		res->has_exit_code = false;
		res->exit_code = 0;
	} else {
		res->ok = exec_describe(s->status, s->timed_out, s->job.timeout, why, size);
		res->has_exit_code = WIFEXITED(s->status);
		res->exit_code = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : 0;
	}
	res->error = why;
}

/* Whether a job was killed by the signal that stops a worker: SIGTERM, SIGINT, SIGHUP. */
static bool stop_signalled(const struct slot *s)
{
	int sig = WIFSIGNALED(s->status) ? WTERMSIG(s->status) : 0;

	return !s->spawn_error && !s->timed_out &&
	       (sig == SIGTERM || sig == SIGINT || sig == SIGHUP);
}

/*
 * A stop that signals the jobs with the worker (systemd's KillMode=control-group, kill on
 * the whole group) must not count against them.  A job killed by a stop signal while the
 * worker is stopping is released; one killed so before the worker has read its own stop
 * signal (they come together, in any order) waits STOP_WINDOW_MS to see if one comes.
 * Returns true while it waits.
 */
static bool hold_for_stop(struct worker *w, struct slot *s)
{
	if (!stop_signalled(s) || s->stopped || s->forsaken)
		return false;
	if (w->signals) {
		s->stopped = true;
		return false;
	}
	return time_mono_ms() < s->reaped_mono + STOP_WINDOW_MS;
}

/*
 * Write a reaped job's result, inside the round: back to pending if it was forsaken or
 * stopped, else its attempt.  What is said of it waits for the commit (say_result).
 */
static int write_result(struct worker *w, struct slot *s, struct error *err)
{
	struct job_result res = {
		.started_at = s->started_at,
		.finished_at = s->finished_at,
		.log_path = s->log_path,
	};
	char why[256];

	/* Forsaken: back to pending if it is still ours; if another worker has it, untouched. */
	if (s->forsaken || s->stopped)
		return s->written = queue_release(w->q, &s->job, err);
	describe(s, &res, why, sizeof why);
	res.output = logs_tail(s->log_fd, s->log_path, JOB_OUTPUT_TAIL, &res.output_len);
	/* Nothing written: the attempt has no log (slot_clear takes the file back). */
	s->log_empty = res.output && res.output_len == 0 && s->log_fd >= 0;
	if (s->log_empty)
		res.log_path = NULL;
	res.machine = w->info.machine;
	s->written = queue_finish(w->q, &s->job, &res, &s->next, err);
	free((char *)res.output);
	return s->written;
}

/* Once the round has committed: what became of a job whose result it wrote. */
static void say_result(struct worker *w, struct slot *s)
{
	struct job_result res = { 0 };
	const struct config *cfg;
	char why[256], d[TIME_BUFSZ];
	struct error err;

	if (s->ready) {
		/* A claim ahead given back: nothing ran.  Other workers may take it now. */
		if (s->written > 0 && w->stopping)
			say("job %s: claimed ahead, returned to pending as the worker stops", s->job.id);
		else if (s->written > 0 && time_mono_ms() >= w->kill_at)
			say("job %s: claimed ahead, returned to pending: this worker's lease may have "
			    "run out", s->job.id);
		else if (s->written > 0)
			say("job %s: claimed ahead, returned to pending: no slot came free within %d ms",
			    s->job.id, AHEAD_MS);
		if (s->written > 0)
			queue_notify(w->q);
		return;
	}
	if (s->forsaken) {
		say("job %s: run not recorded (killed past this worker's lease)%s", s->job.id,
		    s->written > 0 ? "; returned to pending" : "");
	} else if (s->stopped) {
		say("job %s stopped and returned to pending", s->job.id);
	} else {
		describe(s, &res, why, sizeof why);
		if (s->written == 0)
			say("job %s finished (%s) but was no longer ours: its lease had expired; "
			    "result dropped", s->job.id, res.ok ? "ok" : why);
		else if (s->next == JOB_COMPLETED)
			say("job %s completed in %.3fs", s->job.id,
			    (double)(s->finished_at - s->started_at) / 1000.0);
		else if (s->next == JOB_FAILED && queue_config(w->q, &cfg, &err) == 0)
			say("job %s failed: %s; retry %d of %d in %s", s->job.id, why,
			    s->job.attempts + 1, s->job.max_retries,
			    duration_format((queue_retry_delay_ms(w->q, &s->job) + 999) / 1000, d));
		else if (s->next == JOB_FAILED)
			say("job %s failed: %s; retry %d of %d", s->job.id, why, s->job.attempts + 1,
			    s->job.max_retries);
		else
			say("job %s failed: %s; moved to the dead letter queue after %d attempt%s",
			    s->job.id, why, s->job.attempts + 1, s->job.attempts ? "s" : "");
		return;
	}
	/* Released: other workers may take it now (queue_release wakes no one). */
	if (s->written > 0)
		queue_notify(w->q);
}

/* A reaped job's result is to be written by the next round, or held (hold_for_stop). */
static void finish_slot(struct worker *w, struct slot *s)
{
	if (w->lost.code) {
		slot_clear(w, s); /* no store to write it in (check_store) */
		return;
	}
	s->ended = true;
	if (hold_for_stop(w, s)) {
		retry_at(w, s->reaped_mono + STOP_WINDOW_MS);
		return;
	}
	/*
	 * The same round claims for the slot it frees: at once, unless a job claimed ahead
	 * takes the slot (start_ready), when results that come within BATCH_MS share a round.
	 */
	round_by(w, time_mono_ms() + (w->nready ? BATCH_MS : 0));
}

/* What a round would write of slot s: its pid, or its result. */
static bool pid_due(const struct slot *s, int64_t now)
{
	return s->used && s->pid && !s->pid_recorded && now >= s->started_mono + PID_WRITE_MS;
}

static bool result_due(struct worker *w, struct slot *s)
{
	return s->used && !s->pid && s->ended && !s->start_at && !hold_for_stop(w, s);
}

/* A job ended after ms: the mean moves a quarter of the way towards it. */
static void took(struct worker *w, int64_t ms)
{
	double d = ms > 0 ? (double)ms : 0.5;

	w->mean_ms = w->mean_ms > 0 ? w->mean_ms + (d - w->mean_ms) / 4 : d;
}

/* How many jobs to claim ahead now: those the slots should free within AHEAD_MS / 2. */
static int ahead_now(const struct worker *w)
{
	double n = w->mean_ms > 0 ? w->opts->slots * (AHEAD_MS / 2.0) / w->mean_ms : 0;

	return n < w->ahead ? (int)n : w->ahead;
}

/* A job claimed ahead waited too long: none more until jobs take a short time again. */
static void give_up_ahead(struct worker *w)
{
	double none = (double)w->opts->slots * AHEAD_MS;

	if (w->mean_ms < none)
		w->mean_ms = none;
}

/*
 * A job claimed ahead goes back to pending once the worker stops, once its kill-at has
 * passed (its lease may have run out: another worker may hold it by now), or once it has
 * waited AHEAD_MS for a slot.
 */
static bool give_back_due(const struct worker *w, const struct slot *s, int64_t now)
{
	return s->ready && (w->stopping || now >= w->kill_at || now >= s->ready_at + AHEAD_MS);
}

/*
 * Start jobs claimed ahead while slots are free, the oldest claim first.  None once the
 * worker stops, or past its kill-at: the next round gives them back.
 */
static void start_ready(struct worker *w)
{
	int room = w->opts->slots - running(w);

	if (w->nready && time_mono_ms() >= w->kill_at) {
		write_by(w, time_mono_ms());
		return;
	}
	while (room-- > 0 && w->nready > 0 && !w->stopping && !w->lost.code) {
		struct slot *s = NULL;

		for (int i = 0; i < w->nslots; i++)
			if (w->slots[i].ready && (!s || w->slots[i].ready_seq < s->ready_seq))
				s = &w->slots[i];
		s->ready = false;
		w->nready--;
		try_start(w, s);
	}
}

/*
 * One round, one transaction (queue_round_begin): the pids of the jobs that have run
 * PID_WRITE_MS, the results that came in, the jobs claimed ahead that go back, and, when
 * claim is set, the claims of as many due jobs as there are free slots, and as many again
 * ahead while the jobs are short, in one statement.  Then, once it has committed, as many
 * claimed jobs as there are free slots start.  A pid serves only to stop the job's
 * leftovers should this worker and its watchdog both die, and the watchdog knows it from
 * the start (watchdog_job): a job that ends within PID_WRITE_MS never has it written.
 * *want is how many jobs the claim asked for; returns how many it got, or -1 if nothing
 * was written.
 */
static int run_round(struct worker *w, bool claim, int *want)
{
	int64_t now = time_mono_ms();
	struct error err;
	int n = 0, run = 0, keep = 0, empty = 0;
	bool due = claim;

	*want = 0;
	for (int i = 0; i < w->nslots && !due; i++)
		due = pid_due(&w->slots[i], now) || result_due(w, &w->slots[i]) ||
		      give_back_due(w, &w->slots[i], now);
	if (!due)
		return 0; /* no transaction for nothing */
	if (queue_round_begin(w->q, &err))
		goto fail;
	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used) {
			empty++;
		} else if (give_back_due(w, s, now)) {
			if ((s->written = queue_unclaim(w->q, &s->job, &err)) < 0)
				goto fail_round;
			s->result_writing = true;
			empty++;
		} else if (s->ready) {
			keep++;
		} else if (pid_due(s, now)) {
			if (queue_started(w->q, &s->job, (int)s->pid, host_process_start(s->pid),
					  &err) < 0)
				goto fail_round;
			s->pid_writing = true;
			run++;
		} else if (result_due(w, s)) {
			if (write_result(w, s, &err) < 0)
				goto fail_round;
			s->result_writing = true;
			empty++;
		} else if (s->pid || s->start_at) {
			run++;
		}
	}
	/*
	 * Free slots, and as many again ahead while the jobs are short, less the claims held
	 * ahead already; no more than there are free entries, nor than --max-jobs lets start
	 * (a job claimed is a job started).
	 */
	*want = w->opts->slots - run + (w->stopping ? 0 : ahead_now(w)) - keep;
	if (*want > empty)
		*want = empty;
	if (w->opts->max_jobs > 0 && *want > w->opts->max_jobs - w->started - keep)
		*want = (int)(w->opts->max_jobs - w->started - keep);
	if (claim && *want > 0 &&
	    (n = queue_claim(w->q, w->info.id, w->opts->queues, w->opts->nqueues, w->claimed,
			     *want, &err)) < 0)
		goto fail_round;
	if (queue_round_commit(w->q, &err)) {
		while (n > 0)
			job_release(&w->claimed[--n]);
		goto fail;
	}
	/* Everything due is written: what is not due yet sets the next deadline. */
	w->next_write = 0;
	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (s->pid_writing)
			s->pid_recorded = true;
		else if (s->used && s->pid && !s->pid_recorded)
			write_by(w, s->started_mono + PID_WRITE_MS);
		s->pid_writing = false;
		if (s->result_writing) {
			if (s->ready && now >= s->ready_at + AHEAD_MS)
				give_up_ahead(w); /* a slot stayed busy too long */
			say_result(w, s);
			slot_clear(w, s);
		}
	}
	/*
	 * A claim that came back past our kill-at (the worker was frozen inside the round)
	 * holds leases that may have run out already, and its jobs may be another worker's by
	 * now: none is started.  Each goes back to pending unless another worker took it (the
	 * release is fenced on the owner), or stays for its lease to end if the store refuses.
	 */
	if (n > 0 && time_mono_ms() >= w->kill_at) {
		say("claimed %d job%s past this worker's lease (was it frozen?): not started, given "
		    "back", n, n == 1 ? "" : "s");
		while (n > 0) {
			struct job *j = &w->claimed[--n];

			if (queue_release(w->q, j, &err) < 0)
				say("job %s: cannot give it back (its lease will): %s", j->id, err.msg);
			job_release(j);
		}
		return 0;
	}
	/* In claim order, each waiting for a free slot (start_ready), from now: the round may
	 * have waited for the write lock. */
	now = time_mono_ms();
	for (int i = 0, k = 0; i < n; i++) {
		struct slot *s;

		while (w->slots[k].used)
			k++;
		s = &w->slots[k];
		s->job = w->claimed[i];
		s->used = s->ready = true;
		s->ready_at = now;
		s->ready_seq = w->claims++;
		w->busy++;
		w->nready++;
	}
	start_ready(w);
	for (int i = 0; i < w->nslots; i++)
		if (w->slots[i].ready)
			write_by(w, w->slots[i].ready_at + AHEAD_MS);
	return n;
fail_round:
	n = 0;
	queue_round_commit(w->q, &err); /* fails, and rolls the round back */
fail:
	for (int i = 0; i < w->nslots; i++)
		w->slots[i].pid_writing = w->slots[i].result_writing = false;
	say("cannot write to the store (will retry): %s", err.msg);
	w->next_write = time_mono_ms() + RETRY_MS;
	return -1;
}

static int64_t round_when(void *arg)
{
	struct worker *w = arg;
	int64_t claim = w->stopping || w->next_claim < 0 ? LOOP_NEVER : w->next_claim;

	if (w->lost.code)
		return LOOP_NEVER;
	return w->next_write && w->next_write < claim ? w->next_write : claim;
}

/*
 * Write what is due and fill the free slots.  Claims wait while the worker stops, and past
 * its kill-at (a job started then would be killed at once: they wait for a renewal).  When
 * a claim found fewer jobs than it asked for, the worker sleeps until the next delayed job
 * is due or it is woken, and an --until-idle worker with nothing running stops.
 */
static void round_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;
	int64_t now = time_mono_ms(), when;
	bool claim = !w->stopping && w->next_claim >= 0 && w->next_claim <= now;
	struct error err;
	int n, want, rc;

	if (claim && now >= w->kill_at) {
		w->next_claim = -1;
		claim = false;
	}
	if (w->next_write <= now)
		w->next_write = 0;
	if ((n = run_round(w, claim, &want)) < 0) {
		if (claim)
			w->next_claim = w->next_write;
		return;
	}
	if (!claim)
		return;
	/* Slots full: a slot that frees claims again (slot_clear). */
	w->next_claim = -1;
	if (n == want)
		return;
	/* Nothing more due now: sleep until the next delayed job is, or until woken. */
	if (w->opts->until_idle && w->busy == 0) {
		drain(w, "no job is due (--until-idle)");
		return;
	}
	if ((rc = next_due(w, &when, &err)) < 0) {
		say("cannot find the next due job (will retry): %s", err.msg);
		w->next_claim = time_mono_ms() + RETRY_MS;
	} else if (rc > 0) {
		w->next_claim = time_mono_ms() + when;
	}
}

static struct slot *slot_of(struct worker *w, pid_t pid)
{
	for (int i = 0; i < w->nslots; i++)
		if (w->slots[i].used && w->slots[i].pid == pid)
			return &w->slots[i];
	return NULL;
}

static void reap(struct worker *w)
{
	siginfo_t si;
	int status;
	pid_t pid;
	bool reaped = false;

	check_kill_at(w);
	for (;;) {
		struct slot *s;

		/* Peek first: the watchdog forgets the group while its id cannot be reused. */
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			break;
		pid = si.si_pid;
		/*
		 * A job is its main process: what it left running in its group is killed with
		 * it, so that a retry never overlaps it.  Now, while the unreaped leader keeps
		 * the group's id from being reused.
		 */
		if ((s = slot_of(w, pid))) {
			host_kill_group(pid, SIGKILL);
			watchdog_job_done(w->wd, pid);
		}
		if (waitpid(pid, &status, 0) < 0)
			break;
		if (w->wd && pid == watchdog_pid(w->wd)) {
			say("the watchdog exited: finishing the running jobs, then exiting");
			drain(w, "no watchdog");
		}
		if (!s)
			continue;
		s->pid = 0;
		s->status = status;
		s->finished_at = time_now_ms();
		s->reaped_mono = time_mono_ms();
		took(w, s->reaped_mono - s->started_mono);
		s->output_cut += logs_cap(s->log_fd, s->log_path, w->max_output, true);
		if (s->output_cut)
			say("job %s: %lld bytes of output past max-output left out", s->job.id,
			    (long long)s->output_cut);
		finish_slot(w, s);
		reaped = true;
	}
	/*
	 * The next jobs, claimed ahead, start before the results are written; once none is
	 * left, the round that claims more is due at once.
	 */
	start_ready(w);
	if (reaped && !w->nready)
		round_by(w, time_mono_ms());
}

/* SIGTERM to every running job's group now, SIGKILL after the grace period. */
static void stop_jobs(struct worker *w)
{
	int64_t now = time_mono_ms();

	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || !s->pid || s->kill_at)
			continue;
		s->stopped = !s->timed_out;
		host_kill_group(s->pid, SIGTERM);
		s->kill_at = now + w->opts->grace_ms;
	}
}

/* --- The loop's descriptors and tasks --- */

/* A stop signal: the first stops claiming, the second stops the jobs. */
static void on_stop_signal(struct worker *w, const struct signalfd_siginfo *si)
{
	w->signals++;
	if (w->signals == 1) {
		begin_stop(w, 1);
		say("received SIG%s: finishing %d running job%s, then exiting (again to stop them)",
		    sigabbrev_np((int)si->ssi_signo), running(w), running(w) == 1 ? "" : "s");
	} else if (w->signals == 2) {
		begin_stop(w, 2);
		say("received SIG%s again: stopping %d running job%s",
		    sigabbrev_np((int)si->ssi_signo), running(w), running(w) == 1 ? "" : "s");
		stop_jobs(w);
	}
}

static void on_signals(struct loop *loop, int fd, short revents, void *arg)
{
	struct worker *w = arg;
	struct signalfd_siginfo sis[8];
	ssize_t n;

	/* A short read says there are no more: no read that ends in EAGAIN. */
	do {
		if ((n = read(w->sigfd, sis, sizeof sis)) <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof *sis; i++)
			if (sis[i].ssi_signo != SIGCHLD) /* reaped below, whatever came */
				on_stop_signal(w, &sis[i]);
	} while (n == (ssize_t)sizeof sis);
	reap(w);
}

static void on_wake(struct loop *loop, int fd, short revents, void *arg)
{
	struct worker *w = arg;

	wait_drain(w);
	w->next_claim = 0;
	w->check_stop = true;
}

/*
 * 'worker stop' marks our row and wakes every worker: each reads its own mark after the
 * round the wake-up brings, so that a job enqueued meanwhile starts no later for it.
 */
static int64_t stop_when(void *arg)
{
	struct worker *w = arg;

	/* A worker already stopping has nothing to learn: it is on its way out. */
	return w->check_stop && !w->stopping && !w->lost.code ? 0 : LOOP_NEVER;
}

/*
 * Asked to stop: as a first stop signal, so that a signal after it is the second one and
 * stops the running jobs, while asking again changes nothing.  A failed read is tried
 * again at the next wake-up or tick, whose heartbeat says what is wrong with the store.
 */
static void stop_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;
	struct error err;

	w->check_stop = false;
	if (queue_worker_stop_requested(w->q, w->info.id, &err) <= 0)
		return;
	w->signals = 1;
	begin_stop(w, 1);
	say("asked to stop by 'worker stop': finishing %d running job%s, then exiting (a signal "
	    "stops them)",
	    running(w), running(w) == 1 ? "" : "s");
}

/* Stopping, and nothing left running or unrecorded: leave the loop. */
static int64_t exit_when(void *arg)
{
	struct worker *w = arg;

	return w->stopping && w->busy == 0 ? 0 : LOOP_NEVER;
}

static void exit_run(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

/*
 * Time between ticks: three heartbeats per lease, so that one lost beat does not lose the
 * jobs, and at most TICK_MAX_MS, so that recovery and 'config set' are never slower than
 * the README says.
 */
static int64_t tick_ms(const struct worker *w)
{
	return w->lease_ms / 3 < TICK_MAX_MS ? w->lease_ms / 3 : TICK_MAX_MS;
}

static int64_t tick_when(void *arg)
{
	struct worker *w = arg;

	return w->next_tick;
}

/*
 * The database deleted or replaced under us: we would serve a queue no one else sees.  Our
 * jobs are stopped and nothing of them recorded: in the store they stay ours, processing,
 * until recovery finds this worker gone.
 */
static void check_store(struct worker *w)
{
	if (w->lost.code || queue_verify(w->q, &w->lost) == 0)
		return;
	say("%s: stopping %d running job%s, left for recovery, and exiting", w->lost.msg,
	    running(w), running(w) == 1 ? "" : "s");
	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (s->used && s->pid)
			s->forsaken = true;
		else if (s->ready)
			slot_clear(w, s); /* recovery's too */
	}
	w->stopping = 2;
	stop_jobs(w);
}

static void tick_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;

	check_store(w);
	if (w->lost.code) {
		w->next_tick = LOOP_NEVER;
		return;
	}
	check_kill_at(w);
	reload_config(w);
	heartbeat(w);
	/* The backstop of a missed wake-up, as for jobs. */
	w->check_stop = true;
	recover(w);
	/* Look for work on every tick: the fallback for a missed wake-up, or a job enqueued
	 * on another machine while we wait for a delayed one. */
	w->next_claim = 0;
	w->next_tick = time_mono_ms() + tick_ms(w);
}

static int64_t output_when(void *arg)
{
	struct worker *w = arg;

	return w->busy ? w->next_output : LOOP_NEVER;
}

/* Running jobs' logs held to max-output (logs_cap), an fstat each. */
static void output_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (s->used && s->pid)
			s->output_cut += logs_cap(s->log_fd, s->log_path, w->max_output, false);
	}
	w->next_output = time_mono_ms() + OUTPUT_CHECK_MS;
}

static int64_t retry_when(void *arg)
{
	struct worker *w = arg;

	return w->next_retry ? w->next_retry : LOOP_NEVER;
}

/*
 * Starts tried again, and results that could not be written earlier.  A job still waiting
 * for its start when the worker stops, or past its kill-at, goes back to pending (if still
 * ours), uncounted.
 */
static void retry_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;
	int64_t now = time_mono_ms();
	struct error err;

	w->next_retry = 0;
	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || s->pid || s->ready)
			continue;
		/* Past our kill-at, the job may be another worker's now: not ours to start. */
		if (s->start_at && (w->stopping || now >= w->kill_at)) {
			if (queue_release(w->q, &s->job, &err) < 0)
				say("cannot return job %s to pending: %s", s->job.id, err.msg);
			slot_clear(w, s);
		} else if (s->start_at && s->start_at > now) {
			retry_at(w, s->start_at);
		} else if (s->start_at) {
			try_start(w, s);
		} else {
			finish_slot(w, s);
		}
	}
}

/* The nearest timeout or overdue SIGKILL of a running job. */
static int64_t jobs_when(void *arg)
{
	struct worker *w = arg;
	int64_t next = LOOP_NEVER;

	for (int i = 0; i < w->nslots; i++) {
		const struct slot *s = &w->slots[i];
		int64_t d;

		if (!s->used || !s->pid)
			continue;
		d = s->kill_at ? s->kill_at : s->deadline;
		if (d && d < next)
			next = d;
	}
	return next;
}

/* Timeouts: SIGTERM to the job's group; SIGKILL once the grace period is over. */
static void jobs_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;
	int64_t now = time_mono_ms();

	for (int i = 0; i < w->nslots; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || !s->pid)
			continue;
		if (s->kill_at && now >= s->kill_at) {
			host_kill_group(s->pid, SIGKILL);
			s->kill_at = now + w->opts->grace_ms; /* and again, should it linger */
		} else if (!s->kill_at && s->deadline && now >= s->deadline) {
			say("job %s timed out after %llds: stopping it", s->job.id,
			    (long long)s->job.timeout);
			s->timed_out = true;
			host_kill_group(s->pid, SIGTERM);
			s->kill_at = now + w->opts->grace_ms;
		}
	}
}

/* --for: the time is up once, then never again. */
static int64_t end_when(void *arg)
{
	struct worker *w = arg;

	return w->end && !w->stopping ? w->end : LOOP_NEVER;
}

static void end_run(struct loop *loop, void *arg)
{
	struct worker *w = arg;
	char d[TIME_BUFSZ], why[64];

	snprintf(why, sizeof why, "ran for %s (--for)", duration_format(w->opts->for_ms / 1000, d));
	drain(w, why);
}

/* --- Start and stop --- */

static int setup(struct worker *w, struct error *err)
{
	const struct config *cfg;
	char rnd[JOB_ID_GEN_LEN + 1];
	sigset_t set;

	if (queue_config(w->q, &cfg, err))
		return err->code;
	w->lease_ms = cfg->lease * 1000;
	w->max_output = cfg->max_output;
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
	if ((w->wakefd = wait_fd(w, err)) < 0 || logs_prepare(queue_logs(w->q), err))
		return err->code;

	id_generate(rnd);
	w->info.id = xasprintf("%s-%d-%.6s", host_name(), (int)getpid(), rnd);
	/* A killed worker's spares go now; ours are named by our pid and id, one per slot. */
	logs_sweep(queue_logs(w->q));
	w->ahead = 2 * w->opts->slots < AHEAD_MAX ? 2 * w->opts->slots : AHEAD_MAX;
	w->nslots = w->opts->slots + w->ahead;
	w->spare_path = xcalloc((size_t)w->opts->slots, sizeof *w->spare_path);
	w->spare_fd = xcalloc((size_t)w->opts->slots, sizeof *w->spare_fd);
	for (int i = 0; i < w->opts->slots; i++) {
		char *tag = xasprintf("%d-%.6s-%d", (int)getpid(), rnd, i);

		w->spare_path[i] = logs_spare_path(queue_logs(w->q), tag);
		w->spare_fd[i] = -1;
		free(tag);
	}
	w->info.host = xstrdup(host_name());
	w->info.machine = xstrdup(host_machine_id());
	w->info.pid = (int)getpid();
	w->info.pid_start = host_process_start(getpid());
	w->info.slots = w->opts->slots;
	w->info.queues = w->opts->queues_text ? xstrdup(w->opts->queues_text) : NULL;
	w->info.started_at = w->info.heartbeat_at = time_now_ms();
	if (watchdog_start(&w->wd, err))
		return err->code;
	int64_t before = time_mono_ms();
	if (register_worker(w, err))
		return err->code;
	/* No job is held yet, and every claim's lease ends later than this. */
	set_kill_at(w, before + w->lease_ms - watchdog_margin_ms(w->lease_ms));
	w->slots = xcalloc((size_t)w->nslots, sizeof *w->slots);
	for (int i = 0; i < w->nslots; i++)
		w->slots[i].log_fd = -1;
	w->claimed = xcalloc((size_t)w->nslots, sizeof *w->claimed);

	/* Tasks due together run in this order (see loop_add_task): exit first. */
	w->loop = loop_new();
	loop_add_fd(w->loop, w->sigfd, POLLIN, on_signals, w);
	loop_add_fd(w->loop, w->wakefd, POLLIN, on_wake, w);
	loop_add_task(w->loop, exit_when, exit_run, w);
	loop_add_task(w->loop, round_when, round_run, w);
	loop_add_task(w->loop, stop_when, stop_run, w);
	loop_add_task(w->loop, jobs_when, jobs_run, w);
	loop_add_task(w->loop, retry_when, retry_run, w);
	loop_add_task(w->loop, tick_when, tick_run, w);
	loop_add_task(w->loop, output_when, output_run, w);
	loop_add_task(w->loop, end_when, end_run, w);
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
	if (opts->for_ms > 0)
		w.end = time_mono_ms() + opts->for_ms;
	recover(&w);
	w.next_tick = time_mono_ms() + tick_ms(&w);
	if (opts->ready_fd >= 0) {
		(void)!write(opts->ready_fd, "", 1);
		close(opts->ready_fd);
	}
	rc = loop_run(w.loop, err);
	if (rc == 0 && w.lost.code)
		rc = error_set(err, w.lost.code, "%s", w.lost.msg);
	say("stopped");
out:
	if (w.info.id && !w.lost.code)
		unregister_worker(&w);
	for (int i = 0; w.slots && i < w.nslots; i++)
		if (w.slots[i].used)
			slot_clear(&w, &w.slots[i]);
	for (int i = 0; w.spare_path && i < opts->slots; i++) {
		/* Unlinked while still locked, so that no sweep is between the two. */
		if (w.spare_fd[i] >= 0) {
			unlink(w.spare_path[i]);
			close(w.spare_fd[i]);
		}
		free(w.spare_path[i]);
	}
	free(w.spare_path);
	free(w.spare_fd);
	free(w.slots);
	free(w.claimed);
	loop_free(w.loop);
	watchdog_stop(w.wd);
	worker_info_release(&w.info);
	if (w.sigfd >= 0)
		close(w.sigfd);
	return rc;
}
