/*
 * thread.c - starting the daemon's threads (see thread.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "thread.h"

/* Background threads are this much nicer than the daemon. */
#define THREAD_BACKGROUND_NICE	10
#define THREAD_NICE_MAX		19

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* The new thread inherits the mask in force when it is made. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void
thread_background(void)
{
	id_t self = (id_t)gettid();
	int nice;

	/* -1 is a valid nice too: errno tells a failure. */
	errno = 0;
	nice = getpriority(PRIO_PROCESS, self);
	if (errno != 0)
		return;
	nice += THREAD_BACKGROUND_NICE;
	/* Raising one's own nice needs no privilege; failure costs speed. */
	(void)setpriority(PRIO_PROCESS, self, nice < THREAD_NICE_MAX ? nice :
	    THREAD_NICE_MAX);
}
