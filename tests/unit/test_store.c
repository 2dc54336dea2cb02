/*
 * test_store.c - the SQLite store against a real database in a private
 * temporary directory: schema, feeds, the one-transaction commit of a
 * poll, stories, scheduling queries, config sync and the JSON views.
 * A second, raw SQLite connection looks at what was really written.
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
#include "util.h"

#define T0	INT64_C(1682538060)	/* 2023-04-26T19:41:00Z */
#define HOUR	INT64_C(3600)

static char tmpdir[64];
static char dbpath[128];

/* Raw connection helpers */

/* First column of the first row of sql as an integer; -1 on error. */
static long long
sql_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/*
 * The counts `status` shows (kept by triggers) agree with the rows.
 */
static void
check_counts(const char *when)
{
	long long ok = sql_int("SELECT items = (SELECT count(*) FROM items)"
	    " AND unread = (SELECT count(*) FROM items WHERE read = 0)"
	    " AND stories = (SELECT count(*) FROM stories) FROM counts");

	if (ok != 1)
		fprintf(stderr, "counts wrong %s\n", when);
	CHECK_INT(ok, 1);
}

/* First column of the first row as text into buf ("" on error or NULL). */
static const char *
sql_text(const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const unsigned char *t;

	buf[0] = '\0';
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL)
		str_copy(buf, (const char *)t, len);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static int
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Documents and polls */

static struct feed_item *
add_item(struct feed_doc *d, const char *guid, const char *title,
    const char *link, int64_t published)
{
	struct feed_item *it = feed_doc_add_item(d);

	if (it == NULL)
		abort();
	it->guid = str_dup(guid);
	it->title = str_dup(title);
	it->link = str_dup(link);
	it->summary = str_dup("a summary");
	it->published = published;
	return it;
}

/* A successful 200 with items and no new validators. */
static int
commit_doc(struct store *s, int64_t feed, const struct feed_doc *d,
    int64_t at, struct store_ingest *st)
{
	struct store_fetch f;

	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = at;
	f.next_poll = at + HOUR;
	f.http_status = 200;
	f.doc = d;
	return store_commit_fetch(s, &f, st);
}

/* The story of the item with this guid in feed, or -1. */
static long long
story_of(struct store *s, int64_t feed, const char *guid)
{
	struct store_query q;
	json_t *o = NULL, *it;
	long long story = -1;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.since = q.until = TIME_NONE;
	q.feed_id = feed;
	q.limit = STORE_LIMIT_MAX;
	if (store_json_items(s, &q, &o) != STORE_OK)
		return -1;
	json_array_foreach(json_object_get(o, "items"), i, it)
		if (json_is_string(json_object_get(it, "guid")) &&
		    strcmp(json_string_value(json_object_get(it, "guid")),
		    guid) == 0)
			story = json_integer_value(json_object_get(it,
			    "story"));
	json_decref(o);
	return story;
}

/* A member of a Story object fetched by id (integer members). */
static long long
story_int(struct store *s, long long id, const char *member)
{
	json_t *o = NULL;
	long long v = -1;

	if (store_json_story(s, id, &o) == STORE_OK)
		v = json_integer_value(json_object_get(o, member));
	json_decref(o);
	return v;
}

static int
is_time(json_t *v)
{
	const char *t = json_string_value(v);

	return t != NULL && strlen(t) == 20 && t[4] == '-' && t[10] == 'T' &&
	    t[19] == 'Z';
}

static int
is_time_or_null(json_t *v)
{
	return json_is_null(v) || is_time(v);
}

static int
is_str_or_null(json_t *v)
{
	return json_is_null(v) || json_is_string(v);
}

/* Tests */

