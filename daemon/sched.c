/*
 * sched.c - the poll cycle: timer -> fetch -> (304 or error: commit) ->
 * parse in a worker -> commit -> next timer (see sched.h).
 *
 * Owns the one ev_timer for the earliest due feed and the table of feeds
 * in flight.  Every outcome of a poll, good or bad, ends in exactly one
 * store_commit_fetch(), so the feed's record always says what happened.
 * Commits and every other write of a poll run on the ingest thread
 * (ingest.h); the flight lives until its commit is done.  Reads (which
 * feeds are due) use the loop's own store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>

#include "conf.h"
#include "feed.h"
#include "fetch.h"
#include "history.h"
#include "hosts.h"
#include "ingest.h"
#include "log.h"
#include "polite.h"
#include "sched.h"
#include "store.h"
#include "util.h"
#include "worker.h"

#define SCHED_LEASE_SLACK	60	/* seconds past the transfer timeout */
/* Poll results reach the disk at most this long after their commit. */
#define SCHED_SYNC_DELAY	1.0	/* seconds */
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
#define SCHED_OVERSCAN		4	/* due feeds read per free slot: some
					   may wait for their host */
#define SCHED_SUSPEND_GAP	120	/* timer this late: we were asleep */
#define SCHED_MS		1000.0

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
	int64_t		 next_poll;	/* decided by the first commit try */
	int		 decided;
	/* Polite polling: what the request and its answer said. */
	struct host	*host;		/* in s->hosts; NULL if none */
	int		 conditional;
	struct store_poll poll;		/* state before, then to write */
	int64_t		 max_age;	/* Cache-Control, -1 none */
	int64_t		 expires;	/* TIME_NONE none */
	int64_t		 retry_at;	/* Retry-After, -1 none */
	char		*moved_url;	/* 301/308-only redirect target */
	int64_t		 bytes;
	long		 redirects;
	/* The commit on the ingest thread, and what it writes and returns. */
	struct ingest_job job;
	struct store_fetch sf;
	struct store_ingest st;
};

/* Feeds to be due at one time, written by the ingest thread. */
struct plan {
	struct ingest_job job;
	struct sched	*s;
	int64_t		 at;
	int		 kick;		/* tick when written: some may be due */
	size_t		 n;
	int64_t		 ids[];
};

