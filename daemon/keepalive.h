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
 * Owns a table of the HTTP/1 connections libcurl kept after a transfer:
 * their socket and both ends' addresses, a row from the transfer's end
 * until libcurl closes the socket (the caller reports closes, so a
 * descriptor number never stands for another socket).  When a request
 * is about to go out on a kept connection (libcurl's pre-request
 * callback names it by its addresses), a connection with anything
 * waiting is shut down: the request then fails to send before it reads
 * a byte, and libcurl retries it on a fresh connection; the socket
 * stays libcurl's to close.  HTTP/2 connections are never entered:
 * frames may wait there between streams by design.  Knows nothing of
 * feeds or the loop.
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
/*
 * After a transfer on easy ended (before libcurl can start another):
 * notes the connection it kept, if HTTP/1 and still the one the last
 * response came on.
 */
void	 keepalive_kept(struct keepalive *, CURL *easy);
/* The same for a socket known to carry a kept HTTP/1 connection. */
void	 keepalive_note(struct keepalive *, curl_socket_t fd, int tls);
/* libcurl is closing fd (its CURLOPT_CLOSESOCKETFUNCTION). */
void	 keepalive_closed(struct keepalive *, curl_socket_t fd);
/*
 * Before a request on the connection local_ip:local_port ->
 * primary_ip:primary_port, as the pre-request callback names it.
 */
enum keepalive_state keepalive_check(struct keepalive *,
	    const char *local_ip, int local_port, const char *primary_ip,
	    int primary_port);

#endif
