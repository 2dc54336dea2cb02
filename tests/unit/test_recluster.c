/*
 * test_recluster.c - recluster and online story merges in the store: one
 * transaction, story ids and state kept, merged ids answer as the story
 * they went into.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "test.h"
#include "cluster.h"
#include "feed.h"
#include "store.h"
#include "util.h"

#define T0	INT64_C(1682538060)	/* 2023-04-26T19:41:00Z */
#define HOUR	INT64_C(3600)

static char dbpath[128];

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

static int
sql_exec(const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* One item in a feed of its own, committed as a poll; st: what it did. */
static void
ingest_st(struct store *s, int64_t feed, const char *guid, const char *title,
    int64_t published, struct store_ingest *st)
{
	struct feed_doc d;
	struct feed_item *it;
	struct store_fetch f;
	char link[128];

	feed_doc_init(&d);
	it = feed_doc_add_item(&d);
	CHECK(it != NULL);
	if (it == NULL)
		return;
	snprintf(link, sizeof(link), "https://example.%s/", guid);
	it->guid = str_dup(guid);
	it->title = str_dup(title);
	it->link = str_dup(link);
	it->published = published;
	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = published + HOUR;
	f.next_poll = published + 2 * HOUR;
	f.http_status = 200;
	f.doc = &d;
	memset(st, 0, sizeof(*st));
	CHECK_INT(store_commit_fetch(s, &f, st), STORE_OK);
	CHECK_INT(st->added, 1);
	feed_doc_free(&d);
}

static void
ingest(struct store *s, int64_t feed, const char *guid, const char *title,
    int64_t published)
{
	struct store_ingest st;

	ingest_st(s, feed, guid, title, published, &st);
}

static long long
story_of(const char *guid)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT story_id FROM items WHERE guid = "
	    "'%s'", guid);
	return sql_int(sql);
}

