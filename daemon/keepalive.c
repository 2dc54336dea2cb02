/*
 * keepalive.c - kept-alive HTTP/1 connections are reused clean (see
 * keepalive.h).
 *
 * A connection is known by both its ends (address and port): libcurl's
 * callbacks name it so, and on Linux two connections to different
 * servers may share a local port.  A socket's ends are read once it is
 * connected, the first time a callback looks for it, and again when
 * they match, before the row is trusted.  What a connection
 * is (HTTP/1 or not) is learnt from its responses' status lines, as
 * they arrive, so it is known before libcurl can hand the connection
 * to the next transfer, whenever that happens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keepalive.h"
#include "netguard.h"

#define KEEPALIVE_ROWS_MIN	16

/* One end of a connection, comparable with memcmp (zero-filled). */
struct endpoint {
	int		 family;
	unsigned char	 addr[16];
	int		 port;
};

struct conn {
	curl_socket_t	 fd;
	int		 known;		/* local and peer read */
	struct endpoint	 local, peer;
	int		 http1;		/* an HTTP/1 response came on it */
	unsigned long	 requests;	/* requests it has carried */
};

struct keepalive {
	struct conn	*rows;		/* one per socket libcurl has open */
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
	struct sockaddr_storage ss;
	size_t len = strcspn(ip, "%");

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, ip, len);
	buf[len] = '\0';
	if (netguard_parse_ip(buf, &ss) != 0 ||
	    endpoint_of_sockaddr(&ss, e) != 0)
		return -1;
	e->port = port;
	return 0;
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

static struct conn *
row_of_fd(struct keepalive *k, curl_socket_t fd)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->rows[i].fd == fd)
			return &k->rows[i];
	return NULL;
}

/*
 * The open socket whose ends are these, or NULL.  A matching row's ends
 * are read again before it is trusted: a socket reset by its peer gives
 * its local port up while still open, and a new connection may then
 * have the same ends.
 */
static struct conn *
row_of_ends(struct keepalive *k, const char *local_ip, int local_port,
    const char *primary_ip, int primary_port)
{
	struct endpoint want_local, want_peer, local, peer;
	struct conn *r;
	size_t i;

	if (endpoint_of_text(local_ip, local_port, &want_local) != 0 ||
	    endpoint_of_text(primary_ip, primary_port, &want_peer) != 0)
		return NULL;
	for (i = 0; i < k->n; i++) {
		r = &k->rows[i];
		if (!r->known)	/* not connected yet when opened */
			r->known = socket_ends(r->fd, &r->local, &r->peer) == 0;
		if (!r->known || !endpoint_eq(&r->local, &want_local) ||
		    !endpoint_eq(&r->peer, &want_peer))
			continue;
		if (socket_ends(r->fd, &local, &peer) != 0 ||
		    !endpoint_eq(&local, &want_local) ||
		    !endpoint_eq(&peer, &want_peer)) {
			r->known = 0;	/* not that connection any more */
			continue;
		}
		return r;
	}
	return NULL;
}

int
keepalive_opened(struct keepalive *k, curl_socket_t fd)
{
	struct conn *r = row_of_fd(k, fd);

	if (r == NULL) {
		if (k->n == k->cap) {
			size_t ncap = k->cap ? k->cap * 2 : KEEPALIVE_ROWS_MIN;
			struct conn *nr = realloc(k->rows, ncap * sizeof(*nr));

			if (nr == NULL)
				return -1;
			k->rows = nr;
			k->cap = ncap;
		}
		r = &k->rows[k->n++];
	}
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	return 0;
}

void
keepalive_closed(struct keepalive *k, curl_socket_t fd)
{
	struct conn *r = row_of_fd(k, fd);

	if (r != NULL)
		*r = k->rows[--k->n];
}

void
keepalive_http1(struct keepalive *k, const char *local_ip, int local_port,
    const char *primary_ip, int primary_port)
{
	struct conn *r = row_of_ends(k, local_ip, local_port, primary_ip,
	    primary_port);

	if (r != NULL)
		r->http1 = 1;
}

enum keepalive_state
keepalive_check(struct keepalive *k, const char *local_ip, int local_port,
    const char *primary_ip, int primary_port, int tls)
{
	struct conn *r = row_of_ends(k, local_ip, local_port, primary_ip,
	    primary_port);
	ssize_t n;
	char byte;

	if (r == NULL || r->requests++ == 0 || !r->http1)
		return KEEPALIVE_CLEAN;	/* new, or not HTTP/1 */
	n = recv(r->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return KEEPALIVE_CLEAN;
	shutdown(r->fd, SHUT_RDWR);
	if (n <= 0)
		return KEEPALIVE_CLOSED;	/* EOF or reset: ordinary */
	return tls ? KEEPALIVE_TLS_WAITING : KEEPALIVE_SURPLUS;
}
