/*
 * host.c - this machine and its processes: start times from /proc, liveness, process group
 * signals, the host name and the machine identity (see host.h for the format).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "job.h"
#include "util.h"

long long host_process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long start = -1;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
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

bool host_process_alive(pid_t pid, long long start)
{
	/*
	 * Without /proc every start time reads -1: a process recorded then and read now still
	 * counts as alive, the safe side (its jobs come back when its lease runs out).
	 */
	return host_process_start(pid) == start;
}

int host_kill_group(pid_t pgid, int sig)
{
	/* kill(-1) signals every process we may signal, kill(0) our own group: never that. */
	if (pgid <= 1) {
		errno = EINVAL;
		return -1;
	}
	return kill(-pgid, sig);
}

const char *host_name(void)
{
	static char host[256];

	if (!host[0] && (gethostname(host, sizeof host - 1) < 0 || !host[0]))
		strcpy(host, "localhost");
	return host;
}

/*
 * The first word of root/path, if it is one of letters, digits and '-' (so that it cannot
 * hold the ':' of the identity's format); NULL otherwise.  Malloc'd.
 */
static char *read_word(const char *root, const char *path)
{
	char *full = xasprintf("%s%s", root, path), buf[128];
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(full, O_RDONLY | O_CLOEXEC);
	free(full);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (buf[len] && strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-",
				  buf[len]))
		len++;
	if (len == 0 || (buf[len] && !strchr(" \t\n", buf[len])))
		return NULL;
	return xstrndup(buf, len);
}

/* The inode number of the pid namespace: readlink gives "pid:[4026531836]". */
static char *read_pidns(const char *root)
{
	char *full = xasprintf("%s/proc/self/ns/pid", root), link[64], *end;
	unsigned long long ino;
	ssize_t n;

	n = readlink(full, link, sizeof link - 1);
	free(full);
	if (n <= 0)
		return NULL;
	link[n] = '\0';
	if (strncmp(link, "pid:[", 5) || link[5] < '0' || link[5] > '9')
		return NULL;
	ino = strtoull(link + 5, &end, 10);
	if (strcmp(end, "]"))
		return NULL;
	return xasprintf("%llu", ino);
}

static char *read_machine_id(const char *root, const char *path)
{
	char *id = read_word(root, path);

	/* systemd writes "uninitialized" into an image's machine-id until its first boot. */
	if (id && !strcmp(id, "uninitialized")) {
		free(id);
		id = NULL;
	}
	return id;
}

/* The identity from the files under root; *real says whether a machine id was read. */
static char *machine_id_at(const char *root, bool *real)
{
	char *machine, *boot, *pidns, *id;

	if (!(machine = read_machine_id(root, "/etc/machine-id")))
		machine = read_machine_id(root, "/var/lib/dbus/machine-id");
	*real = machine != NULL;
	boot = read_word(root, "/proc/sys/kernel/random/boot_id");
	pidns = read_pidns(root);
	id = xasprintf("%s:%s:%s", machine ? machine : host_name(), boot ? boot : "0",
		       pidns ? pidns : "0");
	free(machine);
	free(boot);
	free(pidns);
	return id;
}

char *host_machine_id_at(const char *root)
{
	bool real;

	return machine_id_at(root, &real);
}

/* Whether this machine's identity holds a machine id read from a file, not a host name. */
static bool machine_id_real;

const char *host_machine_id(void)
{
	/* Room for the longest: a 127-byte machine-id word or a 255-byte host name, a boot
	 * id of up to 127 bytes, a 20-digit inode.  Static, so that nothing stays allocated. */
	static char id[512];

	if (!id[0]) {
		char *read = machine_id_at("", &machine_id_real);

		snprintf(id, sizeof id, "%s", read);
		free(read);
	}
	return id;
}

/*
 * Split an identity "MACHINEID:BOOTID:PIDNS" at its last two colons: *machine_len is the
 * length of MACHINEID, *boot points at BOOTID and *boot_len is its length.  False if the
 * text has not that form.
 */
static bool split_identity(const char *id, size_t *machine_len, const char **boot,
			   size_t *boot_len)
{
	const char *pidns = strrchr(id, ':'), *b;

	if (!pidns || pidns == id)
		return false;
	for (b = pidns - 1; b > id && *b != ':'; b--)
		;
	if (b == id)
		return false;
	*machine_len = (size_t)(b - id);
	*boot = b + 1;
	*boot_len = (size_t)(pidns - *boot);
	return true;
}

bool host_same_machine(const char *identity)
{
	const char *ours = host_machine_id(), *boot;
	size_t our_len, their_len, boot_len;

	return identity && split_identity(ours, &our_len, &boot, &boot_len) &&
	       split_identity(identity, &their_len, &boot, &boot_len) && their_len == our_len &&
	       !memcmp(identity, ours, our_len);
}

bool host_rebooted_since(const struct worker_info *w)
{
	const char *ours = host_machine_id(), *our_boot, *their_boot;
	size_t our_len, our_boot_len, their_len, their_boot_len;

	/*
	 * A host name standing in for a machine id proves nothing: two machines may share
	 * one.  A boot id of "0" was not read, so it cannot tell two boots apart.
	 */
	if (!machine_id_real || !w->machine ||
	    !split_identity(ours, &our_len, &our_boot, &our_boot_len) ||
	    !split_identity(w->machine, &their_len, &their_boot, &their_boot_len))
		return false;
	if (their_len != our_len || memcmp(w->machine, ours, our_len))
		return false;
	if ((our_boot_len == 1 && *our_boot == '0') || (their_boot_len == 1 && *their_boot == '0'))
		return false;
	return their_boot_len != our_boot_len || memcmp(their_boot, our_boot, our_boot_len);
}

int64_t host_uptime_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool host_is_local(const struct worker_info *w)
{
	/*
	 * The machine identity, never the hostname: two machines (or two containers' pid
	 * namespaces) with one name must not judge, or kill, each other's pids.
	 */
	return w->machine && !strcmp(w->machine, host_machine_id());
}
