/*
 * stamp.c - a job that records when it started: writes the wall clock (CLOCK_REALTIME, ns)
 * read at its first instruction to FILE, through FILE.tmp and a rename so that a reader
 * never sees half a number.  Costs one exec, where `date +%s%N > FILE` would cost a shell
 * and a fork.
 *
 *   stamp FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	char tmp[4096];
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc != 2 || snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]) >= (int)sizeof tmp)
		return 2;
	if (!(f = fopen(tmp, "w")))
		return 1;
	fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	return 0;
}
