/*
 * history.h - the bounded per-feed request history behind
 * `tidings feeds --http ID` (GET /v1/feeds/{id}/http): the last
 * HISTORY_LEN requests of each feed since the daemon started, in memory
 * (under 300 bytes per feed), so a user can audit our manners.
 */
#ifndef TIDINGS_HISTORY_H
#define TIDINGS_HISTORY_H

#include <stdint.h>

#include <jansson.h>

#define HISTORY_LEN	16	/* requests kept per feed */

/* 16 bytes: 10,000 feeds' rings are 2.8 MB. */
struct history_entry {
	uint32_t at;		/* Unix seconds the request started (to 2106) */
	uint32_t bytes;		/* body bytes received, UINT32_MAX or more */
	float	 seconds;	/* transfer time */
	int16_t	 status;	/* HTTP status, 0 if none came */
	uint8_t	 redirects;	/* UINT8_MAX or more */
	uint8_t	 flags;		/* HISTORY_* */
};
#define HISTORY_CONDITIONAL	0x01	/* If-None-Match/-Modified-Since sent */
#define HISTORY_FAILED		0x02	/* the poll failed (see last_error) */

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
