/*
 * keepalive.c - kept-alive HTTP/1 connections are reused clean (see
 * keepalive.h).
 *
 * A connection is known by both its ends (address and port): the
 * pre-request callback names it so, and on Linux two connections to
 * different servers may share a local port.  A row lives from the
 * transfer that kept the connection until libcurl closes the socket,
 * so the table holds at most the sockets libcurl has open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keepalive.h"

#define KEEPALIVE_ROWS_MIN	16

/* One end of a connection, comparable with memcmp (zero-filled). */
struct endpoint {
	int		 family;
	unsigned char	 addr[16];
	int		 port;
};

struct kept {
	curl_socket_t	 fd;
	struct endpoint	 local, peer;
	int		 tls;
	int		 live;		/* kept, not taken since */
};

struct keepalive {
	struct kept	*rows;
	size_t		 n, cap;
};

struct keepalive *
keepalive_new(void)
{
	return calloc(1, sizeof(struct keepalive));
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
endpoint_of_sockaddr(const struct sockaddr_storage *ss, struct endpoint *e)
{
	memset(e, 0, sizeof(*e));
	e->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(e->addr, &a->sin_addr, sizeof(a->sin_addr));
		e->port = ntohs(a->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(e->addr, &a->sin6_addr, sizeof(a->sin6_addr));
		e->port = ntohs(a->sin6_port);
		return 0;
	}
	return -1;
}

/* An address as libcurl prints it (an IPv6 one may carry a %zone). */
static int
endpoint_of_text(const char *ip, int port, struct endpoint *e)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len = strcspn(ip, "%");

	memset(e, 0, sizeof(*e));
	e->port = port;
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, ip, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, e->addr) == 1) {
		e->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Both ends of the connection on fd; 0, or -1 when it has none. */
static int
socket_ends(curl_socket_t fd, struct endpoint *local, struct endpoint *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    endpoint_of_sockaddr(&ss, local) != 0)
		return -1;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    endpoint_of_sockaddr(&ss, peer) != 0)
		return -1;
	return 0;
}

static int
endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static struct kept *
row_of_fd(struct keepalive *k, curl_socket_t fd)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->rows[i].fd == fd)
			return &k->rows[i];
	return NULL;
}

void
keepalive_kept(struct keepalive *k, CURL *easy)
{
	struct endpoint local, peer, want_local, want_peer;
	curl_socket_t fd = CURL_SOCKET_BAD;
	char *scheme = NULL, *lip = NULL, *pip = NULL;
	long version = 0, lport = 0, pport = 0;

	if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) !=
	    CURLE_OK || (version != CURL_HTTP_VERSION_1_0 &&
	    version != CURL_HTTP_VERSION_1_1))
		return;
	if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return;	/* closed, not kept */
	/*
	 * libcurl 7.88 forgets the last kept connection only when it keeps
	 * another: after a redirect whose last hop was closed, the socket
	 * is an earlier hop's, maybe HTTP/2 and busy.  Only the connection
	 * the last response came on is noted.
	 */
	if (curl_easy_getinfo(easy, CURLINFO_LOCAL_IP, &lip) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &lport) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &pip) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &pport) !=
	    CURLE_OK || lip == NULL || pip == NULL ||
	    endpoint_of_text(lip, (int)lport, &want_local) != 0 ||
	    endpoint_of_text(pip, (int)pport, &want_peer) != 0 ||
	    socket_ends(fd, &local, &peer) != 0 ||
	    !endpoint_eq(&local, &want_local) || !endpoint_eq(&peer, &want_peer))
		return;
	curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme);
	keepalive_note(k, fd, scheme != NULL &&
	    strcasecmp(scheme, "https") == 0);
}

void
keepalive_note(struct keepalive *k, curl_socket_t fd, int tls)
{
	struct endpoint local, peer;
	struct kept *row;

	if (socket_ends(fd, &local, &peer) != 0)
		return;
	if ((row = row_of_fd(k, fd)) == NULL) {
		if (k->n == k->cap) {
			size_t ncap = k->cap ? k->cap * 2 : KEEPALIVE_ROWS_MIN;
			struct kept *nr = realloc(k->rows,
			    ncap * sizeof(*nr));

			if (nr == NULL)
				return;	/* unchecked, as before */
			k->rows = nr;
			k->cap = ncap;
		}
		row = &k->rows[k->n++];
	}
	row->fd = fd;
	row->local = local;
	row->peer = peer;
	row->tls = tls;
	row->live = 1;
}

void
keepalive_closed(struct keepalive *k, curl_socket_t fd)
{
	struct kept *row = row_of_fd(k, fd);

	if (row != NULL)
		*row = k->rows[--k->n];
}

enum keepalive_state
keepalive_check(struct keepalive *k, const char *local_ip, int local_port,
    const char *primary_ip, int primary_port)
{
	struct endpoint want_local, want_peer, local, peer;
	struct kept *row = NULL;
	ssize_t n;
	size_t i;
	char byte;

	if (endpoint_of_text(local_ip, local_port, &want_local) != 0 ||
	    endpoint_of_text(primary_ip, primary_port, &want_peer) != 0)
		return KEEPALIVE_CLEAN;
	for (i = 0; i < k->n && row == NULL; i++)
		if (k->rows[i].live &&
		    endpoint_eq(&k->rows[i].local, &want_local) &&
		    endpoint_eq(&k->rows[i].peer, &want_peer))
			row = &k->rows[i];
	if (row == NULL)
		return KEEPALIVE_CLEAN;	/* new, or never kept */
	row->live = 0;	/* taken: noted again when its transfer ends */
	if (socket_ends(row->fd, &local, &peer) != 0 ||
	    !endpoint_eq(&local, &want_local) || !endpoint_eq(&peer, &want_peer))
		return KEEPALIVE_CLEAN;	/* not connected any more */
	n = recv(row->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return KEEPALIVE_CLEAN;
	shutdown(row->fd, SHUT_RDWR);
	if (n <= 0)
		return KEEPALIVE_CLOSED;	/* EOF or reset: ordinary */
	return row->tls ? KEEPALIVE_TLS_WAITING : KEEPALIVE_SURPLUS;
}
