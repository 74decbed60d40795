/*
 * test_host.c - unit tests for host.c, this machine and its processes: start times, and a
 * process known by pid and start time told apart from its successor; signalling a process
 * group, never our own or every process; the host name; the machine identity, from the real
 * files and from a made-up root for each fallback; host_is_local; host_rebooted_since and the
 * boot clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "job.h"
#include "tmpdb.h"
#include "util.h"

/* --- helpers --- */

/* A child that waits until killed; with group, it leads its own process group. */
static pid_t start_child(bool group)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		for (;;)
			pause();
	}
	if (group)
		setpgid(pid, pid); /* either of us may get there first */
	return pid;
}

/* Write text to root/path, making its directories. */
static void put_file(const char *root, const char *path, const char *text)
{
	char *full = xasprintf("%s%s", root, path), *dir = xstrdup(full);
	struct error err = { 0 };
	int fd;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(dir);
	free(full);
}

static void put_pidns(const char *root, const char *target)
{
	char *dir = xasprintf("%s/proc/self/ns", root), *link = xasprintf("%s/pid", dir);
	struct error err = { 0 };

	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(symlink(target, link), 0);
	free(link);
	free(dir);
}

static void assert_identity(const char *root, const char *want)
{
	char *got = host_machine_id_at(root);

	assert_string_equal(got, want);
	free(got);
}

/* The first word of a real file, or NULL. */
static char *first_word(const char *path)
{
	char buf[128] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (fscanf(f, "%127s", buf) != 1)
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? xstrdup(buf) : NULL;
}

/* --- processes --- */

static void test_process_start(void **state)
{
	long long self = host_process_start(getpid());
	pid_t child;
	int status;

	assert_true(self > 0);
	assert_int_equal(host_process_start(getpid()), self);
	assert_true(host_process_alive(getpid(), self));
	/* The same pid with another start time is another process: not the one recorded. */
	assert_false(host_process_alive(getpid(), self + 1));

	child = start_child(false);
	long long start = host_process_start(child);

	assert_true(start >= self);
	assert_true(host_process_alive(child, start));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(host_process_start(child), -1);
	assert_false(host_process_alive(child, start));
	assert_int_equal(host_process_start(0), -1);
	assert_int_equal(host_process_start(-1), -1);
}

