/*
 * sched.c - the poll cycle: timer -> fetch -> (304 or error: commit) ->
 * parse in a worker -> commit -> next timer (see sched.h).
 *
 * Owns the one ev_timer for the earliest due feed and the table of feeds
 * in flight.  Every outcome of a poll, good or bad, ends in exactly one
 * store_commit_fetch(), so the feed's record always says what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "conf.h"
#include "feed.h"
#include "fetch.h"
#include "log.h"
#include "sched.h"
#include "store.h"
#include "util.h"
#include "worker.h"

#define SCHED_LEASE_SLACK	60	/* seconds past the transfer timeout */
#define SCHED_ERROR_LEN		512
#define SCHED_IDLE_RETRY	1.0	/* seconds */
#define LOG_URL_LEN		200

struct flight {
	struct sched	*s;
	int64_t		 feed_id;
	int64_t		 interval;	/* the feed's own, 0 = global */
	int64_t		 started;
	char		*url;
	long		 status;
	char		*etag;
	char		*last_modified;
	double		 seconds;
};

struct sched {
	struct ev_loop	*loop;
	struct store	*store;
	struct fetch	*fetch;
	struct worker_pool *pool;
	ev_timer	 timer;
	int64_t		 poll_interval;
	int64_t		 min_interval;
	int64_t		 lease;
	size_t		 max_flights;
	struct flight	**flights;
	size_t		 nflights;
	struct sched_stats stats;
	int		 commit_log;	/* test switch: print COMMITTED lines */
	uint64_t	 commits;
};

static void sched_fetched(void *arg, struct fetch_result *);

static void
flight_free(struct flight *fl)
{
	if (fl == NULL)
		return;
	free(fl->url);
	free(fl->etag);
	free(fl->last_modified);
	free(fl);
}

static void
sched_remove(struct sched *s, struct flight *fl)
{
	size_t i;

	for (i = 0; i < s->nflights; i++)
		if (s->flights[i] == fl) {
			s->flights[i] = s->flights[--s->nflights];
			break;
		}
	flight_free(fl);
}

static int64_t
sched_interval(const struct sched *s, int64_t feed_interval)
{
	int64_t iv = feed_interval > 0 ? feed_interval : s->poll_interval;

	return iv < s->min_interval ? s->min_interval : iv;
}

/*
 * Re-reads the earliest due time and arms the timer for it.  idle says
 * the last tick started nothing: a due feed is then one in flight, and
 * the timer must not spin on it.
 */
static void
sched_arm(struct sched *s, int idle)
{
	int64_t next, now = time_now();
	double delay;

	ev_timer_stop(s->loop, &s->timer);
	if (s->nflights >= s->max_flights)
		return;		/* a finishing poll re-arms */
	next = store_next_poll(s->store);
	if (next == TIME_NONE)
		return;
	delay = next > now ? (double)(next - now) : 0.;
	if (idle && delay < SCHED_IDLE_RETRY)
		delay = SCHED_IDLE_RETRY;
	ev_timer_set(&s->timer, delay, 0.);
	ev_timer_start(s->loop, &s->timer);
}

void
sched_kick(struct sched *s)
{
	ev_timer_stop(s->loop, &s->timer);
	ev_timer_set(&s->timer, 0., 0.);
	ev_timer_start(s->loop, &s->timer);
}

/* Writes the outcome of a poll; the only way a flight ends. */
static void
sched_commit(struct sched *s, struct flight *fl, const char *error,
    int not_modified, const struct feed_doc *doc, int new_validators)
{
	struct store_fetch sf;
	struct store_ingest st;
	char ubuf[LOG_URL_LEN], ebuf[SCHED_ERROR_LEN];
	int rc;

	memset(&sf, 0, sizeof(sf));
	memset(&st, 0, sizeof(st));
	sf.feed_id = fl->feed_id;
	sf.fetched_at = time_now();
	sf.next_poll = sf.fetched_at + sched_interval(s, fl->interval);
	sf.http_status = fl->status;
	sf.error = error;
	sf.not_modified = not_modified;
	sf.doc = doc;
	sf.new_validators = new_validators;
	sf.etag = fl->etag;
	sf.last_modified = fl->last_modified;
	rc = store_commit_fetch(s->store, &sf, &st);
	log_escape(fl->url, ubuf, sizeof(ubuf));
	if (rc == STORE_NOTFOUND)
		log_info("feed %lld was removed while polling %s",
		    (long long)fl->feed_id, ubuf);
	else if (rc != STORE_OK)
		log_err("feed %lld %s: cannot store the poll: %s",
		    (long long)fl->feed_id, ubuf, store_errmsg(s->store));
	else if (error != NULL)
		log_warn("feed %lld %s: %s", (long long)fl->feed_id, ubuf,
		    log_escape(error, ebuf, sizeof(ebuf)));
	else if (not_modified)
		log_debug("feed %lld %s: not modified (%.2f s)",
		    (long long)fl->feed_id, ubuf, fl->seconds);
	else
		log_info("feed %lld %s: %ld, %zu new, %zu updated (%.2f s)",
		    (long long)fl->feed_id, ubuf, fl->status, st.added,
		    st.updated, fl->seconds);
	if (rc == STORE_OK && s->commit_log) {
		printf("COMMITTED %llu %zu\n", (unsigned long long)++s->commits,
		    st.added + st.updated);
		fflush(stdout);
	}
	s->stats.polls++;
	s->stats.errors += error != NULL;
	s->stats.not_modified += not_modified;
	s->stats.items_added += st.added;
	sched_remove(s, fl);
	sched_kick(s);
}

