/*
 * store_fts.c - the search index database and its indexer thread (see
 * store_fts.h).
 *
 * Schema of DATABASE.search (user_version 1):
 *
 *   items_fts   FTS5 over (title, summary), rowid = the store's items.id;
 *               the summary as plain text (html_text).
 *   progress    one row: done_seq, the last store.fts_todo note taken
 *               in (NULL: the build has not begun), and built_upto, the
 *               last item id of a build under way (NULL: built).
 *
 * A build reads the notes' high-water mark and the first items in one
 * snapshot of the store, so every change after that snapshot has a
 * later note; notes are idempotent ("make rows lo..hi match"), so one
 * that repeats what a build chunk already read does no harm.
 *
 * The thread owns its connection; the store's writers only kick it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store_db.h"
#include "store_fts.h"

#define FTS_SUFFIX		".search"
#define FTS_VERSION		1
/* Notes taken in by one step: one transaction, one index segment. */
#define FTS_STEP_NOTES		512
/* Items a build step indexes. */
#define FTS_BUILD_ITEMS		4096
/*
 * After a kick the thread waits this long for more, so that a burst of
 * poll commits makes one segment rather than one each (ns).
 */
#define FTS_SETTLE_NS		(100L * 1000 * 1000)
/* After a failed step, the next try (seconds). */
#define FTS_RETRY_S		5
#define FTS_NS			(1000L * 1000 * 1000)
/* The index connection's page cache, KiB (negative: KiB to SQLite). */
#define FTS_CACHE_KIB		"-1024"
#define FTS_ERR_LEN		256

static const char FTS_SCHEMA[] =
    "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary,"
    "  tokenize = 'unicode61 remove_diacritics 2');"
    /* Fewer levels of segments to rewrite: see store.c, step 8. */
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);"
    "CREATE TABLE progress (done_seq INTEGER, built_upto INTEGER);"
    "INSERT INTO progress VALUES (NULL, 0);"
    "PRAGMA user_version = 1;";

/* The statements of a step, prepared once per connection. */
enum fts_stmt {
	FS_PROGRESS,
	FS_BUILT,
	FS_NOTES_LAST,
	FS_SEQ_MAX,
	FS_DROP,
	FS_ADD,
	FS_SET_DONE,
	FS_BUILD_LAST,
	FS_BUILD_ADD,
	FS_BUILD_SET,
	FS_COUNT
};

static const char *const fts_sql[FS_COUNT] = {
	[FS_PROGRESS] = "SELECT done_seq, built_upto FROM progress",
	[FS_BUILT] = "SELECT built_upto FROM progress",
	/* The last note of this step: at most FTS_STEP_NOTES of them. */
	[FS_NOTES_LAST] = "SELECT max(seq) FROM (SELECT seq FROM"
	    " store.fts_todo WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
	/* Every note ever made (AUTOINCREMENT remembers past prunes). */
	[FS_SEQ_MAX] = "SELECT coalesce((SELECT seq FROM store.sqlite_sequence"
	    " WHERE name = 'fts_todo'), 0)",
	/* Rows of noted ranges whose item is gone. */
	[FS_DROP] = "DELETE FROM items_fts WHERE rowid IN"
	    " (SELECT f.rowid FROM store.fts_todo t"
	    "  JOIN items_fts f ON f.rowid BETWEEN t.lo AND t.hi"
	    "  WHERE t.seq > ?1 AND t.seq <= ?2"
	    "  AND NOT EXISTS (SELECT 1 FROM store.items i"
	    "   WHERE i.id = f.rowid))",
	/* Noted items as they are now; one statement, one segment. */
	[FS_ADD] = "INSERT OR REPLACE INTO items_fts (rowid, title, summary)"
	    " SELECT i.id, i.title, html_text(i.summary) FROM store.items i"
	    " WHERE i.id IN (SELECT j.id FROM store.fts_todo t"
	    "  JOIN store.items j ON j.id BETWEEN t.lo AND t.hi"
	    "  WHERE t.seq > ?1 AND t.seq <= ?2)",
	[FS_SET_DONE] = "UPDATE progress SET done_seq = ?1",
	[FS_BUILD_LAST] = "SELECT max(id) FROM (SELECT id FROM store.items"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2)",
	[FS_BUILD_ADD] = "INSERT OR REPLACE INTO items_fts (rowid, title,"
	    " summary) SELECT id, title, html_text(summary) FROM store.items"
	    " WHERE id > ?1 AND id <= ?2",
	[FS_BUILD_SET] = "UPDATE progress SET built_upto = ?1",
};

