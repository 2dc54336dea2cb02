/*
 * cluster-bench - clustering speed with many stories in the window:
 * loads N synthetic stories (default 100,000) into the real index, then
 * times M more items (default 20,000) through match (+ merge) + add and
 * prints items per second and the memory the index holds.  A third
 * argument caps the index at that many items (max_items; default 0, no
 * cap, so all N stories stay).  Not a test: speed is never asserted
 * (make bench-cluster).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cluster.h"

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
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	int64_t t = 1682538060, next = 1;
	long i, joined = 0, merges = 0;
	double start;

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
		if (cluster_add(c, d, m.story ? m.story : next++, t + 1800) == -1)
			return 1;
		cluster_doc_free(d);
	}
	printf("cluster: %ld stories in the window, %ld items in %.2f s: "
	    "%.0f items/s (%ld joined, %ld merges), index %.1f MB, "
	    "%zu stories held\n",
	    nstories, nitems, now() - start, (double)nitems / (now() - start),
	    joined, merges,
	    (double)cluster_memory(c) / (1024.0 * 1024.0), cluster_stories(c));
	cluster_free(c);
	return 0;
}
