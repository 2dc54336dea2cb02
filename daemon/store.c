/*
 * store.c - the SQLite backend of store.h: schema and migrations, every
 * SQL statement of the daemon, the one-transaction commit of a poll, the
 * grouping of items into stories and the JSON views of docs/API.md.
 *
 * Owns the connection and its prepared statements.  Only static SQL with
 * bound parameters; no SQL text ever comes from a feed or a client.  Must
 * not log (callers report store_errmsg() once) and must not be used
 * across fork().  One struct store belongs to one thread; the daemon has
 * two, on one database (ingest.h): the loop's and the ingest thread's.
 * Between them, store.c keeps the in-process writer fair (store_busy)
 * and each one's clustering index current (store_cl_epoch).
 *
 * Schema (version 2):
 *
 *   feeds       one row per subscription.  title is the user's or the
 *               config's name, site_title/site_link/description what the
 *               feed says about itself.  next_poll NULL means polling
 *               stopped (a poll committed with next_poll TIME_NONE, e.g.
 *               after 410 Gone); such feeds, like paused ones, are not
 *               "active".  etag/last_modified are kept verbatim.
 *   feed_tags   (feed_id, tag) with pos keeping the order they were given.
 *   items       unique per feed by uid: the guid, else the link, else
 *               'title:' || title.  canonical_link (url_canonical) and
 *               title_key (story_title_key) are what stories match on.
 *               categories and enclosures are JSON text (not exposed by
 *               the API yet).  story_id is set for every stored item.
 *   stories     a cache of aggregates of their items (sources, times,
 *               title), refreshed whenever an item joins, changes or
 *               leaves; a story without items is deleted.
 *   fts_todo    notes for the search index, which lives in a database of
 *               its own (store_fts.h): "make the index match items
 *               lo..hi", written in the transaction that changed them,
 *               deleted once the indexer has taken them in.
 *   batch       items.batch / feeds.last_batch: the ingest sequence
 *               number of the poll commit that first stored an item
 *               (NULL for items from before version 2).
 *
 * Times are Unix seconds; NULL where feed.h says TIME_NONE.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "feed.h"
#include "feedjson.h"
#include "html.h"
#include "store.h"
#include "store_db.h"
#include "store_fts.h"
#include "checkpoint.h"
#include "cluster.h"
#include "story.h"
#include "url.h"
#include "util.h"

#define STORE_ERR_LEN		256
/*
 * How long one statement waits for another process's lock.  Short: it
 * blocks the event loop, and the scheduler retries a locked commit from
 * a timer (sched.c) instead of waiting here.
 */
#define STORE_BUSY_TIMEOUT_MS	1000
/* A writer kept waiting retries this often, */
#define STORE_BUSY_NAP_NS	(1000L * 1000)
/*
 * and a yielding store (the ingest thread's, store_set_yield) that finds
 * one waiting pauses this long before its next transaction, so that the
 * waiter gets the lock between two commits rather than never.
 */
#define STORE_YIELD_NS		(3L * 1000 * 1000)
#define STORE_NS		(1000L * 1000 * 1000)
/* Per-connection limits (hostile/NOTES.md section 5). */
#define STORE_MAX_LENGTH	(16 * 1024 * 1024)	/* string, blob, row */
#define STORE_MAX_SQL_LENGTH	100000
#define STORE_MAX_VARIABLES	100
#define STORE_MAX_EXPR_DEPTH	100
/* Without a checkpoint thread: SQLite's own, in a commit past this. */
#define STORE_AUTOCHECKPOINT	1000	/* WAL pages: SQLite's default */
/* The WAL is truncated to this after a checkpoint (bytes, in SQL text). */
#define STORE_JOURNAL_LIMIT	"16777216"
/*
 * Stored text is cut to these sizes on a character boundary, so that one
 * overlong field can never make a whole feed's batch fail forever against
 * STORE_MAX_LENGTH; the sum of them stays well below it.
 */
/* guid, link, title, author, tag, validators */
#define INT64_DIGITS		20	/* "-9223372036854775808" */
#define STORE_MAX_SHORT		(64 * 1024)
#define STORE_MAX_SUMMARY	(256 * 1024)
#define STORE_MAX_CONTENT	(4 * 1024 * 1024)
#define STORE_MAX_JSON		(256 * 1024)	/* categories, enclosures */
#define STORE_UID_TITLE		"title:"

/*
 * Migration steps: element i takes user_version i to i + 1, in one
 * transaction, and ends by setting the new version itself so the SQL
 * stays static.  Append; never edit a released step.
 */
static const char *const store_migrations[] = {
	/* 1: the first release. */
	"CREATE TABLE feeds ("
	"  id            INTEGER PRIMARY KEY,"
	"  url           TEXT NOT NULL UNIQUE,"
	"  title         TEXT,"
	"  site_title    TEXT,"
	"  site_link     TEXT,"
	"  description   TEXT,"
	"  interval      INTEGER NOT NULL DEFAULT 0,"
	"  paused        INTEGER NOT NULL DEFAULT 0,"
	"  from_config   INTEGER NOT NULL DEFAULT 0,"
	"  etag          TEXT,"
	"  last_modified TEXT,"
	"  last_fetch    INTEGER,"
	"  last_success  INTEGER,"
	"  last_status   INTEGER,"
	"  last_error    TEXT,"
	"  failures      INTEGER NOT NULL DEFAULT 0,"
	"  polls         INTEGER NOT NULL DEFAULT 0,"
	"  next_poll     INTEGER,"
	"  created       INTEGER NOT NULL"
	");"
	"CREATE INDEX feeds_next_poll ON feeds(next_poll);"
	"CREATE TABLE feed_tags ("
	"  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
	"  tag     TEXT NOT NULL,"
	"  pos     INTEGER NOT NULL,"
	"  PRIMARY KEY (feed_id, tag)"
	") WITHOUT ROWID;"
	"CREATE INDEX feed_tags_tag ON feed_tags(tag, feed_id);"
	"CREATE TABLE stories ("
	"  id         INTEGER PRIMARY KEY,"
	"  title      TEXT,"
	"  first_seen INTEGER NOT NULL,"
	"  published  INTEGER NOT NULL,"
	"  updated    INTEGER NOT NULL,"
	"  sources    INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX stories_published ON stories(published, id);"
	"CREATE INDEX stories_updated ON stories(updated);"
	"CREATE TABLE items ("
	"  id             INTEGER PRIMARY KEY,"
	"  feed_id        INTEGER NOT NULL"
	"                 REFERENCES feeds(id) ON DELETE CASCADE,"
	"  uid            TEXT NOT NULL,"
	"  guid           TEXT,"
	"  link           TEXT,"
	"  canonical_link TEXT,"
	"  title          TEXT,"
	"  title_key      TEXT,"
	"  summary        TEXT,"
	"  content        TEXT,"
	"  author         TEXT,"
	"  published      INTEGER,"
	"  updated        INTEGER,"
	"  first_seen     INTEGER NOT NULL,"
	"  read           INTEGER NOT NULL DEFAULT 0,"
	"  starred        INTEGER NOT NULL DEFAULT 0,"
	"  story_id       INTEGER REFERENCES stories(id),"
	"  categories     TEXT,"
	"  enclosures     TEXT,"
	"  UNIQUE (feed_id, uid)"
	");"
	"CREATE INDEX items_canonical_link ON items(canonical_link);"
	"CREATE INDEX items_title_key ON items(title_key, published);"
	"CREATE INDEX items_story ON items(story_id);"
	"CREATE INDEX items_first_seen ON items(first_seen);"
	"CREATE INDEX items_time ON items(coalesce(published, first_seen), id);"
	"CREATE INDEX items_unread ON items(story_id) WHERE read = 0;"
	"PRAGMA user_version = 1;",
	/*
	 * 2: full-text search over item titles and summaries.  The index
	 * keeps its own copy of the text and is written in the store's own
	 * transactions (fts_flush): with trusted_schema OFF, SQLite refuses a
	 * virtual table inside a trigger.
	 */
	"CREATE VIRTUAL TABLE items_fts USING fts5(title, summary,"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"INSERT INTO items_fts (rowid, title, summary)"
	"  SELECT id, title, html_text(summary) FROM items;"
	"PRAGMA user_version = 2;",
	/* 3: where each named digest stopped (`tidings digest --since last`). */
	"CREATE TABLE bookmarks ("
	"  name  TEXT PRIMARY KEY,"
	"  until INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"PRAGMA user_version = 3;",
	/*
	 * 4: the ingest sequence.  items.batch is the number of the poll
	 * commit that first stored the item, feeds.last_batch the latest
	 * such number of the feed; both are written in that commit, so a
	 * crash test can prove every reported commit whole and alone.
	 */
	"ALTER TABLE items ADD COLUMN batch INTEGER;"
	"ALTER TABLE feeds ADD COLUMN last_batch INTEGER;"
	"PRAGMA user_version = 4;",
	/* 5: why clustering joined an item to its story (`show --why`). */
	"ALTER TABLE items ADD COLUMN cluster_score REAL;"
	"ALTER TABLE items ADD COLUMN cluster_terms TEXT;"
	/* A feed with cluster = 0 keeps every item a story of its own. */
	"ALTER TABLE feeds ADD COLUMN cluster INTEGER NOT NULL DEFAULT 1;"
	/* Stories recluster emptied into another: old ids keep working. */
	"CREATE TABLE story_merges ("
	"  old_id INTEGER PRIMARY KEY,"
	"  new_id INTEGER NOT NULL"
	");"
	"PRAGMA user_version = 5;",
	/*
	 * 6: polite polling (store_poll.c): the interval the last poll
	 * settled on, the publisher's skipHours/skipDays, and a permanent
	 * redirect being watched before it is learned.
	 */
	"ALTER TABLE feeds ADD COLUMN poll_every INTEGER;"
	"ALTER TABLE feeds ADD COLUMN feed_ttl INTEGER;"
	"ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN moved_url TEXT;"
	"ALTER TABLE feeds ADD COLUMN moved_since INTEGER;"
	"PRAGMA user_version = 6;",
	/*
	 * 7: the counts `tidings status` shows, kept by triggers: count(*)
	 * walks a whole index, 80 ms at 400,000 items, on the loop that
	 * also serves every other client.  Triggers, not store code, so
	 * that no path that adds, deletes or marks items can forget them
	 * (cascades from a deleted feed included).
	 */
	"CREATE TABLE counts ("
	"  id      INTEGER PRIMARY KEY CHECK (id = 1),"
	"  items   INTEGER NOT NULL,"
	"  unread  INTEGER NOT NULL,"
	"  stories INTEGER NOT NULL"
	");"
	"INSERT INTO counts SELECT 1, (SELECT count(*) FROM items),"
	"  (SELECT count(*) FROM items WHERE read = 0),"
	"  (SELECT count(*) FROM stories);"
	"CREATE TRIGGER counts_item_add AFTER INSERT ON items BEGIN"
	"  UPDATE counts SET items = items + 1, unread = unread + (NEW.read = 0);"
	"END;"
	"CREATE TRIGGER counts_item_del AFTER DELETE ON items BEGIN"
	"  UPDATE counts SET items = items - 1, unread = unread - (OLD.read = 0);"
	"END;"
	"CREATE TRIGGER counts_item_read AFTER UPDATE OF read ON items"
	"  WHEN (OLD.read = 0) <> (NEW.read = 0) BEGIN"
	"  UPDATE counts SET unread = unread + (NEW.read = 0) - (OLD.read = 0);"
	"END;"
	"CREATE TRIGGER counts_story_add AFTER INSERT ON stories BEGIN"
	"  UPDATE counts SET stories = stories + 1;"
	"END;"
	"CREATE TRIGGER counts_story_del AFTER DELETE ON stories BEGIN"
	"  UPDATE counts SET stories = stories - 1;"
	"END;"
	"PRAGMA user_version = 7;",
	/*
	 * 8: a story's aggregates from its index alone.  Refreshing a
	 * story after a join read every item row of it, one random page
	 * each: at 10,000 feeds stories of a thousand items made that most
	 * of the ingest's disk reads.  With the columns the refresh needs
	 * in the index (title only for the winner), a join reads a run of
	 * index entries.  Replaces items_story, of which it is a prefix.
	 */
	"DROP INDEX items_story;"
	"CREATE INDEX items_story ON items(story_id, title_key, feed_id,"
	"  first_seen, published, cluster_score);"
	/* The next ingest sequence number without a scan of every feed. */
	"CREATE INDEX feeds_last_batch ON feeds(last_batch);"
	/*
	 * Every poll adds a segment to the full-text index; FTS5 merges
	 * them four at a time by default.  Eight at a time rewrites each
	 * entry on fewer levels: 4% less CPU for a 10,000-feed first
	 * poll, at the cost of up to twice the segments a search reads.
	 */
	"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);"
	"PRAGMA user_version = 8;",
	/*
	 * 9: the full-text index moves to a database of its own, kept by a
	 * thread of its own (store_fts.h), and is built anew there from the
	 * items.  A commit notes here which items changed.
	 */
	"DROP TABLE items_fts;"
	"CREATE TABLE fts_todo ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  lo  INTEGER NOT NULL,"
	"  hi  INTEGER NOT NULL"
	");"
	"PRAGMA user_version = 9;",
	/*
	 * 10: the item whose title is the story's, so that an item joining
	 * a story updates its aggregates without reading all of its items
	 * (story_joined); NULL until the story's next full refresh.
	 */
	"ALTER TABLE stories ADD COLUMN title_item INTEGER;"
	"PRAGMA user_version = 10;",
};
#define STORE_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/* The prepared statements, made once at open; see store_sql[]. */
enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FEED_EXISTS,
	ST_ITEM_FIND,
	ST_ITEM_UPDATE,
	ST_ITEM_INSERT,
	ST_STORY_BY_LINK,
	ST_STORY_BY_TITLE,
	ST_STORY_NEW,
	ST_STORY_REFRESH,
	ST_STORY_TITLE_ITEM,
	ST_STORY_KEY_BEST,
	ST_STORY_FEED_IN,
	ST_STORY_JOIN,
	ST_STORY_IDS,
	ST_STORY_DELETE_EMPTY,
	ST_FEED_COMMIT,
	ST_FEEDS_DUE,
	ST_NEXT_POLL,
	ST_FEED_SCHEDULE,
	ST_FEED_IDS,
	ST_FEED_GET,
	ST_FEED_BY_URL,
	ST_FEED_INSERT,
	ST_FEED_CONF_UPDATE,
	ST_CONF_FEEDS,
	ST_TAGS_CLEAR,
	ST_TAG_INSERT,
	ST_FEED_STORIES,
	ST_FEED_DELETE,
	ST_STATUS,
	ST_FEEDS_JSON,
	ST_FEED_TAGS,
	ST_STORIES,
	ST_STORY_ONE,
	ST_STORY_ITEMS,
	ST_ITEMS,
	ST_FTS_NOTE,
	ST_FTS_NOTE_FEED,
	ST_FTS_PRUNE,
	ST_FTS_PENDING,
	ST_STORY_MARK,
	ST_MARK_ALL,
	ST_FEED_EDIT,
	ST_FEED_PAUSE,
	ST_FEED_FROM_CONFIG,
	ST_BATCH_NEXT,
	ST_BATCH_ITEMS,
	ST_BATCH_FEED,
	ST_ITEM_CLUSTER,
	ST_CLUSTER_LOAD,
	ST_FEED_SET_CLUSTER,
	ST_FEED_CLUSTER,
	ST_RECLUSTER_ITEMS,
	ST_ITEM_SET_STORY,
	ST_MERGE_NOTE,
	ST_MERGE_FIND,
	ST_STORY_EXISTS,
	ST_ITEM_KEEP_READ,
	ST_STORY_MOVE,
	ST_MERGE_REPOINT,
	ST_COUNT
};

