/*
 * worker.h - the pool of parser processes.
 *
 * Feed bodies are untrusted and libxml2 2.9.14 has quadratic paths no size
 * cap bounds, so parsing happens in separate processes (fork + exec of
 * tidingsd --parse-worker), one per core by default, each under a CPU-time
 * budget.  The loop only moves bytes: a request frame out, a JSON reply
 * (common/feedjson.h) back.  A worker that overruns its budget or dies is
 * replaced and the feed gets an error.
 */
#ifndef TIDINGS_WORKER_H
#define TIDINGS_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"

struct ev_loop;
struct worker_pool;

/*
 * Called once per submitted job.  rc 0: doc holds the parse (doc->error
 * may still flag a not-well-formed document); rc -1: nothing usable, and
 * error says why.  doc is owned by the pool and freed after the callback.
 */
typedef void (*worker_done_fn)(void *arg, int rc, struct feed_doc *doc,
	    const char *error);

struct worker_pool *worker_pool_new(struct ev_loop *, int nworkers,
	    int64_t cpu_limit, worker_done_fn, char *err, size_t errlen);
/*
 * Queues a parse; the pool takes ownership of body (malloc'd, len bytes).
 * tag is handed back to the callback.  0, or -1 on ENOMEM (body freed).
 */
int	worker_pool_submit(struct worker_pool *, void *tag, const char *url,
	    const char *content_type, char *body, size_t len);
size_t	worker_pool_pending(const struct worker_pool *);
/* Kills the workers and drops queued jobs without calling back. */
void	worker_pool_free(struct worker_pool *);

/* The worker process: serves requests on fd until EOF.  Returns exit status. */
int	worker_main(int fd, int64_t cpu_limit);

#endif
