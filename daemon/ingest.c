/*
 * ingest.c - the ingest thread and the loop's side of it (see ingest.h).
 *
 * Two FIFO lists under one mutex: todo (loop -> thread, signalled by a
 * condition variable) and finished (thread -> loop, signalled by an
 * ev_async).  The thread takes the whole todo list at once and runs it
 * outside the lock, so submitting never waits for a commit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "thread.h"

struct ingest {
	struct ev_loop	*loop;
	struct store	*store;
	pthread_t	 thread;
	int		 running;	/* the thread was started, not joined */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct ingest_job *todo, **todo_tail;
	struct ingest_job *finished, **finished_tail;
	int		 stop;
	size_t		 pending;	/* loop side only */
	ev_async	 wake;
};

static void
job_run(struct store *store, struct ingest_job *j)
{
	j->rc = j->run(store, j);
	j->busy = j->rc != STORE_OK && store_err_busy(store);
	if (j->rc != STORE_OK)
		snprintf(j->err, sizeof(j->err), "%s", store_errmsg(store));
	else
		j->err[0] = '\0';
}

static void *
ingest_main(void *arg)
{
	struct ingest *g = arg;
	struct ingest_job *batch, *j, *next;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->todo == NULL && !g->stop)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->todo == NULL)
			break;		/* stopping, and nothing left */
		batch = g->todo;
		g->todo = NULL;
		g->todo_tail = &g->todo;
		pthread_mutex_unlock(&g->mu);
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			job_run(g->store, j);
			j->next = NULL;
			pthread_mutex_lock(&g->mu);
			*g->finished_tail = j;
			g->finished_tail = &j->next;
			pthread_mutex_unlock(&g->mu);
			ev_async_send(g->loop, &g->wake);
		}
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* Runs the done callbacks of the jobs the thread finished, in order. */
static void
ingest_deliver(struct ingest *g)
{
	struct ingest_job *list, *j, *next;

	pthread_mutex_lock(&g->mu);
	list = g->finished;
	g->finished = NULL;
	g->finished_tail = &g->finished;
	pthread_mutex_unlock(&g->mu);
	for (j = list; j != NULL; j = next) {
		next = j->next;
		g->pending--;
		j->done(j);	/* may free j, or submit it again */
	}
}

static void
ingest_wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	ingest_deliver(w->data);
}

struct ingest *
ingest_new(struct ev_loop *loop, struct store *store, char *err,
    size_t errlen)
{
	struct ingest *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		store_close(store);
		return NULL;
	}
	g->loop = loop;
	g->store = store;
	g->todo_tail = &g->todo;
	g->finished_tail = &g->finished;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	ev_async_init(&g->wake, ingest_wake_cb);
	g->wake.data = g;
	/* Finished commits first: they free feeds for the scheduler. */
	ev_set_priority(&g->wake, EV_MAXPRI - 1);
	ev_async_start(loop, &g->wake);
	store_set_yield(store, 1);
	if ((rc = thread_start(&g->thread, ingest_main, g)) != 0) {
		snprintf(err, errlen, "cannot start the ingest thread: %s",
		    strerror(rc));
		ingest_free(g);
		return NULL;
	}
	g->running = 1;
	return g;
}

void
ingest_submit(struct ingest *g, struct ingest_job *j)
{
	j->next = NULL;
	g->pending++;
	if (!g->running) {
		/* Stopped (ingest_free is draining): run it here and now. */
		job_run(g->store, j);
		g->pending--;
		j->done(j);
		return;
	}
	pthread_mutex_lock(&g->mu);
	*g->todo_tail = j;
	g->todo_tail = &j->next;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

size_t
ingest_pending(const struct ingest *g)
{
	return g->pending;
}

void
ingest_free(struct ingest *g)
{
	if (g == NULL)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
		g->running = 0;
	}
	ev_async_stop(g->loop, &g->wake);
	ingest_deliver(g);
	/* Nothing of a poll is left waiting for a checkpoint. */
	if (store_sync(g->store) != STORE_OK)
		log_warn("cannot sync the database: %s",
		    store_errmsg(g->store));
	store_close(g->store);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