/* The columns of an Item, shared by ST_STORY_ITEMS and ST_ITEMS. */
#define ITEM_FIELDS \
	"i.id, i.feed_id, coalesce(f.title, f.site_title), i.story_id," \
	" i.title, i.link, i.guid, i.published, i.updated, i.first_seen," \
	" i.author, i.summary, i.read, i.starred, i.cluster_score," \
	" i.cluster_terms"
#define ITEM_NFIELDS	16
#define ITEM_COLUMNS \
	"SELECT " ITEM_FIELDS " FROM items i JOIN feeds f ON f.id = i.feed_id"

/*
 * The filters of an item listing: ?1 since, ?2 until, ?3 tag, ?4 unread,
 * ?5 feed, ?7 starred, ?8 min sources; NULL or 0: off.
 */
#define ITEM_FILTERS \
	" (?1 IS NULL OR i.first_seen >= ?1)" \
	" AND (?2 IS NULL OR i.first_seen <= ?2)" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM feed_tags t" \
	"  WHERE t.feed_id = i.feed_id AND t.tag = ?3))" \
	" AND (?4 = 0 OR i.read = 0)" \
	" AND (?5 IS NULL OR i.feed_id = ?5)" \
	" AND (?7 = 0 OR i.starred = 1)" \
	" AND (?8 <= 1 OR (SELECT sources FROM stories" \
	"  WHERE id = i.story_id) >= ?8)"

/* Search hits: matched words between these (STX, ETX) in "snippet". */
#define SEARCH_MARK_ON		"char(2)"
#define SEARCH_MARK_OFF		"char(3)"
#define SEARCH_SNIPPET_TOKENS	"24"
/* bm25 weights of the indexed columns: a word in a title counts more. */
#define SEARCH_WEIGHTS		"4.0, 1.0"

/* The columns of a Story row, shared by ST_STORIES and ST_STORY_ONE. */
#define STORY_COLUMNS \
	"SELECT s.id, s.title, s.first_seen, s.published, s.updated," \
	" s.sources FROM stories s"

static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FEED_EXISTS] = "SELECT 1 FROM feeds WHERE id = ?1",
	[ST_ITEM_FIND] = "SELECT id, story_id FROM items"
	    " WHERE feed_id = ?1 AND uid = ?2",
	/* Writes only when a field the reader sees changed. */
	[ST_ITEM_UPDATE] = "UPDATE items SET title = ?2, link = ?3,"
	    " summary = ?4, content = ?5, published = ?6, updated = ?7,"
	    " canonical_link = ?8, title_key = ?9, author = ?10,"
	    " categories = ?11, enclosures = ?12"
	    " WHERE id = ?1 AND (title IS NOT ?2 OR link IS NOT ?3"
	    " OR summary IS NOT ?4 OR content IS NOT ?5"
	    " OR published IS NOT ?6 OR updated IS NOT ?7)",
	[ST_ITEM_INSERT] = "INSERT INTO items (feed_id, uid, guid, link,"
	    " canonical_link, title, title_key, summary, content, author,"
	    " published, updated, first_seen, story_id, categories,"
	    " enclosures, cluster_score, cluster_terms) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18)",
	[ST_STORY_BY_LINK] = "SELECT story_id FROM items"
	    " WHERE canonical_link = ?1 AND story_id IS NOT NULL"
	    " ORDER BY id LIMIT 1",
	/* ?2..?3 the window around the item's time ?4; nearest wins. */
	[ST_STORY_BY_TITLE] = "SELECT story_id FROM items"
	    " WHERE title_key = ?1 AND story_id IS NOT NULL"
	    " AND coalesce(published, first_seen) BETWEEN ?2 AND ?3"
	    " ORDER BY abs(coalesce(published, first_seen) - ?4), id LIMIT 1",
	/*
	 * A new id is above every story's and every merged-away id: rowids
	 * of deleted rows come back, and an old id must keep answering as
	 * the story it went into (story_merges), not as a stranger.  ?2
	 * title, ?3 published, ?4 sources: its first item's, or NULL, ?1
	 * and 0 when it is refreshed next (recluster).
	 */
	[ST_STORY_NEW] = "INSERT INTO stories (id, title, first_seen,"
	    " published, updated, sources) VALUES (max("
	    "  coalesce((SELECT max(id) FROM stories), 0),"
	    "  coalesce((SELECT max(old_id) FROM story_merges), 0)) + 1,"
	    " ?2, ?1, coalesce(?3, ?1), ?1, coalesce(?4, 0))",
	/*
	 * The best title: the headline most outlets used (same title key),
	 * then the one clustering found most central (highest join score),
	 * then the earliest.  Counted by a window over the story's items in
	 * one pass: a count subquery per item was quadratic in the story's
	 * size, and a story of 900 items made every join to it cost
	 * seconds on the loop.  Everything but the winner's title comes
	 * from the items_story index (schema step 8); an item with a
	 * title key always has a title and beats every item without one,
	 * so only a story with no key at all needs the second query.
	 */
	[ST_STORY_REFRESH] = "UPDATE stories SET"
	    " sources = (SELECT count(DISTINCT feed_id) FROM items"
	    "  WHERE story_id = ?1),"
	    " first_seen = (SELECT min(first_seen) FROM items"
	    "  WHERE story_id = ?1),"
	    " published = (SELECT min(coalesce(published, first_seen))"
	    "  FROM items WHERE story_id = ?1),"
	    " updated = (SELECT max(first_seen) FROM items"
	    "  WHERE story_id = ?1),"
	    " (title_item, title) = (SELECT id, title FROM items"
	    "  WHERE id = coalesce((SELECT id FROM (SELECT id, cluster_score,"
	    "    published, first_seen,"
	    "    count(*) OVER (PARTITION BY title_key) AS same"
	    "    FROM items WHERE story_id = ?1 AND title_key IS NOT NULL)"
	    "   ORDER BY same DESC, coalesce(cluster_score, 0) DESC,"
	    "   coalesce(published, first_seen), id LIMIT 1),"
	    "  (SELECT id FROM items WHERE story_id = ?1"
	    "   ORDER BY title IS NULL, coalesce(cluster_score, 0) DESC,"
	    "   coalesce(published, first_seen), id LIMIT 1)))"
	    " WHERE id = ?1 AND EXISTS (SELECT 1 FROM items"
	    "  WHERE story_id = ?1)",
	/*
	 * story_joined: the story's title item with its rank (its title
	 * key's count in the story, score, time, id), provided it has a key
	 * and is still the story's.
	 */
	[ST_STORY_TITLE_ITEM] = "SELECT w.title_key,"
	    " (SELECT count(*) FROM items WHERE story_id = ?1"
	    "  AND title_key = w.title_key),"
	    " coalesce(w.cluster_score, 0), coalesce(w.published, w.first_seen),"
	    " w.id FROM stories s JOIN items w ON w.id = s.title_item"
	    " AND w.story_id = s.id AND w.title_key IS NOT NULL"
	    " WHERE s.id = ?1",
	/* The best item with title key ?2 in story ?1, ranked the same way. */
	[ST_STORY_KEY_BEST] = "SELECT (SELECT count(*) FROM items"
	    " WHERE story_id = ?1 AND title_key = ?2),"
	    " coalesce(cluster_score, 0), coalesce(published, first_seen), id"
	    " FROM items WHERE story_id = ?1 AND title_key = ?2"
	    " ORDER BY coalesce(cluster_score, 0) DESC,"
	    " coalesce(published, first_seen), id LIMIT 1",
	/* Whether feed ?2 told story ?1 before item ?3. */
	[ST_STORY_FEED_IN] = "SELECT EXISTS (SELECT 1 FROM items"
	    " WHERE story_id = ?1 AND feed_id = ?2 AND id != ?3)",
	/* ?2 one more source or not, ?3 first seen, ?4 time, ?5 title item. */
	[ST_STORY_JOIN] = "UPDATE stories SET sources = sources + ?2,"
	    " first_seen = min(first_seen, ?3), published = min(published, ?4),"
	    " updated = max(updated, ?3), title_item = ?5,"
	    " title = (SELECT title FROM items WHERE id = ?5) WHERE id = ?1",
	[ST_STORY_IDS] = "SELECT id FROM stories",
	[ST_STORY_DELETE_EMPTY] = "DELETE FROM stories WHERE id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM items WHERE story_id = ?1)",
	/*
	 * ?12 success (no error): clears the error and failures and counts
	 * as a success (a 304 too); ?9 new validators replace the old ones.
	 */
	[ST_FEED_COMMIT] = "UPDATE feeds SET last_fetch = ?2,"
	    " last_status = ?3, last_error = ?4,"
	    " failures = CASE WHEN ?12 THEN 0 ELSE failures + 1 END,"
	    " last_success = CASE WHEN ?12 THEN ?2 ELSE last_success END,"
	    " polls = polls + 1, next_poll = ?5,"
	    " site_title = coalesce(?6, site_title),"
	    " site_link = coalesce(?7, site_link),"
	    " description = coalesce(?8, description),"
	    " etag = CASE WHEN ?9 THEN ?10 ELSE etag END,"
	    " last_modified = CASE WHEN ?9 THEN ?11 ELSE last_modified END"
	    " WHERE id = ?1",
	[ST_FEEDS_DUE] = "SELECT id, url, coalesce(title, site_title), etag,"
	    " last_modified, interval, next_poll, polls, paused FROM feeds"
	    " WHERE paused = 0 AND next_poll IS NOT NULL AND next_poll <= ?1"
	    " ORDER BY next_poll, id LIMIT ?2",
	[ST_NEXT_POLL] = "SELECT min(next_poll) FROM feeds"
	    " WHERE paused = 0 AND next_poll IS NOT NULL",
	[ST_FEED_SCHEDULE] = "UPDATE feeds SET next_poll = ?2 WHERE id = ?1",
	[ST_FEED_IDS] = "SELECT id FROM feeds"
	    " WHERE paused = 0 AND next_poll IS NOT NULL ORDER BY id",
	[ST_FEED_GET] = "SELECT id, url, coalesce(title, site_title), etag,"
	    " last_modified, interval, next_poll, polls, paused FROM feeds"
	    " WHERE id = ?1",
	[ST_FEED_BY_URL] = "SELECT id FROM feeds WHERE url = ?1",
	[ST_FEED_INSERT] = "INSERT INTO feeds (url, title, interval,"
	    " from_config, next_poll, created) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[ST_FEED_CONF_UPDATE] = "UPDATE feeds SET from_config = 1,"
	    " title = ?2, interval = ?3 WHERE id = ?1",
	[ST_CONF_FEEDS] = "SELECT id, url FROM feeds WHERE from_config = 1",
	[ST_TAGS_CLEAR] = "DELETE FROM feed_tags WHERE feed_id = ?1",
	[ST_TAG_INSERT] = "INSERT OR IGNORE INTO feed_tags (feed_id, tag, pos)"
	    " VALUES (?1, ?2, ?3)",
	[ST_FEED_STORIES] = "SELECT DISTINCT story_id FROM items"
	    " WHERE feed_id = ?1 AND story_id IS NOT NULL",
	[ST_FEED_DELETE] = "DELETE FROM feeds WHERE id = ?1",
	[ST_STATUS] = "SELECT (SELECT count(*) FROM feeds), items, stories,"
	    " unread FROM counts",
	/* ?1 NULL: every feed. */
	[ST_FEEDS_JSON] = "SELECT f.id, f.url, coalesce(f.title, f.site_title),"
	    " f.site_title, f.site_link, f.interval, f.paused, f.from_config,"
	    " (SELECT count(*) FROM items i WHERE i.feed_id = f.id),"
	    " f.last_fetch, f.last_success, f.last_status, f.last_error,"
	    " f.failures, f.next_poll, f.polls, f.etag, f.last_modified"
	    " FROM feeds f WHERE ?1 IS NULL OR f.id = ?1 ORDER BY f.id",
	[ST_FEED_TAGS] = "SELECT tag FROM feed_tags WHERE feed_id = ?1"
	    " ORDER BY pos",
	/*
	 * ?1 since, ?2 until, ?3 tag, ?4 unread, ?5 feed, ?7 starred,
	 * ?8 min sources; NULL or 0: off.
	 */
	[ST_STORIES] = STORY_COLUMNS
	    " WHERE (?1 IS NULL OR s.updated >= ?1)"
	    " AND (?2 IS NULL OR s.updated <= ?2)"
	    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM items i"
	    "  JOIN feed_tags t ON t.feed_id = i.feed_id"
	    "  WHERE i.story_id = s.id AND t.tag = ?3))"
	    " AND (?4 = 0 OR EXISTS (SELECT 1 FROM items i"
	    "  WHERE i.story_id = s.id AND i.read = 0))"
	    " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM items i"
	    "  WHERE i.story_id = s.id AND i.feed_id = ?5))"
	    " AND (?7 = 0 OR EXISTS (SELECT 1 FROM items i"
	    "  WHERE i.story_id = s.id AND i.starred = 1))"
	    " AND (?8 <= 1 OR s.sources >= ?8)"
	    " ORDER BY s.published DESC, s.id DESC LIMIT ?6",
	[ST_STORY_ONE] = STORY_COLUMNS " WHERE s.id = ?1",
	/* ?1 a JSON array of story ids: one query for a whole listing. */
	[ST_STORY_ITEMS] = ITEM_COLUMNS
	    " WHERE i.story_id IN (SELECT value FROM json_each(?1))"
	    " ORDER BY i.story_id, coalesce(i.published, i.first_seen), i.id",
	[ST_ITEMS] = ITEM_COLUMNS " WHERE" ITEM_FILTERS
	    " ORDER BY coalesce(i.published, i.first_seen) DESC, i.id DESC"
	    " LIMIT ?6",
	/* The search index (store_fts.h) is to match items lo..hi. */
	[ST_FTS_NOTE] = "INSERT INTO fts_todo (lo, hi) VALUES (?1, ?2)",
	[ST_FTS_NOTE_FEED] = "INSERT INTO fts_todo (lo, hi)"
	    " SELECT id, id FROM items WHERE feed_id = ?1",
	[ST_FTS_PRUNE] = "DELETE FROM fts_todo WHERE seq <= ?1",
	[ST_FTS_PENDING] = "SELECT count(*) FROM fts_todo WHERE seq > ?1",
	/* ?2 the column (read or starred), ?3 its new value. */
	[ST_STORY_MARK] = "UPDATE items SET"
	    " read = CASE WHEN ?2 = 'read' THEN ?3 ELSE read END,"
	    " starred = CASE WHEN ?2 = 'starred' THEN ?3 ELSE starred END"
	    " WHERE story_id = ?1",
	/* ?1 before (first seen; NULL: all), ?2 feed (NULL: all). */
	[ST_MARK_ALL] = "UPDATE items SET read = 1 WHERE read = 0"
	    " AND (?1 IS NULL OR first_seen < ?1)"
	    " AND (?2 IS NULL OR feed_id = ?2)",
	/*
	 * ?2..?5 set the title, interval and URL when ?6..?8 say so; a new
	 * URL is a new feed to the server: validators go, it is due at ?9.
	 */
	[ST_FEED_EDIT] = "UPDATE feeds SET"
	    " title = CASE WHEN ?6 THEN ?2 ELSE title END,"
	    " interval = CASE WHEN ?7 THEN ?3 ELSE interval END,"
	    " etag = CASE WHEN ?8 AND url IS NOT ?4 THEN NULL ELSE etag END,"
	    " last_modified = CASE WHEN ?8 AND url IS NOT ?4 THEN NULL"
	    "  ELSE last_modified END,"
	    " next_poll = CASE WHEN ?8 AND url IS NOT ?4 THEN ?9"
	    "  ELSE next_poll END,"
	    " url = CASE WHEN ?8 THEN ?4 ELSE url END"
	    " WHERE id = ?1",
	[ST_FEED_FROM_CONFIG] = "SELECT from_config FROM feeds WHERE id = ?1",
	/* A feed resumed is due at once (?3): it may have missed polls. */
	[ST_FEED_PAUSE] = "UPDATE feeds SET paused = ?2,"
	    " next_poll = CASE WHEN ?2 = 0 AND paused = 1 THEN ?3"
	    "  ELSE next_poll END WHERE id = ?1",
	/* The ingest sequence (migration 4): one number per commit that adds. */
	[ST_BATCH_NEXT] = "SELECT coalesce(max(last_batch), 0) + 1 FROM feeds",
	/* New rows of this commit are the feed's rows with no batch yet. */
	[ST_BATCH_ITEMS] = "UPDATE items SET batch = ?2"
	    " WHERE feed_id = ?1 AND batch IS NULL",
	[ST_BATCH_FEED] = "UPDATE feeds SET last_batch = ?2 WHERE id = ?1",
	[ST_ITEM_CLUSTER] = "UPDATE items SET cluster_score = ?2,"
	    " cluster_terms = ?3 WHERE id = ?1",
	/*
	 * The recent window before ?2, oldest first, to rebuild the
	 * clustering index: ?1 seconds back from the newest item (not from
	 * the clock: a store fed old items must still find their stories).
	 */
	[ST_CLUSTER_LOAD] = "SELECT i.story_id, i.title, html_text(i.summary),"
	    " coalesce(i.published, i.first_seen) FROM items i"
	    " WHERE i.id IN (SELECT j.id FROM items j"
	    "  JOIN feeds f ON f.id = j.feed_id"
	    "  WHERE j.story_id IS NOT NULL AND f.cluster = 1"
	    "  AND coalesce(j.published, j.first_seen) >="
	    "   (SELECT max(coalesce(published, first_seen)) FROM items"
	    "    WHERE coalesce(published, first_seen) < ?2) - ?1"
	    "  AND coalesce(j.published, j.first_seen) < ?2"
	    "  ORDER BY coalesce(j.published, j.first_seen) DESC, j.id DESC"
	    "  LIMIT ?3)"
	    " ORDER BY coalesce(i.published, i.first_seen), i.id",
	[ST_FEED_SET_CLUSTER] = "UPDATE feeds SET cluster = ?2 WHERE id = ?1",
	[ST_FEED_CLUSTER] = "SELECT cluster FROM feeds WHERE id = ?1",
	[ST_RECLUSTER_ITEMS] = "SELECT i.id, i.story_id, i.title,"
	    " html_text(i.summary),"
	    " coalesce(i.published, i.first_seen), i.published IS NOT NULL,"
	    " f.cluster FROM items i JOIN feeds f ON f.id = i.feed_id"
	    " WHERE i.story_id IS NOT NULL"
	    " AND coalesce(i.published, i.first_seen) >= ?1"
	    " ORDER BY coalesce(i.published, i.first_seen), i.id",
	[ST_ITEM_SET_STORY] = "UPDATE items SET story_id = ?2,"
	    " cluster_score = NULL, cluster_terms = NULL WHERE id = ?1",
	[ST_MERGE_NOTE] = "INSERT OR REPLACE INTO story_merges (old_id, new_id)"
	    " VALUES (?1, ?2)",
	[ST_MERGE_FIND] = "SELECT new_id FROM story_merges WHERE old_id = ?1",
	[ST_STORY_EXISTS] = "SELECT 1 FROM stories WHERE id = ?1",
	/* New item ?1 in story ?2: read when every other item there is. */
	[ST_ITEM_KEEP_READ] = "UPDATE items SET read = 1 WHERE id = ?1"
	    " AND EXISTS (SELECT 1 FROM items WHERE story_id = ?2 AND id != ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM items WHERE story_id = ?2"
	    "  AND id != ?1 AND read = 0)",
	/* A merge: story ?1's items go to ?2 with their read/star state. */
	[ST_STORY_MOVE] = "UPDATE items SET story_id = ?2 WHERE story_id = ?1",
	/* Ids merged into ?1 now answer as ?2 directly (no chains). */
	[ST_MERGE_REPOINT] = "UPDATE story_merges SET new_id = ?2"
	    " WHERE new_id = ?1",
};