struct sched {
	struct ev_loop	*loop;
	struct store	*store;		/* the loop's: reads */
	struct ingest	*ingest;	/* writes */
	struct ingest_job sync_job;
	int		 syncing;	/* sync_job submitted */
	struct fetch	*fetch;
	struct worker_pool *pool;
	ev_timer	 timer;
	ev_timer	 sync;		/* store_sync() soon after commits */
	int64_t		 poll_interval;
	int64_t		 min_interval;
	int64_t		 lease;
	size_t		 max_flights;
	struct flight	**flights;
	size_t		 nflights;
	struct sched_stats stats;
	int		 commit_log;	/* test switch: fd for COMMITTED lines, or -1 */
	/* Polite polling. */
	struct hosts	*hosts;
	struct history	*history;
	int64_t		 max_interval;
	int64_t		 redirect_after;
	long		 max_per_host;
	double		 host_spacing;	/* seconds */
	int		 adaptive;
	double		 host_wait;	/* ev_now of the next host slot, 0 none */
	int64_t		 armed_for;	/* wall time the timer should fire */
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
	free(fl->moved_url);
	store_poll_free(&fl->poll);
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

/* The feed's interval after a good poll: config, pace, hints, limits. */
static int64_t
sched_interval(const struct sched *s, const struct flight *fl, int64_t now)
{
	struct polite_limits l;
	struct polite_hints h;

	l.interval = fl->interval > 0 ? fl->interval : s->poll_interval;
	if (s->adaptive && fl->poll.poll_every > 0)
		l.interval = fl->poll.poll_every;
	l.floor = s->min_interval;
	l.ceiling = s->max_interval;
	polite_hints_init(&h);
	h.ttl = fl->poll.ttl;
	h.max_age = fl->max_age;
	h.expires = fl->expires;
	return polite_interval(&l, &h, now);
}

/* The pace of a feed: the median gap between its items' dates. */
static int64_t
sched_pace(const struct feed_doc *doc)
{
	int64_t *t, gap;
	size_t i, n = 0;

	if (doc->nitems == 0 ||
	    (t = calloc(doc->nitems, sizeof(*t))) == NULL)
		return 0;
	for (i = 0; i < doc->nitems; i++)
		if (doc->items[i].published != TIME_NONE)
			t[n++] = doc->items[i].published;
	gap = polite_median_gap(t, n);
	free(t);
	return gap > 0 ? gap : 0;
}

/*
 * When to poll next.  A good poll: the interval with jitter, moved out
 * of the publisher's skip hours and days.  410: never (the feed stops).
 * 429/503 with Retry-After: not before it, for the whole host.  Any
 * other failure: exponential backoff, capped at the ceiling, forever.
 */
static int64_t
sched_next(struct sched *s, struct flight *fl, const char *error,
    const struct feed_doc *doc, int64_t now)
{
	struct store_poll *p = &fl->poll;
	int64_t iv, base;

	if (doc != NULL) {
		p->ttl = doc->ttl;
		p->skip_hours = doc->skip_hours;
		p->skip_days = doc->skip_days;
		p->poll_every = sched_pace(doc);
	}
	if (error == NULL) {
		iv = sched_interval(s, fl, now);
		return polite_skip(now + iv + polite_jitter(iv, arc4random()),
		    p->skip_hours, p->skip_days);
	}
	if (fl->status == 410)
		return TIME_NONE;
	if ((fl->status == 429 || fl->status == 503) && fl->retry_at >= 0) {
		if (fl->host != NULL && fl->retry_at > fl->host->blocked_until)
			fl->host->blocked_until = fl->retry_at;
		return fl->retry_at > now + s->min_interval ? fl->retry_at :
		    now + s->min_interval;
	}
	base = sched_interval(s, fl, now);
	iv = polite_backoff(base, p->failures + 1, s->max_interval,
	    arc4random());
	return now + (iv < s->min_interval ? s->min_interval : iv);
}

/*
 * Permanent redirects are learned only when every poll for
 * redirect_after seconds was sent to the same new place.
 */
static void
sched_moved(struct sched *s, struct flight *fl, int64_t now)
{
	struct store_poll *p = &fl->poll;

	if (fl->moved_url == NULL || strcmp(fl->moved_url, fl->url) == 0) {
		free(p->moved_url);
		p->moved_url = NULL;
		p->moved_since = TIME_NONE;
		return;
	}
	if (p->moved_url != NULL && strcmp(p->moved_url, fl->moved_url) == 0 &&
	    p->moved_since != TIME_NONE) {
		if (now - p->moved_since >= s->redirect_after)
			p->new_url = strdup(fl->moved_url);
		return;
	}
	free(p->moved_url);
	p->moved_url = fl->moved_url;
	fl->moved_url = NULL;
	p->moved_since = now;
}

/* One line of the self-audit history. */
static void
sched_history(struct sched *s, const struct flight *fl, int failed)
{
	struct history_entry e;

	memset(&e, 0, sizeof(e));
	e.at = fl->started < 0 ? 0 : fl->started > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)fl->started;
	e.bytes = fl->bytes < 0 ? 0 : fl->bytes > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)fl->bytes;
	e.seconds = (float)fl->seconds;
	e.status = (int16_t)fl->status;
	e.flags = (fl->conditional ? HISTORY_CONDITIONAL : 0) |
	    (failed ? HISTORY_FAILED : 0);
	e.redirects = (uint8_t)(fl->redirects > UINT8_MAX ? UINT8_MAX :
	    fl->redirects);
	if (history_add(s->history, fl->feed_id, &e) != 0)
		log_err("scheduler: out of memory for the request history");
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
	double delay, wait;

	ev_timer_stop(s->loop, &s->timer);
	s->armed_for = TIME_NONE;
	if (s->nflights >= s->max_flights)
		return;		/* a finishing poll re-arms */
	next = store_next_poll(s->store);
	if (next == TIME_NONE)
		return;
	delay = next > now ? (double)(next - now) : 0.;
	if (idle && delay < SCHED_IDLE_RETRY)
		delay = SCHED_IDLE_RETRY;
	/* A host's spacing ends sooner than the idle retry. */
	if (s->host_wait > 0.) {
		wait = s->host_wait - ev_now(s->loop);
		if (wait < delay)
			delay = wait > 0. ? wait : 0.;
	}
	s->armed_for = now + (int64_t)delay;
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
static void sched_record(struct sched *, struct flight *);

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
sched_commit_later(struct sched *s, struct flight *fl, const char *url)
{
	double delay;

	if (!fl->job.busy || fl->retries >= SCHED_STORE_RETRIES)
		return 0;
	delay = SCHED_STORE_BACKOFF * (double)(1 << fl->retries);
	fl->retries++;
	log_warn("feed %lld %s: cannot store the poll: %s; retry %d of %d "
	    "in %.1f s", (long long)fl->feed_id, url, fl->job.err,
	    fl->retries, SCHED_STORE_RETRIES, delay);
	ev_set_cb(&fl->retry, sched_retry_cb);
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
	sf->next_poll = sf->fetched_at + sched_interval(s, fl, sf->fetched_at);
	sf->http_status = fl->status;
	sf->error = error;
}

