/*
 * cluster-bench - clustering speed.
 *
 *   cluster-bench [N [M [CAP]]]
 *   cluster-bench -r FILE [CAP [N]]
 *
 * Synthetic: loads N synthetic stories (default 100,000) into the real
 * index, then times M more items (default 20,000) through match (+
 * merge) + add and prints items per second, the memory the index
 * holds and hashes of the decisions (see below).  CAP caps the index at
 * that many items (max_items; default 0, no cap, so all N stories
 * stay).
 *
 * Replay (-r): the items of FILE, a TSV of published time (empty when
 * undated), first-seen time, title and summary (HTML, as stored; tabs
 * and newlines made spaces: tests/cluster-farm.sh dumps a daemon's
 * database so), in file order, as the ingest thread sees them: a
 * parser worker's words (derive_item, untimed), then doc + match (+
 * merge) + add, timed.  CAP defaults to the daemon's max_items; N
 * replays the first N items only.  Unlike the store, it has no
 * same-link or same-headline rule: every item is matched.
 *
 * Both print a hash of the decisions (story joined, story merged) and
 * one of the scores and --why terms, so two builds can be shown to
 * decide alike.
 *
 * Not a test: speed is never asserted (make bench-cluster,
 * make bench-cluster-farm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "derive.h"
#include "feed.h"

/* Vocabulary size of the synthetic headlines: Zipf-ish draws from it. */
#define BENCH_VOCAB	50000
#define BENCH_WORDS	9	/* words per headline */

static unsigned long long rng = 88172645463325252ULL;

static unsigned
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