/*
 * ?9 an FTS5 query; best match first, then newest.  Runs on a connection
 * to the search index (store_fts.h), where the store is attached: the
 * tables other than items_fts are the store's.
 */
static const char SEARCH_SQL[] = "SELECT " ITEM_FIELDS ","
    " snippet(items_fts, -1, " SEARCH_MARK_ON ", " SEARCH_MARK_OFF ","
    " '\u2026', " SEARCH_SNIPPET_TOKENS "),"
    " bm25(items_fts, " SEARCH_WEIGHTS ")"
    " FROM items_fts JOIN items i ON i.id = items_fts.rowid"
    " JOIN feeds f ON f.id = i.feed_id"
    " WHERE items_fts MATCH ?9 AND" ITEM_FILTERS
    " ORDER BY bm25(items_fts, " SEARCH_WEIGHTS "),"
    " coalesce(i.published, i.first_seen) DESC, i.id DESC LIMIT ?6";

/* A growable list of ids. */
struct idlist {
	int64_t	*v;
	size_t	 n, cap;
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT];
	char		 err[STORE_ERR_LEN];
	int		 code;		/* SQLite's primary code of that error */
	/* Clustering: the index of the recent window, built on first use. */
	struct cluster_params cparams;
	int		 cenabled;
	int		 creopen;
	struct cluster	*cl;
	int64_t		 cl_built;	/* time_now() when cl was built */
	unsigned	 cl_epoch;	/* store_cl_epoch when cl was built */
	int		 yield;		/* gives way to a waiting writer */
	struct timespec	 busy_since;	/* this wait for a lock began */
	int		 unsynced;	/* poll results not yet on disk */
	/* Whether the feed of the commit under way clusters (0: not known). */
	int64_t		 cl_feed;
	int		 cl_feed_on;
	/* New items of the commit under way, noted at its end (0: none). */
	int64_t		 fts_lo, fts_hi;
	int		 fts_noted;	/* this transaction made notes */
	struct store_fts *fts;		/* the indexer to kick, or NULL */
	struct checkpointer *ckpt;	/* copies the WAL, or NULL */
	int		 ckpt_may_block;
	int64_t		 fts_pruned;	/* notes up to here are deleted */
	char		*path;
	/* Searches: a connection to the index, opened on first use. */
	sqlite3		*sdb;
	sqlite3_stmt	*search;
};

/*
 * Bumped by a change that makes every clustering index of the process
 * stale (a feed deleted, a recluster), inside that change's transaction,
 * so another store's next transaction rebuilds its index.
 */
static atomic_uint store_cl_epoch;
/* A non-yielding store is waiting for the write lock. */
static atomic_int store_writer_waiting;

/* Errors */

static void
store_seterr(struct store *s, const char *fmt, ...)
{
	va_list ap;

	s->code = 0;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* Records SQLite's own words for the error that just happened. */
static void
store_dberr(struct store *s)
{
	store_seterr(s, "%s", sqlite3_errmsg(s->db));
	s->code = sqlite3_errcode(s->db) & 0xff;
}

int
store_err_busy(struct store *s)
{
	return s != NULL && (s->code == SQLITE_BUSY ||
	    s->code == SQLITE_LOCKED);
}

const char *
store_errmsg(struct store *s)
{
	if (s == NULL)
		return "no database";
	return s->err[0] != '\0' ? s->err : "no error";
}

/* Statements */

/* Every use of a statement ends here, on every path. */
static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * sqlite3_step, recording the message of anything but a row or the end
 * (from the statement's own connection: searches run on the index's).
 */
static int
stmt_step(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3 *db = sqlite3_db_handle(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_seterr(s, "%s", sqlite3_errmsg(db));
		s->code = sqlite3_errcode(db) & 0xff;
	}
	return rc;
}

/* Runs a statement that returns no rows; STORE_OK or STORE_ERR. */
static int
stmt_exec(struct store *s, sqlite3_stmt *st)
{
	int rc = stmt_step(s, st);

	stmt_done(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK : STORE_ERR;
}

/*
 * Runs an UPDATE of the one row of `what` with this id: STORE_NOTFOUND
 * (with a message) when there is no such row.
 */
static int
stmt_exec_one(struct store *s, sqlite3_stmt *st, const char *what,
    int64_t id)
{
	if (stmt_exec(s, st) != STORE_OK)
		return STORE_ERR;
	if (sqlite3_changes(s->db) == 0) {
		store_seterr(s, "no %s with id %" PRId64, what, id);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

/* Length of s cut to at most max bytes on a UTF-8 character boundary. */
static size_t
text_len(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return len;
}

/* Binds text (NULL binds NULL), cut to max bytes; s must outlive the step. */
static int
bind_text(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, (int)text_len(s, max),
	    SQLITE_STATIC);
}

/* NULL for an empty string: an empty name is no name. */
static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Binds a time; TIME_NONE binds NULL. */
static int
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == TIME_NONE)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, t);
}

static int64_t
col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return TIME_NONE;
	return sqlite3_column_int64(st, i);
}

/* A copy of a text column (NULL for NULL); *oom set when malloc failed. */
static char *
col_strdup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *d;

	if (t == NULL)
		return NULL;
	if ((d = strdup((const char *)t)) == NULL)
		*oom = 1;
	return d;
}

static int
idlist_add(struct idlist *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		int64_t *n;

		if (ncap > SIZE_MAX / sizeof(*n) ||
		    (n = realloc(l->v, ncap * sizeof(*n))) == NULL)
			return -1;
		l->v = n;
		l->cap = ncap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* Transactions */

static int
tx_begin(struct store *s)
{
	struct timespec nap = { 0, STORE_YIELD_NS };

	if (s->yield && atomic_exchange(&store_writer_waiting, 0))
		nanosleep(&nap, NULL);
	return stmt_exec(s, s->st[ST_BEGIN]);
}

/* Makes every other store's clustering index stale; inside the tx. */
static void
cl_invalidate(void)
{
	atomic_fetch_add(&store_cl_epoch, 1);
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / STORE_NS;
}

/*
 * SQLite's busy handler: waits up to STORE_BUSY_TIMEOUT_MS for a lock,
 * and tells a yielding store in this process that someone waits (its
 * back-to-back commits would otherwise win every race for the lock).
 */
static int
store_busy(void *arg, int count)
{
	struct store *s = arg;
	struct timespec nap = { 0, STORE_BUSY_NAP_NS };

	if (count == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->busy_since);
	else if (since(&s->busy_since) * 1000 >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	if (!s->yield)
		atomic_store(&store_writer_waiting, 1);
	nanosleep(&nap, NULL);
	return 1;
}

void
store_set_yield(struct store *s, int on)
{
	s->yield = on;
}

int
store_set_cache(struct store *s, int kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", -kib);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_dberr(s);
		return STORE_ERR;
	}
	return STORE_OK;
}

static int
tx_commit(struct store *s)
{
	if (stmt_exec(s, s->st[ST_COMMIT]) != STORE_OK)
		return STORE_ERR;
	if (s->fts_noted && s->fts != NULL)
		store_fts_kick(s->fts);
	s->fts_noted = 0;
	return STORE_OK;
}

/*
 * SQLite applies PRAGMA synchronous when the statement is prepared; a
 * kept statement only re-prepares itself at its second step (so its
 * first did nothing) and fails inside a transaction.  So these are run
 * by sqlite3_exec, never inside a transaction.
 */
#define SYNC_NORMAL_SQL	"PRAGMA synchronous = NORMAL"
#define SYNC_FULL_SQL	"PRAGMA synchronous = FULL"

/*
 * Poll results are written with synchronous = NORMAL: in WAL mode the
 * commit is then safe against a crash of the daemon (kill -9 loses
 * nothing), and only a power loss can undo the last ones, which
 * store_sync() bounds to a second.  An fsync per polled feed was what
 * made an all-304 poll of 10,000 feeds take a minute.  Everything a
 * user does (feeds, read state, bookmarks) stays synchronous = FULL.
 */
static void
sync_light(struct store *s)
{
	/* On failure FULL stays: slower, never less safe. */
	if (sqlite3_exec(s->db, SYNC_NORMAL_SQL, NULL, NULL, NULL) ==
	    SQLITE_OK)
		s->unsynced = 1;
}

static void
sync_full(struct store *s)
{
	/* The caller's error, if any, is the one to report. */
	(void)sqlite3_exec(s->db, SYNC_FULL_SQL, NULL, NULL, NULL);
}

void
store_set_indexer(struct store *s, struct store_fts *fts)
{
	s->fts = fts;
}

/* After every commit of this connection (sqlite3_wal_hook). */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	/* Busy or failed: the thread or the next commit tries again. */
	if (checkpointer_note(s->ckpt, frames, s->ckpt_may_block))
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	/* The commit has happened; an error here would only mislead. */
	return SQLITE_OK;
}

void
store_set_checkpointer(struct store *s, struct checkpointer *c,
    int may_block)
{
	s->ckpt = c;
	s->ckpt_may_block = may_block;
	if (c != NULL)
		sqlite3_wal_hook(s->db, store_wal_hook, s);
	else
		sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT);
}

/*
 * Deletes the notes the search index has taken in.  A failure only
 * leaves them for the next time: it is not the caller's error.
 */
static void
fts_prune(struct store *s)
{
	char saved[STORE_ERR_LEN];
	int64_t done;

	if (s->fts == NULL || (done = store_fts_done(s->fts)) <= s->fts_pruned)
		return;
	memcpy(saved, s->err, sizeof(saved));
	sqlite3_bind_int64(s->st[ST_FTS_PRUNE], 1, done);
	if (stmt_exec(s, s->st[ST_FTS_PRUNE]) == STORE_OK)
		s->fts_pruned = done;
	memcpy(s->err, saved, sizeof(saved));
}

