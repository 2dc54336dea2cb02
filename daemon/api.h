/*
 * api.h - the HTTP/1.1 JSON API on a Unix socket (docs/API.md).
 *
 * Owns the listening socket (creation, mode, stale-socket replacement,
 * unlink at stop) and the libmicrohttpd daemon, driven from the libev
 * loop through MHD's epoll descriptor and timeout.  Reads and writes the
 * store and asks the scheduler for refreshes; nothing else.
 */
#ifndef TIDINGS_API_H
#define TIDINGS_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;
struct store;
struct sched;

#define API_MAX_CLIENTS		32
#define API_MAX_REQUEST		(64 * 1024)	/* bytes of body */
#define API_IDLE_TIMEOUT	30		/* seconds */

struct api_ctx {
	struct store	*store;
	struct sched	*sched;
	const char	*version;
	int64_t		 started;	/* Unix seconds */
	const char	*database;	/* path, for /v1/status */
};

struct api;

/*
 * Binds path (mode applied without a window where it is wider), replacing
 * a stale socket but refusing when another daemon answers on it.  NULL on
 * failure with the reason in err.
 */
struct api *api_start(struct ev_loop *, const char *path, mode_t mode,
	    struct api_ctx *, char *err, size_t errlen);
void	api_stop(struct api *);	/* NULL ok; unlinks the socket */

#endif
