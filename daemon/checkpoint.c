/*
 * checkpoint.c - WAL checkpoints on a thread of their own (see
 * checkpoint.h).
 *
 * States, one atomic: IDLE (nothing asked), ASKED (a writer found the
 * WAL over `frames` pages; the thread is copying), CLOSE (the thread
 * left at most CKPT_CLOSE_FRAMES uncopied: the next writer that may wait
 * copies the rest; a writer that may not wait asks for another pass).
 * The mutex and condition variable only wake the thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "checkpoint.h"
#include "log.h"
#include "store_db.h"
#include "thread.h"

/*
 * Uncopied pages the thread may leave to a writer.  Each pass copies
 * what was written during the one before, so passes get shorter while
 * the disk keeps up; when a pass leaves more than the one before, or
 * after CKPT_PASSES, the writer takes what is left whatever its size.
 */
#define CKPT_CLOSE_FRAMES	64
#define CKPT_PASSES		16
/* WAL pages past which a writer that may wait stops relying on us. */
#define CKPT_BEHIND		4	/* times frames */

enum { CKPT_IDLE, CKPT_ASKED, CKPT_CLOSE };

struct checkpointer {
	sqlite3		*db;		/* this thread's only */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 wake, stop;	/* under mu */
	int		 frames;	/* WAL pages that ask for a pass */
	atomic_int	 state;
	atomic_long	 passes;
	int		 warned;	/* a failure was logged (thread only) */
};

/*
 * Copies the WAL until little is left, or the passes stop shrinking:
 * CKPT_CLOSE, the rest is the writer's.  CKPT_IDLE when it could not
 * (another checkpoint under way, or an error: the next ask retries).
 */
static int
ckpt_run(struct checkpointer *c)
{
	int pass, rc, log_frames = 0, copied = 0, left = -1;

	for (pass = 0; pass < CKPT_PASSES; pass++) {
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
		if (rc == SQLITE_BUSY)
			return CKPT_IDLE;	/* a writer's own; ask again */
		if (rc != SQLITE_OK) {
			if (!c->warned)
				log_warn("cannot checkpoint %s: %s",
				    sqlite3_db_filename(c->db, "main"),
				    sqlite3_errmsg(c->db));
			c->warned = 1;
			return CKPT_IDLE;
		}
		c->warned = 0;
		atomic_fetch_add(&c->passes, 1);
		if (log_frames - copied <= CKPT_CLOSE_FRAMES ||
		    (left >= 0 && log_frames - copied >= left))
			break;
		left = log_frames - copied;
	}
	return CKPT_CLOSE;
}

static void *
ckpt_main(void *arg)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->wake && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->wake = 0;
		pthread_mutex_unlock(&c->mu);
		atomic_store(&c->state, ckpt_run(c));
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void
ckpt_wake(struct checkpointer *c)
{
	pthread_mutex_lock(&c->mu);
	c->wake = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int
checkpointer_note(struct checkpointer *c, int frames, int may_block)
{
	int expect = CKPT_CLOSE;

	if (may_block && atomic_compare_exchange_strong(&c->state, &expect,
	    CKPT_IDLE))
		return 1;
	/* Only a writer that may not wait asks again from CLOSE. */
	if (frames >= c->frames && (expect = atomic_load(&c->state)) !=
	    CKPT_ASKED && atomic_compare_exchange_strong(&c->state, &expect,
	    CKPT_ASKED))
		ckpt_wake(c);
	return may_block && frames >= CKPT_BEHIND * c->frames;
}

void
checkpointer_ask(struct checkpointer *c)
{
	int expect = atomic_load(&c->state);

	/* Running already: the wake below makes it go round once more. */
	if (expect != CKPT_ASKED)
		(void)atomic_compare_exchange_strong(&c->state, &expect,
		    CKPT_ASKED);
	ckpt_wake(c);
}

long
checkpointer_passes(struct checkpointer *c)
{
	return atomic_load(&c->passes);
}

struct checkpointer *
checkpointer_start(const char *path, int frames, char *err,
    size_t errlen)
{
	struct checkpointer *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->frames = frames > 0 ? frames : CHECKPOINT_FRAMES;
	atomic_init(&c->state, CKPT_IDLE);
	atomic_init(&c->passes, 0);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	if (store_db_setup(c->db, 0, err, errlen) == -1)
		goto fail;
	if ((rc = thread_start(&c->thread, ckpt_main, c)) != 0) {
		snprintf(err, errlen, "cannot start the checkpoint thread: %s",
		    strerror(rc));
		goto fail;
	}
	return c;
 fail:
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return NULL;
}

void
checkpointer_stop(struct checkpointer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