int
store_sync_soon(struct store *s)
{
	if (s->ckpt == NULL)
		return store_sync(s);
	fts_prune(s);
	if (s->unsynced)
		checkpointer_ask(s->ckpt);
	s->unsynced = 0;
	return STORE_OK;
}

int
store_sync(struct store *s)
{
	int rc;

	fts_prune(s);
	if (!s->unsynced)
		return STORE_OK;
	/* A checkpoint syncs the WAL before it copies it into the database. */
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	if (rc != SQLITE_OK) {
		store_seterr(s, "%s", sqlite3_errmsg(s->db));
		return STORE_ERR;
	}
	s->unsynced = 0;
	return STORE_OK;
}

/* Undoes everything since tx_begin; keeps the message of the failure. */
static void
tx_rollback(struct store *s)
{
	char saved[STORE_ERR_LEN];

	/* Some errors roll back by themselves. */
	/* The clustering index may hold what is undone: rebuild it. */
	cluster_free(s->cl);
	s->cl = NULL;
	s->fts_lo = s->fts_hi = 0;
	s->fts_noted = 0;
	if (sqlite3_get_autocommit(s->db))
		return;
	memcpy(saved, s->err, sizeof(saved));
	if (stmt_exec(s, s->st[ST_ROLLBACK]) == STORE_OK)
		memcpy(s->err, saved, sizeof(saved));
}

/* Opening */

/* First row's text of a one-shot PRAGMA (static SQL) into buf. */
static int
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (t = sqlite3_column_text(st, 0)) != NULL)
		str_copy(buf, (const char *)t, len);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* PRAGMA quick_check: 0 when the file is sound. */
