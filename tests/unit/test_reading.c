/*
 * test_reading.c - the store's reading side (issue 6): full-text search
 * and its index through updates, deletes and the schema migration that
 * builds it; read and starred state of stories and its survival across
 * re-fetches; editing, pausing and resuming feeds; the new filters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "test.h"
#include "feed.h"
#include "store.h"
#include "store_fts.h"
#include "util.h"

#define T0	INT64_C(1782538060)
#define HOUR	INT64_C(3600)

static char tmpdir[64];
static char dbpath[128];

static int
sql_exec(const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
add_item(struct feed_doc *d, const char *guid, const char *title,
    const char *summary, int64_t published)
{
	struct feed_item *it = feed_doc_add_item(d);
	char link[128];

	if (it == NULL)
		abort();
	snprintf(link, sizeof(link), "https://example.org/%s", guid);
	it->guid = str_dup(guid);
	it->title = str_dup(title);
	it->link = str_dup(link);
	it->summary = str_dup(summary);
	it->published = published;
}

static int
commit_doc(struct store *s, int64_t feed, const struct feed_doc *d,
    int64_t at)
{
	struct store_fetch f;

	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = at;
	f.next_poll = at + HOUR;
	f.http_status = 200;
	f.doc = d;
	return store_commit_fetch(s, &f, NULL);
}

/*
 * The search result for words with q (NULL: no filter), or NULL; with
 * the index brought up to date first unless stale (the daemon's indexer
 * thread does that a moment after each commit).
 */
