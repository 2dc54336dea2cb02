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
#include "thread.h"

#define FTS_SUFFIX		".search"
#define FTS_VERSION		1
/* Notes taken in by one step: one transaction, one index segment. */
#define FTS_STEP_NOTES		64
/* Items a build step indexes. */
#define FTS_BUILD_ITEMS		4096
/*
 * After a kick the thread waits this long for more, so that a burst of
 * poll commits makes one segment rather than one each (ns).
 */
#define FTS_SETTLE_NS		(100L * 1000 * 1000)
/* At a stop, how long the thread may go on taking in notes (seconds). */
#define FTS_STOP_S		5
/*
 * How long a statement waits for another process's lock on the index
 * (a sqlite3 shell, a backup); a step that still finds it locked is
 * tried again FTS_RETRY_S later.
 */
#define FTS_BUSY_MS		1000
/* After a failed step, the next try (seconds). */
#define FTS_RETRY_S		5
#define FTS_NS			(1000L * 1000 * 1000)
/*
 * Page caches, in KiB (negative: KiB to SQLite): the index's, where
 * FTS5 merges segments, and the store's, read once per row (the peak
 * RSS goal is 64 MB at 10,000 feeds).
 */
#define FTS_CACHE_KIB		"-512"
#define FTS_STORE_CACHE_KIB	"-256"
#define FTS_TEMP_CACHE_KIB	"-2048"
#define FTS_ERR_LEN		256

static const char FTS_SCHEMA[] =
    "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary,"
    "  tokenize = 'unicode61 remove_diacritics 2');"
    /* Fewer levels of segments to rewrite: see store.c, step 8. */
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);"
    "CREATE TABLE progress (done_seq INTEGER, built_upto INTEGER);"
    "INSERT INTO progress VALUES (NULL, 0);"
    "PRAGMA user_version = 1;";

/*
 * Where a step keeps what it read from the store until it writes the
 * index (see step()): FTS_STEP_NOTES notes' or FTS_BUILD_ITEMS items'
 * worth, usually a megabyte or two, but summaries of up to 256 KiB each
 * can make it far more.  So the work tables are SQLite's temporary
 * database, whose cache keeps a usual step in memory and spills the
 * rest to a temporary file (the unit has PrivateTmp=yes).
 */
static const char FTS_TEMP[] =
    "PRAGMA temp.cache_size = " FTS_TEMP_CACHE_KIB ";"
    "CREATE TEMP TABLE fts_rows (id INTEGER PRIMARY KEY, title TEXT,"
    "  summary TEXT);"
    "CREATE TEMP TABLE fts_gone (id INTEGER PRIMARY KEY);";

/* The statements of a step, prepared once per connection. */
enum fts_stmt {
	FS_PROGRESS,
	FS_NOTES_LAST,
	FS_SEQ_MAX,
	FS_BUILD_LAST,
	FS_COPY_NOTES,
	FS_COPY_GONE,
	FS_COPY_BUILD,
	FS_APPLY_GONE,
	FS_APPLY_ROWS,
	FS_CLEAR_ROWS,
	FS_CLEAR_GONE,
	FS_SET_DONE,
	FS_SET_BUILT,
	FS_COUNT
};

