/*
 * spawn_ref.c - the drain benchmark's floor: run N jobs, P at a time, started the way
 * queuectl's worker starts them (posix_spawn, own process group, stdin /dev/null, default
 * signals), with no queue at all.  Prints the wall time in ns from the first start to the
 * last exit, then the CPU time (user + system, ns) of this program and of its jobs.
 *
 *   spawn_ref N P sh COMMAND     each job is /bin/sh -c COMMAND
 *   spawn_ref N P exec PATH      each job is PATH itself, exec'd directly (no shell)
 */
#include "bench.h"

#include <sys/resource.h>

static int64_t cpu(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

int main(int argc, char **argv)
{
	char *sh_argv[] = { "/bin/sh", "-c", NULL, NULL };
	char *exec_argv[] = { NULL, NULL };
	char *const *job;
	long n, p, started = 0, running = 0, failed = 0;
	int64_t t0;

	if (argc != 5 || (strcmp(argv[3], "sh") && strcmp(argv[3], "exec")))
		die("usage: spawn_ref N P sh COMMAND | spawn_ref N P exec PATH");
	n = parse_count(argv[1], "job count");
	p = parse_count(argv[2], "concurrency");
	if (!strcmp(argv[3], "sh")) {
		sh_argv[2] = argv[4];
		job = sh_argv;
	} else {
		exec_argv[0] = argv[4];
		job = exec_argv;
	}

	t0 = mono_ns();
	while (started < n || running > 0) {
		int status;

		while (running < p && started < n) {
			spawn_job(job, NULL, 1);
			started++;
			running++;
		}
		if (wait(&status) < 0)
			die("wait: %s", strerror(errno));
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	printf("%lld %lld %lld\n", (long long)(mono_ns() - t0), (long long)cpu(RUSAGE_SELF),
	       (long long)cpu(RUSAGE_CHILDREN));
	if (failed)
		die("%ld of %ld jobs failed", failed, n);
	return 0;
}
