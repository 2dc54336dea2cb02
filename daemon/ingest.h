/*
 * ingest.h - the thread that writes poll results to the database, so
 * the event loop never waits for a commit.
 *
 * A poll's commit (its items, their stories, clustering and full-text
 * index, the feed's new state) is the daemon's heaviest step: tens of
 * milliseconds for a feed with a hundred new items.  On the loop it held
 * up every API request and transfer behind it.  The ingest thread owns a
 * store of its own (a second connection to the same database, with the
 * clustering index) and runs jobs on it in submission order; each job's
 * done callback then runs on the loop, in the same order.  The loop keeps
 * its own store for the API and the scheduler's reads; WAL lets those
 * read while the thread writes.
 *
 * Jobs are owned by the caller (usually embedded in what they are about)
 * from ingest_submit until their done callback has run.
 */
#ifndef TIDINGS_INGEST_H
#define TIDINGS_INGEST_H

#include <ev.h>

#include "store.h"

#define INGEST_ERR_LEN	256

struct ingest_job {
	/* On the ingest thread, with its store: a STORE_* code. */
	int	(*run)(struct store *, struct ingest_job *);
	/* Then on the loop. */
	void	(*done)(struct ingest_job *);
	void	*arg;
	/* What run left, for done. */
	int	 rc;
	int	 busy;			/* store_err_busy() after a failure */
	char	 err[INGEST_ERR_LEN];	/* store_errmsg() after a failure */
	struct ingest_job *next;
};

struct ingest;

/*
 * Starts the thread on store, which it owns from now on (closed by
 * ingest_free).  NULL with err set on failure; store is then closed.
 */
struct ingest *ingest_new(struct ev_loop *, struct store *, char *err,
	    size_t errlen);
void	 ingest_submit(struct ingest *, struct ingest_job *);
/* Jobs submitted whose done callback has not run yet. */
size_t	 ingest_pending(const struct ingest *);
/*
 * Runs what is queued, calls the done callbacks, stops the thread and
 * closes its store.  A job submitted from one of those callbacks runs at
 * once on the caller's thread.  NULL ok.
 */
void	 ingest_free(struct ingest *);

#endif
