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

#endif