static int
sched_sync_run(struct store *store, struct ingest_job *j)
{
	(void)j;
	return store_sync_soon(store);
}

static void
sched_synced(struct ingest_job *j)
{
	struct sched *s = j->arg;

	s->syncing = 0;
	if (j->rc != STORE_OK)
		log_warn("scheduler: cannot sync the database: %s", j->err);
}

static void sched_sync_soon(struct sched *);

static void
sched_sync_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct sched *s = t->data;

	(void)loop;
	(void)revents;
	/* The last sync is still queued: commits since then wait for the next. */
	if (s->syncing) {
		sched_sync_soon(s);
		return;
	}
	s->syncing = 1;
	s->sync_job.run = sched_sync_run;
	s->sync_job.done = sched_synced;
	s->sync_job.arg = s;
	ingest_submit(s->ingest, &s->sync_job);
}

/* One fsync a second for all the polls that ended in it. */
static void
sched_sync_soon(struct sched *s)
{
	if (ev_is_active(&s->sync))
		return;
	ev_timer_set(&s->sync, SCHED_SYNC_DELAY, 0.);
	ev_timer_start(s->loop, &s->sync);
}

static int
sched_plan_run(struct store *store, struct ingest_job *j)
{
	struct plan *p = j->arg;
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < p->n; i++)
		if (store_feed_schedule(store, p->ids[i], p->at) != STORE_OK)
			rc = STORE_ERR;
	return rc;
}

static void
sched_planned(struct ingest_job *j)
{
	struct plan *p = j->arg;

	if (j->rc != STORE_OK)
		log_warn("scheduler: cannot schedule %zu feed%s: %s", p->n,
		    p->n == 1 ? "" : "s", j->err);
	if (p->kick)
		sched_kick(p->s);
	free(p);
}

/*
 * Makes ids due at `at`, on the ingest thread: a write on the loop would
 * wait for the commit under way.  kick: tick once they are written.
 */
static int
sched_plan(struct sched *s, const int64_t *ids, size_t n, int64_t at,
    int kick)
{
	struct plan *p;

	if ((p = calloc(1, sizeof(*p) + n * sizeof(p->ids[0]))) == NULL)
		return -1;
	p->job.run = sched_plan_run;
	p->job.done = sched_planned;
	p->job.arg = p;
	p->s = s;
	p->at = at;
	p->kick = kick;
	p->n = n;
	memcpy(p->ids, ids, n * sizeof(p->ids[0]));
	ingest_submit(s->ingest, &p->job);
	return 0;
}