static int
sched_start(struct sched *s, const struct store_feed *feed, int64_t now)
{
	struct fetch_request req;
	struct flight *fl;

	if ((fl = calloc(1, sizeof(*fl))) == NULL ||
	    (fl->url = strdup(feed->url)) == NULL) {
		free(fl);
		return -1;
	}
	fl->s = s;
	fl->feed_id = feed->id;
	fl->interval = feed->interval;
	fl->started = now;
	s->flights[s->nflights++] = fl;
	/*
	 * A lease: the feed is not due again while this poll runs, and if
	 * the daemon dies mid-poll it is retried soon after a restart.
	 */
	store_feed_schedule(s->store, feed->id, now + s->lease);
	memset(&req, 0, sizeof(req));
	req.feed_id = feed->id;
	req.url = feed->url;
	req.etag = feed->etag;
	req.last_modified = feed->last_modified;
	if (fetch_start(s->fetch, &req) != 0)
		sched_commit(s, fl, "cannot start the transfer", 0, NULL, 0);
	return 0;
}

static void
sched_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct sched *s = t->data;
	int64_t now = time_now();
	int64_t *exclude;
	struct store_feed *due;
	size_t i, n = 0, room = s->max_flights - s->nflights;

	if (room == 0)
		return;
	exclude = calloc(s->nflights + 1, sizeof(*exclude));
	due = calloc(room, sizeof(*due));
	if (exclude == NULL || due == NULL) {
		log_err("scheduler: out of memory");
		goto done;
	}
	for (i = 0; i < s->nflights; i++)
		exclude[i] = s->flights[i]->feed_id;
	if (store_feeds_due(s->store, now, exclude, s->nflights, due, room,
	    &n) != STORE_OK) {
		log_err("scheduler: cannot read due feeds: %s",
		    store_errmsg(s->store));
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (sched_start(s, &due[i], now) != 0)
			log_err("scheduler: out of memory");
		store_feed_free(&due[i]);
	}
done:
	free(exclude);
	free(due);
	sched_arm(s, n == 0);
}

/* The HTTP status as the words a user reads in `tidings feeds`. */
static void
http_error_text(long status, char *buf, size_t n)
{
	static const struct { long code; const char *text; } reasons[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 410, "Gone" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status) {
			snprintf(buf, n, "HTTP %ld %s", status, reasons[i].text);
			return;
		}
	snprintf(buf, n, "HTTP %ld", status);
}

static struct flight *
sched_find(struct sched *s, int64_t feed_id)
{
	size_t i;

	for (i = 0; i < s->nflights; i++)
		if (s->flights[i]->feed_id == feed_id)
			return s->flights[i];
	return NULL;
}

static void
sched_fetched(void *arg, struct fetch_result *r)
{
	struct sched *s = arg;
	struct flight *fl = sched_find(s, r->feed_id);
	char msg[SCHED_ERROR_LEN];

	if (fl == NULL)
		return;
	fl->status = r->http_status;
	fl->seconds = r->seconds;
	if (!r->ok) {
		sched_commit(s, fl, r->error, 0, NULL, 0);
		return;
	}
	if (r->http_status == 304) {
		sched_commit(s, fl, NULL, 1, NULL, 0);
		return;
	}
	if (r->http_status < 200 || r->http_status > 299) {
		http_error_text(r->http_status, msg, sizeof(msg));
		sched_commit(s, fl, msg, 0, NULL, 0);
		return;
	}
	fl->etag = r->etag;
	fl->last_modified = r->last_modified;
	r->etag = r->last_modified = NULL;
	if (r->body == NULL && (r->body = strdup("")) == NULL) {
		sched_commit(s, fl, "out of memory", 0, NULL, 0);
		return;
	}
	/* Parsing happens off the loop; the pool now owns the body. */
	if (worker_pool_submit(s->pool, fl, r->effective_url ? r->effective_url :
	    fl->url, r->content_type, r->body, r->body_len) != 0)
		sched_commit(s, fl, "out of memory", 0, NULL, 0);
	r->body = NULL;
}

