/*
 * test_keepalive.c - a kept connection with bytes waiting is shut down
 * before its next request (keepalive.c); a clean one, one never kept,
 * and a descriptor now holding another socket are left alone.
 */
#include <errno.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "keepalive.h"
#include "test.h"

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

int
main(void)
{
	struct keepalive *k = keepalive_new(2);
	int c, s, c2, s2, c3, s3, lp, pp;

	CHECK(k != NULL);
	CHECK_INT(tcp_pair(&c, &s), 0);
	lp = port(c, 0);
	pp = port(c, 1);

	/* Never kept: nothing to check, whatever waits. */
	CHECK_INT(write(s, "HTTP/1.1 200 OK\r\n", 17), 17);
	CHECK_INT(keepalive_check(k, lp, pp), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c));

	/* Kept with bytes waiting: shut down, once. */
	keepalive_note(k, c);
	CHECK_INT(keepalive_check(k, lp, pp), KEEPALIVE_SURPLUS);
	CHECK(is_shut(c));
	/* Taken: not kept again until its next transfer ends. */
	CHECK_INT(keepalive_check(k, lp, pp), KEEPALIVE_CLEAN);
	close(c);
	close(s);

	/* Kept and clean: reused as it is; taken until noted again. */
	CHECK_INT(tcp_pair(&c2, &s2), 0);
	keepalive_note(k, c2);
	CHECK_INT(keepalive_check(k, port(c2, 0), port(c2, 1)),
	    KEEPALIVE_CLEAN);
	CHECK(is_idle(c2));
	/* The server closed it while idle (EOF waiting): not reused. */
	keepalive_note(k, c2);
	close(s2);
	usleep(10000);
	CHECK_INT(keepalive_check(k, port(c2, 0), port(c2, 1)),
	    KEEPALIVE_CLOSED);
	CHECK(is_shut(c2));

	/* Ports that do not match are someone else's connection. */
	CHECK_INT(tcp_pair(&c3, &s3), 0);
	CHECK_INT(write(s3, "junk", 4), 4);
	keepalive_note(k, c3);
	CHECK_INT(keepalive_check(k, port(c3, 0) + 1, port(c3, 1)),
	    KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, port(c3, 0), port(c3, 1) + 1),
	    KEEPALIVE_CLEAN);
	CHECK(!is_shut(c3));

	/* A full table writes over its rows: the newest is there. */
	keepalive_note(k, c2);
	keepalive_note(k, c3);
	keepalive_note(k, s3);
	CHECK_INT(write(c3, "junk", 4), 4);
	usleep(10000);
	CHECK_INT(keepalive_check(k, port(s3, 0), port(s3, 1)),
	    KEEPALIVE_SURPLUS);
	close(c2);
	close(c3);
	close(s3);
	keepalive_free(k);
	keepalive_free(NULL);
	return TEST_DONE();
}
