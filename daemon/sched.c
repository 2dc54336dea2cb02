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
#include <unistd.h>

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
/*
 * A commit refused because another process holds the database lock is
 * retried from a timer (the loop keeps serving meanwhile), after 0.5,
 * 1, 2, 4 and 8 s; then the poll is given up and the feed's record says
 * so (see sched_record_cb).
 */
#define SCHED_STORE_RETRIES	5
#define SCHED_STORE_BACKOFF	0.5	/* seconds, doubled per retry */
/* Then the failure record is written as soon as it fits, tried this often, */
#define SCHED_STORE_RECORD	10.0	/* seconds */
/* and the feed is polled again this soon (or at its interval if sooner). */
#define SCHED_STORE_REPOLL	300	/* seconds */

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
	/* What the poll brought, kept while its commit is retried. */
	struct feed_doc	 doc;
	char		*error;
	int		 not_modified;
	int		 new_validators;
	int		 has_doc;
	int		 retries;
	int		 warned;	/* "cannot record the failure yet" logged */
	ev_timer	 retry;
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
	int		 commit_log;	/* test switch: fd for COMMITTED lines, or -1 */
};

static void sched_fetched(void *arg, struct fetch_result *);

static void
flight_free(struct flight *fl)
{
	if (fl == NULL)
		return;
	ev_timer_stop(fl->s->loop, &fl->retry);
	free(fl->url);
	free(fl->etag);
	free(fl->last_modified);
	free(fl->error);
	feed_doc_free(&fl->doc);
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

static void sched_commit(struct sched *, struct flight *, const char *,
    int, const struct feed_doc *, int);

static void
sched_retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct flight *fl = t->data;

	sched_commit(fl->s, fl, fl->error, fl->not_modified,
	    fl->has_doc ? &fl->doc : NULL, fl->new_validators);
}

/*
 * A commit failed: keeps the poll for a retry when the database was only
 * locked by another process.  1 when a retry is armed (the flight lives
 * on), 0 when the caller must end the flight.
 */
static int
sched_commit_later(struct sched *s, struct flight *fl, const char *error,
    int not_modified, const struct feed_doc *doc, int new_validators,
    const char *url)
{
	double delay;

	if (!store_err_busy(s->store) || fl->retries >= SCHED_STORE_RETRIES)
		return 0;
	/* The first failure moves what the poll brought into the flight. */
	if (error != fl->error) {
		free(fl->error);
		fl->error = NULL;
		if (error != NULL && (fl->error = strdup(error)) == NULL)
			return 0;
	}
	if (doc != NULL && doc != &fl->doc)
		return 0;	/* sched_parsed always passes &fl->doc */
	fl->has_doc = doc != NULL;
	fl->not_modified = not_modified;
	fl->new_validators = new_validators;
	delay = SCHED_STORE_BACKOFF * (double)(1 << fl->retries);
	fl->retries++;
	log_warn("feed %lld %s: cannot store the poll: %s; retry %d of %d "
	    "in %.1f s", (long long)fl->feed_id, url, store_errmsg(s->store),
	    fl->retries, SCHED_STORE_RETRIES, delay);
	ev_timer_set(&fl->retry, delay, 0.);
	ev_timer_start(s->loop, &fl->retry);
	return 1;
}

/* The outcome of fl as of now, with error (NULL: success) and no items. */
static void
sched_fetch_init(struct sched *s, const struct flight *fl, const char *error,
    struct store_fetch *sf)
{
	memset(sf, 0, sizeof(*sf));
	sf->feed_id = fl->feed_id;
	sf->fetched_at = time_now();
	sf->next_poll = sf->fetched_at + sched_interval(s, fl->interval);
	sf->http_status = fl->status;
	sf->error = error;
}

static void
sched_finish(struct sched *s, struct flight *fl)
{
	sched_remove(s, fl);
	sched_kick(s);
}

/*
 * Records a poll that could not be stored on its feed: once the database
 * takes this small write again, the flight ends; until then it is tried
 * every SCHED_STORE_RECORD seconds (the feed is not polled meanwhile, as
 * nothing could be stored anyway).
 */
static void
sched_record_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct flight *fl = t->data;
	struct sched *s = fl->s;
	struct store_fetch sf;
	char ubuf[LOG_URL_LEN];
	int rc;

	sched_fetch_init(s, fl, fl->error, &sf);
	/* Soon, not a whole interval: the trouble was ours, not the feed's. */
	if (sf.next_poll > sf.fetched_at + SCHED_STORE_REPOLL)
		sf.next_poll = sf.fetched_at + SCHED_STORE_REPOLL;
	rc = store_commit_fetch(s->store, &sf, NULL);
	log_escape(fl->url, ubuf, sizeof(ubuf));
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		if (!fl->warned)
			log_err("feed %lld %s: cannot record the failure yet "
			    "(%s); trying every %.0f s", (long long)fl->feed_id,
			    ubuf, store_errmsg(s->store), SCHED_STORE_RECORD);
		fl->warned = 1;
		ev_timer_set(&fl->retry, SCHED_STORE_RECORD, 0.);
		ev_timer_start(s->loop, &fl->retry);
		return;
	}
	if (fl->warned)
		log_info("feed %lld %s: failure recorded", (long long)fl->feed_id,
		    ubuf);
	sched_finish(s, fl);
}