static void
sched_finish(struct sched *s, struct flight *fl)
{
	sched_sync_soon(s);
	if (fl->host != NULL && fl->host->in_flight > 0)
		fl->host->in_flight--;
	sched_remove(s, fl);
	sched_kick(s);
}

static int
sched_commit_run(struct store *store, struct ingest_job *j)
{
	struct flight *fl = j->arg;

	memset(&fl->st, 0, sizeof(fl->st));
	return store_commit_fetch(store, &fl->sf, &fl->st);
}

static void
sched_recorded(struct ingest_job *j)
{
	struct flight *fl = j->arg;
	struct sched *s = fl->s;
	char ubuf[LOG_URL_LEN];

	log_escape(fl->url, ubuf, sizeof(ubuf));
	if (j->rc != STORE_OK && j->rc != STORE_NOTFOUND) {
		if (!fl->warned)
			log_err("feed %lld %s: cannot record the failure yet "
			    "(%s); trying every %.0f s", (long long)fl->feed_id,
			    ubuf, j->err, SCHED_STORE_RECORD);
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

static void
sched_record_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct flight *fl = t->data;

	sched_record(fl->s, fl);
}

/*
 * Records a poll that could not be stored on its feed: once the database
 * takes this small write again, the flight ends; until then it is tried
 * every SCHED_STORE_RECORD seconds (the feed is not polled meanwhile, as
 * nothing could be stored anyway).
 */
static void
sched_record(struct sched *s, struct flight *fl)
{
	sched_fetch_init(s, fl, fl->error, &fl->sf);
	/* Soon, not a whole interval: the trouble was ours, not the feed's. */
	if (fl->sf.next_poll > fl->sf.fetched_at + SCHED_STORE_REPOLL)
		fl->sf.next_poll = fl->sf.fetched_at + SCHED_STORE_REPOLL;
	fl->job.run = sched_commit_run;
	fl->job.done = sched_recorded;
	fl->job.arg = fl;
	ingest_submit(s->ingest, &fl->job);
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
	    fl->job.err);
	log_err("feed %lld %s: %s; the feed is polled again later",
	    (long long)fl->feed_id, url, msg);
	s->stats.polls++;
	s->stats.errors++;
	s->stats.last_poll = time_now();
	sched_history(s, fl, 1);
	feed_doc_free(&fl->doc);	/* the items go, the message stays */
	fl->has_doc = 0;
	free(fl->error);
	if ((fl->error = strdup(msg)) == NULL) {
		sched_finish(s, fl);	/* the lease brings it back */
		return;
	}
	ev_set_cb(&fl->retry, sched_record_cb);
	sched_record(s, fl);
}

