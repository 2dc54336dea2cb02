/*
 * test_keepalive.c - a kept connection with bytes waiting is shut down
 * before its next request (keepalive.c); a clean one, one never kept,
 * one named by other addresses and a closed one's descriptor are left
 * alone.
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

/* More kept connections than the table's first size. */
#define MANY	40

static enum keepalive_state
check(struct keepalive *k, int local_port, int peer_port)
{
	return keepalive_check(k, "127.0.0.1", local_port, "127.0.0.1",
	    peer_port);
}

int
main(void)
{
	struct keepalive *k = keepalive_new();
	int c, s, c2, s2, c3, s3, cs[MANY], ss[MANY], lp, pp, i;

	CHECK(k != NULL);
	CHECK_INT(tcp_pair(&c, &s), 0);
	lp = port(c, 0);
	pp = port(c, 1);

	/* Never kept: nothing to check, whatever waits. */
	CHECK_INT(write(s, "HTTP/1.1 200 OK\r\n", 17), 17);
	CHECK_INT(check(k, lp, pp), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c));

	/* Kept with bytes waiting: shut down, once. */
	keepalive_note(k, c, 0);
	CHECK_INT(check(k, lp, pp), KEEPALIVE_SURPLUS);
	CHECK(is_shut(c));
	/* Taken: not kept again until its next transfer ends. */
	CHECK_INT(check(k, lp, pp), KEEPALIVE_CLEAN);
	close(c);
	close(s);

	/* Kept and clean: reused as it is; taken until noted again. */
	CHECK_INT(tcp_pair(&c2, &s2), 0);
	keepalive_note(k, c2, 0);
	CHECK_INT(check(k, port(c2, 0), port(c2, 1)),
	    KEEPALIVE_CLEAN);
	CHECK(is_idle(c2));
	/* The server closed it while idle (EOF waiting): not reused. */
	keepalive_note(k, c2, 0);
	close(s2);
	usleep(10000);
	CHECK_INT(check(k, port(c2, 0), port(c2, 1)),
	    KEEPALIVE_CLOSED);
	CHECK(is_shut(c2));

	/* Other ports or another address: someone else's connection. */
	CHECK_INT(tcp_pair(&c3, &s3), 0);
	CHECK_INT(write(s3, "junk", 4), 4);
	keepalive_note(k, c3, 0);
	CHECK_INT(check(k, port(c3, 0) + 1, port(c3, 1)), KEEPALIVE_CLEAN);
	CHECK_INT(check(k, port(c3, 0), port(c3, 1) + 1), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "127.0.0.2", port(c3, 0), "127.0.0.1",
	    port(c3, 1)), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "127.0.0.1", port(c3, 0), "::1",
	    port(c3, 1)), KEEPALIVE_CLEAN);
	CHECK_INT(keepalive_check(k, "nonsense", 1, "127.0.0.1", 2),
	    KEEPALIVE_CLEAN);
	CHECK(!is_shut(c3));

	/* Closed by libcurl: its row goes, whatever the number becomes. */
	keepalive_closed(k, c3);
	CHECK_INT(check(k, port(c3, 0), port(c3, 1)), KEEPALIVE_CLEAN);
	CHECK(!is_shut(c3));
	keepalive_closed(k, c3);	/* twice, or never noted: nothing */

	/* TLS: anything waiting may be an alert or a ticket; said so. */
	keepalive_note(k, c3, 1);
	CHECK_INT(check(k, port(c3, 0), port(c3, 1)), KEEPALIVE_TLS_WAITING);
	CHECK(is_shut(c3));

	/* Many kept at once: the table grows, each row is found. */
	for (i = 0; i < MANY; i++) {
		CHECK_INT(tcp_pair(&cs[i], &ss[i]), 0);
		keepalive_note(k, cs[i], 0);
	}
	CHECK_INT(write(ss[0], "junk", 4), 4);
	CHECK_INT(write(ss[MANY - 1], "junk", 4), 4);
	usleep(10000);
	CHECK_INT(check(k, port(cs[MANY / 2], 0), port(cs[MANY / 2], 1)),
	    KEEPALIVE_CLEAN);
	CHECK_INT(check(k, port(cs[0], 0), port(cs[0], 1)), KEEPALIVE_SURPLUS);
	CHECK_INT(check(k, port(cs[MANY - 1], 0), port(cs[MANY - 1], 1)),
	    KEEPALIVE_SURPLUS);
	for (i = 0; i < MANY; i++) {
		keepalive_closed(k, cs[i]);
		close(cs[i]);
		close(ss[i]);
	}
	close(c2);
	close(c3);
	close(s3);
	keepalive_free(k);
	keepalive_free(NULL);
	return TEST_DONE();
}