/*
 * The poll could not be stored (lock held too long, disk full, I/O
 * error): its items are dropped and the validators kept, so the next
 * poll fetches them again, and the feed's record says what happened.
 */
static void
sched_commit_failed(struct sched *s, struct flight *fl, const char *url)
{
	char msg[SCHED_ERROR_LEN];

	snprintf(msg, sizeof(msg), "the poll could not be stored: %s",
	    store_errmsg(s->store));
	log_err("feed %lld %s: %s; the feed is polled again later",
	    (long long)fl->feed_id, url, msg);
	s->stats.polls++;
	s->stats.errors++;
	s->stats.last_poll = time_now();
	feed_doc_free(&fl->doc);	/* the items go, the message stays */
	free(fl->error);
	if ((fl->error = strdup(msg)) == NULL) {
		sched_finish(s, fl);	/* the lease brings it back */
		return;
	}
	ev_set_cb(&fl->retry, sched_record_cb);
	sched_record_cb(s->loop, &fl->retry, 0);
}

/* Logs the story merges a committed poll made (the first ones in full). */
static void
sched_log_merges(const struct store_ingest *st)
{
	size_t i;

	for (i = 0; i < st->merges && i < STORE_INGEST_MERGES; i++)
		log_info("story %lld merged into %lld: item %lld matched both "
		    "(%.2f, %.2f; stories %.2f)", (long long)st->merge[i].from,
		    (long long)st->merge[i].into, (long long)st->merge[i].item,
		    st->merge[i].score_from, st->merge[i].score_into,
		    st->merge[i].pair);
	if (st->merges > STORE_INGEST_MERGES)
		log_info("and %zu more story merges", st->merges -
		    STORE_INGEST_MERGES);
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

	memset(&st, 0, sizeof(st));
	sched_fetch_init(s, fl, error, &sf);
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
	else if (rc != STORE_OK) {
		if (!sched_commit_later(s, fl, error, not_modified, doc,
		    new_validators, ubuf))
			sched_commit_failed(s, fl, ubuf);
		return;
	} else if (error != NULL)
		log_warn("feed %lld %s: %s", (long long)fl->feed_id, ubuf,
		    log_escape(error, ebuf, sizeof(ebuf)));
	else if (not_modified)
		log_debug("feed %lld %s: not modified (%.2f s)",
		    (long long)fl->feed_id, ubuf, fl->seconds);
	else
		log_info("feed %lld %s: %ld, %zu new, %zu updated (%.2f s)%s",
		    (long long)fl->feed_id, ubuf, fl->status, st.added,
		    st.updated, fl->seconds, fl->retries > 0 ?
		    " after the database was locked" : "");
	if (rc == STORE_OK)
		sched_log_merges(&st);
	/*
	 * The crash-test oracle: written only after COMMIT returned, and
	 * only for commits that stored new items (their batch number is in
	 * the database, so a checker can find exactly those rows again).
	 */
	if (rc == STORE_OK && s->commit_log != -1 && st.added > 0)
		dprintf(s->commit_log, "COMMITTED %lld %zu\n",
		    (long long)st.batch, st.added);
	s->stats.polls++;
	s->stats.last_poll = sf.fetched_at;
	s->stats.errors += error != NULL;
	s->stats.not_modified += not_modified;
	s->stats.items_added += st.added;
	sched_finish(s, fl);
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
	feed_doc_init(&fl->doc);
	ev_init(&fl->retry, sched_retry_cb);
	fl->retry.data = fl;
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
	/* The flight owns the document now, in case the commit waits. */
	fl->doc = *doc;
	feed_doc_init(doc);
	if (fl->doc.error != NULL) {
		/*
		 * Keep the complete items, but not the validators: the next
		 * poll must fetch the whole document again.
		 */
		snprintf(msg, sizeof(msg), "feed is not well-formed: %s",
		    fl->doc.error);
		sched_commit(s, fl, msg, 0, &fl->doc, 0);
		return;
	}
	sched_commit(s, fl, NULL, 0, &fl->doc, 1);
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
	s->commit_log = cl != NULL && *cl == '1' ? STDOUT_FILENO : -1;
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
sched_set_commit_log(struct sched *s, int fd)
{
	s->commit_log = fd;
}

void
sched_stats(const struct sched *s, struct sched_stats *out)
{
	*out = s->stats;
	out->in_flight = s->nflights;
}
