/*
 * history.h - the bounded per-feed request history behind
 * `tidings feeds --http ID` (GET /v1/feeds/{id}/http): the last
 * HISTORY_LEN requests of each feed since the daemon started, in memory
 * (a few hundred bytes per feed), so a user can audit our manners.
 */
#ifndef TIDINGS_HISTORY_H
#define TIDINGS_HISTORY_H

#include <stdint.h>

#include <jansson.h>

#define HISTORY_LEN	16	/* requests kept per feed */

struct history_entry {
	int64_t	 at;		/* Unix seconds the request started */
	int64_t	 bytes;		/* body bytes received (as sent) */
	float	 seconds;	/* transfer time */
	int16_t	 status;	/* HTTP status, 0 if none came */
	uint8_t	 conditional;	/* If-None-Match or If-Modified-Since sent */
	uint8_t	 failed;	/* the poll failed (see the feed's last_error) */
	uint8_t	 redirects;
};

struct history;

struct history *history_new(void);
void	history_free(struct history *);
/* Records e for feed_id, dropping the oldest beyond HISTORY_LEN. */
int	history_add(struct history *, int64_t feed_id,
	    const struct history_entry *);
void	history_forget(struct history *, int64_t feed_id);
/* The feed's requests, newest first, as a new JSON array (NULL: ENOMEM). */
json_t	*history_json(const struct history *, int64_t feed_id);

#endif