static json_t *
search_as_is(struct store *s, const char *words, const struct store_query *q,
    int stale)
{
	struct store_query none;
	char err[256];
	json_t *v = NULL;

	if (!stale && store_fts_catch_up(dbpath, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_fts_catch_up: %s\n", err);
		return NULL;
	}
	memset(&none, 0, sizeof(none));
	none.since = none.until = TIME_NONE;
	if (store_json_search(s, words, q != NULL ? q : &none, &v) !=
	    STORE_OK)
		return NULL;
	return v;
}

#define search(s, words, q)	search_as_is((s), (words), (q), 0)

/* Number of search hits, or -1 on error. */
static long long
hits_as_is(struct store *s, const char *words, const struct store_query *q,
    int stale)
{
	json_t *v = search_as_is(s, words, q, stale);
	long long n = v != NULL ?
	    (long long)json_array_size(json_object_get(v, "items")) : -1;

	json_decref(v);
	return n;
}

#define hits(s, words, q)	hits_as_is((s), (words), (q), 0)

/* The first search hit for words, as a new reference. */
static json_t *
first_hit(struct store *s, const char *words)
{
	json_t *v = search(s, words, NULL), *r;

	r = json_incref(json_array_get(json_object_get(v, "items"), 0));
	json_decref(v);
	return r;
}

/* A Story (story) or a Feed, as the API shows it, or NULL. */
static json_t *
get(struct store *s, int64_t id, int story)
{
	json_t *v = NULL;

	if ((story ? store_json_story(s, id, &v) : store_json_feed(s, id,
	    &v)) != STORE_OK)
		return NULL;
	return v;
}

#define story(s, id)	get((s), (id), 1)
#define feed(s, id)	get((s), (id), 0)

static void
test_search(struct store *s, int64_t a, int64_t b)
{
	struct feed_doc d;
	struct store_query q;
	json_t *h;
	const char *snip;

	feed_doc_init(&d);
	add_item(&d, "1", "Storm closes Baltic ports",
	    "Ferries between Kiel and Gdańsk stopped.", T0);
	add_item(&d, "2", "Harbour news", "A storm is coming to the coast.",
	    T0 + 60);
	add_item(&d, "3", "Café prices rise", "Coffee costs more.", T0 + 120);
	CHECK_INT(commit_doc(s, a, &d, T0 + 300), STORE_OK);
	feed_doc_free(&d);

	CHECK_INT(hits(s, "storm", NULL), 2);
	/* A title match ranks above a summary match. */
	h = first_hit(s, "storm");
	CHECK_STR(json_string_value(json_object_get(h, "title")),
	    "Storm closes Baltic ports");
	snip = json_string_value(json_object_get(h, "snippet"));
	CHECK(snip != NULL && strstr(snip, "\002Storm\003") != NULL);
	CHECK(json_is_real(json_object_get(h, "rank")));
	json_decref(h);
	/* Accents and case are folded; every word must match. */
	CHECK_INT(hits(s, "CAFE", NULL), 1);
	CHECK_INT(hits(s, "gdansk", NULL), 1);
	CHECK_INT(hits(s, "storm baltic", NULL), 1);
	CHECK_INT(hits(s, "storm nothing", NULL), 0);
	CHECK_INT(hits(s, "harb*", NULL), 1);
	CHECK_INT(hits(s, "harb", NULL), 0);
	/* FTS5 syntax is plain text, never an error. */
	CHECK_INT(hits(s, "\"", NULL), 0);
	CHECK_INT(hits(s, "storm OR", NULL), 0);
	CHECK_INT(hits(s, "NEAR(storm", NULL), 0);
	CHECK_INT(hits(s, "-storm", NULL), 2);
	CHECK_INT(hits(s, "title:storm", NULL), 0);
	CHECK_INT(hits(s, "   ", NULL), -1);

	/* The index follows an updated summary. */
	feed_doc_init(&d);
	add_item(&d, "3", "Café prices rise", "Tea costs more.", T0 + 120);
	CHECK_INT(commit_doc(s, a, &d, T0 + 600), STORE_OK);
	feed_doc_free(&d);
	CHECK_INT(hits(s, "coffee", NULL), 0);
	CHECK_INT(hits(s, "tea", NULL), 1);

	/* Filters apply: feed, then a second feed's item. */
	feed_doc_init(&d);
	add_item(&d, "9", "Storm in the Alps",
	    "Snow blocks the passes near Innsbruck.", T0 + 30);
	CHECK_INT(commit_doc(s, b, &d, T0 + 300), STORE_OK);
	feed_doc_free(&d);
	memset(&q, 0, sizeof(q));
	q.since = q.until = TIME_NONE;
	q.feed_id = b;
	CHECK_INT(hits(s, "storm", NULL), 3);
	CHECK_INT(hits(s, "storm", &q), 1);
	q.feed_id = 0;
	q.limit = 1;
	CHECK_INT(hits(s, "storm", &q), 1);
}

static void
test_state(struct store *s, int64_t a)
{
	struct store_query q;
	json_t *h, *st, *v = NULL;
	int64_t sid, n = -1;
	struct feed_doc d;

	h = first_hit(s, "baltic");
	sid = json_integer_value(json_object_get(h, "story"));
	json_decref(h);
	CHECK(sid > 0);

	CHECK_INT(store_story_mark(s, sid, STORE_MARK_READ, 1), STORE_OK);
	st = story(s, sid);
	CHECK(json_is_false(json_object_get(st, "unread")));
	json_decref(st);
	CHECK_INT(store_story_mark(s, 999999, STORE_MARK_READ, 1),
	    STORE_NOTFOUND);

	/* A re-fetch with changed text keeps the state. */
	feed_doc_init(&d);
	add_item(&d, "1", "Storm closes Baltic ports",
	    "Ferries stopped for a day.", T0);
	CHECK_INT(commit_doc(s, a, &d, T0 + 900), STORE_OK);
	feed_doc_free(&d);
	st = story(s, sid);
	CHECK(json_is_false(json_object_get(st, "unread")));
	json_decref(st);

	CHECK_INT(store_story_mark(s, sid, STORE_MARK_STARRED, 1), STORE_OK);
	memset(&q, 0, sizeof(q));
	q.since = q.until = TIME_NONE;
	q.starred = 1;
	CHECK_INT(store_json_stories(s, &q, &v), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(v, "stories")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(
	    json_object_get(v, "stories"), 0), "id")), sid);
	json_decref(v);
	CHECK_INT(store_story_mark(s, sid, STORE_MARK_STARRED, 0), STORE_OK);
	CHECK_INT(store_json_stories(s, &q, &v), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(v, "stories")), 0);
	json_decref(v);

	/* min_sources: every story here has one source. */
	q.starred = 0;
	q.min_sources = 2;
	CHECK_INT(store_json_stories(s, &q, &v), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(v, "stories")), 0);
	json_decref(v);
	q.min_sources = 1;
	CHECK_INT(store_json_stories(s, &q, &v), STORE_OK);
	CHECK(json_array_size(json_object_get(v, "stories")) >= 4);
	json_decref(v);

	CHECK_INT(store_story_mark(s, sid, STORE_MARK_READ, 0), STORE_OK);
	/* Before a time older than every item: nothing. */
	CHECK_INT(store_mark_all_read(s, T0, 0, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_mark_all_read(s, TIME_NONE, a, &n), STORE_OK);
	CHECK_INT(n, 3);
	CHECK_INT(store_mark_all_read(s, TIME_NONE, 0, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_mark_all_read(s, TIME_NONE, 0, &n), STORE_OK);
	CHECK_INT(n, 0);
}

static void
test_edit(struct store *s, int64_t a, int64_t b)
{
	struct store_feed_edit e;
	struct store_feed f;
	json_t *v;

	memset(&e, 0, sizeof(e));
	e.set_title = 1;
	e.title = "Mine";
	e.set_tags = 1;
	e.tags = "x, y";
	e.set_interval = 1;
	e.interval = 2 * HOUR;
	CHECK_INT(store_feed_edit(s, a, &e), STORE_OK);
	v = feed(s, a);
	CHECK_STR(json_string_value(json_object_get(v, "title")), "Mine");
	CHECK_INT(json_array_size(json_object_get(v, "tags")), 2);
	CHECK_INT(json_integer_value(json_object_get(v, "interval")),
	    2 * HOUR);
	json_decref(v);

	/* Only what is set changes. */
	memset(&e, 0, sizeof(e));
	e.set_tags = 1;
	CHECK_INT(store_feed_edit(s, a, &e), STORE_OK);
	v = feed(s, a);
	CHECK_STR(json_string_value(json_object_get(v, "title")), "Mine");
	CHECK_INT(json_array_size(json_object_get(v, "tags")), 0);
	json_decref(v);

	memset(&e, 0, sizeof(e));
	e.url = "https://example.net/b.xml";
	CHECK_INT(store_feed_edit(s, a, &e), STORE_EXISTS);
	e.url = "gopher://example.net/";
	CHECK_INT(store_feed_edit(s, a, &e), STORE_INVALID);
	e.url = "https://example.net/new.xml";
	CHECK_INT(store_feed_edit(s, 999999, &e), STORE_NOTFOUND);
	CHECK_INT(store_feed_edit(s, a, &e), STORE_OK);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, a, &f), STORE_OK);
	CHECK_STR(f.url, "https://example.net/new.xml");
	CHECK(f.etag == NULL);
	store_feed_free(&f);

	/* Paused: not due, not in the ids a refresh polls. */
	CHECK_INT(store_feed_pause(s, b, 1), STORE_OK);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_INT(f.paused, 1);
	store_feed_free(&f);
	CHECK_INT(store_feed_pause(s, b, 0), STORE_OK);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_INT(f.paused, 0);
	CHECK(f.next_poll <= time_now());
	store_feed_free(&f);
	CHECK_INT(store_feed_pause(s, 999999, 1), STORE_NOTFOUND);
}