void
sched_parsed(void *tag, int rc, struct feed_doc *doc, const char *error)
{
	struct flight *fl = tag;
	struct sched *s = fl->s;
	char msg[SCHED_ERROR_LEN];

	if (rc != 0) {
		sched_commit(s, fl, error, 0, NULL, 0);
		return;
	}
	if (doc->error != NULL) {
		/*
		 * Keep the complete items, but not the validators: the next
		 * poll must fetch the whole document again.
		 */
		snprintf(msg, sizeof(msg), "feed is not well-formed: %s",
		    doc->error);
		sched_commit(s, fl, msg, 0, doc, 0);
		return;
	}
	sched_commit(s, fl, NULL, 0, doc, 1);
}

static void
sched_fetch_opts(const struct conf *c, struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->user_agent = c->user_agent;
	o->timeout = c->timeout;
	o->connect_timeout = c->connect_timeout;
	o->max_size = c->max_feed_size;
	o->max_connections = c->max_connections;
	o->max_per_host = c->max_per_host;
	o->allow_private_redirects = c->allow_private_redirects;
}

void
sched_set_conf(struct sched *s, const struct conf *c)
{
	struct fetch_opts o;

	s->poll_interval = c->poll_interval;
	s->min_interval = c->min_interval;
	s->lease = c->timeout + SCHED_LEASE_SLACK;
	sched_fetch_opts(c, &o);
	fetch_set_opts(s->fetch, &o);
	sched_kick(s);
}

struct sched *
sched_new(struct ev_loop *loop, struct store *store, const struct conf *c,
    struct worker_pool *pool)
{
	struct sched *s;
	struct fetch_opts o;
	const char *cl = getenv("TIDINGS_TEST_COMMIT_LOG");

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->store = store;
	s->pool = pool;
	/* The transfer limit is the flight limit: one flight, one connection. */
	s->max_flights = (size_t)c->max_connections;
	s->commit_log = cl != NULL && *cl == '1';
	if ((s->flights = calloc(s->max_flights, sizeof(*s->flights))) == NULL)
		goto fail;
	sched_fetch_opts(c, &o);
	if ((s->fetch = fetch_new(loop, &o, sched_fetched, s)) == NULL)
		goto fail;
	ev_timer_init(&s->timer, sched_tick, 0., 0.);
	s->timer.data = s;
	sched_set_conf(s, c);
	return s;
fail:
	free(s->flights);
	free(s);
	return NULL;
}

void
sched_free(struct sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	ev_timer_stop(s->loop, &s->timer);
	fetch_free(s->fetch);
	for (i = 0; i < s->nflights; i++)
		flight_free(s->flights[i]);
	free(s->flights);
	free(s);
}

int
sched_refresh(struct sched *s, int64_t feed_id)
{
	struct store_feed f;
	int rc;

	/* A poll in flight already answers the request when it ends. */
	if (sched_find(s, feed_id) != NULL)
		return STORE_OK;
	memset(&f, 0, sizeof(f));
	if ((rc = store_feed_get(s->store, feed_id, &f)) != STORE_OK)
		return rc;
	store_feed_free(&f);
	rc = store_feed_schedule(s->store, feed_id, time_now());

	if (rc == STORE_OK)
		sched_kick(s);
	return rc;
}

size_t
sched_refresh_all(struct sched *s)
{
	int64_t *ids = NULL, now = time_now();
	size_t i, n = 0, done = 0;

	if (store_feed_ids(s->store, &ids, &n) != STORE_OK)
		return 0;
	for (i = 0; i < n; i++)
		done += sched_find(s, ids[i]) != NULL ||
		    store_feed_schedule(s->store, ids[i], now) == STORE_OK;
	free(ids);
	sched_kick(s);
	return done;
}

void
sched_stats(const struct sched *s, struct sched_stats *out)
{
	*out = s->stats;
	out->in_flight = s->nflights;
}