static void
test_open(void)
{
	struct store *s;
	char err[256], bad[192];
	long long version;

	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	/* Every migration step ran (their number grows with the schema). */
	version = sql_int("PRAGMA user_version");
	CHECK(version >= 1);
	CHECK_INT(sql_int("SELECT count(*) FROM pragma_table_info('feeds')"
	    " WHERE name IN ('poll_every', 'moved_url', 'moved_since')"), 3);
	CHECK_INT(sql_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name IN ('feeds', 'items', 'stories', 'feed_tags')"), 4);
	CHECK_STR(sql_text("PRAGMA journal_mode", err, sizeof(err)), "wal");
	store_close(s);
	/* Reopening migrates nothing and keeps the version. */
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(sql_int("PRAGMA user_version"), version);
	store_close(s);
	store_close(NULL);

	/* No such directory: NULL and a reason. */
	err[0] = '\0';
	snprintf(bad, sizeof(bad), "%s/nodir/t.db", tmpdir);
	CHECK(store_open(bad, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');

	/* A database from a newer tidingsd is refused, not touched. */
	snprintf(bad, sizeof(bad), "%s/newer.db", tmpdir);
	CHECK(sql_exec(bad, "PRAGMA user_version = 99") == 0);
	err[0] = '\0';
	CHECK(store_open(bad, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "99") != NULL);

	/* Not a database at all: refused. */
	snprintf(bad, sizeof(bad), "%s/garbage.db", tmpdir);
	{
		FILE *fp = fopen(bad, "w");
		int i;

		CHECK(fp != NULL);
		if (fp != NULL) {
			for (i = 0; i < 512; i++)
				fputs("this is not an SQLite database ", fp);
			fclose(fp);
		}
	}
	err[0] = '\0';
	CHECK(store_open(bad, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
}

static void
test_feeds(struct store *s, int64_t *a, int64_t *b)
{
	struct store_feed f;
	int64_t id = 0, now = time_now();

	CHECK_INT(store_feed_add(s, "https://a.example/feed.xml", "Alpha",
	    " news , world,,", 1800, a), STORE_OK);
	CHECK(*a > 0);
	CHECK_INT(store_feed_add(s, "https://a.example/feed.xml", NULL, NULL,
	    0, &id), STORE_EXISTS);
	CHECK_INT(store_feed_add(s, "ftp://a.example/feed.xml", NULL, NULL, 0,
	    &id), STORE_INVALID);
	CHECK_INT(store_feed_add(s, "javascript:alert(1)", NULL, NULL, 0,
	    &id), STORE_INVALID);
	CHECK_INT(store_feed_add(s, NULL, NULL, NULL, 0, &id), STORE_INVALID);
	CHECK_INT(store_feed_add(s, "https://neg.example/", NULL, NULL, -1,
	    &id), STORE_INVALID);
	CHECK_INT(store_feed_add(s, "http://b.example/rss", NULL, "tech", 0,
	    b), STORE_OK);
	CHECK(*b > *a);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds"), 2);

	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, *a, &f), STORE_OK);
	CHECK_INT(f.id, *a);
	CHECK_STR(f.url, "https://a.example/feed.xml");
	CHECK_STR(f.title, "Alpha");
	CHECK_INT(f.interval, 1800);
	CHECK(f.next_poll >= now - 5 && f.next_poll <= now + 5);
	CHECK_INT(f.polls, 0);
	CHECK(f.etag == NULL && f.last_modified == NULL);
	store_feed_free(&f);
	CHECK(f.url == NULL);
	CHECK_INT(store_feed_get(s, 999999, &f), STORE_NOTFOUND);
	/* The tags, trimmed, empty ones dropped, in order. */
	CHECK_INT(sql_int("SELECT count(*) FROM feed_tags"), 3);
}

static void
test_commit(struct store *s, int64_t a)
{
	struct feed_doc d;
	struct store_ingest st;
	struct feed_item *it;
	struct store_feed f;

	feed_doc_init(&d);
	d.title = str_dup("Alpha News");
	d.link = str_dup("https://a.example/");
	add_item(&d, "a1", "Xi holds phone talks with Ukrainian President "
	    "Zelensky", "https://news.example/xi?utm_source=alpha#top",
	    T0 - 2 * HOUR);
	it = add_item(&d, "a2", "Second story", "https://a.example/2", T0);
	it->author = str_dup("Ann");
	it->content = str_dup("<p>body</p>");
	it->categories = calloc(1, sizeof(char *));
	it->categories[0] = str_dup("World");
	it->ncategories = 1;
	it->enclosures = calloc(1, sizeof(*it->enclosures));
	it->enclosures[0].url = str_dup("https://a.example/a.mp3");
	it->enclosures[0].type = str_dup("audio/mpeg");
	it->enclosures[0].length = 1234;
	it->nenclosures = 1;
	/* The same guid twice in one document: not a reason to fail. */
	add_item(&d, "a1", "Xi holds phone talks with Ukrainian President "
	    "Zelensky", "https://news.example/xi?utm_source=alpha#top",
	    T0 - 2 * HOUR);
	/* Nothing to know it by: skipped. */
	add_item(&d, NULL, NULL, NULL, T0);

	memset(&st, 0xff, sizeof(st));
	CHECK_INT(commit_doc(s, a, &d, T0, &st), STORE_OK);
	CHECK_INT(st.added, 2);
	CHECK_INT(st.updated, 0);
	CHECK_INT(st.unchanged, 1);
	CHECK_INT(sql_int("SELECT count(*) FROM items"), 2);
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), 2);
	CHECK_INT(sql_int("SELECT first_seen FROM items WHERE guid = 'a2'"),
	    T0);
	CHECK_INT(sql_int("SELECT count(*) FROM items WHERE guid = 'a2' AND "
	    "categories LIKE '%World%' AND enclosures LIKE '%audio/mpeg%'"),
	    1);

	/* The same document again: nothing new, nothing duplicated. */
	CHECK_INT(sql_int("UPDATE items SET read = 1, starred = 1 WHERE "
	    "guid = 'a2' RETURNING 1"), 1);
	CHECK_INT(commit_doc(s, a, &d, T0 + HOUR, &st), STORE_OK);
	CHECK_INT(st.added, 0);
	CHECK_INT(st.updated, 0);
	CHECK_INT(st.unchanged, 3);
	CHECK_INT(sql_int("SELECT count(*) FROM items"), 2);

	/* A changed title: updated in place, reader state kept. */
	free(d.items[1].title);
	d.items[1].title = str_dup("Second story, updated");
	CHECK_INT(commit_doc(s, a, &d, T0 + 2 * HOUR, &st), STORE_OK);
	CHECK_INT(st.added, 0);
	CHECK_INT(st.updated, 1);
	CHECK_INT(st.unchanged, 2);
	CHECK_INT(sql_int("SELECT count(*) FROM items"), 2);
	CHECK_INT(sql_int("SELECT read + starred FROM items WHERE guid = "
	    "'a2' AND title = 'Second story, updated' AND first_seen = "
	    "1682538060"), 2);
	/* The story follows its item's new title. */
	CHECK_INT(sql_int("SELECT count(*) FROM stories WHERE title = "
	    "'Second story, updated'"), 1);

	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, a, &f), STORE_OK);
	CHECK_STR(f.title, "Alpha");	/* the user's name wins */
	CHECK_INT(f.polls, 3);
	CHECK_INT(f.next_poll, T0 + 3 * HOUR);
	store_feed_free(&f);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds WHERE site_title = "
	    "'Alpha News' AND site_link = 'https://a.example/'"), 1);
	feed_doc_free(&d);
}

