/*
 * sched.h - when each feed is polled.
 *
 * Owns the single ev_timer armed for the earliest due feed and the set of
 * feeds being fetched.  next_poll lives in the database, so schedules
 * survive restarts.  Hands due feeds to fetch.c and takes their results
 * (after parsing) into one store transaction each.
 */
#ifndef TIDINGS_SCHED_H
#define TIDINGS_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct ev_loop;
struct store;
struct conf;
struct feed_doc;
struct worker_pool;
struct ingest;
struct sched;

/*
 * Creates the scheduler and its fetcher; feeds due now are polled at
 * once.  store is the loop's (reads); every write goes through ingest.
 */
struct sched *sched_new(struct ev_loop *, struct store *, struct ingest *,
	    const struct conf *, struct worker_pool *);
/* After a config reload: new intervals, limits and fetch settings. */
void	sched_set_conf(struct sched *, const struct conf *);
/*
 * Cancels transfers in flight (nothing of them is committed) and frees.
 * After ingest_free: a flight whose commit is queued must see it done.
 */
void	sched_free(struct sched *);
/* The parser pool's completion callback (tag is the scheduler's job). */
void	sched_parsed(void *tag, int rc, struct feed_doc *doc, const char *error);

struct sched_stats {
	size_t	 in_flight;	/* fetches or parses running */
	uint64_t polls;		/* polls finished since start */
	uint64_t errors;	/* of which failed */
	uint64_t not_modified;	/* of which 304 */
	uint64_t items_added;
	int64_t	 last_poll;	/* Unix seconds of the last finished poll, 0 */
};

/* Makes feed id due now.  STORE_OK or STORE_NOTFOUND. */
int	sched_refresh(struct sched *, int64_t feed_id);
/* Makes every active feed due now; returns how many. */
size_t	sched_refresh_all(struct sched *);
/* Feeds were added or removed: re-read the earliest due time. */
void	sched_kick(struct sched *);
void	sched_stats(const struct sched *, struct sched_stats *);
/*
 * Test-only: after each commit that stored new items, write
 * "COMMITTED <batch> <n>" to fd (-1: off).  The crash tests' oracle.
 */
void	sched_set_commit_log(struct sched *, int fd);
/* The feed's recent requests, newest first (history.h); NULL: ENOMEM. */
json_t	*sched_history_json(const struct sched *, int64_t feed_id);

#endif
