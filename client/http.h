/*
 * http.h - the client's requests to tidingsd: HTTP/1.1 over the daemon's
 * Unix socket with libcurl.  Owns the curl handle and the reply buffers;
 * knows nothing of the API's JSON.
 */
#ifndef TIDINGS_HTTP_H
#define TIDINGS_HTTP_H

#include <stddef.h>

#define HTTP_MAX_REPLY		(256L * 1024 * 1024)	/* bytes of body */
#define HTTP_CONNECT_TIMEOUT	10			/* seconds */
#define HTTP_REQUEST_TIMEOUT	120			/* seconds */

enum http_result {
	HTTP_OK,		/* a response came: see status and body */
	HTTP_NO_DAEMON,		/* socket missing or nobody listening */
	HTTP_DENIED,		/* no permission to connect */
	HTTP_TIMEOUT,		/* no complete response in time */
	HTTP_FAILED		/* anything else: err says what */
};

struct http_reply {
	long	 status;	/* HTTP status code */
	char	*body;		/* NUL-terminated, never NULL after HTTP_OK */
	size_t	 len;		/* bytes in body, without the NUL */
};

struct http;

/* A connection context for the socket at path; NULL on ENOMEM. */
struct http *http_open(const char *path);
void	http_close(struct http *);	/* NULL ok */

/*
 * Sends method ("GET", "POST", "DELETE") for path ("/v1/feeds"), with the
 * JSON body when not NULL.  On HTTP_OK, reply holds the status and body
 * (free with http_reply_free); otherwise err says what went wrong.
 */
enum http_result http_request(struct http *, const char *method,
	    const char *path, const char *body, struct http_reply *reply,
	    char *err, size_t errlen);
void	http_reply_free(struct http_reply *);

/* Percent-encodes s for a query string; malloc'd, NULL on ENOMEM. */
char	*http_escape(struct http *, const char *s);

#endif