/* One poll with the given outcome and no items. */
static int
commit_poll(struct store *s, int64_t feed, long status, const char *error,
    int not_modified, int newval, const char *etag, const char *lm,
    int64_t at)
{
	struct store_fetch f;
	struct feed_doc d;
	int rc;

	feed_doc_init(&d);
	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = at;
	f.next_poll = at + HOUR;
	f.http_status = status;
	f.error = error;
	f.not_modified = not_modified;
	f.new_validators = newval;
	f.etag = etag;
	f.last_modified = lm;
	f.doc = not_modified || error != NULL ? NULL : &d;
	rc = store_commit_fetch(s, &f, NULL);
	feed_doc_free(&d);
	return rc;
}

static void
test_validators(struct store *s, int64_t b)
{
	struct store_feed f;
	char buf[512];

	CHECK_INT(commit_poll(s, b, 200, NULL, 0, 1, "\"v1\"",
	    "Wed, 26 Apr 2023 19:41:00 GMT", T0), STORE_OK);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_STR(f.etag, "\"v1\"");
	CHECK_STR(f.last_modified, "Wed, 26 Apr 2023 19:41:00 GMT");
	CHECK_INT(f.polls, 1);
	store_feed_free(&f);

	/* 304: kept (even if the caller passed others), counted a success. */
	CHECK_INT(commit_poll(s, b, 304, NULL, 1, 1, "\"other\"", NULL,
	    T0 + 10), STORE_OK);
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_STR(f.etag, "\"v1\"");
	CHECK_STR(f.last_modified, "Wed, 26 Apr 2023 19:41:00 GMT");
	store_feed_free(&f);
	snprintf(buf, sizeof(buf), "SELECT last_success FROM feeds WHERE "
	    "id = %lld", (long long)b);
	CHECK_INT(sql_int(buf), T0 + 10);

	/* Errors: kept, failures counted, last_success unchanged. */
	CHECK_INT(commit_poll(s, b, 0, "connection refused", 0, 0, NULL, NULL,
	    T0 + 20), STORE_OK);
	CHECK_INT(commit_poll(s, b, 500, "HTTP 500", 0, 1, NULL, NULL, T0 + 30),
	    STORE_OK);
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_STR(f.etag, "\"v1\"");
	CHECK_STR(f.last_modified, "Wed, 26 Apr 2023 19:41:00 GMT");
	CHECK_INT(f.polls, 4);
	store_feed_free(&f);
	snprintf(buf, sizeof(buf), "SELECT failures * 1000000 + last_status "
	    "FROM feeds WHERE id = %lld AND last_error = 'HTTP 500' AND "
	    "last_success = %lld AND last_fetch = %lld", (long long)b,
	    (long long)(T0 + 10), (long long)(T0 + 30));
	CHECK_INT(sql_int(buf), 2000500);

	/* A 200 without new validators keeps them and clears the error. */
	CHECK_INT(commit_poll(s, b, 200, NULL, 0, 0, NULL, NULL, T0 + 40),
	    STORE_OK);
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_STR(f.etag, "\"v1\"");
	store_feed_free(&f);
	snprintf(buf, sizeof(buf), "SELECT count(*) FROM feeds WHERE id = "
	    "%lld AND failures = 0 AND last_error IS NULL AND last_success "
	    "= %lld", (long long)b, (long long)(T0 + 40));
	CHECK_INT(sql_int(buf), 1);

	/* A 200 with new validators replaces them; NULL clears. */
	CHECK_INT(commit_poll(s, b, 200, NULL, 0, 1, "\"v2\"", NULL, T0 + 50),
	    STORE_OK);
	CHECK_INT(store_feed_get(s, b, &f), STORE_OK);
	CHECK_STR(f.etag, "\"v2\"");
	CHECK_STR(f.last_modified, NULL);
	CHECK_INT(f.polls, 6);
	store_feed_free(&f);

	/* Polling stopped (next_poll TIME_NONE) and restarted. */
	CHECK_INT(store_feed_schedule(s, b, T0), STORE_OK);
	CHECK_INT(store_feed_schedule(s, 999999, T0), STORE_NOTFOUND);
}

