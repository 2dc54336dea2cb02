/*
 * keepalive.c - kept-alive HTTP/1 connections are reused clean (see
 * keepalive.h).
 *
 * The pre-request callback names a connection by its addresses, not its
 * socket, so the table keeps each kept socket's two ports, and a match
 * is checked against the socket again before it is touched: libcurl may
 * have closed a kept connection since, and its descriptor number may
 * now be another socket's.  Stale rows cost nothing else: a full table
 * writes over its rows in turn.
 */
#include <errno.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keepalive.h"

struct kept {
	curl_socket_t	 fd;
	int		 local_port, peer_port;
	int		 live;		/* kept and not taken since */
};

struct keepalive {
	struct kept	*rows;
	size_t		 cap;
	size_t		 next;	/* the row a full table writes over next */
};

struct keepalive *
keepalive_new(size_t cap)
{
	struct keepalive *k;

	if (cap == 0)
		cap = 1;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->rows = calloc(cap, sizeof(*k->rows))) == NULL) {
		free(k);
		return NULL;
	}
	k->cap = cap;
	return k;
}

void
keepalive_free(struct keepalive *k)
{
	if (k == NULL)
		return;
	free(k->rows);
	free(k);
}

static int
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

/* The socket's own and its peer's ports; 0, or -1 when it has none. */
static int
socket_ports(curl_socket_t fd, int *local, int *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    (*local = port_of(&ss)) < 0)
		return -1;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    (*peer = port_of(&ss)) < 0)
		return -1;
	return 0;
}

void
keepalive_kept(struct keepalive *k, CURL *easy)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	long version = 0;

	if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) !=
	    CURLE_OK || (version != CURL_HTTP_VERSION_1_0 &&
	    version != CURL_HTTP_VERSION_1_1))
		return;
	if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return;	/* closed, not kept */
	keepalive_note(k, fd);
}

void
keepalive_note(struct keepalive *k, curl_socket_t fd)
{
	struct kept *row = NULL;
	int local, peer;
	size_t i;

	if (socket_ports(fd, &local, &peer) != 0)
		return;
	for (i = 0; i < k->cap && row == NULL; i++)
		if (k->rows[i].live && k->rows[i].fd == fd)
			row = &k->rows[i];
	for (i = 0; i < k->cap && row == NULL; i++)
		if (!k->rows[i].live)
			row = &k->rows[i];
	if (row == NULL) {
		row = &k->rows[k->next];
		k->next = (k->next + 1) % k->cap;
	}
	row->fd = fd;
	row->local_port = local;
	row->peer_port = peer;
	row->live = 1;
}

enum keepalive_state
keepalive_check(struct keepalive *k, int local_port, int primary_port)
{
	struct kept *row = NULL;
	int local, peer;
	ssize_t n;
	size_t i;
	char byte;

	for (i = 0; i < k->cap && row == NULL; i++)
		if (k->rows[i].live && k->rows[i].local_port == local_port &&
		    k->rows[i].peer_port == primary_port)
			row = &k->rows[i];
	if (row == NULL)
		return KEEPALIVE_CLEAN;	/* new, or never kept */
	row->live = 0;	/* taken: noted again when its transfer ends */
	if (socket_ports(row->fd, &local, &peer) != 0 ||
	    local != local_port || peer != primary_port)
		return KEEPALIVE_CLEAN;	/* closed since: another socket's */
	n = recv(row->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return KEEPALIVE_CLEAN;
	shutdown(row->fd, SHUT_RDWR);
	/* An idle connection the server closed is ordinary keep-alive. */
	return n > 0 ? KEEPALIVE_SURPLUS : KEEPALIVE_CLOSED;
}