static void test_kill_group(void **state)
{
	pid_t leader = start_child(true), member;
	int status;

	/* A second process in the leader's group: one signal to the group reaches both. */
	member = fork();
	assert_true(member >= 0);
	if (member == 0) {
		setpgid(0, leader);
		for (;;)
			pause();
	}
	setpgid(member, leader);
	assert_int_equal(getpgid(member), leader);
	assert_int_equal(host_kill_group(leader, SIGKILL), 0);
	assert_int_equal(waitpid(leader, &status, 0), leader);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(waitpid(member, &status, 0), member);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* The group is empty now. */
	errno = 0;
	assert_int_equal(host_kill_group(leader, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* 0 (our own group), 1 and below (every process) are refused without a signal sent. */
	for (pid_t bad = -2; bad <= 1; bad++) {
		errno = 0;
		assert_int_equal(host_kill_group(bad, 0), -1);
		assert_int_equal(errno, EINVAL);
	}
}

/* --- names and identity --- */

static void test_host_name(void **state)
{
	char want[256] = "";

	assert_int_equal(gethostname(want, sizeof want - 1), 0);
	assert_string_equal(host_name(), want[0] ? want : "localhost");
	assert_ptr_equal(host_name(), host_name());
}

/* The real identity: machine-id, boot id and pid namespace, read from this machine. */
static void test_machine_id(void **state)
{
	const char *id = host_machine_id();
	char *machine = first_word("/etc/machine-id"), *boot, *want;
	struct stat st;

	assert_ptr_equal(id, host_machine_id()); /* read once */
	if (!machine || !strcmp(machine, "uninitialized")) {
		free(machine);
		machine = first_word("/var/lib/dbus/machine-id");
	}
	boot = first_word("/proc/sys/kernel/random/boot_id");
	assert_non_null(boot);
	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	want = xasprintf("%s:%s:%llu", machine ? machine : host_name(), boot,
			 (unsigned long long)st.st_ino);
	assert_string_equal(id, want);
	free(want);
	free(boot);
	free(machine);
}

/* Each fallback, under a made-up root. */
static void test_machine_id_fallbacks(void **state)
{
	const char *root = *state;
	char *want;

	/* Nothing readable at all: the host name, and zeros. */
	want = xasprintf("%s:0:0", host_name());
	assert_identity(root, want);
	free(want);

	put_file(root, "/proc/sys/kernel/random/boot_id", "0b1e2c3d-aaaa-bbbb-cccc-0123456789ab\n");
	put_pidns(root, "pid:[4026531836]");
	want = xasprintf("%s:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:4026531836", host_name());
	assert_identity(root, want);
	free(want);

	put_file(root, "/var/lib/dbus/machine-id", "dbus0123456789abcdef\n");
	assert_identity(root, "dbus0123456789abcdef:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:4026531836");

	/* An image's machine-id before its first boot, an empty one, one with a ':': not used. */
	put_file(root, "/etc/machine-id", "uninitialized\n");
	assert_identity(root, "dbus0123456789abcdef:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:4026531836");
	put_file(root, "/etc/machine-id", "");
	assert_identity(root, "dbus0123456789abcdef:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:4026531836");
	put_file(root, "/etc/machine-id", "ab:cd\n");
	assert_identity(root, "dbus0123456789abcdef:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:4026531836");

	put_file(root, "/etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
	assert_identity(root, "3d1219c7c4c5404aaa1f6d2a48adfda4:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:"
			      "4026531836");
}

/* Another pid namespace, or a link that does not read as one, changes the last part. */
static void test_machine_id_pidns(void **state)
{
	const char *root = *state;
	char *link = xasprintf("%s/proc/self/ns/pid", root);

	put_file(root, "/etc/machine-id", "m1\n");
	put_file(root, "/proc/sys/kernel/random/boot_id", "b1\n");
	put_pidns(root, "pid:[7]");
	assert_identity(root, "m1:b1:7");
	unlink(link);
	put_pidns(root, "net:[7]");
	assert_identity(root, "m1:b1:0");
	unlink(link);
	put_pidns(root, "pid:[7x]");
	assert_identity(root, "m1:b1:0");
	free(link);
}

static void test_is_local(void **state)
{
	struct worker_info w = { 0 };
	char *other = xasprintf("%sx", host_machine_id());

	w.machine = (char *)host_machine_id();
	assert_true(host_is_local(&w));
	/* The same hostname on another machine (or pid namespace) is not this machine. */
	w.host = (char *)host_name();
	w.machine = other;
	assert_false(host_is_local(&w));
	w.machine = NULL;
	assert_false(host_is_local(&w));
	free(other);
}

/* This machine's machine id as host_machine_id reads it, or NULL if it has none. */
static char *real_machine_id(void)
{
	char *machine = first_word("/etc/machine-id");

	if (!machine || !strcmp(machine, "uninitialized")) {
		free(machine);
		machine = first_word("/var/lib/dbus/machine-id");
		if (machine && !strcmp(machine, "uninitialized")) {
			free(machine);
			machine = NULL;
		}
	}
	return machine;
}

/*
 * Another boot of this machine: the machine id the same, read from a file, and the boot id
 * another; in whatever pid namespace.
 */
static void test_rebooted_since(void **state)
{
	char *machine = real_machine_id(), *id;
	const char *name = machine ? machine : host_name();
	struct worker_info w = { 0 };

	id = xasprintf("%s:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:7", name);
	w.machine = id;
	/* A host name standing in for the machine id proves nothing. */
	assert_int_equal(host_rebooted_since(&w), machine != NULL);
	free(id);

	/* This boot, in this or another pid namespace: not an earlier boot. */
	w.machine = (char *)host_machine_id();
	assert_false(host_rebooted_since(&w));
	id = xasprintf("%.*s:1", (int)(strrchr(host_machine_id(), ':') - host_machine_id()),
		       host_machine_id());
	w.machine = id;
	assert_false(host_rebooted_since(&w));
	free(id);

	/* Another machine; a boot id that was not read; no identity, or not one. */
	id = xasprintf("x%s:0b1e2c3d-aaaa-bbbb-cccc-0123456789ab:7", name);
	w.machine = id;
	assert_false(host_rebooted_since(&w));
	free(id);
	id = xasprintf("%s:0:7", name);
	w.machine = id;
	assert_false(host_rebooted_since(&w));
	free(id);
	w.machine = NULL;
	assert_false(host_rebooted_since(&w));
	w.machine = "no colons";
	assert_false(host_rebooted_since(&w));
	w.machine = ":b:7";
	assert_false(host_rebooted_since(&w));
	free(machine);
}

/* The same machine: the machine id alone decides, whatever the boot and pid namespace. */
static void test_same_machine(void **state)
{
	const char *ours = host_machine_id();
	int len = (int)(strchr(ours, ':') - ours);
	char *id;

	assert_true(host_same_machine(ours));
	id = xasprintf("%.*s:another-boot:7", len, ours);
	assert_true(host_same_machine(id));
	free(id);
	id = xasprintf("x%.*s:another-boot:7", len, ours);
	assert_false(host_same_machine(id));
	free(id);
	assert_false(host_same_machine(NULL));
	assert_false(host_same_machine("no colons"));
}

/* The boot clock: since boot, as /proc/uptime says, to the second. */
static void test_uptime(void **state)
{
	double proc = 0;
	FILE *f = fopen("/proc/uptime", "r");
	int64_t before = host_uptime_ms(), after;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lf", &proc), 1);
	fclose(f);
	after = host_uptime_ms();
	assert_true(before > 0 && before <= after);
	assert_true(before <= (int64_t)(proc * 1000) + 10 && (int64_t)(proc * 1000) <= after + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_start),
		cmocka_unit_test(test_kill_group),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_machine_id),
		cmocka_unit_test_setup_teardown(test_machine_id_fallbacks, tmpdb_dir_setup,
						tmpdb_dir_teardown),
		cmocka_unit_test_setup_teardown(test_machine_id_pidns, tmpdb_dir_setup,
						tmpdb_dir_teardown),
		cmocka_unit_test(test_is_local),
		cmocka_unit_test(test_rebooted_since),
		cmocka_unit_test(test_same_machine),
		cmocka_unit_test(test_uptime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