static void
test_stories(struct store *s, int64_t a, int64_t b)
{
	struct feed_doc d;
	struct store_ingest st;
	long long sa, sb;
	json_t *o = NULL, *items, *feeds;

	/* Feed b links the same article as a1, spelled differently. */
	feed_doc_init(&d);
	add_item(&d, "b1", "XI HOLDS PHONE TALKS \xe2\x80\x94 with Ukrainian "
	    "president Zelensky!", "https://NEWS.example/xi#comments",
	    T0 - HOUR);
	/* Same normalized title, 24 h apart, no common link. */
	add_item(&d, "b2", "Apple unveils a new phone!",
	    "https://b.example/apple", T0 + 24 * HOUR);
	/* Same normalized title as a3 below but 72 h apart. */
	add_item(&d, "b3", "Storm hits the coast", "https://b.example/storm",
	    T0 + 72 * HOUR);
	CHECK_INT(commit_doc(s, b, &d, T0 + 100, &st), STORE_OK);
	CHECK_INT(st.added, 3);
	feed_doc_free(&d);

	feed_doc_init(&d);
	add_item(&d, "a3", "STORM hits the coast.", "https://a.example/storm",
	    T0);
	/* No published time: the window uses first_seen (T0 + 200). */
	add_item(&d, "a4", "apple unveils a NEW phone", "https://a.example/ap",
	    TIME_NONE);
	CHECK_INT(commit_doc(s, a, &d, T0 + 200, &st), STORE_OK);
	CHECK_INT(st.added, 2);
	feed_doc_free(&d);

	sa = story_of(s, a, "a1");
	sb = story_of(s, b, "b1");
	CHECK(sa > 0);
	CHECK_INT(sb, sa);
	CHECK_INT(story_int(s, sa, "sources"), 2);
	CHECK_INT(story_of(s, a, "a4"), story_of(s, b, "b2"));
	CHECK_INT(story_int(s, story_of(s, a, "a4"), "sources"), 2);
	CHECK(story_of(s, a, "a3") != story_of(s, b, "b3"));
	CHECK_INT(story_int(s, story_of(s, a, "a3"), "sources"), 1);
	/* a1 a2 a3 a4 b1 b2 b3 in: a1+b1, a2, a3, a4+b2, b3. */
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), 5);
	CHECK_INT(sql_int("SELECT count(*) FROM items WHERE story_id IS "
	    "NULL"), 0);

	/* The shared story: its Story object. */
	CHECK_INT(store_json_story(s, sa, &o), STORE_OK);
	CHECK(json_is_object(o));
	CHECK_INT(json_integer_value(json_object_get(o, "id")), sa);
	/* The earliest item's title, the earliest time. */
	CHECK_STR(json_string_value(json_object_get(o, "title")),
	    "Xi holds phone talks with Ukrainian President Zelensky");
	CHECK_STR(json_string_value(json_object_get(o, "published")),
	    "2023-04-26T17:41:00Z");
	CHECK_STR(json_string_value(json_object_get(o, "first_seen")),
	    "2023-04-26T19:41:00Z");
	CHECK_STR(json_string_value(json_object_get(o, "updated")),
	    "2023-04-26T19:42:40Z");
	CHECK(json_is_true(json_object_get(o, "unread")));
	feeds = json_object_get(o, "feeds");
	CHECK(json_is_array(feeds) && json_array_size(feeds) == 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(feeds, 0),
	    "title")), "Alpha");
	items = json_object_get(o, "items");
	CHECK(json_is_array(items) && json_array_size(items) == 2);
	/* Oldest first. */
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 0),
	    "guid")), "a1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 1),
	    "guid")), "b1");
	json_decref(o);
	o = NULL;
	CHECK_INT(store_json_story(s, 999999, &o), STORE_NOTFOUND);
	CHECK(o == NULL);
}

static void
check_item_shape(json_t *it)
{
	json_t *f = json_object_get(it, "feed");

	CHECK(json_is_integer(json_object_get(it, "id")));
	CHECK(json_is_object(f) && json_is_integer(json_object_get(f, "id")) &&
	    is_str_or_null(json_object_get(f, "title")));
	CHECK(json_is_integer(json_object_get(it, "story")));
	CHECK(is_str_or_null(json_object_get(it, "title")));
	CHECK(is_str_or_null(json_object_get(it, "link")));
	CHECK(is_str_or_null(json_object_get(it, "guid")));
	CHECK(is_time_or_null(json_object_get(it, "published")));
	CHECK(is_time_or_null(json_object_get(it, "updated")));
	CHECK(is_time(json_object_get(it, "first_seen")));
	CHECK(is_str_or_null(json_object_get(it, "author")));
	CHECK(is_str_or_null(json_object_get(it, "summary")));
	CHECK(json_is_boolean(json_object_get(it, "read")));
	CHECK(json_is_boolean(json_object_get(it, "starred")));
	CHECK(is_str_or_null(json_object_get(it, "summary_html")));
	/* "cluster" only on items clustering joined to a story. */
	CHECK_INT(json_object_size(it), 14 +
	    (json_object_get(it, "cluster") != NULL));
}

