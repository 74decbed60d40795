/*
 * calltime.c - the wall time of one call of each of several commands, measured N times
 * with the commands taking turns (A B C A B C ...), so that a noisy machine slows them
 * alike.  Each call is posix_spawn + waitpid, stdin and stdout on /dev/null; stderr is
 * kept so that a failing call says why.  One warm-up round is not counted.
 *
 *   calltime N PATH ARG... [::: PATH ARG...]...
 *
 * Prints one line per command, in order: median_ns p90_ns p99_ns failed_calls.
 */
#include "bench.h"

struct contender {
	char **argv;
	int64_t *ns;
	long failed;
};

static pid_t spawn_call(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		die("cannot start '%s': %s", argv[0], strerror(rc));
	return pid;
}

int main(int argc, char **argv)
{
	struct contender c[32];
	int nc = 0;
	long n;

	if (argc < 3)
		die("usage: calltime N PATH ARG... [::: PATH ARG...]...");
	n = parse_count(argv[1], "call count");
	/* Split the arguments at ':::' in place: each piece is one NULL-terminated argv. */
	for (int i = 2; i < argc; i++) {
		if (nc == 32)
			die("at most 32 commands");
		c[nc].argv = &argv[i];
		while (i < argc && strcmp(argv[i], ":::"))
			i++;
		if (&argv[i] == c[nc].argv)
			die("empty command");
		argv[i] = NULL;
		c[nc].ns = calloc((size_t)n, sizeof *c[nc].ns);
		c[nc].failed = 0;
		nc++;
	}
	for (long r = -1; r < n; r++) {
		for (int k = 0; k < nc; k++) {
			int64_t t0 = mono_ns();
			int rc = wait_child(spawn_call(c[k].argv));
			int64_t dt = mono_ns() - t0;

			if (r < 0)
				continue;
			c[k].ns[r] = dt;
			if (rc)
				c[k].failed++;
		}
	}
	for (int k = 0; k < nc; k++) {
		int64_t p50 = percentile(c[k].ns, (size_t)n, 50);
		int64_t p90 = percentile(c[k].ns, (size_t)n, 90);
		int64_t p99 = percentile(c[k].ns, (size_t)n, 99);

		printf("%lld %lld %lld %ld\n", (long long)p50, (long long)p90, (long long)p99,
		       c[k].failed);
		free(c[k].ns);
	}
	return 0;
}
