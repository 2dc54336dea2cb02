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
 * Owns a table of the HTTP/1 connections libcurl kept after a transfer
 * (their socket and its two ports).  When a request is about to go out
 * on one of them (libcurl's pre-request callback), a connection with
 * bytes or EOF waiting is shut down: the request then fails to send
 * before it reads anything, and libcurl retries it on a fresh
 * connection; the socket stays libcurl's to close.  HTTP/2 connections
 * are never entered: frames may wait there between streams by design.
 * Knows nothing of feeds or the loop.
 */
#ifndef TIDINGS_KEEPALIVE_H
#define TIDINGS_KEEPALIVE_H

#include <stddef.h>

#include <curl/curl.h>

struct keepalive;

/* A table for at most cap kept connections (libcurl's pool size); NULL when OOM. */
struct keepalive *keepalive_new(size_t cap);
void	 keepalive_free(struct keepalive *);	/* NULL ok */
/*
 * After a transfer on easy ended (before libcurl can start another):
 * notes the connection it kept, if HTTP/1.
 */
void	 keepalive_kept(struct keepalive *, CURL *easy);
/* The same for a socket known to carry a kept HTTP/1 connection. */
void	 keepalive_note(struct keepalive *, curl_socket_t fd);
/* What keepalive_check found on a connection about to carry a request. */
enum keepalive_state {
	KEEPALIVE_CLEAN,	/* nothing waiting, or not a kept connection */
	KEEPALIVE_SURPLUS,	/* bytes waiting: shut down, not reused */
	KEEPALIVE_CLOSED	/* the server closed it while idle: shut down */
};

/* Before a request on the connection local_port -> primary_port. */
enum keepalive_state keepalive_check(struct keepalive *, int local_port,
	    int primary_port);

#endif