/* Rows of a one-number query on the store, or -1. */
static long long
sql_count(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The search_pending of /v1/status, or -1. */
static long long
search_pending(struct store *s)
{
	json_t *o = json_object();
	long long n = -1;

	if (o != NULL && store_json_status(s, o) == STORE_OK &&
	    json_is_integer(json_object_get(o, "search_pending")))
		n = json_integer_value(json_object_get(o, "search_pending"));
	json_decref(o);
	return n;
}

/* Rewrites the index file with text that is not a database. */
static int
spoil_index(void)
{
	char path[sizeof(dbpath) + 16];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s.search", dbpath);
	unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	ok = fputs("not a database, not even close\n", f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The index in its own database is behind the store until caught up. */
static void
test_index_lag(struct store *s, int64_t *f)
{
	struct feed_doc d;

	CHECK_INT(store_feed_add(s, "https://example.net/c.xml", NULL, NULL,
	    0, f), STORE_OK);
	feed_doc_init(&d);
	add_item(&d, "z1", "Zeppelin lands in Friedrichshafen", "Slowly.",
	    T0 + 900);
	CHECK_INT(commit_doc(s, *f, &d, T0 + 900), STORE_OK);
	feed_doc_free(&d);
	CHECK_INT(hits_as_is(s, "zeppelin", NULL, 1), 0);
	CHECK_INT(hits(s, "zeppelin", NULL), 1);
}

/*
 * The indexer thread keeps the index up: a commit kicks it, status says
 * what it has left, its notes are pruned once taken in.
 */
static void
test_indexer(struct store *s, int64_t f)
{
	struct store_fts *fts;
	struct feed_doc d;
	char err[256];
	int i;

	/* The thread: a commit kicks it, status counts what it has left. */
	if ((fts = store_fts_start(dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_fts_start: %s\n", err);
		CHECK(0);
		return;
	}
	store_set_indexer(s, fts);
	feed_doc_init(&d);
	add_item(&d, "z2", "Airship museum reopens", "Quietly.", T0 + 960);
	CHECK_INT(commit_doc(s, f, &d, T0 + 960), STORE_OK);
	feed_doc_free(&d);
	for (i = 0; i < 500 && search_pending(s) != 0; i++)
		usleep(10 * 1000);
	CHECK_INT(search_pending(s), 0);
	CHECK_INT(hits_as_is(s, "airship", NULL, 1), 1);
	CHECK(sql_count("SELECT count(*) FROM fts_todo") > 0);
	CHECK_INT(store_sync(s), STORE_OK);
	CHECK_INT(sql_count("SELECT count(*) FROM fts_todo"), 0);
	/* A deleted feed's items leave the index the same way. */
	CHECK_INT(store_feed_delete(s, f), STORE_OK);
	for (i = 0; i < 500 && search_pending(s) != 0; i++)
		usleep(10 * 1000);
	CHECK_INT(hits_as_is(s, "airship OR zeppelin", NULL, 1), 0);
	store_set_indexer(s, NULL);
	store_fts_stop(fts);
}

int
main(void)
{
	struct store *s;
	char err[256];
	int64_t a = 0, b = 0, c = 0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-reading-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK(s != NULL);
		goto done;
	}
	CHECK_INT(store_feed_add(s, "https://example.net/a.xml", NULL, NULL,
	    0, &a), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://example.net/b.xml", NULL, NULL,
	    0, &b), STORE_OK);
	test_search(s, a, b);
	test_state(s, a);
	test_edit(s, a, b);

	/* Deleting a feed takes its items out of the index. */
	CHECK_INT(hits(s, "alps", NULL), 1);
	CHECK_INT(store_feed_delete(s, b), STORE_OK);
	CHECK_INT(hits(s, "alps", NULL), 0);
	store_close(s);

	/*
	 * A database from before the index: the migration builds it from
	 * the items already stored.  Undoes every step after 1 (a new
	 * migration step must be undone here too).
	 */
	CHECK(sql_exec("DROP INDEX feeds_last_batch; DROP INDEX items_story; "
	    "CREATE INDEX items_story ON items(story_id); "
	    "DROP TABLE fts_todo; DROP TABLE bookmarks; "
	    "ALTER TABLE stories DROP COLUMN title_item; "
	    "ALTER TABLE items DROP COLUMN batch; "
	    "ALTER TABLE feeds DROP COLUMN last_batch; "
	    "ALTER TABLE items DROP COLUMN cluster_score; "
	    "ALTER TABLE items DROP COLUMN cluster_terms; "
	    "ALTER TABLE feeds DROP COLUMN cluster; "
	    "DROP TABLE story_merges; "
	    "ALTER TABLE feeds DROP COLUMN poll_every; "
	    "ALTER TABLE feeds DROP COLUMN feed_ttl; "
	    "ALTER TABLE feeds DROP COLUMN skip_hours; "
	    "ALTER TABLE feeds DROP COLUMN skip_days; "
	    "ALTER TABLE feeds DROP COLUMN moved_url; "
	    "ALTER TABLE feeds DROP COLUMN moved_since; "
	    "DROP TRIGGER counts_item_add; DROP TRIGGER counts_item_del; "
	    "DROP TRIGGER counts_item_read; DROP TRIGGER counts_story_add; "
	    "DROP TRIGGER counts_story_del; DROP TABLE counts; "
	    "PRAGMA user_version = 1;") == 0);
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK(s != NULL);
		goto done;
	}
	/* The old index is not of this database any more: built anew. */
	CHECK_INT(hits(s, "baltic", NULL), 1);
	CHECK_INT(hits(s, "tea", NULL), 1);
	test_index_lag(s, &c);
	store_close(s);

	/* An index gone or damaged is built again from the items. */
	CHECK_INT(spoil_index(), 0);
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK(s != NULL);
		goto done;
	}
	CHECK_INT(hits(s, "zeppelin", NULL), 1);
	CHECK_INT(hits(s, "baltic", NULL), 1);
	test_indexer(s, c);
	store_close(s);
 done:
	snprintf(err, sizeof(err), "rm -rf '%s'", tmpdir);
	if (system(err) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return TEST_DONE();
}