/* A headline of pseudo-words, rarer words less likely (1/rank-ish). */
static void
headline(char *buf, size_t len)
{
	size_t o = 0;
	int i;

	for (i = 0; i < BENCH_WORDS && o + 16 < len; i++) {
		unsigned r = next_rand() % BENCH_VOCAB;
		unsigned w = r * (next_rand() % BENCH_VOCAB) / BENCH_VOCAB;

		o += (size_t)snprintf(buf + o, len - o, "%sw%ux", i ? " " : "",
		    w);
	}
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* The [cluster] max_items default of daemon/conf.c. */
#define REPLAY_CAP_DEFAULT	50000
#define REPLAY_FIELDS		4

/* One item to replay: what the ingest thread gets from a parser worker. */
struct replay_item {
	char	*title_words;
	char	*summary_words;
	int64_t	 t;		/* the store's time: published, else first seen */
	int64_t	 ct;		/* the clustering time: CLUSTER_TIME_UNKNOWN undated */
};

/* FNV-1a over n bytes, folded into h. */
static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/* Folds what cluster_match decided for an item into two hashes. */
static void
decided(uint64_t *dh, uint64_t *sh, int64_t story,
    const struct cluster_match *m)
{
	*dh = hash_bytes(*dh, &story, sizeof(story));
	*dh = hash_bytes(*dh, &m->merged, sizeof(m->merged));
	*sh = hash_bytes(*sh, &m->score, sizeof(m->score));
	*sh = hash_bytes(*sh, &m->merged_score, sizeof(m->merged_score));
	*sh = hash_bytes(*sh, &m->pair_score, sizeof(m->pair_score));
	*sh = hash_bytes(*sh, m->terms, sizeof(m->terms));
}

/*
 * Splits a TSV line into REPLAY_FIELDS fields in place; -1 when it has
 * another number of them.
 */
static int
split_line(char *line, char **f)
{
	size_t n = 0;
	char *tab;

	line[strcspn(line, "\n")] = '\0';
	for (;;) {
		if (n == REPLAY_FIELDS)
			return -1;
		f[n++] = line;
		if ((tab = strchr(line, '\t')) == NULL)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n == REPLAY_FIELDS ? 0 : -1;
}

/* Reads FILE's items, their words worked out as a parser worker does. */
static struct replay_item *
replay_load(const char *path, size_t max, size_t *np)
{
	struct replay_item *items = NULL, *ni;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL, *f[REPLAY_FIELDS];
	struct feed_item it;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return NULL;
	}
	while ((max == 0 || n < max) && getline(&line, &linecap, fp) != -1) {
		if (split_line(line, f) == -1) {
			fprintf(stderr, "%s:%zu: not %d fields\n", path, n + 1,
			    REPLAY_FIELDS);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((ni = realloc(items, cap * sizeof(*items))) == NULL)
				goto fail;
			items = ni;
		}
		memset(&it, 0, sizeof(it));
		it.title = f[2][0] != '\0' ? f[2] : NULL;
		it.summary = f[3][0] != '\0' ? f[3] : NULL;
		if (derive_item(&it) == -1)
			goto fail;
		items[n].title_words = it.derived.title_words;
		items[n].summary_words = it.derived.summary_words;
		it.derived.title_words = it.derived.summary_words = NULL;
		feed_derived_free(&it.derived);
		/* As item_upsert and story_assign time an item. */
		items[n].ct = f[0][0] != '\0' ? strtoll(f[0], NULL, 10) :
		    CLUSTER_TIME_UNKNOWN;
		items[n].t = f[0][0] != '\0' ? items[n].ct :
		    strtoll(f[1], NULL, 10);
		n++;
	}
	free(line);
	fclose(fp);
	*np = n;
	return items;
 fail:
	while (n > 0) {
		n--;
		free(items[n].title_words);
		free(items[n].summary_words);
	}
	free(items);
	free(line);
	fclose(fp);
	return NULL;
}

/* Replays items through doc + match (+ merge) + add, as the store does. */
static int
replay(const char *path, size_t cap, size_t max)
{
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, cap };
	struct replay_item *items;
	struct cluster *c = NULL;
	struct cluster_doc *d = NULL;
	struct cluster_match m;
	uint64_t dh = 1469598103934665603ULL, sh = dh;
	size_t n, i, joined = 0, merges = 0;
	int64_t next = 1, story;
	double wall, cpu, load = now();
	int rc = 1;

	if ((items = replay_load(path, max, &n)) == NULL)
		return 1;
	load = now() - load;
	if ((c = cluster_new(&p)) == NULL)
		goto out;
	wall = now();
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i++) {
		if ((d = cluster_doc_from_words(c, items[i].title_words,
		    items[i].summary_words)) == NULL)
			goto out;
		cluster_match(c, d, items[i].ct, &m);
		if (m.merged != 0) {
			if (cluster_merge(c, m.merged, m.story) == -1)
				goto out;
			merges++;
		}
		joined += m.story != 0;
		story = m.story != 0 ? m.story : next++;
		if (cluster_add(c, d, story, items[i].t) == -1)
			goto out;
		cluster_doc_free(d);
		d = NULL;
		decided(&dh, &sh, story, &m);
	}
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = now() - wall;
	printf("cluster replay: %zu items of %s (words in %.1f s, untimed), "
	    "max_items %zu\n", n, path, load, cap);
	printf("  %.2f s CPU (%.2f s wall): %.0f items/s, %.1f us/item; "
	    "%zu joined, %zu merges\n", cpu, wall, (double)n / cpu,
	    cpu * 1e6 / (double)n, joined, merges);
	printf("  index %.1f MB, %zu stories held\n",
	    (double)cluster_memory(c) / (1024.0 * 1024.0), cluster_stories(c));
	printf("  decisions %016llx scores %016llx\n",
	    (unsigned long long)dh, (unsigned long long)sh);
	rc = 0;
 out:
	if (rc != 0)
		fprintf(stderr, "cluster-bench: out of memory\n");
	cluster_doc_free(d);
	cluster_free(c);
	for (i = 0; i < n; i++) {
		free(items[i].title_words);
		free(items[i].summary_words);
	}
	free(items);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	long nstories = argc > 1 ? atol(argv[1]) : 100000;
	long nitems = argc > 2 ? atol(argv[2]) : 20000;
	struct cluster *c;
	struct cluster_doc *d;
	struct cluster_match m;
	char buf[256];
	int64_t t = 1682538060, next = 1, story;
	uint64_t dh = 1469598103934665603ULL, sh = dh;
	long i, joined = 0, merges = 0;
	double start, cpu;

	if (argc > 2 && strcmp(argv[1], "-r") == 0)
		return replay(argv[2], argc > 3 ? (size_t)atol(argv[3]) :
		    REPLAY_CAP_DEFAULT, argc > 4 ? (size_t)atol(argv[4]) : 0);
	p.max_items = argc > 3 ? (size_t)atol(argv[3]) : 0;
	if ((c = cluster_new(&p)) == NULL)
		return 1;
	for (i = 0; i < nstories; i++) {
		headline(buf, sizeof(buf));
		if ((d = cluster_doc_new(c, buf, NULL)) == NULL ||
		    cluster_add(c, d, next++, t + i % 3600) == -1)
			return 1;
		cluster_doc_free(d);
	}
	start = now();
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nitems; i++) {
		headline(buf, sizeof(buf));
		if ((d = cluster_doc_new(c, buf, NULL)) == NULL)
			return 1;
		cluster_match(c, d, t + 1800, &m);
		joined += m.story != 0;
		/* As the store does (cluster_match's merge rule). */
		if (m.merged != 0) {
			if (cluster_merge(c, m.merged, m.story) == -1)
				return 1;
			merges++;
		}
		story = m.story ? m.story : next++;
		if (cluster_add(c, d, story, t + 1800) == -1)
			return 1;
		cluster_doc_free(d);
		decided(&dh, &sh, story, &m);
	}
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	start = now() - start;
	printf("cluster: %ld stories in the window, %ld items in %.2f s "
	    "(%.2f s CPU): %.0f items/s (%ld joined, %ld merges), index "
	    "%.1f MB, %zu stories held\n",
	    nstories, nitems, start, cpu, (double)nitems / start,
	    joined, merges,
	    (double)cluster_memory(c) / (1024.0 * 1024.0), cluster_stories(c));
	printf("decisions %016llx scores %016llx\n", (unsigned long long)dh,
	    (unsigned long long)sh);
	cluster_free(c);
	return 0;
}
