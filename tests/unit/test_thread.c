/*
 * test_thread.c - the daemon's threads (thread.c): started with every
 * signal blocked, and a background thread lowers its own CPU priority
 * only, not the process's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test.h"
#include "thread.h"

struct seen {
	int	 blocked;	/* SIGTERM and SIGHUP blocked in the thread */
	int	 nice_before, nice_after;
};

static int
my_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, (id_t)gettid());
}

static void *
probe(void *arg)
{
	struct seen *s = arg;
	sigset_t mask;

	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	s->blocked = sigismember(&mask, SIGTERM) == 1 &&
	    sigismember(&mask, SIGHUP) == 1;
	s->nice_before = my_nice();
	thread_background();
	s->nice_after = my_nice();
	return NULL;
}

int
main(void)
{
	struct seen s = { 0, -100, -100 };
	pthread_t t;
	sigset_t mask;
	int mine = my_nice();

	CHECK_INT(thread_start(&t, probe, &s), 0);
	pthread_join(t, NULL);
	CHECK(s.blocked);
	CHECK_INT(s.nice_before, mine);
	CHECK(s.nice_after > mine || mine == 19);
	/* The caller's thread is left as it was. */
	CHECK_INT(my_nice(), mine);
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	CHECK(sigismember(&mask, SIGTERM) == 0);
	return TEST_DONE();
}
