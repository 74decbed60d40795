/*
 * host.h - this machine and its processes: a process's start time, whether a process known
 * by pid and start time still runs, signalling a process group, the host name (for people)
 * and the machine identity (for programs).
 *
 * Nothing here knows of jobs or of the store; it reads /proc and calls the kernel.
 */
#ifndef QUEUECTL_HOST_H
#define QUEUECTL_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct worker_info;

/*
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or -1 if
 * there is no such process.  With the pid it names one process for the life of the boot:
 * a pid handed out again has another start time.
 */
long long host_process_start(pid_t pid);

/*
 * Whether the process recorded as pid and start (from host_process_start) still runs.
 * Where /proc cannot be read, a process recorded with start -1 always seems to: it is never
 * declared dead on a guess.
 */
bool host_process_alive(pid_t pid, long long start);

/*
 * Send sig to every process of the process group pgid.  Returns 0, or -1 with errno set
 * (ESRCH: no process is left in the group; EINVAL for a pgid <= 1, which would name our own
 * group or every process).
 */
int host_kill_group(pid_t pgid, int sig);

/* This machine's name, for people: gethostname(), or "localhost" without one.  Static. */
const char *host_name(void);

/*
 * This machine's identity, for programs, as "MACHINEID:BOOTID:PIDNS":
 *   MACHINEID  the first word of /etc/machine-id, else of /var/lib/dbus/machine-id, else
 *              the host name (a missing, empty or "uninitialized" file does not count);
 *   BOOTID     /proc/sys/kernel/random/boot_id, or 0 if unreadable;
 *   PIDNS      the inode number of our pid namespace (readlink /proc/self/ns/pid gives
 *              "pid:[N]"), or 0 if unreadable.
 * Two processes get the same identity exactly when each can judge the other's pid: same
 * machine, same boot, same pid namespace.  A restarted machine or another container is
 * another identity.  Read once, then cached; static storage.
 */
const char *host_machine_id(void);

/*
 * host_machine_id read from the files under root ("" for the real ones), not cached: for
 * tests.  The caller frees the result.
 */
char *host_machine_id_at(const char *root);

/*
 * Whether identity (a host_machine_id, as workers and attempts record it) names this
 * machine, in this boot or another, in any pid namespace: the one whose files, a job's log
 * among them, are ours.  False for NULL.
 */
bool host_same_machine(const char *identity);

/*
 * Whether the worker w ran on this machine in an earlier boot: its machine id is ours, read
 * from /etc/machine-id (or /var/lib/dbus/machine-id; never a host name standing in for one),
 * and its boot id is another.  Its processes, if it was what it seems, died with that boot.
 * A machine id copied into a cloned machine would make a live worker look so too: the
 * caller must also see that the worker fell silent before this boot (host_uptime_ms).
 */
bool host_rebooted_since(const struct worker_info *w);

/* How long this machine has run since it booted, in ms (CLOCK_BOOTTIME); -1 if unknown. */
int64_t host_uptime_ms(void);

/*
 * Whether the worker w runs on this machine, so that its pid may be judged here (is it
 * alive? may its jobs' process groups be killed?).  The one place that decides it.
 */
bool host_is_local(const struct worker_info *w);

#endif
