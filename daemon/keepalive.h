/*
 * keepalive.h - kept-alive HTTP/1 connections are reused clean.
 *
 * libcurl 7.88 takes a pooled connection for the next request to its
 * host even with bytes waiting on it (8.x refuses); the request then
 * reads them as its reply.  A server that sends more than its
 * Content-Length, or writes after its response, so failed the next feed
 * of its host ("Received HTTP/0.9 when not allowed") or, when the
 * surplus was a whole response, had it stored as that feed's content.
 *
 * Owns a table of the sockets libcurl has open (the caller reports
 * each open and close, so a descriptor number never stands for another
 * socket), each with both ends' addresses once connected, whether an
 * HTTP/1 response came on it, and how many requests it has carried.
 * When a request is about to go out on an HTTP/1 connection that
 * carried one before (libcurl's pre-request callback names it by its
 * addresses), a connection with anything waiting is shut down: the
 * request then fails to send before it reads a byte, and libcurl
 * retries it on a fresh connection; the socket stays libcurl's to
 * close.  A new connection is never checked (a TLS server may have sent
 * a session ticket already), nor an HTTP/2 one (frames may wait there
 * between streams by design).  Knows nothing of feeds or the loop.
 */
#ifndef TIDINGS_KEEPALIVE_H
#define TIDINGS_KEEPALIVE_H

#include <curl/curl.h>

struct keepalive;

/* What keepalive_check found on a connection about to carry a request. */
enum keepalive_state {
	KEEPALIVE_CLEAN,	/* nothing waiting, or not a kept connection */
	KEEPALIVE_SURPLUS,	/* bytes waiting (plain HTTP): shut down */
	KEEPALIVE_CLOSED,	/* the server closed it while idle: shut down */
	/*
	 * TLS records waiting: surplus, or an alert or a late session
	 * ticket (no telling without reading them): shut down, as libcurl
	 * 8 does.
	 */
	KEEPALIVE_TLS_WAITING
};

struct keepalive *keepalive_new(void);	/* NULL when out of memory */
void	 keepalive_free(struct keepalive *);	/* NULL ok */
/* libcurl opened fd for a connection; -1 when out of memory (unchecked). */
int	 keepalive_opened(struct keepalive *, curl_socket_t fd);
/* libcurl is closing fd (its CURLOPT_CLOSESOCKETFUNCTION). */
void	 keepalive_closed(struct keepalive *, curl_socket_t fd);
/*
 * An HTTP/1 response is coming on the connection local_ip:local_port ->
 * primary_ip:primary_port (as libcurl names its ends).
 */
void	 keepalive_http1(struct keepalive *, const char *local_ip,
	    int local_port, const char *primary_ip, int primary_port);
/*
 * A request is about to go out on that connection; tls: it is HTTPS.
 * Shuts the connection down when it is a reused HTTP/1 one with
 * anything waiting.
 */
enum keepalive_state keepalive_check(struct keepalive *,
	    const char *local_ip, int local_port, const char *primary_ip,
	    int primary_port, int tls);

#endif