static void
db_remove(const char *tmpdir)
{
	char path[160];

	unlink(dbpath);
	snprintf(path, sizeof(path), "%s/tidings.db-wal", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tidings.db-shm", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

/*
 * Online merges: two stories of one event, then an item that matches
 * both folds the later into the earlier while polling.  The old id
 * answers as the survivor (and can still be marked), read and star
 * state ride on the items, and the old id is never given to a new story.
 */
static void
test_online_merge(void)
{
	struct cluster_params strict = { 0.99, CLUSTER_WINDOW_DEFAULT, 0, 0 };
	struct cluster_params normal = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct cluster_params off = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, 0, 0 };
	struct store_ingest st;
	char tmpdir[64], err[256], sql[160];
	struct store *s;
	int64_t fa = 0, fb = 0, fc = 0;
	long long sa, sb, sn;
	json_t *o = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-merge-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return;
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(store_feed_add(s, "https://a.example/f", "A", NULL, 0, &fa),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://b.example/f", "B", NULL, 0, &fb),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://c.example/f", "C", NULL, 0, &fc),
	    STORE_OK);
	/* Seeded so rarity means something. */
	ingest(s, fc, "c0", "Harry Belafonte dies at 96", T0 - HOUR);
	ingest(s, fc, "c00", "Biden and Yoon sign nuclear deterrence pact",
	    T0 - HOUR);

	/* Two stories of one event (a threshold nothing reaches). */
	store_cluster_configure(s, &strict, 1, 0);
	ingest(s, fa, "a1", "Xi and Zelensky hold phone call", T0);
	ingest(s, fb, "b1", "Zelenskyy calls China's Xi: first talks since "
	    "the invasion", T0 + HOUR);
	sa = story_of("a1");
	sb = story_of("b1");
	CHECK(sa > 0 && sb > sa);
	/* Read on one, starred on the other. */
	CHECK_INT(sql_exec("UPDATE items SET read = 1 WHERE guid = 'a1'"), 0);
	CHECK_INT(store_story_mark(s, sb, STORE_MARK_STARRED, 1), STORE_OK);

	/* Merges off: the bridge joins one story, both stay. */
	store_cluster_configure(s, &off, 1, 0);
	ingest_st(s, fc, "c1", "Xi and Zelensky hold first phone talks since "
	    "the invasion", T0 + 2 * HOUR, &st);
	CHECK_INT(st.merges, 0);
	CHECK(story_of("c1") == sa || story_of("c1") == sb);
	CHECK(story_of("a1") != story_of("b1"));

	/* Merges on: the next bridge folds the later story in the earlier. */
	store_cluster_configure(s, &normal, 1, 0);
	ingest_st(s, fa, "a2", "Xi and Zelensky hold phone call, first talks "
	    "since invasion", T0 + 3 * HOUR, &st);
	CHECK_INT(st.merges, 1);
	CHECK_INT(st.merge[0].from, sb);
	CHECK_INT(st.merge[0].into, sa);
	CHECK_INT(st.merge[0].item, sql_int("SELECT id FROM items WHERE guid = "
	    "'a2'"));
	CHECK(st.merge[0].score_into >= CLUSTER_MERGE_THRESHOLD_DEFAULT &&
	    st.merge[0].score_from >= CLUSTER_MERGE_THRESHOLD_DEFAULT);
	CHECK(st.merge[0].pair >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(story_of("a1"), sa);
	CHECK_INT(story_of("b1"), sa);
	CHECK_INT(story_of("c1"), sa);
	CHECK_INT(story_of("a2"), sa);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM stories WHERE id = "
	    "%lld", sb);
	CHECK_INT(sql_int(sql), 0);
	snprintf(sql, sizeof(sql), "SELECT new_id FROM story_merges WHERE "
	    "old_id = %lld", sb);
	CHECK_INT(sql_int(sql), sa);
	snprintf(sql, sizeof(sql), "SELECT sources FROM stories WHERE id = "
	    "%lld", sa);
	CHECK_INT(sql_int(sql), 3);
	/* The earliest headline's story: its time is its first item's. */
	snprintf(sql, sizeof(sql), "SELECT published FROM stories WHERE id = "
	    "%lld", sa);
	CHECK_INT(sql_int(sql), T0);
	/* Item state carried over. */
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'a1'"), 1);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'b1'"), 0);
	CHECK_INT(sql_int("SELECT starred FROM items WHERE guid = 'b1'"), 1);
	CHECK_INT(sql_int("SELECT starred FROM items WHERE guid = 'a1'"), 0);

	/* The old id answers as the survivor, and marks it. */
	CHECK_INT(store_json_story(s, sb, &o), STORE_OK);
	CHECK_INT(json_integer_value(json_object_get(o, "id")), sa);
	CHECK_INT(json_array_size(json_object_get(o, "items")), 4);
	json_decref(o);
	o = NULL;
	CHECK_INT(store_story_mark(s, sb, STORE_MARK_READ, 1), STORE_OK);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM items WHERE "
	    "story_id = %lld AND read = 0", sa);
	CHECK_INT(sql_int(sql), 0);

	/* All read: a new source keeps the merged story read. */
	ingest(s, fb, "b2", "Zelensky and Xi phone talks, the first since "
	    "the invasion", T0 + 4 * HOUR);
	CHECK_INT(story_of("b2"), sa);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'b2'"), 1);

	/* A new story never takes the merged-away id. */
	ingest(s, fb, "b3", "Sudan truce holds as evacuations continue",
	    T0 + 4 * HOUR);
	sn = story_of("b3");
	CHECK(sn > sb);
	CHECK_INT(store_json_story(s, sb, &o), STORE_OK);
	CHECK_INT(json_integer_value(json_object_get(o, "id")), sa);
	json_decref(o);

	/* Recluster regroups the same way and keeps the old id answering. */
	{
		struct store_recluster rc;

		CHECK_INT(store_recluster(s, TIME_NONE, &rc), STORE_OK);
		CHECK_INT(story_of("a1"), sa);
		CHECK_INT(story_of("b1"), sa);
		CHECK_INT(story_of("b3"), sn);
		snprintf(sql, sizeof(sql), "SELECT new_id FROM story_merges "
		    "WHERE old_id = %lld", sb);
		CHECK_INT(sql_int(sql), sa);
	}
	store_close(s);
	db_remove(tmpdir);
}