/* Says whether a permanent redirect was learned (the URL may be taken). */
static void
sched_log_moved(struct sched *s, const struct flight *fl)
{
	struct store_feed f;
	char from[LOG_URL_LEN], to[LOG_URL_LEN];

	memset(&f, 0, sizeof(f));
	log_escape(fl->url, from, sizeof(from));
	log_escape(fl->poll.new_url, to, sizeof(to));
	if (store_feed_get(s->store, fl->feed_id, &f) == STORE_OK &&
	    strcmp(f.url, fl->poll.new_url) == 0)
		log_info("feed %lld moved permanently: %s -> %s (redirected "
		    "for %lld s)", (long long)fl->feed_id, from, to,
		    (long long)s->redirect_after);
	else
		log_warn("feed %lld: %s redirects permanently to %s, which "
		    "another feed has already", (long long)fl->feed_id, from, to);
	store_feed_free(&f);
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

/* A poll's commit is done (on the loop): logs, counts, ends the flight. */
static void
sched_committed(struct ingest_job *j)
{
	struct flight *fl = j->arg;
	struct sched *s = fl->s;
	const struct store_ingest *st = &fl->st;
	const char *error = fl->error;
	char ubuf[LOG_URL_LEN], ebuf[SCHED_ERROR_LEN];
	int rc = j->rc;

	log_escape(fl->url, ubuf, sizeof(ubuf));
	if (rc == STORE_NOTFOUND)
		log_info("feed %lld was removed while polling %s",
		    (long long)fl->feed_id, ubuf);
	else if (rc != STORE_OK) {
		if (!sched_commit_later(s, fl, ubuf))
			sched_commit_failed(s, fl, ubuf);
		return;
	} else if (error != NULL)
		log_warn("feed %lld %s: %s", (long long)fl->feed_id, ubuf,
		    log_escape(error, ebuf, sizeof(ebuf)));
	else if (fl->not_modified)
		log_debug("feed %lld %s: not modified (%.2f s)",
		    (long long)fl->feed_id, ubuf, fl->seconds);
	else
		log_info("feed %lld %s: %ld, %zu new, %zu updated (%.2f s)%s",
		    (long long)fl->feed_id, ubuf, fl->status, st->added,
		    st->updated, fl->seconds, fl->retries > 0 ?
		    " after the database was locked" : "");
	if (rc == STORE_OK)
		sched_log_merges(st);
	/*
	 * The crash-test oracle: written only after COMMIT returned, and
	 * only for commits that stored new items (their batch number is in
	 * the database, so a checker can find exactly those rows again).
	 */
	if (rc == STORE_OK && s->commit_log != -1 && st->added > 0)
		dprintf(s->commit_log, "COMMITTED %lld %zu\n",
		    (long long)st->batch, st->added);
	if (rc == STORE_OK && fl->poll.new_url != NULL)
		sched_log_moved(s, fl);
	s->stats.polls++;
	s->stats.last_poll = fl->sf.fetched_at;
	s->stats.errors += error != NULL;
	s->stats.not_modified += fl->not_modified;
	s->stats.items_added += st->added;
	if (rc == STORE_NOTFOUND)
		history_forget(s->history, fl->feed_id);
	else
		sched_history(s, fl, error != NULL);
	sched_finish(s, fl);
}

/*
 * Writes the outcome of a poll, on the ingest thread; the only way a
 * flight ends.  What the poll brought moves into the flight first: the
 * commit runs later, and may be retried.
 */
static void
sched_commit(struct sched *s, struct flight *fl, const char *error,
    int not_modified, const struct feed_doc *doc, int new_validators)
{
	struct store_fetch *sf = &fl->sf;

	if (error != fl->error) {
		free(fl->error);
		if ((fl->error = error != NULL ? strdup(error) : NULL) == NULL &&
		    error != NULL) {
			log_err("feed %lld: out of memory; polled again later",
			    (long long)fl->feed_id);
			sched_finish(s, fl);	/* the lease brings it back */
			return;
		}
	}
	if (doc != NULL && doc != &fl->doc)
		doc = NULL;	/* sched_parsed always passes &fl->doc */
	fl->has_doc = doc != NULL;
	fl->not_modified = not_modified;
	fl->new_validators = new_validators;
	sched_fetch_init(s, fl, fl->error, sf);
	/*
	 * Decided once per poll: a retry after a locked database must not
	 * draw new jitter, count the redirect again or lose its state.
	 */
	if (!fl->decided) {
		/* Only a poll that got its answer says where the feed lives. */
		if (error == NULL || doc != NULL)
			sched_moved(s, fl, sf->fetched_at);
		fl->next_poll = sched_next(s, fl, error, doc, sf->fetched_at);
		fl->decided = 1;
	}
	sf->next_poll = fl->next_poll;
	sf->poll = &fl->poll;
	sf->not_modified = not_modified;
	sf->doc = doc;
	sf->new_validators = new_validators;
	sf->etag = fl->etag;
	sf->last_modified = fl->last_modified;
	fl->job.run = sched_commit_run;
	fl->job.done = sched_committed;
	fl->job.arg = fl;
	ingest_submit(s->ingest, &fl->job);
}

static int
sched_start(struct sched *s, const struct store_feed *feed, int64_t now,
    struct host *h)
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
	fl->host = h;
	fl->conditional = feed->etag != NULL || feed->last_modified != NULL;
	fl->max_age = -1;
	fl->expires = TIME_NONE;
	fl->retry_at = -1;
	if (store_poll_get(s->store, feed->id, &fl->poll) != STORE_OK)
		store_poll_free(&fl->poll);	/* defaults: no state yet */
	if (h != NULL) {
		h->in_flight++;
		h->next_start = ev_now(s->loop) + s->host_spacing;
	}
	s->flights[s->nflights++] = fl;
	/*
	 * A lease: the feed is not due again while this poll runs, and if
	 * the daemon dies mid-poll it is retried soon after a restart.
	 * Until it is written, the feed is in flight and so not due.
	 */
	if (sched_plan(s, &feed->id, 1, now + s->lease, 0) != 0)
		log_warn("feed %lld: no lease: out of memory",
		    (long long)feed->id);
	memset(&req, 0, sizeof(req));
	req.feed_id = feed->id;
	req.url = feed->url;
	req.etag = feed->etag;
	req.last_modified = feed->last_modified;
	if (fetch_start(s->fetch, &req) != 0)
		sched_commit(s, fl, "cannot start the transfer", 0, NULL, 0);
	return 0;
}