static int
store_check(sqlite3 *db, char *err, size_t errlen)
{
	char verdict[16];

	if (pragma_text(db, "PRAGMA quick_check", verdict, sizeof(verdict)) ==
	    -1) {
		snprintf(err, errlen, "cannot check the database: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (strcmp(verdict, "ok") != 0) {
		snprintf(err, errlen, "the database is damaged (quick_check: "
		    "%s); it was left as it is", verdict);
		return -1;
	}
	return 0;
}

/* Connection settings before anything is read (hostile/NOTES.md 5). */
static int
store_configure(sqlite3 *db, int check, char *err, size_t errlen)
{
	static const char *const pragmas =
	    "PRAGMA trusted_schema = OFF;"
	    "PRAGMA cell_size_check = ON;"
	    "PRAGMA mmap_size = 0;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA journal_size_limit = " STORE_JOURNAL_LIMIT ";";
	char mode[16];

	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
	    NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) !=
	    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot configure the connection: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, STORE_MAX_LENGTH);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, STORE_MAX_SQL_LENGTH);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, STORE_MAX_VARIABLES);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, STORE_MAX_EXPR_DEPTH);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot set the pragmas: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (check && store_check(db, err, errlen) == -1)
		return -1;
	if (pragma_text(db, "PRAGMA journal_mode = WAL", mode,
	    sizeof(mode)) == -1 || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "cannot use WAL mode: %s",
		    mode[0] != '\0' ? mode : sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * html_text(x): the plain text of a stored HTML summary, so the search
 * index holds words, not markup.  Not in the schema (trusted_schema is
 * OFF): only the store's own statements call it.
 */
static void
sql_html_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *html = (const char *)sqlite3_value_text(argv[0]);
	char *text;

	if (html == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if ((text = html_to_text(html, (size_t)sqlite3_value_bytes(argv[0])))
	    == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, text, -1, free);
}

static int
store_functions(sqlite3 *db, char *err, size_t errlen)
{
	if (sqlite3_create_function(db, "html_text", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, sql_html_text,
	    NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot register html_text: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
store_db_setup(sqlite3 *db, int check, char *err, size_t errlen)
{
	if (store_configure(db, check, err, errlen) == -1 ||
	    store_functions(db, err, errlen) == -1)
		return -1;
	return 0;
}

/* Brings the schema to STORE_VERSION, one transaction per step. */
static int
store_migrate(sqlite3 *db, char *err, size_t errlen)
{
	char buf[32];
	long version;
	int i;

	if (pragma_text(db, "PRAGMA user_version", buf, sizeof(buf)) == -1) {
		snprintf(err, errlen, "cannot read the schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	version = strtol(buf, NULL, 10);
	if (version < 0 || version > STORE_VERSION) {
		snprintf(err, errlen, "the database has schema version %ld; "
		    "this tidingsd knows up to %d", version, STORE_VERSION);
		return -1;
	}
	for (i = (int)version; i < STORE_VERSION; i++) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
		if (sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL) !=
		    SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot migrate the schema to "
			    "version %d: %s", i + 1, sqlite3_errmsg(db));
			if (!sqlite3_get_autocommit(db))
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
 fail:
	snprintf(err, errlen, "cannot migrate the schema: %s",
	    sqlite3_errmsg(db));
	return -1;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *s;
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cparams.threshold = CLUSTER_THRESHOLD_DEFAULT;
	s->cparams.window = CLUSTER_WINDOW_DEFAULT;
	s->cenabled = 1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_handler(s->db, store_busy, s);
	if (store_db_setup(s->db, 1, err, errlen) == -1 ||
	    store_migrate(s->db, err, errlen) == -1)
		goto fail;
	if ((s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot prepare statement %d: %s",
			    i, sqlite3_errmsg(s->db));
			goto fail;
		}
	return s;
 fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	cluster_free(s->cl);
	sqlite3_finalize(s->search);
	sqlite3_close(s->sdb);
	free(s->path);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL) {
		/* Keeps the planner's statistics fresh; cheap if they are. */
		sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	free(s);
}

void
store_feed_free(struct store_feed *f)
{
	if (f == NULL)
		return;
	free(f->url);
	free(f->title);
	free(f->etag);
	free(f->last_modified);
	memset(f, 0, sizeof(*f));
}

/* Feeds */

/* A copy of url without surrounding white space, or NULL if not http(s). */
static char *
feed_url(const char *url)
{
	char *u;

	if (url == NULL || !url_is_http(url) || (u = strdup(url)) == NULL)
		return NULL;
	return str_trim(u);
}

/* Replaces the tags of a feed by the comma-separated list (NULL: none). */
static int
feed_set_tags(struct store *s, int64_t id, const char *tags)
{
	sqlite3_stmt *st = s->st[ST_TAG_INSERT];
	char *copy, *p, *tag;
	int pos = 0, rc = STORE_OK;

	sqlite3_bind_int64(s->st[ST_TAGS_CLEAR], 1, id);
	if (stmt_exec(s, s->st[ST_TAGS_CLEAR]) != STORE_OK)
		return STORE_ERR;
	if (tags == NULL)
		return STORE_OK;
	if ((copy = strdup(tags)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	for (p = copy; p != NULL && rc == STORE_OK; ) {
		tag = strsep(&p, ",");
		str_trim(tag);
		if (*tag == '\0')
			continue;
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, tag, STORE_MAX_SHORT);
		sqlite3_bind_int(st, 3, pos++);
		rc = stmt_exec(s, st);
	}
	free(copy);
	return rc;
}

/* Looks a feed up by URL: STORE_OK with *id, STORE_NOTFOUND, STORE_ERR. */
static int
feed_by_url(struct store *s, const char *url, int64_t *id)
{
	sqlite3_stmt *st = s->st[ST_FEED_BY_URL];
	int rc;

	bind_text(st, 1, url, STORE_MAX_LENGTH);
	rc = stmt_step(s, st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	stmt_done(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : STORE_ERR;
}

/* Inserts a feed due at once; inside a transaction. */
static int
feed_insert(struct store *s, const char *url, const char *title,
    const char *tags, int64_t interval, int from_config, int64_t now,
    int64_t *id)
{
	sqlite3_stmt *st = s->st[ST_FEED_INSERT];

	bind_text(st, 1, url, STORE_MAX_LENGTH);
	bind_text(st, 2, nonempty(title), STORE_MAX_SHORT);
	sqlite3_bind_int64(st, 3, interval);
	sqlite3_bind_int(st, 4, from_config);
	sqlite3_bind_int64(st, 5, now);
	if (stmt_exec(s, st) != STORE_OK) {
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			return STORE_EXISTS;
		return STORE_ERR;
	}
	*id = sqlite3_last_insert_rowid(s->db);
	return feed_set_tags(s, *id, tags);
}

int
store_feed_add(struct store *s, const char *url, const char *title,
    const char *tags, int64_t interval, int64_t *id_out)
{
	char *u;
	int64_t id = 0;
	int rc;

	if (interval < 0) {
		store_seterr(s, "negative poll interval");
		return STORE_INVALID;
	}
	if ((u = feed_url(url)) == NULL) {
		store_seterr(s, "not an absolute http or https URL");
		return STORE_INVALID;
	}
	if ((rc = tx_begin(s)) != STORE_OK)
		goto done;
	rc = feed_by_url(s, u, &id);
	if (rc == STORE_OK) {
		store_seterr(s, "a feed with this URL exists already");
		rc = STORE_EXISTS;
	} else if (rc == STORE_NOTFOUND)
		rc = feed_insert(s, u, title, tags, interval, 0, time_now(),
		    &id);
	if (rc == STORE_OK)
		rc = tx_commit(s);
	if (rc != STORE_OK)
		tx_rollback(s);
	else if (id_out != NULL)
		*id_out = id;
 done:
	free(u);
	return rc;
}

/* Refreshes a story's aggregates, or deletes it once it has no items. */
static int
story_tidy(struct store *s, int64_t story)
{
	sqlite3_bind_int64(s->st[ST_STORY_DELETE_EMPTY], 1, story);
	if (stmt_exec(s, s->st[ST_STORY_DELETE_EMPTY]) != STORE_OK)
		return STORE_ERR;
	if (sqlite3_changes(s->db) > 0)
		return STORE_OK;
	sqlite3_bind_int64(s->st[ST_STORY_REFRESH], 1, story);
	return stmt_exec(s, s->st[ST_STORY_REFRESH]);
}

/* A story's title item as story_joined ranks it. */
struct title_rank {
	int64_t	 count;		/* items with its title key in the story */
	double	 score;		/* its cluster_score, 0 for none */
	int64_t	 time;		/* coalesce(published, first_seen) */
	int64_t	 id;
};

/* Whether a comes before b in ST_STORY_REFRESH's choice of title. */
static int
title_rank_before(const struct title_rank *a, const struct title_rank *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	if (a->score != b->score)
		return a->score > b->score;
	if (a->time != b->time)
		return a->time < b->time;
	return a->id < b->id;
}

static void
title_rank_read(sqlite3_stmt *st, int col, struct title_rank *r)
{
	r->count = sqlite3_column_int64(st, col);
	r->score = sqlite3_column_double(st, col + 1);
	r->time = sqlite3_column_int64(st, col + 2);
	r->id = sqlite3_column_int64(st, col + 3);
}

/*
 * The title item of story after item x, with title key key, joined it:
 * the old one, or the best item of x's title key, whose count grew by
 * one (no other item's rank moved).  0 with *w unset when not known
 * without a full refresh.
 */
static int
story_title_after(struct store *s, int64_t story, const char *key,
    struct title_rank *w)
{
	sqlite3_stmt *st = s->st[ST_STORY_TITLE_ITEM];
	struct title_rank k;
	int rc, known;

	sqlite3_bind_int64(st, 1, story);
	if ((rc = stmt_step(s, st)) == SQLITE_ROW)
		title_rank_read(st, 1, w);
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	if (key == NULL)
		return 1;	/* an item without a key never takes the title */
	st = s->st[ST_STORY_KEY_BEST];
	sqlite3_bind_int64(st, 1, story);
	bind_text(st, 2, key, STORE_MAX_SHORT);
	if ((rc = stmt_step(s, st)) == SQLITE_ROW)
		title_rank_read(st, 0, &k);
	stmt_done(st);
	if ((known = rc == SQLITE_ROW) && title_rank_before(&k, w))
		*w = k;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? known : -1;
}

/*
 * Item id (of feed, title key key, first seen first_seen, time t) has
 * just joined story: its aggregates follow from the item alone and the
 * story's title item (schema step 10), a few index seeks, where a full
 * refresh reads every item of the story; stories of thousands of items
 * made refreshes most of their cost.  Gives the same row as story_tidy
 * (tests/unit/test_derive.c compares), which does the work when the
 * title item is not known.
 */
static int
story_joined(struct store *s, int64_t story, int64_t id, int64_t feed,
    const char *key, int64_t first_seen, int64_t t)
{
	sqlite3_stmt *st;
	struct title_rank w;
	int rc, seen;

	if ((rc = story_title_after(s, story, key, &w)) <= 0)
		return rc == 0 ? story_tidy(s, story) : STORE_ERR;
	st = s->st[ST_STORY_FEED_IN];
	sqlite3_bind_int64(st, 1, story);
	sqlite3_bind_int64(st, 2, feed);
	sqlite3_bind_int64(st, 3, id);
	rc = stmt_step(s, st);
	seen = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return STORE_ERR;
	st = s->st[ST_STORY_JOIN];
	sqlite3_bind_int64(st, 1, story);
	sqlite3_bind_int(st, 2, !seen);
	sqlite3_bind_int64(st, 3, first_seen);
	sqlite3_bind_int64(st, 4, t);
	sqlite3_bind_int64(st, 5, w.id);
	return stmt_exec(s, st);
}

int
store_stories_refresh(struct store *s)
{
	struct idlist ids = { NULL, 0, 0 };
	sqlite3_stmt *st = s->st[ST_STORY_IDS];
	size_t i;
	int rc;

	if ((rc = tx_begin(s)) != STORE_OK)
		return rc;
	while ((rc = stmt_step(s, st)) == SQLITE_ROW)
		if (idlist_add(&ids, sqlite3_column_int64(st, 0)) == -1) {
			store_seterr(s, "out of memory");
			break;
		}
	stmt_done(st);
	rc = rc == SQLITE_DONE ? STORE_OK : STORE_ERR;
	for (i = 0; i < ids.n && rc == STORE_OK; i++)
		rc = story_tidy(s, ids.v[i]);
	free(ids.v);
	if (rc == STORE_OK)
		rc = tx_commit(s);
	if (rc != STORE_OK)
		tx_rollback(s);
	return rc;
}

/* Notes that the search index is to match items lo..hi; in a tx. */
static int
fts_note(struct store *s, int64_t lo, int64_t hi)
{
	sqlite3_bind_int64(s->st[ST_FTS_NOTE], 1, lo);
	sqlite3_bind_int64(s->st[ST_FTS_NOTE], 2, hi);
	if (stmt_exec(s, s->st[ST_FTS_NOTE]) != STORE_OK)
		return STORE_ERR;
	s->fts_noted = 1;
	return STORE_OK;
}

/*
 * A new item of the commit under way.  One writer at a time and rowids
 * that only grow make a commit's new items a run of ids: one note for
 * all (fts_note_new), rather than a row per item.
 */
static void
fts_new_item(struct store *s, int64_t id)
{
	if (s->fts_lo == 0 || id < s->fts_lo)
		s->fts_lo = id;
	if (id > s->fts_hi)
		s->fts_hi = id;
}

static int
fts_note_new(struct store *s)
{
	int64_t lo = s->fts_lo, hi = s->fts_hi;

	s->fts_lo = s->fts_hi = 0;
	return lo == 0 ? STORE_OK : fts_note(s, lo, hi);
}

/* Deletes a feed, its items and tags, then tidies their stories; in a tx. */
static int
feed_delete_tx(struct store *s, int64_t id)
{
	sqlite3_stmt *st = s->st[ST_FEED_STORIES];
	struct idlist stories = { NULL, 0, 0 };
	size_t i;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW)
		if (idlist_add(&stories, sqlite3_column_int64(st, 0)) == -1) {
			store_seterr(s, "out of memory");
			break;
		}
	stmt_done(st);
	if (rc != SQLITE_DONE) {
		rc = STORE_ERR;
		goto done;
	}
	/* Its items leave the search index too. */
	sqlite3_bind_int64(s->st[ST_FTS_NOTE_FEED], 1, id);
	if ((rc = stmt_exec(s, s->st[ST_FTS_NOTE_FEED])) != STORE_OK)
		goto done;
	s->fts_noted = 1;
	sqlite3_bind_int64(s->st[ST_FEED_DELETE], 1, id);
	if ((rc = stmt_exec(s, s->st[ST_FEED_DELETE])) != STORE_OK)
		goto done;
	if (sqlite3_changes(s->db) == 0) {
		store_seterr(s, "no feed with id %" PRId64, id);
		rc = STORE_NOTFOUND;
		goto done;
	}
	for (i = 0; i < stories.n && rc == STORE_OK; i++)
		rc = story_tidy(s, stories.v[i]);
	/*
	 * The clustering index holds the gone items' stories: rebuilt on
	 * next use, no item can join (or merge) a deleted story.  So are
	 * the other stores'.
	 */
	cluster_free(s->cl);
	s->cl = NULL;
	cl_invalidate();
 done:
	free(stories.v);
	return rc;
}

int
store_feed_delete(struct store *s, int64_t id)
{
	int rc;

	if ((rc = tx_begin(s)) != STORE_OK)
		return rc;
	if ((rc = feed_delete_tx(s, id)) == STORE_OK)
		rc = tx_commit(s);
	if (rc != STORE_OK)
		tx_rollback(s);
	return rc;
}

/* Fills out from a row of ST_FEED_GET / ST_FEEDS_DUE. */
static int
feed_from_row(struct store *s, sqlite3_stmt *st, struct store_feed *out)
{
	int oom = 0;

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->url = col_strdup(st, 1, &oom);
	out->title = col_strdup(st, 2, &oom);
	out->etag = col_strdup(st, 3, &oom);
	out->last_modified = col_strdup(st, 4, &oom);
	out->interval = sqlite3_column_int64(st, 5);
	out->next_poll = col_time(st, 6);
	out->polls = sqlite3_column_int64(st, 7);
	out->paused = sqlite3_column_int(st, 8);
	if (oom || out->url == NULL) {
		store_feed_free(out);
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	return STORE_OK;
}

int
store_feed_get(struct store *s, int64_t id, struct store_feed *out)
{
	sqlite3_stmt *st = s->st[ST_FEED_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = stmt_step(s, st);
	if (rc == SQLITE_ROW)
		rc = feed_from_row(s, st, out);
	else if (rc == SQLITE_DONE) {
		store_seterr(s, "no feed with id %" PRId64, id);
		rc = STORE_NOTFOUND;
	} else
		rc = STORE_ERR;
	stmt_done(st);
	return rc;
}

static int
feed_set_cluster(struct store *s, int64_t id, int on)
{
	sqlite3_stmt *st = s->st[ST_FEED_SET_CLUSTER];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, on);
	return stmt_exec(s, st);
}

int
store_sync_config(struct store *s, const struct store_conf_feed *cf, size_t n)
{
	sqlite3_stmt *st;
	struct idlist gone = { NULL, 0, 0 };
	char **urls;
	const char *u;
	int64_t id, now = time_now();
	size_t i, j;
	int rc, step;

	if ((urls = calloc(n + 1, sizeof(*urls))) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	for (i = 0; i < n; i++)
		if ((urls[i] = feed_url(cf[i].url)) == NULL ||
		    cf[i].interval < 0) {
			store_seterr(s, "config feed %zu: not an http or https "
			    "URL, or a negative interval", i + 1);
			rc = STORE_INVALID;
			goto done;
		}
	if ((rc = tx_begin(s)) != STORE_OK)
		goto done;
	for (i = 0; i < n && rc == STORE_OK; i++) {
		rc = feed_by_url(s, urls[i], &id);
		if (rc == STORE_NOTFOUND) {
			rc = feed_insert(s, urls[i], cf[i].name, cf[i].tags,
			    cf[i].interval, 1, now, &id);
			if (rc == STORE_OK)
				rc = feed_set_cluster(s, id, !cf[i].no_cluster);
			continue;
		}
		if (rc != STORE_OK)
			break;
		st = s->st[ST_FEED_CONF_UPDATE];
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, nonempty(cf[i].name), STORE_MAX_SHORT);
		sqlite3_bind_int64(st, 3, cf[i].interval);
		if ((rc = stmt_exec(s, st)) == STORE_OK)
			rc = feed_set_tags(s, id, cf[i].tags);
		if (rc == STORE_OK)
			rc = feed_set_cluster(s, id, !cf[i].no_cluster);
	}
	if (rc != STORE_OK)
		goto rollback;
	/* Config feeds the config no longer lists. */
	st = s->st[ST_CONF_FEEDS];
	while ((step = stmt_step(s, st)) == SQLITE_ROW) {
		u = (const char *)sqlite3_column_text(st, 1);
		for (j = 0; j < n; j++)
			if (u != NULL && strcmp(u, urls[j]) == 0)
				break;
		if (j == n && idlist_add(&gone,
		    sqlite3_column_int64(st, 0)) == -1) {
			store_seterr(s, "out of memory");
			step = SQLITE_NOMEM;
			break;
		}
	}
	stmt_done(st);
	if (step != SQLITE_DONE) {
		rc = STORE_ERR;
		goto rollback;
	}
	for (i = 0; i < gone.n && rc == STORE_OK; i++)
		rc = feed_delete_tx(s, gone.v[i]);
	if (rc == STORE_OK)
		rc = tx_commit(s);
 rollback:
	if (rc != STORE_OK) {
		tx_rollback(s);
		if (rc != STORE_INVALID)
			rc = STORE_ERR;
	}
 done:
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	free(gone.v);
	return rc;
}

int
store_feed_schedule(struct store *s, int64_t id, int64_t next_poll)
{
	sqlite3_stmt *st = s->st[ST_FEED_SCHEDULE];
	int rc;

	sqlite3_bind_int64(st, 1, id);
	bind_time(st, 2, next_poll);
	sync_light(s);		/* a lost lease only means an early poll */
	rc = stmt_exec(s, st);
	sync_full(s);
	if (rc != STORE_OK)
		return STORE_ERR;
	if (sqlite3_changes(s->db) == 0) {
		store_seterr(s, "no feed with id %" PRId64, id);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int
store_feeds_due(struct store *s, int64_t now, const int64_t *exclude,
    size_t nexclude, struct store_feed *out, size_t max, size_t *n)
{
	sqlite3_stmt *st = s->st[ST_FEEDS_DUE];
	int64_t id;
	size_t i;
	int rc = SQLITE_DONE, ret = STORE_OK;

	*n = 0;
	if (max == 0)
		return STORE_OK;
	/* The excluded feeds may be among the first rows: ask for more. */
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, max + nexclude > INT64_MAX ? INT64_MAX :
	    (int64_t)(max + nexclude));
	while (*n < max && (rc = stmt_step(s, st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		for (i = 0; i < nexclude; i++)
			if (exclude[i] == id)
				break;
		if (i < nexclude)
			continue;
		if ((ret = feed_from_row(s, st, &out[*n])) != STORE_OK)
			break;
		(*n)++;
	}
	if (ret == STORE_OK && *n < max && rc != SQLITE_DONE)
		ret = STORE_ERR;
	stmt_done(st);
	if (ret != STORE_OK) {
		for (i = 0; i < *n; i++)
			store_feed_free(&out[i]);
		*n = 0;
	}
	return ret;
}

int64_t
store_next_poll(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_NEXT_POLL];
	int64_t t = TIME_NONE;

	if (stmt_step(s, st) == SQLITE_ROW)
		t = col_time(st, 0);
	stmt_done(st);
	return t;
}

int
store_feed_ids(struct store *s, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = s->st[ST_FEED_IDS];
	struct idlist l = { NULL, 0, 0 };
	int rc;

	*ids = NULL;
	*n = 0;
	while ((rc = stmt_step(s, st)) == SQLITE_ROW)
		if (idlist_add(&l, sqlite3_column_int64(st, 0)) == -1) {
			store_seterr(s, "out of memory");
			break;
		}
	stmt_done(st);
	if (rc != SQLITE_DONE) {
		free(l.v);
		return STORE_ERR;
	}
	*ids = l.v;
	*n = l.n;
	return STORE_OK;
}

/* Committing a poll */

void
store_cluster_configure(struct store *s, const struct cluster_params *p,
    int enabled, int reopen)
{
	s->cparams = *p;
	s->cenabled = enabled;
	s->creopen = reopen;
	cluster_free(s->cl);	/* rebuilt with the new window on use */
	s->cl = NULL;
}

void
store_cluster_limit(struct store *s, size_t max_items)
{
	s->cparams.max_items = max_items;
	cluster_free(s->cl);	/* rebuilt under the new cap on use */
	s->cl = NULL;
}

static int cluster_load(struct store *, int64_t);

/* 1 when the feed's items are clustered, 0 when excluded, -1 on error. */
static int
feed_clustered(struct store *s, int64_t feed_id)
{
	sqlite3_stmt *st = s->st[ST_FEED_CLUSTER];
	int rc, on = 1;

	if (feed_id == s->cl_feed)
		return s->cl_feed_on;
	sqlite3_bind_int64(st, 1, feed_id);
	rc = stmt_step(s, st);
	if (rc == SQLITE_ROW)
		on = sqlite3_column_int(st, 0) != 0;
	stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	s->cl_feed = feed_id;
	s->cl_feed_on = on;
	return on;
}

/*
 * Builds the clustering index from the items of the recent window (all
 * items when the window is off) unless it is there already.
 */
static int
store_cluster_index(struct store *s)
{
	int64_t now = time_now();

	/*
	 * The index only grows; stories past the window are skipped but
	 * held.  Rebuilding once a window bounds its memory to about three
	 * windows of items.
	 */
	if (s->cl != NULL && ((s->cparams.window > 0 &&
	    now - s->cl_built > s->cparams.window) ||
	    s->cl_epoch != atomic_load(&store_cl_epoch))) {
		cluster_free(s->cl);
		s->cl = NULL;
	}
	if (s->cl != NULL)
		return STORE_OK;
	s->cl_built = now;
	s->cl_epoch = atomic_load(&store_cl_epoch);
	return cluster_load(s, INT64_MAX);
}

/* Builds the index from the items of the window before `before`. */
static int
cluster_load(struct store *s, int64_t before)
{
	sqlite3_stmt *st = s->st[ST_CLUSTER_LOAD];
	struct cluster_doc *d;
	/* Two windows: a story's first item may be a window before its last. */
	int64_t back = s->cparams.window > 0 ? 2 * s->cparams.window :
	    INT64_MAX / 2;
	int rc;

	cluster_free(s->cl);
	if ((s->cl = cluster_new(&s->cparams)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	sqlite3_bind_int64(st, 1, back);
	sqlite3_bind_int64(st, 2, before);
	/* What the cap would keep anyway: the newest max_items. */
	sqlite3_bind_int64(st, 3, s->cparams.max_items > 0 ?
	    (sqlite3_int64)s->cparams.max_items : -1);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		d = cluster_doc_new(s->cl,
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
		if (d == NULL || cluster_add(s->cl, d,
		    sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 3)) == -1) {
			cluster_doc_free(d);
			store_seterr(s, "out of memory");
			rc = SQLITE_NOMEM;
			break;
		}
		cluster_doc_free(d);
	}
	stmt_done(st);
	if (rc != SQLITE_DONE) {
		cluster_free(s->cl);
		s->cl = NULL;
		return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Folds story from into story into, in the database (inside the caller's
 * transaction) and in the clustering index: from's items move with their
 * read and star state, ids merged into from now answer as into, and from
 * is noted as merged so its id keeps answering.  The caller tidies both
 * (from, now empty, goes; into gets its title, sources and time again).
 * Story state lives on items; were it ever on story rows, it would have
 * to be combined here.
 */
static int
story_merge(struct store *s, int64_t from, int64_t into)
{
	static const enum store_stmt steps[] = {
		ST_STORY_MOVE, ST_MERGE_REPOINT, ST_MERGE_NOTE
	};
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		st = s->st[steps[i]];
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, into);
		if (stmt_exec(s, st) != STORE_OK)
			return STORE_ERR;
	}
	/* Out of memory leaves the index half-merged: the rollback drops it. */
	if (cluster_merge(s->cl, from, into) == -1) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	return STORE_OK;
}

static int story_rule(struct store *, const char *, const char *, int64_t,
    int64_t, int64_t, const struct cluster_doc *, struct cluster_match *,
    const char *, int64_t *, int *);

/*
 * Chooses the story a new item joins: the story of an item with the same
 * canonical link (any feed), else of an item with the same title key
 * whose time is within STORE_STORY_TITLE_WINDOW of t, else a new one.
 * else (clustering on, feed not excluded) the best-matching story of the
 * clustering index, else a new one.  The item joins the index either way.
 * m says why (m->story 0: not by clustering); when the item proved two
 * stories one, m->merged went into m->story (see story_merge).  *fresh
 * says the story is new and already has the item's aggregates.
 */
static int
story_assign(struct store *s, int64_t feed_id, const char *canonical,
    const char *title_key, const struct feed_item *it, int64_t t,
    int64_t first_seen, int64_t *story, int *fresh, struct cluster_match *m)
{
	struct cluster_doc *doc = NULL;
	char *text;
	int rc;

	memset(m, 0, sizeof(*m));
	if (s->cenabled && (rc = feed_clustered(s, feed_id)) != 0) {
		if (rc < 0 || store_cluster_index(s) != STORE_OK)
			return STORE_ERR;
		if (it->derived.set)	/* a parser worker did the text work */
			doc = cluster_doc_from_words(s->cl,
			    it->derived.title_words, it->derived.summary_words);
		else {
			/* Summaries are stored as HTML: cluster their words. */
			text = it->summary != NULL ?
			    html_to_text(it->summary, strlen(it->summary)) :
			    NULL;
			doc = cluster_doc_new(s->cl, it->title, text);
			free(text);
		}
		if (doc == NULL) {
			store_seterr(s, "out of memory");
			return STORE_ERR;
		}
	}
	/* Undated items: matched by text alone, see CLUSTER_TIME_UNKNOWN. */
	rc = story_rule(s, canonical, title_key, t, it->published != TIME_NONE ?
	    t : CLUSTER_TIME_UNKNOWN, first_seen, doc, m, it->title, story,
	    fresh);
	if (rc == STORE_OK && doc != NULL &&
	    cluster_add(s->cl, doc, *story, t) == -1) {
		store_seterr(s, "out of memory");
		rc = STORE_ERR;
	}
	cluster_doc_free(doc);
	return rc;
}

/*
 * story_assign's rules in order; doc NULL when not clustering.  A new
 * story starts with the aggregates of its one item (title, times at t
 * and first_seen, one source), as a refresh would make them.
 */
static int
story_rule(struct store *s, const char *canonical, const char *title_key,
    int64_t t, int64_t ct, int64_t first_seen, const struct cluster_doc *doc,
    struct cluster_match *m, const char *title, int64_t *story, int *fresh)
{
	sqlite3_stmt *st;
	int64_t lo, hi;
	int rc;

	*fresh = 0;
	if (canonical != NULL) {
		st = s->st[ST_STORY_BY_LINK];
		bind_text(st, 1, canonical, STORE_MAX_SHORT);
		rc = stmt_step(s, st);
		if (rc == SQLITE_ROW)
			*story = sqlite3_column_int64(st, 0);
		stmt_done(st);
		if (rc == SQLITE_ROW)
			return STORE_OK;
		if (rc != SQLITE_DONE)
			return STORE_ERR;
	}
	if (title_key != NULL) {
		lo = t < INT64_MIN + STORE_STORY_TITLE_WINDOW ? INT64_MIN :
		    t - STORE_STORY_TITLE_WINDOW;
		hi = t > INT64_MAX - STORE_STORY_TITLE_WINDOW ? INT64_MAX :
		    t + STORE_STORY_TITLE_WINDOW;
		st = s->st[ST_STORY_BY_TITLE];
		bind_text(st, 1, title_key, STORE_MAX_SHORT);
		sqlite3_bind_int64(st, 2, lo);
		sqlite3_bind_int64(st, 3, hi);
		sqlite3_bind_int64(st, 4, t);
		rc = stmt_step(s, st);
		if (rc == SQLITE_ROW)
			*story = sqlite3_column_int64(st, 0);
		stmt_done(st);
		if (rc == SQLITE_ROW)
			return STORE_OK;
		if (rc != SQLITE_DONE)
			return STORE_ERR;
	}
	if (doc != NULL) {
		cluster_match(s->cl, doc, ct, m);
		if (m->merged != 0 &&
		    (story_merge(s, m->merged, m->story) != STORE_OK ||
		    story_tidy(s, m->merged) != STORE_OK))
			return STORE_ERR;
		if (m->story != 0) {
			*story = m->story;
			return STORE_OK;
		}
	}
	st = s->st[ST_STORY_NEW];
	sqlite3_bind_int64(st, 1, first_seen);
	bind_text(st, 2, title, STORE_MAX_SHORT);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int(st, 4, 1);
	if (stmt_exec(s, st) != STORE_OK)
		return STORE_ERR;
	*story = sqlite3_last_insert_rowid(s->db);
	*fresh = 1;
	return STORE_OK;
}

/* A JSON array as compact text, or NULL when empty or too big. */
static char *
json_text(json_t *a)
{
	char *t;

	if (a == NULL || json_array_size(a) == 0)
		return NULL;
	t = json_dumps(a, JSON_COMPACT);
	if (t != NULL && strlen(t) > STORE_MAX_JSON) {
		free(t);
		t = NULL;
	}
	return t;
}

/* Categories and enclosures as JSON text (kept, not exposed yet). */
static void
item_extras(const struct feed_item *it, char **cats, char **encs)
{
	json_t *a, *e;
	size_t i;

	*cats = *encs = NULL;
	if (it->ncategories > 0 && (a = json_array()) != NULL) {
		for (i = 0; i < it->ncategories; i++)
			if (it->categories[i] != NULL)
				json_array_append_new(a,
				    json_string(it->categories[i]));
		*cats = json_text(a);
		json_decref(a);
	}
	if (it->nenclosures > 0 && (a = json_array()) != NULL) {
		for (i = 0; i < it->nenclosures; i++) {
			if (it->enclosures[i].url == NULL)
				continue;
			e = json_pack("{s:s?, s:s?, s:I}",
			    "url", it->enclosures[i].url,
			    "type", it->enclosures[i].type,
			    "length", (json_int_t)it->enclosures[i].length);
			json_array_append_new(a, e);
		}
		*encs = json_text(a);
		json_decref(a);
	}
}

/* The key an item is unique by within its feed; malloc'd, NULL if none. */
static char *
item_uid(const struct feed_item *it)
{
	size_t n;
	char *u;

	if (it->guid != NULL && it->guid[0] != '\0')
		return strdup(it->guid);
	if (it->link != NULL && it->link[0] != '\0')
		return strdup(it->link);
	if (it->title == NULL || it->title[0] == '\0')
		return NULL;
	n = sizeof(STORE_UID_TITLE) - 1 + strlen(it->title) + 1;
	if ((u = malloc(n)) != NULL)
		snprintf(u, n, "%s%s", STORE_UID_TITLE, it->title);
	return u;
}

/* The terms that joined an item to its story as JSON text (--why). */
static char *
why_terms(const struct cluster_match *m)
{
	json_t *a = json_array();
	char *terms;
	int i;

	for (i = 0; a != NULL && i < CLUSTER_WHY_TERMS; i++)
		if (m->terms[i][0] != '\0')
			json_array_append_new(a, json_string(m->terms[i]));
	terms = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return terms;
}

/* Records why clustering joined item to its story, for `show --why`. */
static int
item_why(struct store *s, int64_t item, const struct cluster_match *m)
{
	sqlite3_stmt *st = s->st[ST_ITEM_CLUSTER];
	char *terms = why_terms(m);
	int rc;

	sqlite3_bind_int64(st, 1, item);
	sqlite3_bind_double(st, 2, m->score);
	bind_text(st, 3, terms, STORE_MAX_JSON);
	rc = stmt_exec(s, st);
	free(terms);
	return rc;
}

/* Counts a merge item made, and keeps the first ones for the log. */
static void
merge_report(struct store_ingest *stats, const struct cluster_match *m,
    int64_t item)
{
	struct store_merge *r;

	if (stats->merges < STORE_INGEST_MERGES) {
		r = &stats->merge[stats->merges];
		r->from = m->merged;
		r->into = m->story;
		r->item = item;
		r->score_into = m->score;
		r->score_from = m->merged_score;
		r->pair = m->pair_score;
	}
	stats->merges++;
}

/* Inserts or updates one item of a fetched document; inside the tx. */
static int
item_upsert(struct store *s, int64_t feed_id, int64_t fetched_at,
    const struct feed_item *it, struct store_ingest *stats)
{
	sqlite3_stmt *st;
	char *uid, *own_canonical = NULL, *own_key = NULL;
	char *cats = NULL, *encs = NULL, *why = NULL;
	const char *canonical, *key;
	int64_t id = 0, story = 0, t;
	struct cluster_match m;
	int rc, found, fresh;

	/* With no guid, link or title there is nothing to know it again by. */
	if ((it->guid == NULL || it->guid[0] == '\0') &&
	    (it->link == NULL || it->link[0] == '\0') &&
	    (it->title == NULL || it->title[0] == '\0'))
		return STORE_OK;
	if ((uid = item_uid(it)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	if (it->derived.set) {	/* a parser worker worked them out */
		canonical = it->derived.canonical;
		key = it->derived.title_key;
	} else {
		if (it->link != NULL)
			own_canonical = url_canonical(it->link);
		own_key = story_title_key(it->title);
		canonical = own_canonical;
		key = own_key;
	}
	item_extras(it, &cats, &encs);

	st = s->st[ST_ITEM_FIND];
	sqlite3_bind_int64(st, 1, feed_id);
	bind_text(st, 2, uid, STORE_MAX_SHORT);
	rc = stmt_step(s, st);
	if ((found = rc == SQLITE_ROW)) {
		id = sqlite3_column_int64(st, 0);
		story = sqlite3_column_int64(st, 1);
	}
	stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = STORE_ERR;
		goto done;
	}

	if (found) {
		/* Read, starred, first_seen and the story stay as they are. */
		st = s->st[ST_ITEM_UPDATE];
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, it->title, STORE_MAX_SHORT);
		bind_text(st, 3, it->link, STORE_MAX_SHORT);
		bind_text(st, 4, it->summary, STORE_MAX_SUMMARY);
		bind_text(st, 5, it->content, STORE_MAX_CONTENT);
		bind_time(st, 6, it->published);
		bind_time(st, 7, it->updated);
		bind_text(st, 8, canonical, STORE_MAX_SHORT);
		bind_text(st, 9, key, STORE_MAX_SHORT);
		bind_text(st, 10, it->author, STORE_MAX_SHORT);
		bind_text(st, 11, cats, STORE_MAX_JSON);
		bind_text(st, 12, encs, STORE_MAX_JSON);
		if ((rc = stmt_exec(s, st)) != STORE_OK)
			goto done;
		if (sqlite3_changes(s->db) == 0) {
			stats->unchanged++;
			goto done;
		}
		stats->updated++;
		if ((rc = fts_note(s, id, id)) != STORE_OK)
			goto done;
		/* Its title or time may be the story's. */
		if (story != 0)
			rc = story_tidy(s, story);
		goto done;
	}

	/* The story's time is when it happened; first seen when unknown. */
	t = it->published != TIME_NONE ? it->published : fetched_at;
	rc = story_assign(s, feed_id, canonical, key, it, t, fetched_at,
	    &story, &fresh, &m);
	if (rc != STORE_OK)
		goto done;
	st = s->st[ST_ITEM_INSERT];
	sqlite3_bind_int64(st, 1, feed_id);
	bind_text(st, 2, uid, STORE_MAX_SHORT);
	bind_text(st, 3, it->guid, STORE_MAX_SHORT);
	bind_text(st, 4, it->link, STORE_MAX_SHORT);
	bind_text(st, 5, canonical, STORE_MAX_SHORT);
	bind_text(st, 6, it->title, STORE_MAX_SHORT);
	bind_text(st, 7, key, STORE_MAX_SHORT);
	bind_text(st, 8, it->summary, STORE_MAX_SUMMARY);
	bind_text(st, 9, it->content, STORE_MAX_CONTENT);
	bind_text(st, 10, it->author, STORE_MAX_SHORT);
	bind_time(st, 11, it->published);
	bind_time(st, 12, it->updated);
	sqlite3_bind_int64(st, 13, fetched_at);
	sqlite3_bind_int64(st, 14, story);
	bind_text(st, 15, cats, STORE_MAX_JSON);
	bind_text(st, 16, encs, STORE_MAX_JSON);
	/* Why it joined, in the row itself: the index holds the score. */
	if (m.story != 0) {
		why = why_terms(&m);
		sqlite3_bind_double(st, 17, m.score);
		bind_text(st, 18, why, STORE_MAX_JSON);
	}
	if ((rc = stmt_exec(s, st)) != STORE_OK)
		goto done;
	stats->added++;
	id = sqlite3_last_insert_rowid(s->db);
	fts_new_item(s, id);
	if (m.merged != 0)
		merge_report(stats, &m, id);
	if (fresh)
		goto done;	/* a story of its own, made as tidy as it gets */
	/* A read story stays read unless [cluster] reopen_on_new_source. */
	if (!s->creopen) {
		st = s->st[ST_ITEM_KEEP_READ];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, story);
		if ((rc = stmt_exec(s, st)) != STORE_OK)
			goto done;
	}
	/* A merge brought the story other items: those need a refresh. */
	rc = m.merged != 0 ? story_tidy(s, story) : story_joined(s, story, id,
	    feed_id, key, fetched_at, t);
 done:
	free(uid);
	free(own_canonical);
	free(own_key);
	free(cats);
	free(encs);
	free(why);
	return rc;
}

/* Gives the items this commit added the next ingest sequence number. */
static int
batch_stamp(struct store *s, int64_t feed_id, int64_t *batch)
{
	sqlite3_stmt *st = s->st[ST_BATCH_NEXT];
	int rc;

	if ((rc = stmt_step(s, st)) != SQLITE_ROW) {
		stmt_done(st);
		return STORE_ERR;
	}
	*batch = sqlite3_column_int64(st, 0);
	stmt_done(st);
	st = s->st[ST_BATCH_ITEMS];
	sqlite3_bind_int64(st, 1, feed_id);
	sqlite3_bind_int64(st, 2, *batch);
	if ((rc = stmt_exec(s, st)) != STORE_OK)
		return rc;
	st = s->st[ST_BATCH_FEED];
	sqlite3_bind_int64(st, 1, feed_id);
	sqlite3_bind_int64(st, 2, *batch);
	return stmt_exec(s, st);
}

int
store_commit_fetch(struct store *s, const struct store_fetch *f,
    struct store_ingest *stats)
{
	struct store_ingest local;
	sqlite3_stmt *st;
	const struct feed_doc *doc;
	int ok = f->error == NULL, rc;
	size_t i;

	memset(&local, 0, sizeof(local));
	/* Items and validators only from a successful, parsed 200. */
	doc = ok && !f->not_modified ? f->doc : NULL;
	s->cl_feed = 0;		/* its cluster switch is read once, below */
	sync_light(s);
	if ((rc = tx_begin(s)) != STORE_OK)
		goto done;

	st = s->st[ST_FEED_EXISTS];
	sqlite3_bind_int64(st, 1, f->feed_id);
	rc = stmt_step(s, st);
	stmt_done(st);
	if (rc == SQLITE_DONE) {
		store_seterr(s, "no feed with id %" PRId64, f->feed_id);
		rc = STORE_NOTFOUND;
		goto rollback;
	}
	if (rc != SQLITE_ROW) {
		rc = STORE_ERR;
		goto rollback;
	}
	rc = STORE_OK;

	for (i = 0; doc != NULL && i < doc->nitems && rc == STORE_OK; i++)
		rc = item_upsert(s, f->feed_id, f->fetched_at, &doc->items[i],
		    &local);
	if (rc == STORE_OK)
		rc = fts_note_new(s);
	if (rc == STORE_OK && local.added > 0)
		rc = batch_stamp(s, f->feed_id, &local.batch);
	if (rc != STORE_OK)
		goto rollback;

	st = s->st[ST_FEED_COMMIT];
	sqlite3_bind_int64(st, 1, f->feed_id);
	sqlite3_bind_int64(st, 2, f->fetched_at);
	sqlite3_bind_int64(st, 3, f->http_status);
	bind_text(st, 4, f->error, STORE_MAX_SHORT);
	bind_time(st, 5, f->next_poll);
	bind_text(st, 6, doc != NULL ? doc->title : NULL, STORE_MAX_SHORT);
	bind_text(st, 7, doc != NULL ? doc->link : NULL, STORE_MAX_SHORT);
	bind_text(st, 8, doc != NULL ? doc->description : NULL,
	    STORE_MAX_SUMMARY);
	sqlite3_bind_int(st, 9, ok && !f->not_modified && f->new_validators);
	bind_text(st, 10, f->etag, STORE_MAX_SHORT);
	bind_text(st, 11, f->last_modified, STORE_MAX_SHORT);
	sqlite3_bind_int(st, 12, ok);
	if ((rc = stmt_exec(s, st)) == STORE_OK && f->poll != NULL)
		rc = store_poll_commit(s, f->feed_id, f->poll);
	if (rc == STORE_OK)
		rc = tx_commit(s);
 rollback:
	if (rc != STORE_OK) {
		tx_rollback(s);
		memset(&local, 0, sizeof(local));
	}
 done:
	sync_full(s);
	if (stats != NULL)
		*stats = local;
	return rc;
}

/* JSON views */

static json_t *
jtime(sqlite3_stmt *st, int i)
{
	char buf[RFC3339_LEN];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_string(time_format_rfc3339(sqlite3_column_int64(st, i),
	    buf));
}

/* A text column as a JSON string; null for NULL (or text not UTF-8). */
static json_t *
jtext(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	json_t *v;

	if (t == NULL)
		return json_null();
	v = json_stringn(t, (size_t)sqlite3_column_bytes(st, i));
	return v != NULL ? v : json_null();
}

static json_t *
jint(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(st, i));
}

/* {"id", "title"} of a feed. */
static json_t *
jfeed_ref(sqlite3_stmt *st, int id_col, int title_col)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "id", jint(st, id_col)) == -1 ||
	    json_object_set_new(o, "title", jtext(st, title_col)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An Item from a row of ITEM_COLUMNS. */
static json_t *
item_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	bad |= json_object_set_new(o, "id", jint(st, 0));
	bad |= json_object_set_new(o, "feed", jfeed_ref(st, 1, 2));
	bad |= json_object_set_new(o, "story", jint(st, 3));
	bad |= json_object_set_new(o, "title", jtext(st, 4));
	bad |= json_object_set_new(o, "link", jtext(st, 5));
	bad |= json_object_set_new(o, "guid", jtext(st, 6));
	bad |= json_object_set_new(o, "published", jtime(st, 7));
	bad |= json_object_set_new(o, "updated", jtime(st, 8));
	bad |= json_object_set_new(o, "first_seen", jtime(st, 9));
	bad |= json_object_set_new(o, "author", jtext(st, 10));
	/* Stored as HTML; clients get text in "summary", HTML beside it. */
	bad |= json_object_set_new(o, "summary_html", jtext(st, 11));
	bad |= feedjson_add_text(o, "summary_html", "summary");
	bad |= json_object_set_new(o, "read",
	    json_boolean(sqlite3_column_int(st, 12)));
	bad |= json_object_set_new(o, "starred",
	    json_boolean(sqlite3_column_int(st, 13)));
	/* Only items clustering joined to a story say why. */
	if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
		json_t *why = json_object(), *terms = NULL;
		const char *tt = (const char *)sqlite3_column_text(st, 15);

		if (tt != NULL)
			terms = json_loads(tt, 0, NULL);
		bad |= why == NULL;
		bad |= json_object_set_new(why, "score",
		    json_real(sqlite3_column_double(st, 14)));
		bad |= json_object_set_new(why, "terms",
		    terms != NULL ? terms : json_array());
		bad |= json_object_set_new(o, "cluster", why);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The tags of a feed as a JSON array. */
static int
feed_tags_json(struct store *s, int64_t id, json_t **out)
{
	sqlite3_stmt *st = s->st[ST_FEED_TAGS];
	json_t *a = json_array();
	int rc;

	*out = NULL;
	if (a == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW)
		if (json_array_append_new(a, jtext(st, 0)) == -1) {
			store_seterr(s, "out of memory");
			break;
		}
	stmt_done(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return STORE_ERR;
	}
	*out = a;
	return STORE_OK;
}

/* A Feed from a row of ST_FEEDS_JSON. */
static int
feed_json(struct store *s, sqlite3_stmt *st, json_t **out)
{
	json_t *o = json_object(), *tags = NULL;
	int bad = 0;

	*out = NULL;
	if (o == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	if (feed_tags_json(s, sqlite3_column_int64(st, 0), &tags) !=
	    STORE_OK) {
		json_decref(o);
		return STORE_ERR;
	}
	bad |= json_object_set_new(o, "id", jint(st, 0));
	bad |= json_object_set_new(o, "url", jtext(st, 1));
	bad |= json_object_set_new(o, "title", jtext(st, 2));
	bad |= json_object_set_new(o, "site_title", jtext(st, 3));
	bad |= json_object_set_new(o, "link", jtext(st, 4));
	bad |= json_object_set_new(o, "tags", tags);
	bad |= json_object_set_new(o, "interval", jint(st, 5));
	bad |= json_object_set_new(o, "paused",
	    json_boolean(sqlite3_column_int(st, 6)));
	bad |= json_object_set_new(o, "from_config",
	    json_boolean(sqlite3_column_int(st, 7)));
	bad |= json_object_set_new(o, "items", jint(st, 8));
	bad |= json_object_set_new(o, "last_fetch", jtime(st, 9));
	bad |= json_object_set_new(o, "last_success", jtime(st, 10));
	bad |= json_object_set_new(o, "last_status", jint(st, 11));
	bad |= json_object_set_new(o, "last_error", jtext(st, 12));
	bad |= json_object_set_new(o, "failures", jint(st, 13));
	bad |= json_object_set_new(o, "next_poll", jtime(st, 14));
	bad |= json_object_set_new(o, "polls", jint(st, 15));
	bad |= json_object_set_new(o, "etag", jtext(st, 16));
	bad |= json_object_set_new(o, "last_modified", jtext(st, 17));
	if (bad) {
		json_decref(o);
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	*out = o;
	return STORE_OK;
}

/*
 * Changes not yet searchable: notes not taken in, and while the index is
 * being built, every item (items: how many there are).
 */
static int64_t
fts_pending(struct store *s, int64_t items)
{
	sqlite3_stmt *st = s->st[ST_FTS_PENDING];
	int64_t done = store_fts_done(s->fts), n = 0;

	sqlite3_bind_int64(st, 1, done);
	if (stmt_step(s, st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	stmt_done(st);
	return n + (done < 0 ? items : 0);
}

int
store_json_status(struct store *s, json_t *obj)
{
	sqlite3_stmt *st = s->st[ST_STATUS];
	int rc, bad = 0;

	if ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		bad |= json_object_set_new(obj, "feeds", jint(st, 0));
		bad |= json_object_set_new(obj, "items", jint(st, 1));
		bad |= json_object_set_new(obj, "stories", jint(st, 2));
		bad |= json_object_set_new(obj, "unread", jint(st, 3));
		if (s->fts != NULL)
			bad |= json_object_set_new(obj, "search_pending",
			    json_integer(fts_pending(s,
			    sqlite3_column_int64(st, 1))));
		if (bad)
			store_seterr(s, "out of memory");
	}
	stmt_done(st);
	return rc == SQLITE_ROW && !bad ? STORE_OK : STORE_ERR;
}

/* Feeds as a JSON array: every one (id 0) or the one with id. */
static int
feeds_json(struct store *s, int64_t id, json_t **out)
{
	sqlite3_stmt *st = s->st[ST_FEEDS_JSON];
	json_t *a = json_array(), *f;
	int rc, ret = STORE_OK;

	*out = NULL;
	if (a == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	if (id != 0)
		sqlite3_bind_int64(st, 1, id);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		if ((ret = feed_json(s, st, &f)) != STORE_OK)
			break;
		if (json_array_append_new(a, f) == -1) {
			store_seterr(s, "out of memory");
			ret = STORE_ERR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = STORE_ERR;
	stmt_done(st);
	if (ret != STORE_OK) {
		json_decref(a);
		return ret;
	}
	*out = a;
	return STORE_OK;
}

int
store_json_feeds(struct store *s, json_t **out)
{
	json_t *a;
	int rc;

	*out = NULL;
	if ((rc = feeds_json(s, 0, &a)) != STORE_OK)
		return rc;
	if ((*out = json_pack("{s:o}", "feeds", a)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	return STORE_OK;
}

int
store_json_feed(struct store *s, int64_t id, json_t **out)
{
	json_t *a;
	int rc;

	*out = NULL;
	if ((rc = feeds_json(s, id, &a)) != STORE_OK)
		return rc;
	if (json_array_size(a) == 0) {
		json_decref(a);
		store_seterr(s, "no feed with id %" PRId64, id);
		return STORE_NOTFOUND;
	}
	*out = json_incref(json_array_get(a, 0));
	json_decref(a);
	return STORE_OK;
}

/* A Story from a row of STORY_COLUMNS, with empty feeds and items. */
static json_t *
story_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = 0;

	if (o == NULL)
		return NULL;
	bad |= json_object_set_new(o, "id", jint(st, 0));
	bad |= json_object_set_new(o, "title", jtext(st, 1));
	bad |= json_object_set_new(o, "first_seen", jtime(st, 2));
	bad |= json_object_set_new(o, "published", jtime(st, 3));
	bad |= json_object_set_new(o, "updated", jtime(st, 4));
	bad |= json_object_set_new(o, "sources", jint(st, 5));
	bad |= json_object_set_new(o, "unread", json_false());
	bad |= json_object_set_new(o, "feeds", json_array());
	bad |= json_object_set_new(o, "items", json_array());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Adds an item (a row of ITEM_COLUMNS) to its story object. */
static int
story_add_item(json_t *story, sqlite3_stmt *st)
{
	json_t *feeds = json_object_get(story, "feeds"), *f, *item;
	int64_t feed_id = sqlite3_column_int64(st, 1);
	size_t i;

	if ((item = item_json(st)) == NULL ||
	    json_array_append_new(json_object_get(story, "items"), item) == -1)
		return -1;
	if (!sqlite3_column_int(st, 12) &&
	    json_object_set_new(story, "unread", json_true()) == -1)
		return -1;
	json_array_foreach(feeds, i, f)
		if (json_integer_value(json_object_get(f, "id")) == feed_id)
			return 0;
	return json_array_append_new(feeds, jfeed_ref(st, 1, 2));
}

/*
 * Fills the items (oldest first), feeds and unread flag of the stories
 * in the array with one query.  The ids go in as a JSON array of numbers.
 */
static int
stories_fill(struct store *s, json_t *stories)
{
	sqlite3_stmt *st = s->st[ST_STORY_ITEMS];
	json_t *ids = json_array(), *byid = json_object(), *story;
	char key[32], *text = NULL;
	size_t i;
	int rc, ret = STORE_ERR;

	if (ids == NULL || byid == NULL)
		goto oom;
	json_array_foreach(stories, i, story) {
		json_int_t id = json_integer_value(json_object_get(story,
		    "id"));

		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, id);
		if (json_array_append_new(ids, json_integer(id)) == -1 ||
		    json_object_set(byid, key, story) == -1)
			goto oom;
	}
	if ((text = json_dumps(ids, JSON_COMPACT)) == NULL)
		goto oom;
	bind_text(st, 1, text, STORE_MAX_LENGTH);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		snprintf(key, sizeof(key), "%lld",
		    (long long)sqlite3_column_int64(st, 3));
		if ((story = json_object_get(byid, key)) != NULL &&
		    story_add_item(story, st) == -1) {
			store_seterr(s, "out of memory");
			break;
		}
	}
	stmt_done(st);
	if (rc == SQLITE_DONE)
		ret = STORE_OK;
	goto done;
 oom:
	store_seterr(s, "out of memory");
 done:
	free(text);
	json_decref(ids);
	json_decref(byid);
	return ret;
}

/* Binds the filters of a query as ?1..?8 of ST_STORIES / ST_ITEMS. */
static void
bind_query(sqlite3_stmt *st, const struct store_query *q)
{
	int limit = q->limit;

	if (limit <= 0)
		limit = STORE_LIMIT_DEFAULT;
	if (limit > STORE_LIMIT_MAX)
		limit = STORE_LIMIT_MAX;
	bind_time(st, 1, q->since);
	bind_time(st, 2, q->until);
	bind_text(st, 3, q->tag, STORE_MAX_SHORT);
	sqlite3_bind_int(st, 4, q->unread != 0);
	if (q->feed_id != 0)
		sqlite3_bind_int64(st, 5, q->feed_id);
	sqlite3_bind_int(st, 6, limit);
	sqlite3_bind_int(st, 7, q->starred != 0);
	sqlite3_bind_int(st, 8, q->min_sources);
}

/* Story rows of a prepared statement into an array, then their items. */
static int
stories_collect(struct store *s, sqlite3_stmt *st, json_t **out)
{
	json_t *a = json_array(), *story;
	int rc, ret = STORE_OK;

	*out = NULL;
	if (a == NULL) {
		stmt_done(st);
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	while ((rc = stmt_step(s, st)) == SQLITE_ROW)
		if ((story = story_json(st)) == NULL ||
		    json_array_append_new(a, story) == -1) {
			store_seterr(s, "out of memory");
			ret = STORE_ERR;
			break;
		}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = STORE_ERR;
	stmt_done(st);
	if (ret == STORE_OK && json_array_size(a) > 0)
		ret = stories_fill(s, a);
	if (ret != STORE_OK) {
		json_decref(a);
		return ret;
	}
	*out = a;
	return STORE_OK;
}

int
store_json_stories(struct store *s, const struct store_query *q,
    json_t **out)
{
	json_t *a;
	int rc;

	*out = NULL;
	bind_query(s->st[ST_STORIES], q);
	if ((rc = stories_collect(s, s->st[ST_STORIES], &a)) != STORE_OK)
		return rc;
	if ((*out = json_pack("{s:o}", "stories", a)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Hops a merge chain from a story id that no longer exists (bounded). */
#define STORE_MERGE_HOPS	16

static int
story_follow(struct store *s, int64_t *id)
{
	sqlite3_stmt *st;
	int hop, rc;

	for (hop = 0; hop < STORE_MERGE_HOPS; hop++) {
		st = s->st[ST_STORY_EXISTS];
		sqlite3_bind_int64(st, 1, *id);
		rc = stmt_step(s, st);
		stmt_done(st);
		if (rc == SQLITE_ROW)
			return STORE_OK;
		if (rc != SQLITE_DONE)
			return STORE_ERR;
		st = s->st[ST_MERGE_FIND];
		sqlite3_bind_int64(st, 1, *id);
		rc = stmt_step(s, st);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(st, 0);
		stmt_done(st);
		if (rc == SQLITE_DONE)
			return STORE_OK;	/* not found: the caller says so */
		if (rc != SQLITE_ROW)
			return STORE_ERR;
	}
	return STORE_OK;
}

int
store_json_story(struct store *s, int64_t id, json_t **out)
{
	json_t *a;
	int rc;

	*out = NULL;
	/* A story merged away answers as the one it went into. */
	if ((rc = story_follow(s, &id)) != STORE_OK)
		return rc;
	sqlite3_bind_int64(s->st[ST_STORY_ONE], 1, id);
	if ((rc = stories_collect(s, s->st[ST_STORY_ONE], &a)) != STORE_OK)
		return rc;
	if (json_array_size(a) == 0) {
		json_decref(a);
		store_seterr(s, "no story with id %" PRId64, id);
		return STORE_NOTFOUND;
	}
	*out = json_incref(json_array_get(a, 0));
	json_decref(a);
	return STORE_OK;
}

/*
 * Item rows of a bound statement as {"items": [...]}; with search, each
 * row also has its snippet and bm25 rank after the ITEM_FIELDS.
 */
static int
items_collect(struct store *s, sqlite3_stmt *st, int search, json_t **out)
{
	json_t *a = json_array(), *item;
	int rc, ret = STORE_OK;

	*out = NULL;
	if (a == NULL) {
		stmt_done(st);
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	while ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		if ((item = item_json(st)) == NULL ||
		    (search && (json_object_set_new(item, "snippet",
		    jtext(st, ITEM_NFIELDS)) == -1 ||
		    json_object_set_new(item, "rank", json_real(
		    sqlite3_column_double(st, ITEM_NFIELDS + 1))) == -1)) ||
		    json_array_append_new(a, item) == -1) {
			json_decref(item);
			store_seterr(s, "out of memory");
			ret = STORE_ERR;
			break;
		}
	}
	if (ret == STORE_OK && rc != SQLITE_DONE)
		ret = STORE_ERR;
	stmt_done(st);
	if (ret == STORE_OK &&
	    (*out = json_pack("{s:o}", "items", a)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	if (ret != STORE_OK)
		json_decref(a);
	return ret;
}

int
store_json_items(struct store *s, const struct store_query *q, json_t **out)
{
	bind_query(s->st[ST_ITEMS], q);
	return items_collect(s, s->st[ST_ITEMS], 0, out);
}

/* Reading state */

/*
 * Turns the words of a user's query into an FTS5 query: each word a
 * quoted string (so '-', ':', '"' and FTS5 keywords are plain text), all
 * of them required; a trailing '*' keeps a word a prefix.  NULL when no
 * word is left or memory ran out.
 */
static char *
fts_query(const char *in)
{
	size_t len = strlen(in), i, o = 0;
	char *out;
	int inword = 0;

	/* Worst case: every byte a one-letter word: "x"*, plus a space. */
	if (len > (SIZE_MAX - 1) / 5 || (out = malloc(len * 5 + 1)) == NULL)
		return NULL;
	for (i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)in[i];
		int space = ch == '\0' || ch == ' ' || ch == '\t' || ch == '\n' ||
		    ch == '\r';

		if (space || (ch == '*' && inword && (i + 1 == len ||
		    in[i + 1] == ' ' || in[i + 1] == '\t'))) {
			if (inword) {
				out[o++] = '"';
				if (ch == '*')
					out[o++] = '*';
				inword = 0;
			}
			continue;
		}
		if (!inword) {
			if (o > 0)
				out[o++] = ' ';
			out[o++] = '"';
			inword = 1;
		}
		if (ch == '"')
			out[o++] = '"';
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The connection to the search index and its statement, made once. */
static int
search_open(struct store *s)
{
	char err[STORE_ERR_LEN];

	if (s->search != NULL)
		return STORE_OK;
	if (s->sdb == NULL &&
	    (s->sdb = store_fts_reader(s->path, err, sizeof(err))) == NULL) {
		store_seterr(s, "%s", err);
		return STORE_ERR;
	}
	if (sqlite3_prepare_v3(s->sdb, SEARCH_SQL, -1,
	    SQLITE_PREPARE_PERSISTENT, &s->search, NULL) != SQLITE_OK) {
		store_seterr(s, "cannot prepare the search: %s",
		    sqlite3_errmsg(s->sdb));
		return STORE_ERR;
	}
	return STORE_OK;
}

int
store_json_search(struct store *s, const char *words,
    const struct store_query *q, json_t **out)
{
	sqlite3_stmt *st;
	char *fq;
	int rc;

	*out = NULL;
	if ((fq = fts_query(words)) == NULL) {
		store_seterr(s, "no words to search for");
		return STORE_INVALID;
	}
	if ((rc = search_open(s)) != STORE_OK) {
		free(fq);
		return rc;
	}
	st = s->search;
	bind_query(st, q);
	bind_text(st, 9, fq, STORE_MAX_SHORT);
	rc = items_collect(s, st, 1, out);
	free(fq);
	return rc;
}

int
store_story_mark(struct store *s, int64_t story, enum store_mark what,
    int on)
{
	sqlite3_stmt *st = s->st[ST_STORY_MARK];

	/* A client may still hold the id of a story merged away. */
	if (story_follow(s, &story) != STORE_OK)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, story);
	sqlite3_bind_text(st, 2, what == STORE_MARK_READ ? "read" : "starred",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, on != 0);
	return stmt_exec_one(s, st, "story", story);
}

int
store_mark_all_read(struct store *s, int64_t before, int64_t feed_id,
    int64_t *changed)
{
	sqlite3_stmt *st = s->st[ST_MARK_ALL];

	bind_time(st, 1, before);
	if (feed_id != 0)
		sqlite3_bind_int64(st, 2, feed_id);
	if (stmt_exec(s, st) != STORE_OK)
		return STORE_ERR;
	*changed = sqlite3_changes(s->db);
	return STORE_OK;
}

/* Feed settings */

/* STORE_OK for a feed added by hand; STORE_EXISTS for a config feed. */
static int
feed_from_config(struct store *s, int64_t id)
{
	sqlite3_stmt *st = s->st[ST_FEED_FROM_CONFIG];
	int rc, conf = 0;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = stmt_step(s, st)) == SQLITE_ROW)
		conf = sqlite3_column_int(st, 0);
	stmt_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return STORE_ERR;
	if (!conf)
		return STORE_OK;
	store_seterr(s, "feed %" PRId64 " comes from the config file: change "
	    "its url there", id);
	return STORE_EXISTS;
}

int
store_feed_edit(struct store *s, int64_t id, const struct store_feed_edit *e)
{
	sqlite3_stmt *st = s->st[ST_FEED_EDIT];
	char *u = NULL;
	int64_t other;
	int rc;

	if (e->set_interval && e->interval < 0) {
		store_seterr(s, "negative poll interval");
		return STORE_INVALID;
	}
	if (e->url != NULL && (u = feed_url(e->url)) == NULL) {
		store_seterr(s, "not an absolute http or https URL");
		return STORE_INVALID;
	}
	if ((rc = tx_begin(s)) != STORE_OK)
		goto done;
	/*
	 * The config file names a feed by its URL: a new one there would
	 * make the next reload drop this feed, items and all, and add the
	 * old URL again.
	 */
	if (u != NULL && (rc = feed_from_config(s, id)) != STORE_OK)
		goto rollback;
	if (u != NULL && (rc = feed_by_url(s, u, &other)) != STORE_NOTFOUND) {
		if (rc == STORE_OK && other != id) {
			store_seterr(s, "a feed with this URL exists already");
			rc = STORE_EXISTS;
			goto rollback;
		}
		if (rc != STORE_OK)
			goto rollback;
	}
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, nonempty(e->title), STORE_MAX_SHORT);
	sqlite3_bind_int64(st, 3, e->interval);
	bind_text(st, 4, u, STORE_MAX_LENGTH);
	sqlite3_bind_int(st, 6, e->set_title);
	sqlite3_bind_int(st, 7, e->set_interval);
	sqlite3_bind_int(st, 8, u != NULL);
	sqlite3_bind_int64(st, 9, time_now());
	if ((rc = stmt_exec_one(s, st, "feed", id)) != STORE_OK)
		goto rollback;
	if (e->set_tags && (rc = feed_set_tags(s, id, e->tags)) != STORE_OK)
		goto rollback;
	rc = tx_commit(s);
 rollback:
	if (rc != STORE_OK)
		tx_rollback(s);
 done:
	free(u);
	return rc;
}

int
store_feed_pause(struct store *s, int64_t id, int paused)
{
	sqlite3_stmt *st = s->st[ST_FEED_PAUSE];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, paused != 0);
	sqlite3_bind_int64(st, 3, time_now());
	return stmt_exec_one(s, st, "feed", id);
}

/* Digest bookmarks: rare requests, so statements are prepared per call. */

int
store_bookmark_get(struct store *s, const char *name, int64_t *until)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT until FROM bookmarks WHERE "
	    "name = ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK) {
		store_dberr(s);
		sqlite3_finalize(st);
		return STORE_ERR;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*until = sqlite3_column_int64(st, 0);
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOTFOUND;
		break;
	default:
		store_dberr(s);
		rc = STORE_ERR;
		break;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_bookmark_set(struct store *s, const char *name, int64_t until,
    int check, int64_t prev)
{
	/* Compare and set in one statement: two runs cannot both move it. */
	static const char *const sql[] = {
		"INSERT INTO bookmarks (name, until) VALUES (?1, ?2) "
		"ON CONFLICT (name) DO UPDATE SET until = excluded.until",
		"INSERT INTO bookmarks (name, until) VALUES (?1, ?2) "
		"ON CONFLICT (name) DO NOTHING",
		"UPDATE bookmarks SET until = ?2 WHERE name = ?1 AND "
		"until = ?3",
	};
	int which = !check ? 0 : prev == STORE_BOOKMARK_NONE ? 1 : 2;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql[which], -1, &st, NULL) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 2, until) != SQLITE_OK ||
	    (which == 2 && sqlite3_bind_int64(st, 3, prev) != SQLITE_OK)) {
		store_dberr(s);
		sqlite3_finalize(st);
		return STORE_ERR;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_dberr(s);
		rc = STORE_ERR;
	} else
		rc = sqlite3_changes(s->db) == 1 ? STORE_OK : STORE_EXISTS;
	sqlite3_finalize(st);
	return rc;
}

/* Recluster */

/* One item as recluster reads it. */
struct rc_item {
	int64_t	 id, story, t;
	char	*title, *summary;
	int	 dated, clustered;
};

static void
rc_items_free(struct rc_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].title);
		free(v[i].summary);
	}
	free(v);
}

/* The items to recluster, oldest first, read before any is changed. */
static int
rc_items_read(struct store *s, int64_t since, struct rc_item **out, size_t *n)
{
	sqlite3_stmt *st = s->st[ST_RECLUSTER_ITEMS];
	struct rc_item *v = NULL, *nv;
	size_t cap = 0;
	int rc, oom = 0;

	*n = 0;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = stmt_step(s, st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				oom = 1;
				break;
			}
			v = nv;
		}
		nv = &v[(*n)++];
		nv->id = sqlite3_column_int64(st, 0);
		nv->story = sqlite3_column_int64(st, 1);
		nv->title = col_strdup(st, 2, &oom);
		nv->summary = col_strdup(st, 3, &oom);
		nv->t = sqlite3_column_int64(st, 4);
		nv->dated = sqlite3_column_int(st, 5);
		nv->clustered = sqlite3_column_int(st, 6);
		if (oom)
			break;
	}
	stmt_done(st);
	if (oom || rc != SQLITE_DONE) {
		rc_items_free(v, *n);
		*n = 0;
		if (oom)
			store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	*out = v;
	return STORE_OK;
}

/*
 * Places one item again: the best story of the index, else its own story
 * when no earlier item of this run took that row, else a new story.
 * Carrying the row over keeps the story's id and state columns.  An item
 * that proves two stories one merges them, as when it was first stored.
 */
static int
rc_place(struct store *s, const struct rc_item *it, struct idlist *touched,
    struct store_recluster *out)
{
	struct cluster_doc *d = NULL;
	struct cluster_match m;
	sqlite3_stmt *st;
	int64_t target = it->story;
	int rc = STORE_ERR;

	memset(&m, 0, sizeof(m));
	if ((d = cluster_doc_new(s->cl, it->title, it->summary)) == NULL) {
		store_seterr(s, "out of memory");
		return STORE_ERR;
	}
	if (it->clustered)
		cluster_match(s->cl, d, it->dated ? it->t :
		    CLUSTER_TIME_UNKNOWN, &m);
	/* The emptied story is tidied (deleted) with the others at the end. */
	if (m.merged != 0) {
		if (story_merge(s, m.merged, m.story) != STORE_OK)
			goto done;
		if (idlist_add(touched, m.merged) == -1) {
			store_seterr(s, "out of memory");
			goto done;
		}
		out->merges++;
	}
	if (m.story != 0)
		target = m.story;
	else if (cluster_has(s->cl, it->story)) {
		st = s->st[ST_STORY_NEW];
		sqlite3_bind_int64(st, 1, it->t);
		if (stmt_exec(s, st) != STORE_OK)
			goto done;
		target = sqlite3_last_insert_rowid(s->db);
	}
	st = s->st[ST_ITEM_SET_STORY];
	sqlite3_bind_int64(st, 1, it->id);
	sqlite3_bind_int64(st, 2, target);
	if (stmt_exec(s, st) != STORE_OK ||
	    (m.story != 0 && item_why(s, it->id, &m) != STORE_OK))
		goto done;
	if (target != it->story) {
		out->moved++;
		/* Where the old story went, should it end up empty. */
		st = s->st[ST_MERGE_NOTE];
		sqlite3_bind_int64(st, 1, it->story);
		sqlite3_bind_int64(st, 2, target);
		if (stmt_exec(s, st) != STORE_OK)
			goto done;
	}
	if (idlist_add(touched, it->story) == -1 ||
	    idlist_add(touched, target) == -1 ||
	    cluster_add(s->cl, d, target, it->t) == -1) {
		store_seterr(s, "out of memory");
		goto done;
	}
	rc = STORE_OK;
 done:
	cluster_doc_free(d);
	return rc;
}

int
store_recluster(struct store *s, int64_t since, struct store_recluster *out)
{
	struct rc_item *v = NULL;
	struct idlist touched = { NULL, 0, 0 };
	size_t n = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->cenabled) {
		store_seterr(s, "clustering is disabled ([cluster] enabled = "
		    "no)");
		return STORE_INVALID;
	}
	if (since == TIME_NONE)
		since = INT64_MIN;
	if ((rc = tx_begin(s)) != STORE_OK)
		return rc;
	/* Stories before `since` stay as they are and are joinable. */
	if ((rc = cluster_load(s, since)) != STORE_OK ||
	    (rc = rc_items_read(s, since, &v, &n)) != STORE_OK)
		goto fail;
	for (i = 0; i < n && rc == STORE_OK; i++)
		rc = rc_place(s, &v[i], &touched, out);
	for (i = 0; i < touched.n && rc == STORE_OK; i++)
		rc = story_tidy(s, touched.v[i]);
	/* Merge notes only for stories that are gone. */
	if (rc == STORE_OK && sqlite3_exec(s->db, "DELETE FROM story_merges"
	    " WHERE old_id IN (SELECT id FROM stories)", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		store_dberr(s);
		rc = STORE_ERR;
	}
	if (rc == STORE_OK) {
		cl_invalidate();	/* the other stores' indexes too */
		rc = tx_commit(s);
	}
	if (rc != STORE_OK)
		goto fail;
	out->items = n;
	rc_items_free(v, n);
	free(touched.v);
	/* The index now holds only this run's part: rebuild on next use. */
	cluster_free(s->cl);
	s->cl = NULL;
	return STORE_OK;
 fail:
	tx_rollback(s);
	rc_items_free(v, n);
	free(touched.v);
	out->moved = out->merges = 0;
	return rc == STORE_INVALID ? rc : STORE_ERR;
}

/* The connection, for the store_*.c modules that keep their own SQL. */
sqlite3 *
store_sqlite(struct store *s)
{
	return s->db;
}

/* store_errmsg() for those modules. */
void
store_set_sqlite_error(struct store *s)
{
	store_seterr(s, "%s", sqlite3_errmsg(s->db));
}
