/*
 * notify.c - sd_notify(3) and socket activation without libsystemd
 * (see notify.h).
 *
 * The protocol (sd_notify(3), "Notes"): each message is one datagram of
 * newline-separated VAR=value lines sent to the AF_UNIX address in
 * $NOTIFY_SOCKET; a leading '@' names the abstract namespace, where the
 * address is a NUL byte followed by the rest and its length counts
 * exactly those bytes.  Must not log (the caller says what failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

#define NOTIFY_MAX_MESSAGE	1024
/* The first descriptor systemd passes (sd_listen_fds(3)). */
#define LISTEN_FDS_START	3

static int		 notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_addrlen;

int
notify_init(char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(notify_addr.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET is not a usable socket "
		    "address (%zu bytes)", len);
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@') {
		notify_addr.sun_path[0] = '\0';
		/* Abstract names are not NUL-terminated: exactly len bytes. */
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len);
	} else
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len + 1);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		snprintf(err, errlen, "cannot create the notify socket: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}

int
notify_send(const char *msg)
{
	if (notify_fd == -1)
		return 0;
	/* MSG_DONTWAIT: a stuck manager must not stall the event loop. */
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (const struct sockaddr *)&notify_addr, notify_addrlen) == -1)
		return -1;
	return 0;
}

int
notify_sendf(const char *fmt, ...)
{
	char buf[NOTIFY_MAX_MESSAGE];
	va_list ap;

	if (notify_fd == -1)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return notify_send(buf);
}

/* An environment variable naming this process, as systemd sets them. */
static int
env_for_us(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long pid;

	if (v == NULL)
		return 1;	/* not restricted to a pid */
	errno = 0;
	pid = strtol(v, &end, 10);
	return errno == 0 && *end == '\0' && pid == (long)getpid();
}

uint64_t
notify_watchdog_usec(void)
{
	const char *v = getenv("WATCHDOG_USEC");
	unsigned long long usec;
	char *end;

	if (v == NULL || !env_for_us("WATCHDOG_PID"))
		return 0;
	errno = 0;
	usec = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || v[0] == '-')
		return 0;
	return (uint64_t)usec;
}

/* The socket systemd passed; taken by notify_listen_init(). */
static int listen_fd = -1;

void
notify_listen_init(void)
{
	const char *v = getenv("LISTEN_FDS");
	int fd = LISTEN_FDS_START, flags, type, listening;
	socklen_t len;
	struct stat st;

	if (v == NULL || getenv("LISTEN_PID") == NULL ||
	    !env_for_us("LISTEN_PID"))
		return;
	/* tidingsd.socket passes exactly one stream socket. */
	if (strcmp(v, "1") != 0)
		goto done;
	/*
	 * Only a listening stream socket will do: anything else at fd 3
	 * (a caller that set the variables but not the descriptor) is left
	 * alone and the daemon binds its own socket.
	 */
	len = sizeof(type);
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM)
		goto done;
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
	    !listening)
		goto done;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto done;
	listen_fd = fd;
 done:
	/* Child processes (parser workers) must not claim it too. */
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
}

int
notify_listen_fd(void)
{
	int fd = listen_fd;

	listen_fd = -1;		/* the caller owns it now */
	return fd;
}
