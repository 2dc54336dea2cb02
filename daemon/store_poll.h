/*
 * store_poll.h - the scheduling state of a feed that polite polling
 * keeps between polls (schema step "polite polling" in store.c): the
 * interval the last poll settled on, skipHours/skipDays, and a permanent
 * redirect under watch.  Written in the poll's own transaction.
 */
#ifndef TIDINGS_STORE_POLL_H
#define TIDINGS_STORE_POLL_H

#include <stdint.h>

struct store;
struct sqlite3;

struct store_poll {
	int64_t	 failures;	/* read only: consecutive failures so far */
	int64_t	 poll_every;	/* adaptive: median gap seen, 0 = unknown */
	int64_t	 ttl;		/* the feed's <ttl>/sy:* seconds, -1 none */
	uint32_t skip_hours;
	uint8_t	 skip_days;
	char	*moved_url;	/* permanent redirect target seen, or NULL */
	int64_t	 moved_since;	/* first seen, TIME_NONE if moved_url NULL */
	char	*new_url;	/* commit only: learn this URL now */
};

/* Reads the state of feed id into out (strings malloc'd). */
int	store_poll_get(struct store *, int64_t id, struct store_poll *out);
void	store_poll_free(struct store_poll *);	/* members only */
/* Inside store_commit_fetch's transaction. */
int	store_poll_commit(struct store *, int64_t id, const struct store_poll *);
/*
 * Spreads feeds that were polled before and are overdue at now over
 * [now, now + window): after a restart or a suspend they do not all
 * come due at once.  Returns STORE_OK.
 */
int	store_spread_overdue(struct store *, int64_t now, int64_t window);

/* For store_*.c modules only: the connection, and an error from it. */
struct sqlite3 *store_sqlite(struct store *);
void	store_set_sqlite_error(struct store *);

#endif