/*
 * Starts feed unless its host says wait: 1 if started.  A host under
 * Retry-After moves the feed past it; a busy or recently asked host
 * leaves it due for a later tick.
 */
static int
sched_try(struct sched *s, const struct store_feed *feed, int64_t now)
{
	struct host *h = hosts_get(s->hosts, feed->url);
	double evnow = ev_now(s->loop);

	if (h != NULL && h->blocked_until > now) {
		(void)sched_plan(s, &feed->id, 1, h->blocked_until, 0);
		return 0;
	}
	if (h != NULL && (h->in_flight >= s->max_per_host ||
	    h->next_start > evnow)) {
		if (h->next_start > evnow && (s->host_wait == 0. ||
		    h->next_start < s->host_wait))
			s->host_wait = h->next_start;
		return 0;
	}
	if (sched_start(s, feed, now, h) != 0) {
		log_err("scheduler: out of memory");
		return 0;
	}
	return 1;
}

static void
sched_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct sched *s = t->data;
	int64_t now = time_now();
	int64_t *exclude;
	struct store_feed *due;
	size_t i, n = 0, started = 0, room = s->max_flights - s->nflights;

	if (s->armed_for != TIME_NONE && now > s->armed_for +
	    SCHED_SUSPEND_GAP) {
		/* After a suspend, not every overdue feed at once. */
		log_info("scheduler: woke %lld s late, spreading overdue polls",
		    (long long)(now - s->armed_for));
		store_spread_overdue(s->store, now, s->poll_interval);
	}
	s->armed_for = TIME_NONE;
	if (room == 0)
		return;
	s->host_wait = 0.;
	exclude = calloc(s->nflights + 1, sizeof(*exclude));
	due = calloc(room * SCHED_OVERSCAN, sizeof(*due));
	if (exclude == NULL || due == NULL) {
		log_err("scheduler: out of memory");
		goto done;
	}
	for (i = 0; i < s->nflights; i++)
		exclude[i] = s->flights[i]->feed_id;
	if (store_feeds_due(s->store, now, exclude, s->nflights, due,
	    room * SCHED_OVERSCAN, &n) != STORE_OK) {
		log_err("scheduler: cannot read due feeds: %s",
		    store_errmsg(s->store));
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (started < room)
			started += sched_try(s, &due[i], now);
		store_feed_free(&due[i]);
	}
