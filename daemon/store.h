/*
 * store.h - everything tidingsd keeps on disk, behind one interface.
 *
 * Owns the SQLite connection and every SQL statement in the project (a
 * second backend can come later by implementing this header).  Schema
 * versioned with PRAGMA user_version and migrated forward at open.
 * WAL, prepared statements, one transaction per fetched feed holding its
 * items, their stories and the feed's new validators and state.
 *
 * Not thread-safe: a struct store is used by one thread at a time.  The
 * daemon opens two on one database, the loop's and the ingest thread's
 * (ingest.h); store.c keeps their clustering indexes current and lets
 * the loop's rare writes in between the ingest thread's commits.
 */
#ifndef TIDINGS_STORE_H
#define TIDINGS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "feed.h"
#include "store_poll.h"

enum store_rc {
	STORE_OK = 0,
	STORE_ERR = -1,		/* SQLite error: see store_errmsg() */
	STORE_NOTFOUND = -2,
	STORE_EXISTS = -3,	/* a feed with this URL exists already */
	STORE_INVALID = -4,	/* bad argument (e.g. not an http(s) URL) */
};

/* Stories: items within this many seconds with the same normalized title join. */
#define STORE_STORY_TITLE_WINDOW	(48 * 3600)
#define STORE_LIMIT_DEFAULT		50
#define STORE_LIMIT_MAX			10000

struct store;

/* A feed as the scheduler and fetcher need it.  Strings owned by the struct. */
struct store_feed {
	int64_t	 id;
	char	*url;
	char	*title;		/* user/config title, else the feed's own, else NULL */
	char	*etag;		/* exactly as the server sent it, or NULL */
	char	*last_modified;	/* exactly as the server sent it, or NULL */
	int64_t	 interval;	/* seconds; 0 = global poll_interval */
	int64_t	 next_poll;	/* Unix seconds */
	int64_t	 polls;		/* finished polls, for `refresh --wait` */
	int	 paused;
};
void	store_feed_free(struct store_feed *);	/* members only */

/* A feed declared in the config file, synced into the database. */
struct store_conf_feed {
	const char *name;
	const char *url;
	const char *tags;	/* comma-separated, or NULL */
	int64_t	 interval;	/* 0 = global */
	int	 no_cluster;	/* cluster = no: every item its own story */
};

/* The outcome of one poll, committed in one transaction. */
struct store_fetch {
	int64_t	 feed_id;
	int64_t	 fetched_at;
	int64_t	 next_poll;
	long	 http_status;	/* 0 when no HTTP response came */
	const char *error;	/* NULL on success; else what failed, already sanitized */
	int	 not_modified;	/* 304: nothing to store, validators kept */
	/* On a 200 that parsed: the new validators (NULL clears) and the items. */
	int	 new_validators;
	const char *etag;
	const char *last_modified;
	const struct feed_doc *doc;
	/* Scheduling state to write with the poll (store_poll.h); NULL keeps. */
	const struct store_poll *poll;
};

/*
 * A story merge: a new item matched two stories strongly enough to prove
 * them one (see cluster_match), so story `from` went into `into`.
 */
struct store_merge {
	int64_t	 from, into;
	int64_t	 item;		/* the item that matched both */
	double	 score_into, score_from;	/* its scores against each */
	double	 pair;		/* the two stories' similarity */
};
/* Merges one commit reports in detail (all are made and counted). */
#define STORE_INGEST_MERGES	8

struct store_ingest {
	size_t	 added;		/* new items */
	size_t	 updated;	/* existing items whose content changed */
	size_t	 unchanged;
	int64_t	 batch;		/* ingest sequence number when added > 0 */
	size_t	 merges;	/* stories merged into another */
	struct store_merge merge[STORE_INGEST_MERGES];	/* the first ones */
};

