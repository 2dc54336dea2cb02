/*
 * service.c - the service manager's view of tidingsd (see service.h).
 *
 * Reads counts from the store and the scheduler for STATUS=; writes
 * nothing anywhere but the notify socket.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "log.h"
#include "notify.h"
#include "sched.h"
#include "service.h"
#include "store.h"
#include "util.h"

/* STATUS= refresh period when there is no (shorter) watchdog. */
#define SERVICE_STATUS_INTERVAL	10.0	/* seconds */
#define SERVICE_STATUS_LEN	256
#define USEC_PER_SEC		1e6

struct service {
	struct ev_loop	*loop;
	struct store	*store;
	struct sched	*sched;
	ev_timer	 timer;
	int		 watchdog;	/* systemd asked for WATCHDOG=1 */
	int		 warned;	/* a send failure was logged */
};

/* "12 feeds, 340 polls (3 failed), last poll 2026-11-29 04:10:51 UTC" */
static void
service_status(struct service *sv, char *buf, size_t len)
{
	struct sched_stats st;
	int64_t *ids = NULL;
	size_t nfeeds = 0;
	char when[32] = "none yet";
	struct tm tm;
	time_t t;

	if (store_feed_ids(sv->store, &ids, &nfeeds) != STORE_OK)
		nfeeds = 0;
	free(ids);
	sched_stats(sv->sched, &st);
	if (st.last_poll > 0) {
		t = (time_t)st.last_poll;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			    &tm);
	}
	snprintf(buf, len, "%zu feeds, %llu polls (%llu failed), "
	    "%zu in flight, last poll %s", nfeeds,
	    (unsigned long long)st.polls, (unsigned long long)st.errors,
	    st.in_flight, when);
}

/* One datagram; a failure is logged once, never fatal. */
static void
service_send(struct service *sv, const char *what, int with_status)
{
	char status[SERVICE_STATUS_LEN];
	int rc;

	if (with_status) {
		service_status(sv, status, sizeof(status));
		rc = notify_sendf("%s%sSTATUS=%s", what, what[0] ? "\n" : "",
		    status);
	} else
		rc = notify_send(what);
	if (rc != 0 && !sv->warned) {
		log_warn("cannot notify the service manager: %s",
		    strerror(errno));
		sv->warned = 1;
	}
}

static void
service_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *sv = t->data;

	service_send(sv, sv->watchdog ? "WATCHDOG=1" : "", 1);
}

struct service *
service_ready(struct ev_loop *loop, struct store *store, struct sched *sched)
{
	struct service *sv;
	uint64_t wd = notify_watchdog_usec();
	double every = SERVICE_STATUS_INTERVAL;
	char err[SERVICE_STATUS_LEN];

	if (notify_init(err, sizeof(err)) != 0)
		log_warn("%s", err);
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return NULL;
	sv->loop = loop;
	sv->store = store;
	sv->sched = sched;
	/* Half the interval, as sd_watchdog_enabled(3) recommends. */
	if (wd > 0) {
		sv->watchdog = 1;
		if (wd / 2 / USEC_PER_SEC < every)
			every = wd / 2 / USEC_PER_SEC;
	}
	ev_timer_init(&sv->timer, service_tick, every, every);
	sv->timer.data = sv;
	ev_timer_start(loop, &sv->timer);
	service_send(sv, "READY=1", 1);
	return sv;
}

void
service_reloading(struct service *sv)
{
	if (sv != NULL)
		service_send(sv, "RELOADING=1", 0);
}

void
service_reloaded(struct service *sv)
{
	if (sv != NULL)
		service_send(sv, "READY=1", 1);
}

void
service_stopping(struct service *sv)
{
	if (sv != NULL)
		service_send(sv, "STOPPING=1", 0);
}

void
service_free(struct service *sv)
{
	if (sv == NULL)
		return;
	ev_timer_stop(sv->loop, &sv->timer);
	free(sv);
	notify_close();
}
