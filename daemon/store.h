/*
 * store.h - everything tidingsd keeps on disk, behind one interface.
 *
 * Owns the SQLite connection and every SQL statement in the project (a
 * second backend can come later by implementing this header).  Schema
 * versioned with PRAGMA user_version and migrated forward at open.
 * WAL, prepared statements, one transaction per fetched feed holding its
 * items, their stories and the feed's new validators and state.
 *
 * Not thread-safe: used only from the daemon's event loop.
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

struct store_ingest {
	size_t	 added;		/* new items */
	size_t	 updated;	/* existing items whose content changed */
	size_t	 unchanged;
};

/* Filters for listings; zero/NULL fields mean "no filter". */
struct store_query {
	int64_t	 since;		/* TIME_NONE: no lower bound */
	int64_t	 until;		/* TIME_NONE: no upper bound */
	int64_t	 feed_id;	/* 0: all */
	const char *tag;
	int	 unread;
	int	 limit;		/* 0: STORE_LIMIT_DEFAULT; capped at STORE_LIMIT_MAX */
};

/*
 * Opens (creating if needed) and migrates the database at path; parent
 * directories must exist.  On failure returns NULL and writes why to err.
 */
struct store *store_open(const char *path, char *err, size_t errlen);
void	 store_close(struct store *);	/* NULL ok; closes cleanly */
const char *store_errmsg(struct store *);

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

/* One poll's result: items, stories, validators and feed state together. */
int	 store_commit_fetch(struct store *, const struct store_fetch *,
	    struct store_ingest *stats);

/*
 * Group commit: between begin and end every store transaction is a
 * savepoint of one SQLite transaction, so a burst of polls costs one
 * fsync instead of one each.  end commits; STORE_ERR if that failed
 * (everything since begin is then undone: nothing is half-stored).
 */
int	 store_batch_begin(struct store *);
int	 store_batch_end(struct store *);

/* JSON views for the API (new references; NULL on error, see the rc). */
int	 store_json_status(struct store *, json_t *obj);	/* adds counts to obj */
int	 store_json_feeds(struct store *, json_t **out);
int	 store_json_feed(struct store *, int64_t id, json_t **out);
int	 store_json_stories(struct store *, const struct store_query *, json_t **out);
int	 store_json_story(struct store *, int64_t id, json_t **out);
int	 store_json_items(struct store *, const struct store_query *, json_t **out);

#endif