static void
test_json(struct store *s, int64_t a, int64_t b)
{
	static const char *const feed_keys[] = { "id", "url", "title",
	    "site_title", "link", "tags", "interval", "paused", "from_config",
	    "items", "last_fetch", "last_success", "last_status",
	    "last_error", "failures", "next_poll", "polls", "etag",
	    "last_modified" };
	struct store_query q;
	json_t *o = NULL, *f, *arr, *v, *prev;
	size_t i, k;

	/* Status counts join what the caller put in. */
	o = json_pack("{s:s}", "version", "x");
	CHECK_INT(store_json_status(s, o), STORE_OK);
	CHECK_INT(json_integer_value(json_object_get(o, "feeds")), 2);
	CHECK_INT(json_integer_value(json_object_get(o, "items")), 7);
	CHECK_INT(json_integer_value(json_object_get(o, "stories")), 5);
	CHECK_INT(json_integer_value(json_object_get(o, "unread")), 6);
	CHECK_STR(json_string_value(json_object_get(o, "version")), "x");
	json_decref(o);

	CHECK_INT(store_json_feeds(s, &o), STORE_OK);
	arr = json_object_get(o, "feeds");
	CHECK(json_is_array(arr) && json_array_size(arr) == 2);
	json_array_foreach(arr, i, f) {
		for (k = 0; k < sizeof(feed_keys) / sizeof(feed_keys[0]); k++)
			CHECK(json_object_get(f, feed_keys[k]) != NULL);
		CHECK_INT(json_object_size(f),
		    sizeof(feed_keys) / sizeof(feed_keys[0]));
		CHECK(json_is_integer(json_object_get(f, "id")));
		CHECK(json_is_string(json_object_get(f, "url")));
		CHECK(json_is_array(json_object_get(f, "tags")));
		CHECK(json_is_integer(json_object_get(f, "interval")));
		CHECK(json_is_boolean(json_object_get(f, "paused")));
		CHECK(json_is_boolean(json_object_get(f, "from_config")));
		CHECK(json_is_integer(json_object_get(f, "items")));
		CHECK(is_time(json_object_get(f, "last_fetch")));
		CHECK(is_time_or_null(json_object_get(f, "last_success")));
		CHECK(json_is_integer(json_object_get(f, "last_status")));
		CHECK(json_is_null(json_object_get(f, "last_error")));
		CHECK(json_is_integer(json_object_get(f, "failures")));
		CHECK(is_time(json_object_get(f, "next_poll")));
		CHECK(json_is_integer(json_object_get(f, "polls")));
		CHECK(is_str_or_null(json_object_get(f, "etag")));
		CHECK(is_str_or_null(json_object_get(f, "last_modified")));
	}
	/* Ordered by id. */
	CHECK_INT(json_integer_value(json_object_get(json_array_get(arr, 0),
	    "id")), a);
	json_decref(o);

	CHECK_INT(store_json_feed(s, a, &o), STORE_OK);
	CHECK_STR(json_string_value(json_object_get(o, "title")), "Alpha");
	CHECK_STR(json_string_value(json_object_get(o, "site_title")),
	    "Alpha News");
	CHECK_STR(json_string_value(json_object_get(o, "link")),
	    "https://a.example/");
	v = json_object_get(o, "tags");
	CHECK(json_array_size(v) == 2);
	CHECK_STR(json_string_value(json_array_get(v, 0)), "news");
	CHECK_STR(json_string_value(json_array_get(v, 1)), "world");
	CHECK_INT(json_integer_value(json_object_get(o, "items")), 4);
	CHECK_INT(json_integer_value(json_object_get(o, "interval")), 1800);
	CHECK(json_is_false(json_object_get(o, "paused")));
	CHECK(json_is_false(json_object_get(o, "from_config")));
	CHECK(json_is_null(json_object_get(o, "etag")));
	CHECK_STR(json_string_value(json_object_get(o, "last_fetch")),
	    "2023-04-26T19:44:20Z");
	json_decref(o);
	o = NULL;
	CHECK_INT(store_json_feed(s, 999999, &o), STORE_NOTFOUND);
	CHECK(o == NULL);
	/* No user title: the feed's own; none yet: null. */
	CHECK_INT(store_json_feed(s, b, &o), STORE_OK);
	CHECK(json_is_null(json_object_get(o, "title")));
	CHECK_STR(json_string_value(json_object_get(o, "etag")), "\"v2\"");
	json_decref(o);

	/* Stories: newest first by published, every one with its items. */
	memset(&q, 0, sizeof(q));
	q.since = q.until = TIME_NONE;
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	arr = json_object_get(o, "stories");
	CHECK(json_is_array(arr) && json_array_size(arr) == 5);
	prev = NULL;
	json_array_foreach(arr, i, v) {
		CHECK(json_is_integer(json_object_get(v, "id")));
		CHECK(is_str_or_null(json_object_get(v, "title")));
		CHECK(is_time(json_object_get(v, "first_seen")));
		CHECK(is_time(json_object_get(v, "published")));
		CHECK(is_time(json_object_get(v, "updated")));
		CHECK(json_is_integer(json_object_get(v, "sources")));
		CHECK(json_is_boolean(json_object_get(v, "unread")));
		CHECK(json_is_array(json_object_get(v, "feeds")));
		CHECK(json_array_size(json_object_get(v, "items")) ==
		    (size_t)json_integer_value(json_object_get(v, "sources")));
		CHECK_INT(json_object_size(v), 9);
		check_item_shape(json_array_get(json_object_get(v, "items"),
		    0));
		/* RFC 3339 strings of one length compare as times do. */
		if (prev != NULL)
			CHECK(strcmp(json_string_value(json_object_get(prev,
			    "published")), json_string_value(
			    json_object_get(v, "published"))) >= 0);
		prev = v;
	}
	/* b3 (T0 + 72 h) is the newest. */
	CHECK_INT(json_integer_value(json_object_get(json_array_get(arr, 0),
	    "id")), story_of(s, b, "b3"));
	json_decref(o);

	/* Filters. */
	q.limit = 2;
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 2);
	json_decref(o);
	q.limit = 0;
	q.tag = "tech";		/* b's tag: stories with an item of b */
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 3);
	json_decref(o);
	q.tag = "nosuchtag";
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 0);
	json_decref(o);
	q.tag = NULL;
	q.feed_id = a;
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 4);
	json_decref(o);
	q.feed_id = 0;
	q.unread = 1;		/* a2 is read: its story goes */
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 4);
	json_decref(o);
	q.unread = 0;
	q.since = T0 + 150;	/* updated: only the stories a3/a4 joined */
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 2);
	json_decref(o);
	q.since = TIME_NONE;
	q.until = T0 + 50;
	CHECK_INT(store_json_stories(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "stories")), 1);
	json_decref(o);

	/* Items: newest first, since/until on first_seen. */
	memset(&q, 0, sizeof(q));
	q.since = q.until = TIME_NONE;
	CHECK_INT(store_json_items(s, &q, &o), STORE_OK);
	arr = json_object_get(o, "items");
	CHECK(json_is_array(arr) && json_array_size(arr) == 7);
	json_array_foreach(arr, i, v)
		check_item_shape(v);
	CHECK_STR(json_string_value(json_object_get(json_array_get(arr, 0),
	    "guid")), "b3");
	/* a4 has no published time: null, and sorted by first_seen. */
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(json_object_get(v, "guid")),
		    "a4") == 0) {
			CHECK(json_is_null(json_object_get(v, "published")));
			CHECK_INT(i, 2);	/* after b3 and b2 */
		}
	json_decref(o);
	q.since = T0 + 150;
	CHECK_INT(store_json_items(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 2);
	json_decref(o);
	q.since = TIME_NONE;
	q.until = T0;
	q.unread = 1;
	CHECK_INT(store_json_items(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 1);	/* a1 */
	json_decref(o);
	q.until = TIME_NONE;
	q.unread = 0;
	q.tag = "world";
	CHECK_INT(store_json_items(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 4);
	json_decref(o);
	q.tag = NULL;
	q.limit = 3;
	q.feed_id = b;
	CHECK_INT(store_json_items(s, &q, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 3);
	json_decref(o);
}

/* A commit that fails half-way leaves nothing behind. */
static void
test_atomic(struct store *s, int64_t a)
{
	struct feed_doc d;
	struct store_ingest st;
	struct store_fetch f;
	long long items, stories, polls;
	char buf[512];

	snprintf(buf, sizeof(buf), "SELECT polls FROM feeds WHERE id = %lld",
	    (long long)a);
	items = sql_int("SELECT count(*) FROM items");
	stories = sql_int("SELECT count(*) FROM stories");
	polls = sql_int(buf);
	/* The third insert fails inside the transaction. */
	CHECK(sql_exec(dbpath, "CREATE TRIGGER boom BEFORE INSERT ON items "
	    "WHEN NEW.guid = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); "
	    "END") == 0);
	feed_doc_init(&d);
	add_item(&d, "x1", "Fresh one", "https://a.example/x1", T0);
	add_item(&d, "x2", "Fresh two", "https://a.example/x2", T0);
	add_item(&d, "boom", "Fails", "https://a.example/boom", T0);
	memset(&f, 0, sizeof(f));
	f.feed_id = a;
	f.fetched_at = T0 + 500;
	f.next_poll = T0 + 600;
	f.http_status = 200;
	f.doc = &d;
	f.new_validators = 1;
	f.etag = "\"lost\"";
	memset(&st, 0, sizeof(st));
	CHECK_INT(store_commit_fetch(s, &f, &st), STORE_ERR);
	CHECK(strstr(store_errmsg(s), "boom") != NULL);
	CHECK_INT(st.added, 0);
	CHECK_INT(sql_int("SELECT count(*) FROM items"), items);
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), stories);
	CHECK_INT(sql_int(buf), polls);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds WHERE etag = "
	    "'\"lost\"'"), 0);
	CHECK(sql_exec(dbpath, "DROP TRIGGER boom") == 0);
	/* The store works on after the failure. */
	CHECK_INT(store_commit_fetch(s, &f, &st), STORE_OK);
	CHECK_INT(st.added, 3);
	CHECK_INT(sql_int("SELECT count(*) FROM items"), items + 3);
	CHECK_INT(sql_int(buf), polls + 1);
	feed_doc_free(&d);
}