static const char *const fts_sql[FS_COUNT] = {
	[FS_PROGRESS] = "SELECT done_seq, built_upto FROM progress",
	/* The last note of this step: at most FTS_STEP_NOTES of them. */
	[FS_NOTES_LAST] = "SELECT max(seq) FROM (SELECT seq FROM"
	    " store.fts_todo WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
	/* Every note ever made (AUTOINCREMENT remembers past prunes). */
	[FS_SEQ_MAX] = "SELECT coalesce((SELECT seq FROM store.sqlite_sequence"
	    " WHERE name = 'fts_todo'), 0)",
	/* The last item of the next build chunk. */
	[FS_BUILD_LAST] = "SELECT max(id) FROM (SELECT id FROM store.items"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2)",
	/* Noted items as they are now. */
	[FS_COPY_NOTES] = "INSERT OR REPLACE INTO temp.fts_rows"
	    " SELECT i.id, i.title, i.summary FROM store.items i"
	    " WHERE i.id IN (SELECT j.id FROM store.fts_todo t"
	    "  JOIN store.items j ON j.id BETWEEN t.lo AND t.hi"
	    "  WHERE t.seq > ?1 AND t.seq <= ?2)",
	/*
	 * Indexed rows of noted ranges whose item is gone.  CROSS JOIN:
	 * the notes drive, the index is searched by rowid; left to the
	 * planner, it scanned the whole index once per step.
	 */
	[FS_COPY_GONE] = "INSERT OR IGNORE INTO temp.fts_gone"
	    " SELECT f.rowid FROM store.fts_todo t"
	    " CROSS JOIN items_fts f ON f.rowid BETWEEN t.lo AND t.hi"
	    " WHERE t.seq > ?1 AND t.seq <= ?2"
	    " AND NOT EXISTS (SELECT 1 FROM store.items i WHERE i.id = f.rowid)",
	[FS_COPY_BUILD] = "INSERT OR REPLACE INTO temp.fts_rows"
	    " SELECT id, title, summary FROM store.items"
	    " WHERE id > ?1 AND id <= ?2",
	[FS_APPLY_GONE] = "DELETE FROM items_fts WHERE rowid IN"
	    " (SELECT id FROM temp.fts_gone)",
	/* One statement: FTS5 writes a segment per statement. */
	[FS_APPLY_ROWS] = "INSERT OR REPLACE INTO items_fts (rowid, title,"
	    " summary) SELECT id, title, html_text(summary) FROM temp.fts_rows",
	[FS_CLEAR_ROWS] = "DELETE FROM temp.fts_rows",
	[FS_CLEAR_GONE] = "DELETE FROM temp.fts_gone",
	[FS_SET_DONE] = "UPDATE progress SET done_seq = ?1",
	/* NULL: built. */
	[FS_SET_BUILT] = "UPDATE progress SET built_upto = ?1",
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
	sqlite3_busy_timeout(f->db, FTS_BUSY_MS);
	/* Checked by the indexer at start; a search must not read it all. */
	if (store_db_setup(f->db, create, f->err, sizeof(f->err)) == -1) {
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
	    "PRAGMA main.cache_size = " FTS_CACHE_KIB ";"
	    "PRAGMA store.cache_size = " FTS_STORE_CACHE_KIB ";", NULL, NULL,
	    NULL) != SQLITE_OK) {
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

	if (sqlite3_exec(f->db, FTS_TEMP, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(f, "cannot make the index's work tables");
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

/* Gives a new index its schema; 0, or -1 with f->err set. */
static int
db_create(struct fts_db *f)
{
	if (sqlite3_exec(f->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_fail(f, "cannot make the search index");
	if (sqlite3_exec(f->db, FTS_SCHEMA, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	db_fail(f, "cannot make the search index");
	sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Whether the opened index can be used as it is; -1 with f->err set. */
static int
db_usable(struct fts_db *f)
{
	int64_t v = db_version(f);

	if (v == 0 && db_create(f) == -1)
		return -1;
	if (v != 0 && v != FTS_VERSION) {
		snprintf(f->err, sizeof(f->err), "unknown version %lld",
		    (long long)v);
		return -1;
	}
	if (db_prepare(f) == -1)
		return -1;
	if (!db_current(f)) {
		snprintf(f->err, sizeof(f->err), "it has taken in changes this "
		    "database never made");
		return -1;
	}
	return 0;
}

/*
 * The indexer's connection: an index that cannot be opened, is damaged,
 * of another version or of another store is removed and built anew.
 */
static int
db_open_writer(struct fts_db *f, const char *store_path)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (db_open(f, store_path, 1) == 0) {
			if (db_usable(f) == 0)
				return 0;
			db_close(f);
		}
		if (tries > 0)
			break;
		log_warn("the search index of %s cannot be used (%s); "
		    "building it anew", store_path, f->err);
		db_remove(store_path);
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

/* What a step does, decided and read in its first transaction. */
struct plan {
	int64_t	 done;		/* progress before it; -1: build not begun */
	int	 building;
	int64_t	 built;		/* building: the last item indexed so far */
	int64_t	 mark;		/* building, done -1: the notes' mark */
	int64_t	 last;		/* the last note or item it takes in; -1 */
};

/* The progress: -1 for done while it is being built. */
static int
progress(struct fts_db *f, int64_t *done, int *building, int64_t *built)
{
	sqlite3_stmt *st = f->st[FS_PROGRESS];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*done = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
		*built = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		*building = *done < 0 || *built >= 0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc;
}

/* Runs st with the range (?1, ?2]. */
static int
exec_range(sqlite3_stmt *st, int64_t from, int64_t to)
{
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return exec(st);
}

/* Decides the step and copies what it needs from the store. */
static int
collect(struct fts_db *f, struct plan *p)
{
	sqlite3_stmt *last = f->st[FS_NOTES_LAST];
	int64_t from;
	int rc;

	if ((rc = progress(f, &p->done, &p->building, &p->built)) !=
	    SQLITE_DONE)
		return rc;
	p->mark = p->done;
	if (p->building) {
		/* The mark and the first chunk: one snapshot. */
		if (p->done < 0 && (rc = query_int(f->st[FS_SEQ_MAX],
		    &p->mark)) != SQLITE_DONE)
			return rc;
		last = f->st[FS_BUILD_LAST];
	}
	from = p->building ? (p->built < 0 ? 0 : p->built) : p->done;
	sqlite3_bind_int64(last, 1, from);
	sqlite3_bind_int64(last, 2, p->building ? FTS_BUILD_ITEMS :
	    FTS_STEP_NOTES);
	if ((rc = query_int(last, &p->last)) != SQLITE_DONE || p->last < 0)
		return rc;
	if (p->building)
		return exec_range(f->st[FS_COPY_BUILD], from, p->last);
	if ((rc = exec_range(f->st[FS_COPY_NOTES], from, p->last)) !=
	    SQLITE_DONE)
		return rc;
	return exec_range(f->st[FS_COPY_GONE], from, p->last);
}

/* Writes what collect() copied into the index, with the new progress. */
static int
apply(struct fts_db *f, struct plan *p)
{
	int rc;

	if ((rc = exec(f->st[FS_APPLY_GONE])) != SQLITE_DONE ||
	    (rc = exec(f->st[FS_APPLY_ROWS])) != SQLITE_DONE)
		return rc;
	if (!p->building) {
		sqlite3_bind_int64(f->st[FS_SET_DONE], 1, p->last);
		return exec(f->st[FS_SET_DONE]);
	}
	if (p->done < 0) {
		sqlite3_bind_int64(f->st[FS_SET_DONE], 1, p->mark);
		if ((rc = exec(f->st[FS_SET_DONE])) != SQLITE_DONE)
			return rc;
	}
	if (p->last >= 0)
		sqlite3_bind_int64(f->st[FS_SET_BUILT], 1, p->last);
	return exec(f->st[FS_SET_BUILT]);	/* unbound: NULL, built */
}

/* Runs fn in a transaction of its own; SQLite's code. */
static int
in_tx(struct fts_db *f, int (*fn)(struct fts_db *, struct plan *),
    struct plan *p)
{
	int rc;

	if ((rc = sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return rc;
	if ((rc = fn(f, p)) == SQLITE_DONE &&
	    (rc = sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL)) ==
	    SQLITE_OK)
		return SQLITE_DONE;
	db_fail(f, "cannot update the search index");
	if (!sqlite3_get_autocommit(f->db))
		sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/*
 * One step of catch-up, in two transactions: the first copies the noted
 * rows from a snapshot of the store into the work tables, the second
 * indexes them.  The store's snapshot is held for the copy only, so
 * the store's WAL can be checkpointed and restarted between steps;
 * a snapshot held across the indexing kept it from ever restarting, and
 * a WAL grown to gigabytes slowed every thread.  *more: call again.
 * *done_out: the progress committed (-1 while building).
 */
static int
step(struct fts_db *f, int *more, int64_t *done_out)
{
	struct plan p;
	int64_t built;
	int rc, building;

	*more = 0;
	memset(&p, 0, sizeof(p));
	if ((rc = in_tx(f, collect, &p)) == SQLITE_DONE &&
	    (p.building || p.last >= 0)) {
		rc = in_tx(f, apply, &p);
		*more = rc == SQLITE_DONE;
	}
	exec(f->st[FS_CLEAR_ROWS]);
	exec(f->st[FS_CLEAR_GONE]);
	if (rc == SQLITE_DONE &&
	    (rc = progress(f, done_out, &building, &built)) == SQLITE_DONE &&
	    building)
		*done_out = -1;
	return rc;
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
	int go_on;

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
	go_on = !x->stop;
	pthread_mutex_unlock(&x->mu);
	return go_on;
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

/*
 * Catches up step by step until there is nothing left, the thread is
 * told to stop (when until is 0) or until has passed; 0, or -1 after a
 * failed step.
 */
static int
catch_up(struct store_fts *x, time_t until, int *warned)
{
	int64_t done;
	int more = 1;

	while (more && (until != 0 ? time(NULL) < until : !stopping(x))) {
		if (step(&x->f, &more, &done) != SQLITE_DONE) {
			if (!*warned)
				log_err("search index: %s; trying again every "
				    "%d s", x->f.err, FTS_RETRY_S);
			*warned = 1;
			return -1;
		}
		if (*warned)
			log_info("search index: updated again");
		*warned = 0;
		atomic_store(&x->done, done);
	}
	return 0;
}

static void *
fts_main(void *arg)
{
	struct store_fts *x = arg;
	int failed = 0, warned = 0;

	thread_background();	/* the index may lag a poll; the store not */
	while (wait_kick(x, failed))
		failed = catch_up(x, 0, &warned) == -1;
	/* What the last commits noted, so a restart finds the index current. */
	if (!failed)
		(void)catch_up(x, time(NULL) + FTS_STOP_S, &warned);
	return NULL;
}

/* The progress committed before the start, for store_fts_done(). */
static int64_t
start_done(struct fts_db *f)
{
	int64_t done, built;
	int building;

	if (progress(f, &done, &building, &built) != SQLITE_DONE || building)
		return -1;
	return done;
}

struct store_fts *
store_fts_start(const char *store_path, char *err, size_t errlen)
{
	struct store_fts *x;
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
	atomic_init(&x->done, start_done(&x->f));
	x->kicked = 1;		/* what was noted before the start */
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	if ((rc = thread_start(&x->thread, fts_main, x)) != 0) {
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