/*
 * With the index capped at cap items, does a late item still find the
 * story of an item stored five unrelated stories earlier?
 */
static int
late_item_joins(size_t cap)
{
	struct cluster_params normal = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	static const char *const others[] = {
		"Harry Belafonte dies at 96",
		"Biden and Yoon sign nuclear deterrence pact",
		"Sudan ceasefire falters as evacuations continue",
		"First Republic shares slump on deposit flight",
		"Tagesschau reports record heat in Bavaria",
	};
	char tmpdir[64], err[256], guid[16];
	struct store *s;
	int64_t fa = 0, fb = 0, fc = 0;
	size_t i;
	int joined;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-cap-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL) {
		db_remove(tmpdir);
		return -1;
	}
	CHECK_INT(store_feed_add(s, "https://a.example/f", "A", NULL, 0, &fa),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://b.example/f", "B", NULL, 0, &fb),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://c.example/f", "C", NULL, 0, &fc),
	    STORE_OK);
	store_cluster_configure(s, &normal, 1, 0);
	store_cluster_limit(s, cap);
	ingest(s, fa, "a1", "Volcano erupts near Reykjavik airport", T0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(guid, sizeof(guid), "c%zu", i);
		ingest(s, fc, guid, others[i], T0 + (int64_t)(i + 1) * HOUR);
	}
	ingest(s, fb, "b1", "Volcano erupts near Reykjavik airport, flights "
	    "halted", T0 + 7 * HOUR);
	joined = story_of("a1") == story_of("b1");
	store_close(s);
	db_remove(tmpdir);
	return joined;
}

/*
 * [cluster] max_items bounds the index: past the cap it keeps the newest
 * half, so an item that old is no longer matched, while without a cap
 * (and with a cap that holds it) it is.
 */
static void
test_index_cap(void)
{
	CHECK_INT(late_item_joins(0), 1);
	CHECK_INT(late_item_joins(100), 1);
	CHECK_INT(late_item_joins(4), 0);
}