static void
test_delete(struct store *s, int64_t a, int64_t b)
{
	long long shared = story_of(s, a, "a1"), only_b = story_of(s, b, "b3");
	struct feed_doc d;
	json_t *o = NULL;

	CHECK_INT(story_int(s, shared, "sources"), 2);
	CHECK_INT(store_feed_delete(s, b), STORE_OK);
	CHECK_INT(store_feed_delete(s, b), STORE_NOTFOUND);
	CHECK_INT(sql_int("SELECT count(*) FROM items WHERE "
	    "guid GLOB 'b[0-9]'"), 0);
	CHECK_INT(sql_int("SELECT count(*) FROM feed_tags WHERE tag = 'tech'"),
	    0);
	CHECK_INT(story_int(s, shared, "sources"), 1);
	CHECK_INT(store_json_story(s, shared, &o), STORE_OK);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 1);
	CHECK_INT(json_array_size(json_object_get(o, "feeds")), 1);
	json_decref(o);
	o = NULL;
	CHECK_INT(store_json_story(s, only_b, &o), STORE_NOTFOUND);
	CHECK_INT(sql_int("SELECT count(*) FROM stories s WHERE NOT EXISTS "
	    "(SELECT 1 FROM items i WHERE i.story_id = s.id)"), 0);
	CHECK_INT(sql_int("SELECT count(*) FROM stories s WHERE sources != "
	    "(SELECT count(DISTINCT feed_id) FROM items i WHERE i.story_id = "
	    "s.id)"), 0);

	/* A poll that ends after its feed was deleted. */
	feed_doc_init(&d);
	add_item(&d, "late", "Too late", "https://b.example/late", T0);
	CHECK_INT(commit_doc(s, b, &d, T0 + 900, NULL), STORE_NOTFOUND);
	CHECK_INT(sql_int("SELECT count(*) FROM items WHERE guid = 'late'"),
	    0);
	feed_doc_free(&d);
}

