/*
 * fetch.h - HTTP transfers on the event loop (libcurl multi socket API).
 *
 * Owns the curl multi handle, its socket and timer watchers and every
 * transfer in flight.  Knows nothing of the database: it takes a URL and
 * validators and hands back status, headers and the decoded body.
 */
#ifndef TIDINGS_FETCH_H
#define TIDINGS_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;

#define FETCH_MAX_REDIRS	5
#define FETCH_LOW_SPEED_LIMIT	1024	/* bytes per second ... */
#define FETCH_LOW_SPEED_TIME	30	/* ... sustained this many seconds */

struct fetch_opts {
	const char *user_agent;
	int64_t	 timeout;		/* seconds, whole transfer */
	int64_t	 connect_timeout;	/* seconds */
	int64_t	 max_size;		/* decoded body bytes */
	long	 max_connections;
	long	 max_per_host;
	int	 allow_private_redirects;	/* see netguard.h */
};

struct fetch_request {
	int64_t	 feed_id;
	const char *url;
	const char *etag;		/* sent verbatim as If-None-Match */
	const char *last_modified;	/* sent verbatim as If-Modified-Since */
	int	 from_content;	/* url came from a feed, not the user */
};

/* Handed to the completion callback; owned by fetch.c unless stolen. */
struct fetch_result {
	int64_t	 feed_id;
	long	 http_status;	/* final response, 0 if none came */
	int	 ok;		/* transfer completed (any HTTP status) */
	char	 error[256];	/* what failed, sanitized; "" when ok */
	char	*body;		/* decoded body, NUL-terminated; steal by NULLing */
	size_t	 body_len;
	char	*content_type;
	char	*etag;
	char	*last_modified;
	char	*effective_url;	/* after redirects, or the Content-Location */
	double	 seconds;	/* total transfer time */
	/* Scheduling hints and redirect facts (polite.h, sched.c). */
	char	*cache_control;
	char	*expires;
	char	*retry_after;
	char	*moved_url;	/* final URL when every redirect was 301/308 */
	long	 redirects;	/* redirects followed */
	int64_t	 bytes;		/* body bytes received, as sent (compressed) */
};

typedef void (*fetch_done_fn)(void *arg, struct fetch_result *);

struct fetch;

struct fetch *fetch_new(struct ev_loop *, const struct fetch_opts *,
	    fetch_done_fn, void *arg);
/* Copies what it needs from opts (used after a config reload). */
void	fetch_set_opts(struct fetch *, const struct fetch_opts *);
/* Starts a transfer; 0, or -1 if it could not be set up. */
int	fetch_start(struct fetch *, const struct fetch_request *);
size_t	fetch_active(const struct fetch *);
/* Aborts every transfer without calling back, frees everything. */
void	fetch_free(struct fetch *);

#endif