int
main(void)
{
	struct cluster_params strict = { 0.99, CLUSTER_WINDOW_DEFAULT, 0, 0 };
	struct cluster_params normal = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct store_recluster rc;
	char tmpdir[64], err[256], sql[128];
	struct store *s;
	int64_t fa = 0, fb = 0, fc = 0;
	long long sa, sb, sc;
	json_t *o = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-recluster-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return TEST_DONE();
	CHECK_INT(store_feed_add(s, "https://a.example/f", "A", NULL, 0, &fa),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://b.example/f", "B", NULL, 0, &fb),
	    STORE_OK);
	CHECK_INT(store_feed_add(s, "https://c.example/f", "C", NULL, 0, &fc),
	    STORE_OK);

	/* A threshold nothing reaches: three stories. */
	store_cluster_configure(s, &strict, 1, 0);
	ingest(s, fa, "a1", "Xi holds phone talks with Ukrainian President "
	    "Zelensky", T0);
	ingest(s, fb, "b1", "Zelenskyy and Xi hold first phone talks since "
	    "the invasion", T0 + HOUR);
	ingest(s, fc, "c1", "Harry Belafonte dies at 96", T0 + 2 * HOUR);
	sa = story_of("a1");
	sb = story_of("b1");
	sc = story_of("c1");
	CHECK(sa > 0 && sb > 0 && sc > 0 && sa != sb && sb != sc);
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), 3);

	/* Read state on items, and a state column on stories (as the
	 * read/star feature adds): both must survive. */
	CHECK_INT(sql_exec("UPDATE items SET read = 1 WHERE guid = 'a1'"), 0);
	CHECK_INT(sql_exec("ALTER TABLE stories ADD COLUMN test_state "
	    "INTEGER"), 0);
	snprintf(sql, sizeof(sql), "UPDATE stories SET test_state = 7 WHERE "
	    "id = %lld", sa);
	CHECK_INT(sql_exec(sql), 0);

	/* Disabled: refused, nothing changed. */
	store_cluster_configure(s, &normal, 0, 0);
	CHECK_INT(store_recluster(s, TIME_NONE, &rc), STORE_INVALID);
	CHECK_INT(story_of("b1"), sb);

	/* The normal threshold: b1 joins a1's story, which keeps its row. */
	store_cluster_configure(s, &normal, 1, 0);
	CHECK_INT(store_recluster(s, TIME_NONE, &rc), STORE_OK);
	CHECK_INT(rc.items, 3);
	CHECK_INT(rc.moved, 1);
	CHECK_INT(story_of("a1"), sa);
	CHECK_INT(story_of("b1"), sa);
	CHECK_INT(story_of("c1"), sc);
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), 2);
	snprintf(sql, sizeof(sql), "SELECT test_state FROM stories WHERE id = "
	    "%lld", sa);
	CHECK_INT(sql_int(sql), 7);
	snprintf(sql, sizeof(sql), "SELECT sources FROM stories WHERE id = "
	    "%lld", sa);
	CHECK_INT(sql_int(sql), 2);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'a1'"), 1);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'b1'"), 0);
	/* b1 says why it joined. */
	CHECK(sql_int("SELECT cluster_score > 0 FROM items WHERE guid = "
	    "'b1'") == 1);

	/* The merged id answers as the story it went into. */
	CHECK_INT(store_json_story(s, sb, &o), STORE_OK);
	CHECK_INT(json_integer_value(json_object_get(o, "id")), sa);
	json_decref(o);
	o = NULL;
	CHECK_INT(store_json_story(s, 999999, &o), STORE_NOTFOUND);
	json_decref(o);

	/* Again: nothing moves (idempotent), since bounds it. */
	CHECK_INT(store_recluster(s, T0 + 90 * 60, &rc), STORE_OK);
	CHECK_INT(rc.items, 1);
	CHECK_INT(rc.moved, 0);
	CHECK_INT(store_recluster(s, TIME_NONE, &rc), STORE_OK);
	CHECK_INT(rc.moved, 0);
	CHECK_INT(sql_int("SELECT count(*) FROM stories"), 2);

	/* A read story stays read when an item joins it ... */
	CHECK_INT(sql_exec("UPDATE items SET read = 1"), 0);
	ingest(s, fc, "c2", "Xi and Zelensky hold phone talks, first since "
	    "the invasion", T0 + 3 * HOUR);
	CHECK_INT(story_of("c2"), sa);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'c2'"), 1);
	/* ... unless reopen_on_new_source; a new story is always unread. */
	store_cluster_configure(s, &normal, 1, 1);
	ingest(s, fb, "b2", "Zelensky and Xi phone talks: the first since "
	    "the invasion", T0 + 4 * HOUR);
	CHECK_INT(story_of("b2"), sa);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'b2'"), 0);
	store_cluster_configure(s, &normal, 1, 0);
	ingest(s, fa, "a3", "Sudan truce holds as evacuations continue",
	    T0 + 4 * HOUR);
	CHECK_INT(sql_int("SELECT read FROM items WHERE guid = 'a3'"), 0);

	/* A feed with cluster = no: its items keep stories of their own. */
	{
		struct store_conf_feed cf = { "D", "https://d.example/f", NULL,
		    0, 1 };

		CHECK_INT(store_sync_config(s, &cf, 1), STORE_OK);
		CHECK_INT(sql_int("SELECT cluster FROM feeds WHERE url = "
		    "'https://d.example/f'"), 0);
		ingest(s, sql_int("SELECT id FROM feeds WHERE url = "
		    "'https://d.example/f'"), "d1", "Zelensky and Xi speak by "
		    "phone, first talks since the invasion", T0 + 5 * HOUR);
		CHECK(story_of("d1") != sa);
		CHECK(sql_int("SELECT count(*) FROM items WHERE story_id = "
		    "(SELECT story_id FROM items WHERE guid = 'd1')") == 1);
	}

	store_close(s);
	db_remove(tmpdir);
	test_online_merge();
	test_index_cap();
	return TEST_DONE();
}
