/*
 * thread.h - how the daemon starts its threads (the ingest thread, the
 * search indexer): with every signal blocked, so that signals reach
 * only the event loop, whose libev watchers handle them.
 */
#ifndef TIDINGS_THREAD_H
#define TIDINGS_THREAD_H

#include <pthread.h>

/* pthread_create with all signals blocked in the new thread; its code. */
int	thread_start(pthread_t *, void *(*fn)(void *), void *arg);
/*
 * Makes the calling thread give way to the others for the CPU (Linux
 * applies nice to one thread): for work that may lag, such as the
 * search index, so that the ingest thread, which bounds a poll, gets a
 * core when both are busy.  Best effort.
 */
void	thread_background(void);

#endif
