/*
 * store_fts.h - the full-text search index, in a database of its own
 * beside the store's (DATABASE.search) and kept current by a thread of
 * its own.
 *
 * Indexing an item (FTS5 tokenizing its title and summary) was the
 * largest single cost of a poll's commit, on the one thread that can
 * write the store.  Now a commit only notes which items changed: a row
 * (lo, hi) in the store's fts_todo table, "make the index match the
 * items with ids lo..hi", written in the commit's own transaction.  The
 * indexer thread reads those notes and the items from a snapshot of the
 * store and writes the index database, where its progress (the last
 * note done) commits with the index itself, so a crash at any point
 * redoes at most the last step.  Searches join the index with the
 * store's items, so an item deleted but not yet dropped from the index
 * is never a hit; an item is searchable a moment after its commit.
 *
 * The index is derived data: a missing, damaged or foreign index file
 * is rebuilt from the store's items.
 */
#ifndef TIDINGS_STORE_FTS_H
#define TIDINGS_STORE_FTS_H

#include <stdint.h>

struct sqlite3;
struct store_fts;

/* DATABASE.search for the store at store_path; malloc'd, NULL on ENOMEM. */
char	*store_fts_path(const char *store_path);
/*
 * A connection to the existing index of the store at store_path, with
 * the store attached as "store": for searches.  NULL with err set when
 * there is no usable index (yet).
 */
struct sqlite3 *store_fts_reader(const char *store_path, char *err,
	    size_t errlen);

/*
 * Opens the index (creating or rebuilding it as needed) and starts the
 * indexer thread, which catches up with what is noted at once.  NULL
 * with err set on failure.
 */
struct store_fts *store_fts_start(const char *store_path, char *err,
	    size_t errlen);
/* Something was noted: catch up soon.  Any thread. */
void	 store_fts_kick(struct store_fts *);
/*
 * The last note the index has taken in (committed), or -1 while the
 * index is still being built.  Any thread.
 */
int64_t	 store_fts_done(struct store_fts *);
/*
 * Stops the thread once it has taken in what is noted (for at most a
 * few seconds: the rest waits for the next start) and closes.  NULL ok.
 */
void	 store_fts_stop(struct store_fts *);

/*
 * Brings the index of the store at store_path up to date on the
 * calling thread (tools and tests).  0, or -1 with err set.
 */
int	 store_fts_catch_up(const char *store_path, char *err,
	    size_t errlen);

#endif
