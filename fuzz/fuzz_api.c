/*
 * fuzz_api.c - libFuzzer harness for the API request handling: raw bytes
 * sent as an HTTP request over the real Unix socket to the real
 * api.c/libmicrohttpd/store stack, driven by a libev loop in this
 * process.  The scheduler is stubbed, as in tests/unit/test_api.c.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "api.h"
#include "sched.h"
#include "store.h"
#include "store_fts.h"

#define FUZZ_API_MAX	(256 * 1024)	/* past API_MAX_REQUEST, to hit 413 */
#define FUZZ_API_SPINS	20000		/* loop turns before giving up */
#define FUZZ_API_MODE	0600

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static struct ev_loop *loop;
static struct api *api;
static char sock_path[256];

/* Scheduler stubs: the API only asks for refreshes and counters. */
int
sched_refresh(struct sched *s, int64_t feed_id)
{
	return feed_id > 0 ? 0 : -1;
}

size_t
sched_refresh_all(struct sched *s)
{
	return 0;
}

void
sched_kick(struct sched *s)
{
}

void
sched_stats(const struct sched *s, struct sched_stats *st)
{
	memset(st, 0, sizeof(*st));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct api_ctx ctx;
	static char dir[] = "/tmp/fuzz_api.XXXXXX";
	static char dbpath[256];
	struct store *store;
	char err[256];

	signal(SIGPIPE, SIG_IGN);	/* our client end, not the daemon's */
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(dbpath, sizeof(dbpath), "%s/fuzz.db", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/api.sock", dir);
	loop = EV_DEFAULT;
	if ((store = store_open(dbpath, err, sizeof(err))) == NULL ||
	    store_fts_catch_up(dbpath, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_open: %s\n", err);
		abort();
	}
	ctx.store = store;
	ctx.sched = (struct sched *)(void *)&ctx;	/* never dereferenced */
	ctx.version = "fuzz";
	ctx.database = dbpath;
	if ((api = api_start(loop, sock_path, FUZZ_API_MODE, &ctx, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "api_start: %s\n", err);
		abort();
	}
	return 0;
}

static int
client_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		abort();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		abort();
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[65536];
	size_t sent = 0;
	int fd, spins, shut = 0;
	ssize_t n;

	if (size > FUZZ_API_MAX)
		return 0;
	fd = client_connect();
	for (spins = 0; spins < FUZZ_API_SPINS; spins++) {
		if (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				sent = size;	/* the daemon closed on us */
		}
		if (sent == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		ev_run(loop, EVRUN_NOWAIT);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			break;		/* answered and closed */
	}
	close(fd);
	/* let MHD see the close and free the connection */
	for (spins = 0; spins < 8; spins++)
		ev_run(loop, EVRUN_NOWAIT);
	return 0;
}
