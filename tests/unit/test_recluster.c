/*
 * test_recluster.c - recluster in the store: one transaction, story ids
 * and state kept, merged ids answer as the story they went into.
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

/* One item in a feed of its own, committed as a poll. */
static void
ingest(struct store *s, int64_t feed, const char *guid, const char *title,
    int64_t published)
{
	struct feed_doc d;
	struct feed_item *it;
	struct store_fetch f;
	struct store_ingest st;
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
	memset(&st, 0, sizeof(st));
	CHECK_INT(store_commit_fetch(s, &f, &st), STORE_OK);
	CHECK_INT(st.added, 1);
	feed_doc_free(&d);
}

static long long
story_of(const char *guid)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT story_id FROM items WHERE guid = "
	    "'%s'", guid);
	return sql_int(sql);
}

int
main(void)
{
	struct cluster_params strict = { 0.99, CLUSTER_WINDOW_DEFAULT, 0 };
	struct cluster_params normal = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT };
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
	unlink(dbpath);
	snprintf(sql, sizeof(sql), "%s/tidings.db-wal", tmpdir);
	unlink(sql);
	snprintf(sql, sizeof(sql), "%s/tidings.db-shm", tmpdir);
	unlink(sql);
	rmdir(tmpdir);
	return TEST_DONE();
}