/* A connection to the index, with the store attached. */
struct fts_db {
	sqlite3		*db;
	sqlite3_stmt	*st[FS_COUNT];
	char		 err[FTS_ERR_LEN];
};

struct store_fts {
	struct fts_db	 f;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 kicked;
	int		 stop;
	atomic_llong	 done;
};

char *
store_fts_path(const char *store_path)
{
	size_t n = strlen(store_path);
	char *p;

	if ((p = malloc(n + sizeof(FTS_SUFFIX))) == NULL)
		return NULL;
	memcpy(p, store_path, n);
	memcpy(p + n, FTS_SUFFIX, sizeof(FTS_SUFFIX));
	return p;
}

/* Runs a statement that returns nothing; SQLite's code. */
static int
exec(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* First column of the first row as an integer; -1 for NULL. */
static int
query_int(sqlite3_stmt *st, int64_t *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static void
db_close(struct fts_db *f)
{
	int i;

	for (i = 0; i < FS_COUNT; i++) {
		sqlite3_finalize(f->st[i]);
		f->st[i] = NULL;
	}
	sqlite3_close(f->db);
	f->db = NULL;
}

static int
db_fail(struct fts_db *f, const char *what)
{
	snprintf(f->err, sizeof(f->err), "%s: %s", what,
	    f->db != NULL ? sqlite3_errmsg(f->db) : "out of memory");
	return -1;
}

/*
 * Opens the index file (create: make it if missing), sets it up like the
 * store's own connections, and attaches the store.  The index is written
 * with synchronous = NORMAL: a power loss can only cost the last steps,
 * whose notes are still there to redo.
 */
static int
db_open(struct fts_db *f, const char *store_path, int create)
{
	sqlite3_stmt *st;
	char *path;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((path = store_fts_path(store_path)) == NULL)
		return db_fail(f, "out of memory");
	rc = sqlite3_open_v2(path, &f->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	free(path);
	if (rc != SQLITE_OK) {
		db_fail(f, "cannot open the search index");
		db_close(f);
		return -1;
	}
	if (store_db_setup(f->db, f->err, sizeof(f->err)) == -1) {
		db_close(f);
		return -1;
	}
	sqlite3_limit(f->db, SQLITE_LIMIT_ATTACHED, 1);
	if (sqlite3_prepare_v2(f->db, "ATTACH DATABASE ?1 AS store", -1, &st,
	    NULL) != SQLITE_OK) {
		db_fail(f, "cannot attach the store");
		db_close(f);
		return -1;
	}
	sqlite3_bind_text(st, 1, store_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	sqlite3_limit(f->db, SQLITE_LIMIT_ATTACHED, 0);
	if (rc != SQLITE_DONE || sqlite3_exec(f->db,
	    "PRAGMA main.synchronous = NORMAL;"
	    "PRAGMA main.cache_size = " FTS_CACHE_KIB ";", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_fail(f, "cannot attach the store");
		db_close(f);
		return -1;
	}
	return 0;
}

/* The index's schema version, or -1. */
static int64_t
db_version(struct fts_db *f)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(f->db, "PRAGMA main.user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (query_int(st, &v) != SQLITE_DONE)
		v = -1;
	sqlite3_finalize(st);
	return v;
}

static int
db_prepare(struct fts_db *f)
{
	int i;

	for (i = 0; i < FS_COUNT; i++)
		if (sqlite3_prepare_v3(f->db, fts_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &f->st[i], NULL) != SQLITE_OK)
			return db_fail(f, "cannot prepare the index statements");
	return 0;
}

/* Removes the index file and its WAL and shared-memory files. */
static void
db_remove(const char *store_path)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	char *path, buf[4096];
	size_t i;

	if ((path = store_fts_path(store_path)) == NULL)
		return;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (snprintf(buf, sizeof(buf), "%s%s", path, ext[i]) <
		    (int)sizeof(buf) && unlink(buf) == -1 && errno != ENOENT)
			log_warn("cannot remove %s: %s", buf, strerror(errno));
	free(path);
}

/*
 * Whether the index belongs to this store as it is now: it cannot have
 * taken in notes the store never made (a store restored from a backup,
 * or a new store beside an old index).
 */
static int
db_current(struct fts_db *f)
{
	sqlite3_stmt *st = f->st[FS_PROGRESS];
	int64_t done = -1, max;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		done = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW || query_int(f->st[FS_SEQ_MAX], &max) !=
	    SQLITE_DONE)
		return 0;
	return done <= max;
}

/*
 * The indexer's connection: an index that cannot be opened, is damaged,
 * of another version or of another store is removed and built anew.
 */
static int
db_open_writer(struct fts_db *f, const char *store_path)
{
	int fresh = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		if (db_open(f, store_path, 1) == 0) {
			int64_t v = db_version(f);

			if (v == 0 && sqlite3_exec(f->db, "BEGIN IMMEDIATE;",
			    NULL, NULL, NULL) == SQLITE_OK) {
				if (sqlite3_exec(f->db, FTS_SCHEMA, NULL, NULL,
				    NULL) == SQLITE_OK &&
				    sqlite3_exec(f->db, "COMMIT", NULL, NULL,
				    NULL) == SQLITE_OK)
					v = FTS_VERSION;
				else
					sqlite3_exec(f->db, "ROLLBACK", NULL,
					    NULL, NULL);
			}
			if (v == FTS_VERSION && db_prepare(f) == 0 &&
			    db_current(f))
				return 0;
			if (v == FTS_VERSION && f->st[FS_PROGRESS] != NULL)
				snprintf(f->err, sizeof(f->err), "it is of "
				    "another state of the database");
			else if (v != FTS_VERSION)
				snprintf(f->err, sizeof(f->err), "unknown "
				    "version %lld", (long long)v);
			db_close(f);
		}
		if (fresh)
			break;
		log_warn("the search index of %s cannot be used (%s); "
		    "building it anew", store_path, f->err);
		db_remove(store_path);
		fresh = 1;
	}
	return -1;
}

struct sqlite3 *
store_fts_reader(const char *store_path, char *err, size_t errlen)
{
	struct fts_db f;

	if (db_open(&f, store_path, 0) == -1) {
		snprintf(err, errlen, "%s", f.err);
		return NULL;
	}
	if (db_version(&f) != FTS_VERSION) {
		snprintf(err, errlen, "the search index is not built yet");
		db_close(&f);
		return NULL;
	}
	return f.db;
}

/* Indexes the next items of a build; *more when there are others. */
static int
step_build(struct fts_db *f, int64_t done, int64_t built, int *more)
{
	int64_t last;
	int rc;

	if (done < 0) {
		/* The mark, in the snapshot of the first chunk. */
		if ((rc = query_int(f->st[FS_SEQ_MAX], &done)) != SQLITE_DONE)
			return rc;
		sqlite3_bind_int64(f->st[FS_SET_DONE], 1, done);
		if ((rc = exec(f->st[FS_SET_DONE])) != SQLITE_DONE)
			return rc;
	}
	sqlite3_bind_int64(f->st[FS_BUILD_LAST], 1, built);
	sqlite3_bind_int64(f->st[FS_BUILD_LAST], 2, FTS_BUILD_ITEMS);
	if ((rc = query_int(f->st[FS_BUILD_LAST], &last)) != SQLITE_DONE)
		return rc;
	if (last >= 0) {
		sqlite3_bind_int64(f->st[FS_BUILD_ADD], 1, built);
		sqlite3_bind_int64(f->st[FS_BUILD_ADD], 2, last);
		if ((rc = exec(f->st[FS_BUILD_ADD])) != SQLITE_DONE)
			return rc;
		sqlite3_bind_int64(f->st[FS_BUILD_SET], 1, last);
	}
	/* With nothing left, built_upto becomes NULL: built. */
	*more = 1;
	return exec(f->st[FS_BUILD_SET]);
}

/* Takes in the next notes; *more when there are others. */
static int
step_notes(struct fts_db *f, int64_t done, int *more)
{
	int64_t last;
	int rc, i;

	sqlite3_bind_int64(f->st[FS_NOTES_LAST], 1, done);
	sqlite3_bind_int64(f->st[FS_NOTES_LAST], 2, FTS_STEP_NOTES);
	if ((rc = query_int(f->st[FS_NOTES_LAST], &last)) != SQLITE_DONE)
		return rc;
	if (last < 0)
		return SQLITE_DONE;	/* caught up */
	for (i = FS_DROP; i <= FS_ADD; i++) {
		sqlite3_bind_int64(f->st[i], 1, done);
		sqlite3_bind_int64(f->st[i], 2, last);
		if ((rc = exec(f->st[i])) != SQLITE_DONE)
			return rc;
	}
	sqlite3_bind_int64(f->st[FS_SET_DONE], 1, last);
	*more = 1;
	return exec(f->st[FS_SET_DONE]);
}

/* The progress: -1 for done while it is being built. */
static int
progress(struct fts_db *f, int64_t *done, int *building)
{
	sqlite3_stmt *st = f->st[FS_PROGRESS];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*done = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
		*building = *done < 0 ||
		    sqlite3_column_type(st, 1) != SQLITE_NULL;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc;
}

/*
 * One transaction of catch-up.  *more: call again.  *done_out: the
 * progress committed (-1 while building).  SQLite's code.
 */
static int
step(struct fts_db *f, int *more, int64_t *done_out)
{
	int64_t done, built;
	int rc, building;

	*more = 0;
	/* Deferred: only the index is written, the store only read. */
	if ((rc = sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		db_fail(f, "cannot update the search index");
		return rc;
	}
	if ((rc = progress(f, &done, &building)) == SQLITE_DONE) {
		if (!building)
			rc = step_notes(f, done, more);
		else if ((rc = query_int(f->st[FS_BUILT], &built)) ==
		    SQLITE_DONE)
			rc = step_build(f, done, built < 0 ? 0 : built, more);
	}
	if (rc == SQLITE_DONE &&
	    (rc = sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL)) ==
	    SQLITE_OK && (rc = progress(f, &done, &building)) ==
	    SQLITE_DONE) {
		*done_out = building ? -1 : done;
		return rc;
	}
	db_fail(f, "cannot update the search index");
	if (!sqlite3_get_autocommit(f->db))
		sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
	*more = 0;
	return rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

int
store_fts_catch_up(const char *store_path, char *err, size_t errlen)
{
	struct fts_db f;
	int64_t done;
	int more = 1, rc = SQLITE_DONE;

	if (db_open_writer(&f, store_path) == -1) {
		snprintf(err, errlen, "%s", f.err);
		return -1;
	}
	while (more && (rc = step(&f, &more, &done)) == SQLITE_DONE)
		;
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s", f.err);
	db_close(&f);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Waits for a kick (or the stop), then a moment for more. */
static int
wait_kick(struct store_fts *x, int retry)
{
	struct timespec until;

	pthread_mutex_lock(&x->mu);
	if (retry) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += FTS_RETRY_S;
		while (!x->stop && pthread_cond_timedwait(&x->cv, &x->mu,
		    &until) == 0)
			;
	} else
		while (!x->kicked && !x->stop)
			pthread_cond_wait(&x->cv, &x->mu);
	if (!x->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += FTS_SETTLE_NS;
		if (until.tv_nsec >= FTS_NS) {
			until.tv_sec++;
			until.tv_nsec -= FTS_NS;
		}
		while (!x->stop && pthread_cond_timedwait(&x->cv, &x->mu,
		    &until) == 0)
			;
	}
	x->kicked = 0;
	pthread_mutex_unlock(&x->mu);
	return !x->stop;
}

static int
stopping(struct store_fts *x)
{
	int stop;

	pthread_mutex_lock(&x->mu);
	stop = x->stop;
	pthread_mutex_unlock(&x->mu);
	return stop;
}

static void *
fts_main(void *arg)
{
	struct store_fts *x = arg;
	int64_t done;
	int more, rc, failed = 0, warned = 0;

	while (wait_kick(x, failed)) {
		more = 1;
		failed = 0;
		while (more && !stopping(x)) {
			if ((rc = step(&x->f, &more, &done)) != SQLITE_DONE) {
				if (!warned)
					log_err("search index: %s; trying "
					    "again every %d s", x->f.err,
					    FTS_RETRY_S);
				warned = failed = 1;
				break;
			}
			if (warned)
				log_info("search index: updated again");
			warned = 0;
			atomic_store(&x->done, done);
		}
	}
	return NULL;
}

struct store_fts *
store_fts_start(const char *store_path, char *err, size_t errlen)
{
	struct store_fts *x;
	sigset_t all, old;
	int rc;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (db_open_writer(&x->f, store_path) == -1) {
		snprintf(err, errlen, "%s", x->f.err);
		free(x);
		return NULL;
	}
	atomic_init(&x->done, -1);
	x->kicked = 1;		/* what was noted before the start */
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	/* Signals are the loop's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&x->thread, NULL, fts_main, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the indexer: %s",
		    strerror(rc));
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		db_close(&x->f);
		free(x);
		return NULL;
	}
	return x;
}

void
store_fts_kick(struct store_fts *x)
{
	pthread_mutex_lock(&x->mu);
	x->kicked = 1;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

int64_t
store_fts_done(struct store_fts *x)
{
	return atomic_load(&x->done);
}

void
store_fts_stop(struct store_fts *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	x->stop = 1;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->thread, NULL);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	db_close(&x->f);
	free(x);
}