/* Filters for listings; zero/NULL fields mean "no filter". */
struct store_query {
	int64_t	 since;		/* TIME_NONE: no lower bound */
	int64_t	 until;		/* TIME_NONE: no upper bound */
	int64_t	 feed_id;	/* 0: all */
	const char *tag;
	int	 unread;
	int	 starred;	/* only what has a starred item */
	int	 min_sources;	/* stories covered by at least this many feeds */
	int	 limit;		/* 0: STORE_LIMIT_DEFAULT; capped at STORE_LIMIT_MAX */
};

/*
 * Opens (creating if needed) and migrates the database at path; parent
 * directories must exist.  On failure returns NULL and writes why to err.
 */
struct store *store_open(const char *path, char *err, size_t errlen);
void	 store_close(struct store *);	/* NULL ok; closes cleanly */
const char *store_errmsg(struct store *);
/*
 * Whether the last STORE_ERR was another process holding a lock
 * (SQLITE_BUSY/LOCKED after the busy timeout): worth retrying soon.
 */
int	 store_err_busy(struct store *);
/*
 * A yielding store (the ingest thread's) pauses before its next
 * transaction when another store of the process waits for the lock.
 */
void	 store_set_yield(struct store *, int on);
/* The page cache of this connection, in KiB (SQLite's default: 2,000). */
int	 store_set_cache(struct store *, int kib);
/*
 * Puts poll results on disk.  They are committed safe against a crash
 * of the daemon but not against a power loss (synchronous = NORMAL);
 * the scheduler has them put there within a second (store_sync_soon),
 * the ingest thread at a stop (this).
 */
int	 store_sync(struct store *);
/*
 * The same without waiting for the disk: the checkpoint thread does it
 * (store_set_checkpointer), or this thread when there is none.
 */
int	 store_sync_soon(struct store *);
/*
 * Recomputes every story's aggregates from its items, in one
 * transaction (tests compare them with those kept as items join).
 */
int	 store_stories_refresh(struct store *);
/*
 * The search indexer (store_fts.h) this store's commits kick, whose
 * progress store_sync() prunes the notes by and /v1/status reports as
 * search_pending.  NULL (the default): none; searches still read the
 * index as far as it got.
 */
struct store_fts;
void	 store_set_indexer(struct store *, struct store_fts *);
/*
 * Hands this store's WAL checkpoints to the checkpoint thread
 * (checkpoint.h) instead of SQLite's commit that finds the WAL full.
 * may_block: this store's writer (the ingest thread's) may copy the
 * last pages itself so that the WAL restarts.  NULL: SQLite's own.
 */
struct checkpointer;
void	 store_set_checkpointer(struct store *, struct checkpointer *,
	    int may_block);

/* Feeds */
int	 store_feed_add(struct store *, const char *url, const char *title,
	    const char *tags, int64_t interval, int64_t *id_out);
int	 store_feed_delete(struct store *, int64_t id);	/* items and orphan stories too */
int	 store_feed_get(struct store *, int64_t id, struct store_feed *out);
/* Config feeds: add new URLs, update name/tags/interval, remove config feeds no longer listed. */
int	 store_sync_config(struct store *, const struct store_conf_feed *, size_t n);
/* Sets next_poll (used to schedule, refresh now, or spread the first polls). */
int	 store_feed_schedule(struct store *, int64_t id, int64_t next_poll);
/*
 * Up to max active feeds with next_poll <= now, earliest first, not in
 * the exclude list (feeds being fetched).  Fills out[0..*n).
 */
int	 store_feeds_due(struct store *, int64_t now, const int64_t *exclude,
	    size_t nexclude, struct store_feed *out, size_t max, size_t *n);
/* Earliest next_poll of an active feed, or TIME_NONE when there is none. */
int64_t	 store_next_poll(struct store *);
/* Ids of every active feed (for refresh all); *ids malloc'd. */
int	 store_feed_ids(struct store *, int64_t **ids, size_t *n);

/*
 * Clustering parameters ([cluster]); the defaults hold until called.
 * reopen: a new item makes a read story unread again.
 */
