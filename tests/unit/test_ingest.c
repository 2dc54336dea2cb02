/*
 * test_ingest.c - the ingest thread: jobs run off the loop's thread in
 * submission order, their done callbacks on the loop in the same order,
 * ingest_free drains the queue, and a write on the loop's own store is
 * not starved by back-to-back commits of the ingest thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "ingest.h"
#include "store.h"
#include "test.h"

#define NJOBS		200
#define WRITES		20	/* the loop's, while the thread commits */
#define BUSY_MAX	100000	/* commits at most (if stop never comes) */
#define BUSY_FEEDS	300	/* feeds per commit: a long transaction */

static char tmpdir[64], dbpath[128];

struct tjob {
	struct ingest_job job;
	int		 seq;
	pthread_t	 ran_on;
	int64_t		 feed_id;
};

static pthread_t loop_thread;
static int done_order[NJOBS], ndone, done_off_loop;

/* Set by the loop when its writes are done: the busy job stops. */
static atomic_int stop_busy;

/*
 * Runs on the ingest thread: commits back to back, with no gap for
 * another writer but the one store.c makes, until the loop is done.
 */
static int
run_busy(struct store *s, struct ingest_job *j)
{
	struct tjob *t = j->arg;
	struct store_conf_feed *cf = calloc(BUSY_FEEDS, sizeof(*cf));
	char (*urls)[64] = calloc(BUSY_FEEDS, sizeof(*urls));
	int i, k, rc = STORE_OK;

	t->ran_on = pthread_self();
	if (cf == NULL || urls == NULL)
		rc = STORE_ERR;
	/* Each round one long transaction: the config's feeds all change. */
	for (k = 0; rc == STORE_OK && k < BUSY_MAX &&
	    !atomic_load(&stop_busy); k++) {
		for (i = 0; i < BUSY_FEEDS; i++) {
			snprintf(urls[i], sizeof(urls[i]),
			    "https://example.org/%d/%d", k % 2, i);
			cf[i].url = cf[i].name = urls[i];
		}
		rc = store_sync_config(s, cf, BUSY_FEEDS);
	}
	t->seq = k;
	free(cf);
	free(urls);
	return rc;
}

static int
run_fast(struct store *s, struct ingest_job *j)
{
	struct tjob *t = j->arg;

	(void)s;
	t->ran_on = pthread_self();
	return t->seq % 7 == 3 ? STORE_NOTFOUND : STORE_OK;
}

static void
done_record(struct ingest_job *j)
{
	struct tjob *t = j->arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		done_off_loop++;
	if (ndone < NJOBS)
		done_order[ndone] = t->seq;
	ndone++;
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	if (ndone >= NJOBS)
		ev_break(loop, EVBREAK_ALL);
}

static struct ingest *
start(struct ev_loop *loop)
{
	char err[256];
	struct store *s = store_open(dbpath, err, sizeof(err));

	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return ingest_new(loop, s, err, sizeof(err));
}

static void
test_order(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ingest *g = start(loop);
	struct tjob *t = calloc(NJOBS, sizeof(*t));
	ev_timer tick;
	int i, in_order = 1, off_loop = 0, codes = 1;

	if (g == NULL || t == NULL)
		return;
	ndone = done_off_loop = 0;
	for (i = 0; i < NJOBS; i++) {
		t[i].seq = i;
		t[i].job.run = run_fast;
		t[i].job.done = done_record;
		t[i].job.arg = &t[i];
		ingest_submit(g, &t[i].job);
	}
	CHECK(ingest_pending(g) > 0);
	ev_timer_init(&tick, stop_cb, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	ev_run(loop, 0);
	ev_timer_stop(loop, &tick);
	CHECK_INT(ndone, NJOBS);
	CHECK_INT(ingest_pending(g), 0);
	CHECK_INT(done_off_loop, 0);
	for (i = 0; i < NJOBS; i++) {
		in_order &= done_order[i] == i;
		off_loop += !pthread_equal(t[i].ran_on, loop_thread);
		codes &= t[i].job.rc == (i % 7 == 3 ? STORE_NOTFOUND :
		    STORE_OK);
	}
	CHECK(in_order);
	CHECK_INT(off_loop, NJOBS);	/* every job ran on the thread */
	CHECK(codes);
	ingest_free(g);
	ev_loop_destroy(loop);
	free(t);
}

/* ingest_free runs what is still queued and calls its callbacks. */
static void
test_drain(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ingest *g = start(loop);
	struct tjob t[10];
	int i;

	if (g == NULL)
		return;
	memset(t, 0, sizeof(t));
	ndone = done_off_loop = 0;
	for (i = 0; i < 10; i++) {
		t[i].seq = i;
		t[i].job.run = run_fast;
		t[i].job.done = done_record;
		t[i].job.arg = &t[i];
		ingest_submit(g, &t[i].job);
	}
	ingest_free(g);		/* the loop never ran */
	CHECK_INT(ndone, 10);
	CHECK_INT(done_off_loop, 0);
	for (i = 0; i < 10; i++)
		CHECK_INT(done_order[i], i);
	ev_loop_destroy(loop);
}

/*
 * While the thread commits back to back, writes on the loop's own store
 * get in, each within the busy timeout.
 */
static void
test_fair(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ingest *g = start(loop);
	struct store *s;
	struct tjob t;
	struct timespec settle = { 0, 20L * 1000 * 1000 };
	char err[256], url[64];
	int64_t id;
	int i, ok = 0;

	if (g == NULL)
		return;
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	memset(&t, 0, sizeof(t));
	t.job.run = run_busy;
	t.job.done = done_record;
	t.job.arg = &t;
	ndone = 0;
	atomic_store(&stop_busy, 0);
	ingest_submit(g, &t.job);
	nanosleep(&settle, NULL);	/* the thread is committing */
	for (i = 0; i < WRITES; i++) {
		snprintf(url, sizeof(url), "https://loop.example.org/%d", i);
		ok += store_feed_add(s, url, NULL, NULL, 0, &id) == STORE_OK;
	}
	CHECK_INT(ok, WRITES);
	CHECK_INT(ndone, 0);		/* the thread was busy throughout */
	atomic_store(&stop_busy, 1);
	ingest_free(g);
	CHECK_INT(ndone, 1);
	CHECK_INT(t.job.rc, STORE_OK);
	CHECK(t.seq > 1);		/* it committed meanwhile */
	store_close(s);
	ev_loop_destroy(loop);
}

int
main(void)
{
	loop_thread = pthread_self();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tidings-ingest-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", tmpdir);
	test_order();
	test_drain();
	test_fair();
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/t.db-wal", tmpdir);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/t.db-shm", tmpdir);
	unlink(dbpath);
	rmdir(tmpdir);
	return TEST_DONE();
}
