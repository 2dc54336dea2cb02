/*
 * test_keepalive.c - a reused HTTP/1 connection with anything waiting is
 * shut down before its next request (keepalive.c); a new connection, one
 * not known as HTTP/1, a clean one, one named by other addresses and a
 * closed one are left alone.
 */
#include <errno.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keepalive.h"
#include "test.h"

/* More open sockets than the table's first size. */
#define MANY	40
/* Lets bytes written on one end of a loopback pair reach the other. */
#define SETTLE_US	10000

/* A connected pair over loopback TCP: *client, *server. */
static int
tcp_pair(int *client, int *server)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 ||
	    connect(*client, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (*server = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	return 0;
}

static int
port(int fd, int peer)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if ((peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
	    getsockname(fd, (struct sockaddr *)&a, &len)) != 0)
		return -1;
	return ntohs(a.sin_port);
}

/* 1 when fd can no longer send (shut down). */
static int
is_shut(int fd)
{
	return send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno == EPIPE;
}

/* 1 when fd is open with nothing to read (reading nothing from it). */
static int
is_idle(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
http1(struct keepalive *k, int fd)
{
	keepalive_http1(k, "127.0.0.1", port(fd, 0), "127.0.0.1", port(fd, 1));
}

/* A request about to go out on fd's connection, plain HTTP. */
static enum keepalive_state
request(struct keepalive *k, int fd)
{
	return keepalive_check(k, "127.0.0.1", port(fd, 0), "127.0.0.1",
	    port(fd, 1), 0);
}

/* A new connection through the table, its first request made. */
static void
opened(struct keepalive *k, int *c, int *s)
{
	CHECK_INT(tcp_pair(c, s), 0);
	CHECK_INT(keepalive_opened(k, *c), 0);
	CHECK_INT(request(k, *c), KEEPALIVE_CLEAN);
}

/* libcurl closes the connection; the server's end goes too. */
static void
dropped(struct keepalive *k, int c, int s)
{
	keepalive_closed(k, c);
	close(c);
	close(s);
}

/* The server writes text, and it reaches the client's end. */
static void
server_writes(int s, const char *text)
{
	CHECK_INT(write(s, text, strlen(text)), (long long)strlen(text));
	usleep(SETTLE_US);
}

int
main(void)
{
	struct keepalive *k = keepalive_new();
	int c, s, c2, s2, c3, s3, cs[MANY], ss[MANY], i;

	CHECK(k != NULL);

	/* Not opened through the table: nothing to check, whatever waits. */
	CHECK_INT(tcp_pair(&c, &s), 0);
	CHECK_INT(write(s, "HTTP/1.1 200 OK\r\n", 17), 17);
	CHECK_INT(request(k, c), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c));
	close(c);
	close(s);

	/*
	 * Opened, first request: never checked (a TLS server may have sent
	 * a ticket already); an HTTP/1 response on it; the second request
	 * finds the surplus and the connection is shut down.
	 */
	CHECK_INT(tcp_pair(&c, &s), 0);
	CHECK_INT(keepalive_opened(k, c), 0);
	server_writes(s, "early");
	CHECK_INT(request(k, c), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c));
	http1(k, c);
	CHECK_INT(request(k, c), KEEPALIVE_SURPLUS);
	CHECK(is_shut(c));
	dropped(k, c, s);

	/* Reused but never HTTP/1 (HTTP/2: frames wait by design). */
	opened(k, &c, &s);
	server_writes(s, "frame");
	CHECK_INT(request(k, c), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c));
	dropped(k, c, s);

	/* Reused and clean: left as it is, every time. */
	opened(k, &c2, &s2);
	http1(k, c2);
	CHECK_INT(request(k, c2), KEEPALIVE_CLEAN);
	CHECK_INT(request(k, c2), KEEPALIVE_CLEAN);
	CHECK(is_idle(c2));
	/* The server closed it while idle (EOF waiting): not reused. */
	close(s2);
	usleep(SETTLE_US);
	CHECK_INT(request(k, c2), KEEPALIVE_CLOSED);
	CHECK(is_shut(c2));
	keepalive_closed(k, c2);
	close(c2);

	/* Other ports or another address: someone else's connection. */
	opened(k, &c3, &s3);
	http1(k, c3);
	server_writes(s3, "junk");
	CHECK_INT(keepalive_check(k, "127.0.0.1", port(c3, 0) + 1,
	    "127.0.0.1", port(c3, 1), 0), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "127.0.0.1", port(c3, 0), "127.0.0.1",
	    port(c3, 1) + 1, 0), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "127.0.0.2", port(c3, 0), "127.0.0.1",
	    port(c3, 1), 0), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "127.0.0.1", port(c3, 0), "::1",
	    port(c3, 1), 0), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "nonsense", 1, "127.0.0.1", 2, 0),
	    KEEPALIVE_CLEAN);
	CHECK(!is_shut(c3));
	/* TLS: what waits may be an alert or a ticket; said so. */
	CHECK_INT(keepalive_check(k, "127.0.0.1", port(c3, 0), "127.0.0.1",
	    port(c3, 1), 1), KEEPALIVE_TLS_WAITING);
	CHECK(is_shut(c3));

	/* Closed by libcurl: its row goes, whatever the number becomes. */
	keepalive_closed(k, c3);
	keepalive_closed(k, c3);	/* twice, or never opened: nothing */
	CHECK_INT(request(k, c3), KEEPALIVE_CLEAN);
	close(c3);
	close(s3);

	/* Many open at once: the table grows, each row is found. */
	for (i = 0; i < MANY; i++) {
		opened(k, &cs[i], &ss[i]);
		http1(k, cs[i]);
	}
	server_writes(ss[0], "junk");
	server_writes(ss[MANY - 1], "junk");
	CHECK_INT(request(k, cs[MANY / 2]), KEEPALIVE_CLEAN);
	CHECK_INT(request(k, cs[0]), KEEPALIVE_SURPLUS);
	CHECK_INT(request(k, cs[MANY - 1]), KEEPALIVE_SURPLUS);
	for (i = 0; i < MANY; i++)
		dropped(k, cs[i], ss[i]);
	keepalive_free(k);
	keepalive_free(NULL);
	return TEST_DONE();
}
