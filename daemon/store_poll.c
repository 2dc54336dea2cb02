/*
 * store_poll.c - the polite-polling columns of feeds (see store_poll.h).
 *
 * Kept apart from store.c so that its SQL stays with the one concern;
 * uses the store's connection and reports errors through store_errmsg().
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "feed.h"
#include "store.h"
#include "store_poll.h"
#include "util.h"

static const char SQL_GET[] = "SELECT failures, poll_every, skip_hours,"
    " skip_days, moved_url, moved_since, feed_ttl FROM feeds WHERE id = ?1";
static const char SQL_SET[] = "UPDATE feeds SET poll_every = ?2,"
    " skip_hours = ?3, skip_days = ?4, moved_url = ?5, moved_since = ?6,"
    " feed_ttl = ?7 WHERE id = ?1";
/* A URL another feed has already is not taken over. */
static const char SQL_MOVE[] = "UPDATE feeds SET url = ?2, moved_url = NULL,"
    " moved_since = NULL WHERE id = ?1"
    " AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?2)";
static const char SQL_SPREAD[] = "UPDATE feeds"
    " SET next_poll = ?1 + abs(random() % ?2)"
    " WHERE paused = 0 AND next_poll IS NOT NULL AND next_poll < ?1"
    " AND polls > 0";

static sqlite3_stmt *
prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(store_sqlite(s), sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		store_set_sqlite_error(s);
		return NULL;
	}
	return st;
}

static int
finish(struct store *s, sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_set_sqlite_error(s);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK : STORE_ERR;
}

void
store_poll_free(struct store_poll *p)
{
	if (p == NULL)
		return;
	free(p->moved_url);
	free(p->new_url);
	memset(p, 0, sizeof(*p));
	p->moved_since = TIME_NONE;
	p->ttl = -1;
}

int
store_poll_get(struct store *s, int64_t id, struct store_poll *out)
{
	sqlite3_stmt *st;
	const char *u;
	int rc;

	memset(out, 0, sizeof(*out));
	out->moved_since = TIME_NONE;
	out->ttl = -1;
	if ((st = prepare(s, SQL_GET)) == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_finalize(st);
		return STORE_NOTFOUND;
	}
	if (rc == SQLITE_ROW) {
		out->failures = sqlite3_column_int64(st, 0);
		out->poll_every = sqlite3_column_int64(st, 1);
		out->skip_hours = (uint32_t)sqlite3_column_int64(st, 2);
		out->skip_days = (uint8_t)sqlite3_column_int(st, 3);
		if ((u = (const char *)sqlite3_column_text(st, 4)) != NULL)
			out->moved_url = strdup(u);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			out->moved_since = sqlite3_column_int64(st, 5);
		out->ttl = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 6);
	}
	return finish(s, st, rc);
}

int
store_poll_commit(struct store *s, int64_t id, const struct store_poll *p)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prepare(s, SQL_SET)) == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	if (p->poll_every > 0)
		sqlite3_bind_int64(st, 2, p->poll_every);
	sqlite3_bind_int64(st, 3, p->skip_hours);
	sqlite3_bind_int(st, 4, p->skip_days);
	if (p->moved_url != NULL)
		sqlite3_bind_text(st, 5, p->moved_url, -1, SQLITE_STATIC);
	if (p->moved_since != TIME_NONE)
		sqlite3_bind_int64(st, 6, p->moved_since);
	if (p->ttl >= 0)
		sqlite3_bind_int64(st, 7, p->ttl);
	if ((rc = finish(s, st, sqlite3_step(st))) != STORE_OK ||
	    p->new_url == NULL)
		return rc;
	if ((st = prepare(s, SQL_MOVE)) == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, p->new_url, -1, SQLITE_STATIC);
	return finish(s, st, sqlite3_step(st));
}

int
store_spread_overdue(struct store *s, int64_t now, int64_t window)
{
	sqlite3_stmt *st;

	if (window < 1)
		window = 1;
	if ((st = prepare(s, SQL_SPREAD)) == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, window);
	return finish(s, st, sqlite3_step(st));
}
