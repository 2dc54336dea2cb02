/*
 * service.h - tidingsd as a systemd service: READY=1 once the database
 * is open and the API listens, STATUS= with feeds and the last poll,
 * WATCHDOG=1 from the event loop, STOPPING=1 and RELOADING=1.
 *
 * Owns the status/watchdog timer.  The pings come from the loop itself,
 * so a loop stuck in a parse or a long transaction misses them and
 * systemd restarts the daemon.  A no-op without $NOTIFY_SOCKET.
 */
#ifndef TIDINGS_SERVICE_H
#define TIDINGS_SERVICE_H

struct ev_loop;
struct store;
struct sched;
struct service;

/* Call after the API listens: sends READY=1 and starts the timer. */
struct service *service_ready(struct ev_loop *, struct store *,
	    struct sched *);
void	service_reloading(struct service *);
void	service_reloaded(struct service *);
void	service_stopping(struct service *);
void	service_free(struct service *);	/* NULL ok */

#endif