struct cluster_params;
/*
 * At most max_items (0: no cap) items in the clustering index: past it,
 * the stories with the oldest last item leave it (see cluster.h).
 * After store_cluster_configure, which resets the cap.
 */
void	 store_cluster_limit(struct store *, size_t max_items);
void	 store_cluster_configure(struct store *, const struct cluster_params *,
	    int enabled, int reopen);

/*
 * Re-runs clustering over the items published since `since` (TIME_NONE:
 * all), oldest first, in one transaction.  Stories keep their rows (ids,
 * read and other state columns) when they keep an item; emptied stories
 * are deleted and their ids answer as the story they went into
 * (store_json_story).  Item read state is untouched.  STORE_INVALID when
 * clustering is disabled.
 */
struct store_recluster {
	size_t	 items;		/* items placed again */
	size_t	 moved;		/* items now in another story */
	size_t	 merges;	/* stories an item proved one with another */
};
int	 store_recluster(struct store *, int64_t since, struct store_recluster *);

/* One poll's result: items, stories, validators and feed state together. */
int	 store_commit_fetch(struct store *, const struct store_fetch *,
	    struct store_ingest *stats);

/* JSON views for the API (new references; NULL on error, see the rc). */
int	 store_json_status(struct store *, json_t *obj);	/* adds counts to obj */
int	 store_json_feeds(struct store *, json_t **out);
int	 store_json_feed(struct store *, int64_t id, json_t **out);
int	 store_json_stories(struct store *, const struct store_query *, json_t **out);
int	 store_json_story(struct store *, int64_t id, json_t **out);
int	 store_json_items(struct store *, const struct store_query *, json_t **out);

/*
 * Full-text search over item titles and summaries, best match first, with
 * the listing filters.  words: plain words, all required, "w*" a prefix.
 * Items as store_json_items plus "snippet" (matches between U+0002 and
 * U+0003) and "rank" (bm25, lower is better).  STORE_INVALID: no words.
 */
int	 store_json_search(struct store *, const char *words,
	    const struct store_query *, json_t **out);

/* Reading state, kept on the items: a story's state is all its items'. */
enum store_mark { STORE_MARK_READ, STORE_MARK_STARRED };
int	 store_story_mark(struct store *, int64_t story, enum store_mark,
	    int on);
/* Marks read every item first seen before `before` (TIME_NONE: all), of
 * one feed (0: all); *changed: how many items were unread. */
int	 store_mark_all_read(struct store *, int64_t before, int64_t feed_id,
	    int64_t *changed);

/* What `tidings edit` changes; a field changes only when its set_ is on. */
struct store_feed_edit {
	int	 set_title;
	const char *title;	/* NULL or "": the feed's own title again */
	int	 set_tags;
	const char *tags;	/* comma-separated; NULL: none */
	int	 set_interval;
	int64_t	 interval;	/* seconds; 0: the global poll_interval */
	const char *url;	/* NULL: unchanged */
};
/*
 * STORE_EXISTS (with a message) when another feed has the URL, or the
 * feed comes from the config file and the URL would change.
 */
int	 store_feed_edit(struct store *, int64_t id,
	    const struct store_feed_edit *);
/* Pauses (not polled) or resumes (due at once) a feed. */
int	 store_feed_pause(struct store *, int64_t id, int paused);

/*
 * Digest bookmarks: where the previous `tidings digest --since last` of a
 * name stopped (Unix seconds).  get: STORE_OK, or STORE_NOTFOUND when the
 * name has none.  set: with check, only when the bookmark is still prev
 * (STORE_BOOKMARK_NONE: only when there is none), else STORE_EXISTS.
 */
#define STORE_BOOKMARK_NONE	INT64_MIN
int	store_bookmark_get(struct store *, const char *name, int64_t *until);
int	store_bookmark_set(struct store *, const char *name, int64_t until,
	    int check, int64_t prev);

#endif
