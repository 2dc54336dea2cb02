/*
 * test_checkpoint.c - WAL checkpoints on their own thread (checkpoint.c)
 * through a real store: the WAL of a writer that commits without pause
 * still starts again and stays small, a writer that may not wait gets
 * its WAL copied by the thread, the scheduler's sync is the thread's
 * too, and nothing committed is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "checkpoint.h"
#include "feed.h"
#include "store.h"
#include "util.h"

#define T0		INT64_C(1682538060)	/* 2023-04-26T19:41:00Z */
#define HOUR		INT64_C(3600)
/* A small WAL threshold, so that a few MB of commits make many cycles. */
#define FRAMES		64
#define PAGE		4096
#define POLLS		120
#define ITEMS		20	/* per poll */
#define SUMMARY		4000	/* bytes: about a page per item */
/* How long the thread may take to answer a kick (liveness only). */
#define WAIT_MS		10000

static char tmpdir[64], dbpath[128], walpath[160];

static long long
wal_size(void)
{
	struct stat sb;

	return stat(walpath, &sb) == 0 ? (long long)sb.st_size : 0;
}

static long long
count_items(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM items",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* One poll of feed with ITEMS new items, numbered from *serial. */
static int
commit_poll(struct store *s, int64_t feed, int *serial)
{
	struct feed_doc d;
	struct store_fetch f;
	struct feed_item *it;
	char guid[32], title[64];
	int i, rc;

	feed_doc_init(&d);
	for (i = 0; i < ITEMS; i++, (*serial)++) {
		if ((it = feed_doc_add_item(&d)) == NULL)
			abort();
		snprintf(guid, sizeof(guid), "g%d", *serial);
		snprintf(title, sizeof(title), "Headline number %d", *serial);
		it->guid = str_dup(guid);
		it->title = str_dup(title);
		if ((it->summary = malloc(SUMMARY + 1)) == NULL)
			abort();
		memset(it->summary, 'a' + *serial % 26, SUMMARY);
		it->summary[SUMMARY] = '\0';
		it->published = T0 + *serial;
	}
	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = T0;
	f.next_poll = T0 + HOUR;
	f.http_status = 200;
	f.doc = &d;
	rc = store_commit_fetch(s, &f, NULL);
	feed_doc_free(&d);
	return rc;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The ingest thread's case: commits back to back.  Without the writer
 * copying the last pages, the WAL would never start again and would
 * hold everything written (POLLS * ITEMS pages and more).
 */
static void
test_writer(struct store *s, struct checkpointer *c, int64_t feed,
    int *serial)
{
	long long peak = 0;
	int i, ok = 0;

	store_set_checkpointer(s, c, 1);
	for (i = 0; i < POLLS; i++) {
		ok += commit_poll(s, feed, serial) == STORE_OK;
		if (wal_size() > peak)
			peak = wal_size();
	}
	CHECK_INT(ok, POLLS);
	/*
	 * The writer copies itself past 4 times FRAMES (checkpoint.c), or
	 * right after a pass of the thread that it found running.  Without
	 * restarts the WAL would hold all the summaries and more.
	 */
	if (peak > 16LL * FRAMES * PAGE)
		fprintf(stderr, "WAL peaked at %lld bytes\n", peak);
	CHECK(peak <= 16LL * FRAMES * PAGE);
	CHECK(16LL * FRAMES * PAGE < (long long)POLLS * ITEMS * SUMMARY / 2);
	CHECK(checkpointer_passes(c) > 0);
	CHECK_INT(count_items(), *serial);
}

/* The loop's case: it never copies itself; the thread does it all. */
static void
test_loop_writer(struct store *s, struct checkpointer *c, int64_t feed,
    int *serial)
{
	long before = checkpointer_passes(c), waited;
	int i, ok = 0;

	store_set_checkpointer(s, c, 0);
	for (i = 0; i < 8; i++)
		ok += commit_poll(s, feed, serial) == STORE_OK;
	CHECK_INT(ok, 8);
	for (waited = 0; waited < WAIT_MS &&
	    checkpointer_passes(c) == before; waited += 10)
		sleep_ms(10);
	CHECK(checkpointer_passes(c) > before);
	CHECK_INT(count_items(), *serial);
}

/*
 * The scheduler's sync a second after polls: asked of the thread, even
 * for a WAL under the threshold, and the caller does not checkpoint.
 */
static void
test_sync_soon(struct store *s, struct checkpointer *c, int64_t feed,
    int *serial)
{
	long before, waited;

	store_set_checkpointer(s, c, 0);
	/* Let the thread finish what the last test asked of it. */
	for (waited = 0, before = -1; waited < WAIT_MS &&
	    before != checkpointer_passes(c); waited += 100) {
		before = checkpointer_passes(c);
		sleep_ms(100);
	}
	CHECK_INT(commit_poll(s, feed, serial), STORE_OK);
	CHECK_INT(checkpointer_passes(c), before);
	CHECK_INT(store_sync_soon(s), STORE_OK);
	for (waited = 0; waited < WAIT_MS &&
	    checkpointer_passes(c) == before; waited += 10)
		sleep_ms(10);
	CHECK(checkpointer_passes(c) > before);
}

int
main(void)
{
	struct store *s;
	struct checkpointer *c;
	char err[256];
	int64_t feed = 0;
	int serial = 0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-ckpt-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", tmpdir);
	snprintf(walpath, sizeof(walpath), "%s-wal", dbpath);
	if ((s = store_open(dbpath, err, sizeof(err))) == NULL ||
	    (c = checkpointer_start(dbpath, FRAMES, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		CHECK(0);
		return TEST_DONE();
	}
	CHECK_INT(store_feed_add(s, "https://a.example/feed", NULL, NULL, 0,
	    &feed), STORE_OK);
	test_writer(s, c, feed, &serial);
	test_loop_writer(s, c, feed, &serial);
	test_sync_soon(s, c, feed, &serial);
	store_close(s);
	checkpointer_stop(c);
	CHECK_INT(count_items(), serial);
	unlink(walpath);
	snprintf(err, sizeof(err), "%s-shm", dbpath);
	unlink(err);
	unlink(dbpath);
	rmdir(tmpdir);
	return TEST_DONE();
}