done:
	free(exclude);
	free(due);
	sched_arm(s, started == 0);
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
	fl->bytes = r->bytes;
	fl->redirects = r->redirects;
	fl->max_age = polite_max_age(r->cache_control);
	if (r->expires != NULL && (fl->expires = curl_getdate(r->expires,
	    NULL)) == -1)
		fl->expires = TIME_NONE;
	/* now + 1: whole seconds, rounded up, so never early. */
	fl->retry_at = polite_retry_after(r->retry_after, time_now() + 1);
	fl->moved_url = r->moved_url;
	r->moved_url = NULL;
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
		if (r->http_status == 410) {
			size_t len = strlen(msg);

			snprintf(msg + len, sizeof(msg) - len, ": the feed is "
			    "gone, polling stopped (refresh it to try again)");
		}
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
	s->max_interval = c->max_interval;
	s->redirect_after = c->redirect_after;
	s->max_per_host = c->max_per_host;
	s->host_spacing = (double)c->host_spacing_ms / SCHED_MS;
	s->adaptive = c->adaptive;
	s->lease = c->timeout + SCHED_LEASE_SLACK;
	sched_fetch_opts(c, &o);
	fetch_set_opts(s->fetch, &o);
	sched_kick(s);
}

struct sched *
sched_new(struct ev_loop *loop, struct store *store, struct ingest *ingest,
    const struct conf *c, struct worker_pool *pool)
{
	struct sched *s;
	struct fetch_opts o;
	const char *cl = getenv("TIDINGS_TEST_COMMIT_LOG");

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->store = store;
	s->ingest = ingest;
	s->pool = pool;
	/* The transfer limit is the flight limit: one flight, one connection. */
	s->max_flights = (size_t)c->max_connections;
	s->commit_log = cl != NULL && *cl == '1' ? STDOUT_FILENO : -1;
	s->armed_for = TIME_NONE;
	if ((s->flights = calloc(s->max_flights, sizeof(*s->flights))) == NULL ||
	    (s->hosts = hosts_new()) == NULL ||
	    (s->history = history_new()) == NULL)
		goto fail;
	sched_fetch_opts(c, &o);
	if ((s->fetch = fetch_new(loop, &o, sched_fetched, s)) == NULL)
		goto fail;
	ev_timer_init(&s->timer, sched_tick, 0., 0.);
	s->timer.data = s;
	ev_timer_init(&s->sync, sched_sync_cb, 0., 0.);
	s->sync.data = s;
	sched_set_conf(s, c);
	/* A restart is no reason to ask every server at the same second. */
	if (store_spread_overdue(store, time_now(), s->poll_interval) !=
	    STORE_OK)
		log_warn("scheduler: cannot spread overdue polls: %s",
		    store_errmsg(store));
	return s;
fail:
	hosts_free(s->hosts);
	history_free(s->history);
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
	ev_timer_stop(s->loop, &s->sync);
	fetch_free(s->fetch);
	for (i = 0; i < s->nflights; i++)
		flight_free(s->flights[i]);
	free(s->flights);
	hosts_free(s->hosts);
	history_free(s->history);
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
	if (sched_plan(s, &feed_id, 1, time_now(), 1) != 0)
		return STORE_ERR;
	return STORE_OK;
}

size_t
sched_refresh_all(struct sched *s)
{
	int64_t *ids = NULL;
	size_t i, n = 0, idle = 0;

	if (store_feed_ids(s->store, &ids, &n) != STORE_OK)
		return 0;
	/* A poll in flight already answers the request when it ends. */
	for (i = 0; i < n; i++)
		if (sched_find(s, ids[i]) == NULL)
			ids[idle++] = ids[i];
	if (sched_plan(s, ids, idle, time_now(), 1) != 0)
		n = 0;
	free(ids);
	return n;
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

json_t *
sched_history_json(const struct sched *s, int64_t feed_id)
{
	return history_json(s->history, feed_id);
}