static void
test_due(struct store *s)
{
	struct store_feed out[8];
	int64_t id[5], excl[1], *ids = NULL, now = T0 + 10000;
	size_t n = 0, i;
	char buf[512];

	CHECK_INT(store_feed_add(s, "https://d1.example/", NULL, NULL, 0,
	    &id[0]), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://d2.example/", NULL, NULL, 0,
	    &id[1]), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://d3.example/", "Three", NULL, 0,
	    &id[2]), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://d4.example/", NULL, NULL, 0,
	    &id[3]), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://d5.example/", NULL, NULL, 0,
	    &id[4]), STORE_OK);
	/* Put every other feed in the future. */
	CHECK_INT(sql_int("UPDATE feeds SET next_poll = 9000000000 RETURNING "
	    "1"), 1);
	store_feed_schedule(s, id[0], now - 10);
	store_feed_schedule(s, id[1], now - 30);
	store_feed_schedule(s, id[2], now - 20);
	store_feed_schedule(s, id[3], now - 40);	/* paused below */
	store_feed_schedule(s, id[4], TIME_NONE);	/* polling stopped */
	snprintf(buf, sizeof(buf), "UPDATE feeds SET paused = 1 WHERE id = "
	    "%lld RETURNING 1", (long long)id[3]);
	CHECK_INT(sql_int(buf), 1);

	CHECK_INT(store_feeds_due(s, now, NULL, 0, out, 8, &n), STORE_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(out[0].id, id[1]);
		CHECK_INT(out[1].id, id[2]);
		CHECK_INT(out[2].id, id[0]);
		CHECK_STR(out[1].title, "Three");
		CHECK_STR(out[1].url, "https://d3.example/");
		CHECK_INT(out[1].next_poll, now - 20);
	}
	for (i = 0; i < n; i++)
		store_feed_free(&out[i]);
	excl[0] = id[1];
	CHECK_INT(store_feeds_due(s, now, excl, 1, out, 8, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(out[0].id, id[2]);
		CHECK_INT(out[1].id, id[0]);
	}
	for (i = 0; i < n; i++)
		store_feed_free(&out[i]);
	CHECK_INT(store_feeds_due(s, now, excl, 1, out, 1, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(out[0].id, id[2]);
	store_feed_free(&out[0]);
	CHECK_INT(store_feeds_due(s, now - 35, NULL, 0, out, 8, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_next_poll(s), now - 30);

	CHECK_INT(store_feed_ids(s, &ids, &n), STORE_OK);
	/* a (future), d1, d2, d3: not the paused nor the stopped one. */
	CHECK_INT(n, 4);
	for (i = 0; i < n; i++)
		CHECK(ids[i] != id[3] && ids[i] != id[4]);
	free(ids);

	/* Scheduling a stopped feed starts it again. */
	CHECK_INT(store_feed_schedule(s, id[4], now - 50), STORE_OK);
	CHECK_INT(store_next_poll(s), now - 50);
	for (i = 0; i < 5; i++)
		CHECK_INT(store_feed_delete(s, id[i]), STORE_OK);
}

static void
test_sync(struct store *s)
{
	struct store_conf_feed cf[3];
	int64_t client = 0, x = 0, y = 0, z = 0;
	json_t *o = NULL, *tags;
	int64_t now = time_now();

	CHECK_INT(store_feed_add(s, "https://x.example/feed", "Mine", NULL, 0,
	    &x), STORE_OK);
	CHECK_INT(store_feed_add(s, "https://client.example/", NULL, NULL, 0,
	    &client), STORE_OK);
	memset(cf, 0, sizeof(cf));
	cf[0].name = "Ex";
	cf[0].url = "https://x.example/feed";
	cf[0].tags = "one,two";
	cf[0].interval = 600;
	cf[1].name = "Why";
	cf[1].url = "https://y.example/feed";
	cf[1].tags = NULL;
	CHECK_INT(store_sync_config(s, cf, 2), STORE_OK);
	CHECK_INT(store_json_feed(s, x, &o), STORE_OK);
	CHECK_STR(json_string_value(json_object_get(o, "title")), "Ex");
	CHECK(json_is_true(json_object_get(o, "from_config")));
	CHECK_INT(json_integer_value(json_object_get(o, "interval")), 600);
	tags = json_object_get(o, "tags");
	CHECK_INT(json_array_size(tags), 2);
	CHECK_STR(json_string_value(json_array_get(tags, 1)), "two");
	json_decref(o);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds WHERE url = "
	    "'https://y.example/feed' AND from_config = 1 AND title = 'Why'"),
	    1);
	y = sql_int("SELECT id FROM feeds WHERE url = "
	    "'https://y.example/feed'");
	CHECK(y > 0);
	CHECK(sql_int("SELECT next_poll FROM feeds WHERE url = "
	    "'https://y.example/feed'") >= now - 5);

	/* Syncing the same again changes nothing. */
	CHECK_INT(store_sync_config(s, cf, 2), STORE_OK);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds"), 4);

	/* x leaves the config, y is renamed, z is new. */
	cf[0] = cf[1];
	cf[0].name = "Why Now";
	cf[0].tags = "t";
	cf[1].name = NULL;
	cf[1].url = "https://z.example/feed";
	CHECK_INT(store_sync_config(s, cf, 2), STORE_OK);
	CHECK_INT(store_json_feed(s, x, &o), STORE_NOTFOUND);
	CHECK_INT(store_json_feed(s, y, &o), STORE_OK);
	CHECK_STR(json_string_value(json_object_get(o, "title")), "Why Now");
	CHECK_INT(json_array_size(json_object_get(o, "tags")), 1);
	json_decref(o);
	z = sql_int("SELECT id FROM feeds WHERE url = "
	    "'https://z.example/feed' AND from_config = 1 AND title IS NULL");
	CHECK(z > 0);
	/* A feed the client added is not the config's to remove. */
	CHECK_INT(store_json_feed(s, client, &o), STORE_OK);
	CHECK(json_is_false(json_object_get(o, "from_config")));
	json_decref(o);

	/* A bad URL in the config: refused, nothing changed. */
	cf[1].url = "gopher://z.example/";
	CHECK_INT(store_sync_config(s, cf, 2), STORE_INVALID);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds WHERE url = "
	    "'https://z.example/feed'"), 1);
	/* An empty config removes every config feed, and only those. */
	CHECK_INT(store_sync_config(s, NULL, 0), STORE_OK);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds WHERE from_config = 1"),
	    0);
	CHECK_INT(store_feed_delete(s, client), STORE_OK);
}

int
main(void)
{
	struct store *s;
	char err[256], buf[64];
	int64_t a = 0, b = 0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-store-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);

	test_open();
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK(s != NULL);
		goto done;
	}
	test_feeds(s, &a, &b);
	test_commit(s, a);
	test_validators(s, b);
	test_stories(s, a, b);
	check_counts("after stories");
	test_json(s, a, b);
	test_atomic(s, a);
	check_counts("after a rolled back poll");
	test_delete(s, a, b);
	check_counts("after a feed was deleted");
	test_due(s);
	test_sync(s);
	check_counts("at the end");
	store_close(s);

	/* Reopen: everything committed is there, the file is sound. */
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(sql_int("SELECT count(*) FROM feeds"), 1);
	CHECK_STR(sql_text("PRAGMA integrity_check", buf, sizeof(buf)), "ok");
	CHECK_INT(sql_int("PRAGMA foreign_key_check"), -1);	/* no rows */
	store_close(s);
 done:
	snprintf(err, sizeof(err), "rm -rf '%s'", tmpdir);
	if (system(err) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return TEST_DONE();
}
