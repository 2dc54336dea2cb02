/*
 * notify.h - the service manager's side channels: sd_notify(3) messages
 * (READY=1, STATUS=, WATCHDOG=1, STOPPING=1, RELOADING=1) and socket
 * activation (LISTEN_FDS).
 *
 * Written here instead of linking libsystemd: the notify protocol is one
 * datagram to $NOTIFY_SOCKET and activation is two environment variables,
 * so a dependency (and its own dependencies) would buy nothing.  Without
 * a service manager every call is a no-op.  Owns the notify socket only.
 */
#ifndef TIDINGS_NOTIFY_H
#define TIDINGS_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads NOTIFY_SOCKET and opens the datagram socket.  0 when notifying
 * is set up or not asked for; -1 with a reason in err when the variable
 * is malformed or the socket cannot be made (the daemon runs on).
 */
int	notify_init(char *err, size_t errlen);
void	notify_close(void);
/* Sends one message, e.g. "READY=1\nSTATUS=...".  0 or -1 (errno). */
int	notify_send(const char *msg);
/* printf-style notify_send, cut at NOTIFY_MAX_MESSAGE bytes. */
int	notify_sendf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/*
 * The watchdog interval in microseconds that systemd asked for
 * (WATCHDOG_USEC, for this process per WATCHDOG_PID), or 0 for none.
 */
uint64_t notify_watchdog_usec(void);
/*
 * Takes the listening socket systemd passed (LISTEN_FDS=1 for this
 * process per LISTEN_PID, a listening stream socket at fd 3), makes it
 * non-blocking and close-on-exec, and removes the variables so child
 * processes do not claim it.  Call first thing at start-up, before any
 * descriptor is opened that could land on fd 3.
 */
void	notify_listen_init(void);
/* That socket, once (the caller owns it), or -1 if none was passed. */
int	notify_listen_fd(void);

#endif
