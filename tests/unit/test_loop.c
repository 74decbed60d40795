/*
 * test_loop.c - unit tests for loop.c, the event loop: a readable pipe runs its handler;
 * tasks run in the order of their deadlines, and poll() waits for the nearest; descriptors
 * and tasks added and removed from inside handlers and tasks; many descriptors at once;
 * the errors of registering twice or removing what is not there.
 *
 * Every test stops its loop from a handler or a task, with a task that fails the test after
 * a few seconds as a guard against a loop that never stops.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "util.h"

/* --- helpers --- */

static void make_pipe(int p[2])
{
	assert_int_equal(pipe(p), 0);
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void make_readable(int p[2])
{
	assert_int_equal(write(p[1], "x", 1), 1);
}

static int64_t guard_when(void *arg)
{
	return *(int64_t *)arg;
}

static void guard_run(struct loop *loop, void *arg)
{
	fail_msg("the loop did not stop in time");
}

/* A task that fails the test if the loop is still running 5 s from now. */
static void add_guard(struct loop *loop, int64_t *deadline)
{
	*deadline = time_mono_ms() + 5000;
	assert_true(loop_add_task(loop, guard_when, guard_run, deadline) > 0);
}

static void run_loop(struct loop *loop)
{
	struct error err = { 0 };

	assert_int_equal(loop_run(loop, &err), 0);
}

/* --- a readable pipe runs its handler --- */

struct reader {
	int calls;
	short revents;
	char got;
};

static void read_and_stop(struct loop *loop, int fd, short revents, void *arg)
{
	struct reader *r = arg;

	r->calls++;
	r->revents = revents;
	assert_int_equal(read(fd, &r->got, 1), 1);
	loop_stop(loop);
}

static void test_pipe_readable(void **state)
{
	struct loop *loop = loop_new();
	struct reader r = { 0 };
	int64_t guard;
	int p[2];

	make_pipe(p);
	add_guard(loop, &guard);
	assert_int_equal(loop_add_fd(loop, p[0], POLLIN, read_and_stop, &r), 0);
	make_readable(p);
	run_loop(loop);
	assert_int_equal(r.calls, 1);
	assert_true(r.revents & POLLIN);
	assert_int_equal(r.got, 'x');
	/* The loop can run again: the next byte runs the handler again. */
	make_readable(p);
	run_loop(loop);
	assert_int_equal(r.calls, 2);
	close_pipe(p);
	loop_free(loop);
}

/* --- tasks and deadlines --- */

struct timed {
	char name;
	int64_t deadline; /* LOOP_NEVER once it has run */
	int64_t ran_at;
	char *order;	  /* names appended as they run */
	int *left;	  /* tasks still to run: the last one stops the loop */
};

static int64_t timed_when(void *arg)
{
	return ((struct timed *)arg)->deadline;
}

static void timed_run(struct loop *loop, void *arg)
{
	struct timed *t = arg;
	size_t n = strlen(t->order);

	t->ran_at = time_mono_ms();
	t->deadline = LOOP_NEVER;
	t->order[n] = t->name;
	t->order[n + 1] = '\0';
	if (--*t->left == 0)
		loop_stop(loop);
}

/* Deadlines ahead: the nearest runs first, each not before its time, a NEVER one not at all. */
static void test_deadlines_in_order(void **state)
{
	struct loop *loop = loop_new();
	char order[8] = "";
	int left = 2;
	int64_t guard, t0 = time_mono_ms();
	struct timed a = { 'a', t0 + 120, 0, order, &left };
	struct timed b = { 'b', t0 + 30, 0, order, &left };
	struct timed never = { 'n', LOOP_NEVER, 0, order, &left };

	add_guard(loop, &guard);
	loop_add_task(loop, timed_when, timed_run, &a);
	loop_add_task(loop, timed_when, timed_run, &never);
	loop_add_task(loop, timed_when, timed_run, &b);
	run_loop(loop);
	assert_string_equal(order, "ba");
	assert_true(b.ran_at >= t0 + 30);
	assert_true(a.ran_at >= t0 + 120);
	/* poll() slept until each deadline: neither ran long after it (a generous bound). */
	assert_true(a.ran_at < t0 + 120 + 2000);
	assert_int_equal(never.ran_at, 0);
	loop_free(loop);
}

/* Tasks already due together run earliest deadline first, ties in the order added. */
static void test_due_together(void **state)
{
	struct loop *loop = loop_new();
	char order[8] = "";
	int left = 4;
	int64_t guard, t0 = time_mono_ms();
	struct timed a = { 'a', t0 - 5, 0, order, &left };
	struct timed b = { 'b', t0 - 10, 0, order, &left };
	struct timed c = { 'c', t0 - 5, 0, order, &left };
	struct timed d = { 'd', 0, 0, order, &left };

	add_guard(loop, &guard);
	loop_add_task(loop, timed_when, timed_run, &a);
	loop_add_task(loop, timed_when, timed_run, &b);
	loop_add_task(loop, timed_when, timed_run, &c);
	loop_add_task(loop, timed_when, timed_run, &d);
	run_loop(loop);
	assert_string_equal(order, "dbac");
	loop_free(loop);
}

struct again {
	int runs;
};

static int64_t always_due(void *arg)
{
	return 0;
}

/* A task still due after it ran runs once a turn, again and again, not twice in one turn. */
static void run_three_times(struct loop *loop, void *arg)
{
	struct again *g = arg;

	if (++g->runs == 3)
		loop_stop(loop);
}

static void test_task_due_again(void **state)
{
	struct loop *loop = loop_new();
	struct again g = { 0 };
	int64_t guard;

	add_guard(loop, &guard);
	loop_add_task(loop, always_due, run_three_times, &g);
	run_loop(loop);
	assert_int_equal(g.runs, 3);
	loop_free(loop);
}

struct deleter {
	int victim; /* the id of the task to remove */
	int runs;
};

static int64_t deleter_when(void *arg)
{
	return ((struct deleter *)arg)->runs ? LOOP_NEVER : 0;
}

static void delete_victim(struct loop *loop, void *arg)
{
	struct deleter *d = arg;

	d->runs++;
	assert_int_equal(loop_del_task(loop, d->victim), 0);
	assert_int_equal(loop_del_task(loop, d->victim), QE_NOTFOUND);
}

static void victim_run(struct loop *loop, void *arg)
{
	fail_msg("a removed task ran");
}

static int64_t soon(void *arg)
{
	return *(int64_t *)arg;
}

static void stop_run(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

/* A task removed by another that ran before it in the same turn never runs. */
static void test_task_removed_by_task(void **state)
{
	struct loop *loop = loop_new();
	struct deleter d = { 0 };
	int64_t guard, stop_at = time_mono_ms() + 50;
	int id;

	add_guard(loop, &guard);
	id = loop_add_task(loop, deleter_when, delete_victim, &d);
	d.victim = loop_add_task(loop, always_due, victim_run, NULL);
	assert_true(d.victim > id);
	loop_add_task(loop, soon, stop_run, &stop_at);
	run_loop(loop);
	assert_int_equal(d.runs, 1);
	loop_free(loop);
}

/* --- descriptors added and removed from handlers --- */

struct pair {
	int p1[2], p2[2];
	int calls1, calls2;
	int64_t stop_at;
};

static void handler2(struct loop *loop, int fd, short revents, void *arg)
{
	struct pair *pr = arg;
	char c;

	pr->calls2++;
	assert_int_equal(read(fd, &c, 1), 1);
	loop_stop(loop);
}

/* Removes itself and the other pipe, both still readable. */
static void remove_both(struct loop *loop, int fd, short revents, void *arg)
{
	struct pair *pr = arg;

	pr->calls1++;
	assert_int_equal(loop_del_fd(loop, pr->p2[0]), 0);
	assert_int_equal(loop_del_fd(loop, fd), 0);
	assert_int_equal(loop_del_fd(loop, fd), QE_NOTFOUND);
}

static void test_remove_fd_in_handler(void **state)
{
	struct loop *loop = loop_new();
	struct pair pr = { 0 };
	int64_t guard;

	make_pipe(pr.p1);
	make_pipe(pr.p2);
	add_guard(loop, &guard);
	pr.stop_at = time_mono_ms() + 100;
	loop_add_task(loop, soon, stop_run, &pr.stop_at);
	assert_int_equal(loop_add_fd(loop, pr.p1[0], POLLIN, remove_both, &pr), 0);
	assert_int_equal(loop_add_fd(loop, pr.p2[0], POLLIN, handler2, &pr), 0);
	make_readable(pr.p1);
	make_readable(pr.p2);
	run_loop(loop);
	/* Both were ready in the same poll(); the removed one was not dispatched, then or later. */
	assert_int_equal(pr.calls1, 1);
	assert_int_equal(pr.calls2, 0);
	/* Removed descriptors can be watched again (handler2 stops the loop this time). */
	pr.stop_at = LOOP_NEVER;
	assert_int_equal(loop_add_fd(loop, pr.p2[0], POLLIN, handler2, &pr), 0);
	run_loop(loop);
	assert_int_equal(pr.calls2, 1);
	close_pipe(pr.p1);
	close_pipe(pr.p2);
	loop_free(loop);
}

/* Reads its byte and watches the second pipe, which is readable already. */
static void add_second(struct loop *loop, int fd, short revents, void *arg)
{
	struct pair *pr = arg;
	char c;

	pr->calls1++;
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(pr->calls2, 0);
	assert_int_equal(loop_add_fd(loop, pr->p2[0], POLLIN, handler2, pr), 0);
	assert_int_equal(loop_add_fd(loop, pr->p2[0], POLLIN, handler2, pr), QE_CONFLICT);
}

static void test_add_fd_in_handler(void **state)
{
	struct loop *loop = loop_new();
	struct pair pr = { 0 };
	int64_t guard;

	make_pipe(pr.p1);
	make_pipe(pr.p2);
	add_guard(loop, &guard);
	assert_int_equal(loop_add_fd(loop, pr.p1[0], POLLIN, add_second, &pr), 0);
	make_readable(pr.p1);
	make_readable(pr.p2);
	run_loop(loop);
	assert_int_equal(pr.calls1, 1);
	assert_int_equal(pr.calls2, 1);
	close_pipe(pr.p1);
	close_pipe(pr.p2);
	loop_free(loop);
}

/* --- changing the events watched --- */

struct writer {
	int p[2];
	int writable;
};

static void on_writable(struct loop *loop, int fd, short revents, void *arg)
{
	struct writer *wr = arg;

	assert_true(revents & POLLOUT);
	wr->writable++;
	loop_stop(loop);
}

static void watch_pollout(struct loop *loop, void *arg)
{
	struct writer *wr = arg;

	assert_int_equal(loop_mod_fd(loop, wr->p[1], POLLOUT), 0);
}

static int64_t due_once(void *arg)
{
	struct writer *wr = arg;

	return wr->writable ? LOOP_NEVER : 0;
}

static void test_mod_fd(void **state)
{
	struct loop *loop = loop_new();
	struct writer wr = { 0 };
	int64_t guard;

	make_pipe(wr.p);
	add_guard(loop, &guard);
	/* Watched for nothing, the write end is never dispatched until a task asks for POLLOUT. */
	assert_int_equal(loop_add_fd(loop, wr.p[1], 0, on_writable, &wr), 0);
	loop_add_task(loop, due_once, watch_pollout, &wr);
	run_loop(loop);
	assert_int_equal(wr.writable, 1);
	assert_int_equal(loop_mod_fd(loop, wr.p[0], POLLIN), QE_NOTFOUND);
	assert_int_equal(loop_del_fd(loop, wr.p[0]), QE_NOTFOUND);
	assert_int_equal(loop_add_fd(loop, -1, POLLIN, on_writable, &wr), QE_INPUT);
	assert_int_equal(loop_del_task(loop, 9999), QE_NOTFOUND);
	close_pipe(wr.p);
	loop_free(loop);
}

/* --- no fixed size --- */

#define MANY 300

struct many {
	int pipes[MANY][2];
	int seen;
};

static void one_of_many(struct loop *loop, int fd, short revents, void *arg)
{
	struct many *m = arg;

	assert_int_equal(loop_del_fd(loop, fd), 0);
	if (++m->seen == MANY)
		loop_stop(loop);
}

static void test_many_fds(void **state)
{
	struct many *m = xcalloc(1, sizeof *m);
	struct loop *loop = loop_new();
	int64_t guard;

	add_guard(loop, &guard);
	for (int i = 0; i < MANY; i++) {
		make_pipe(m->pipes[i]);
		make_readable(m->pipes[i]);
		assert_int_equal(loop_add_fd(loop, m->pipes[i][0], POLLIN, one_of_many, m), 0);
	}
	run_loop(loop);
	assert_int_equal(m->seen, MANY);
	for (int i = 0; i < MANY; i++)
		close_pipe(m->pipes[i]);
	loop_free(loop);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_readable),
		cmocka_unit_test(test_deadlines_in_order),
		cmocka_unit_test(test_due_together),
		cmocka_unit_test(test_task_due_again),
		cmocka_unit_test(test_task_removed_by_task),
		cmocka_unit_test(test_remove_fd_in_handler),
		cmocka_unit_test(test_add_fd_in_handler),
		cmocka_unit_test(test_mod_fd),
		cmocka_unit_test(test_many_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
