/*
 * cluster-eval - runs labelled items through the real clustering code
 * (daemon/cluster.c) in published-time order and scores the result.
 *
 *   cluster-eval [-t THRESHOLD] [-m MERGE_THRESHOLD] [-w WINDOW_SECS]
 *                [-l LANG] [-f MIN_B3_F1] [-F MIN_B3_F1] [-1 STORY]
 *                [-s tune|test] [-o SEED] [-T] FILE
 *
 * FILE is a labels.json (xi-zelensky corpus: items with title,
 * published, story, lang; "related" story pairs) or a TSV (doc_id,
 * story_id, ts, outlet, title, url[, lead]).  -w 0 turns the time window
 * off; -m 0 turns story merges off.  -T uses titles only (else TSV
 * leads, and for labels.json the summaries the real parser reads from
 * the feeds next to it).  -l keeps only items of that language.  -s
 * keeps half of the stories, split by a hash of the story id: "tune"
 * (even) to choose parameters on, "test" (odd) to report on; the halves
 * never share a story.  -o puts items of the same time in an order
 * drawn from SEED instead of file order (0): online clustering depends
 * on the order, and AllSides gives every item of a story one time, so
 * one order is one sample (docs/CLUSTERING.md, "Measuring").  Prints pairwise and B-cubed precision/recall/F1
 * and the stories split and merged.  Pairs of stories listed as related
 * count neither way.  Exit status 1 when B-cubed F1 is below -f or -F,
 * when a story given with -1 is split, or when two unrelated stories are
 * merged while -f is given (a hard negative; -F allows them: on the
 * corpora of real headlines every story has same-topic neighbours).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "evaldata.h"
#include "parse.h"

static uint64_t order_seed;	/* -o: 0 keeps file order among equal times */
static const char *one;		/* -1: this story must not be split */
static size_t merges, wrong;	/* story merges made, of them wrong */

/* A 64-bit mix (splitmix64's finalizer): seeds and indexes to orders. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
by_time(const void *a, const void *b)
{
	const struct ev_item *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->order > y->order) - (x->order < y->order);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs every item through match (+ merge) + add, as the store does. */
static double
run(struct cluster *c)
{
	int64_t next = 1;
	size_t i, j;
	double took = seconds();

	for (i = 0; i < ev_nitems; i++) {
		struct ev_item *it = &ev_items[i];
		struct cluster_doc *d = cluster_doc_new(c, it->title, it->lead);
		struct cluster_match m;

		if (d == NULL)
			ev_die("out of memory");
		cluster_match(c, d, it->t, &m);
		/* As the store does: fold the later story into the earlier. */
		if (m.merged != 0) {
			const char *ga = NULL, *gb = NULL;
			int right;

			if (cluster_merge(c, m.merged, m.story) == -1)
				ev_die("out of memory");
			/* Right when the two stories began with one gold story. */
			for (j = 0; j < i; j++) {
				if (ga == NULL && ev_items[j].pred == m.story)
					ga = ev_items[j].gold;
				if (gb == NULL && ev_items[j].pred == m.merged)
					gb = ev_items[j].gold;
				if (ev_items[j].pred == m.merged)
					ev_items[j].pred = m.story;
			}
			right = ga != NULL && gb != NULL && strcmp(ga, gb) == 0;
			printf("merge %s: story %lld into %lld: \"%s\" "
			    "(scores %.2f %.2f, stories %.2f)\n",
			    right ? "right" : "WRONG", (long long)m.merged,
			    (long long)m.story, it->title, m.score,
			    m.merged_score, m.pair_score);
			merges++;
			wrong += !right;
		}
		it->pred = m.story != 0 ? m.story : next++;
		if (cluster_add(c, d, it->pred, it->t) == -1)
			ev_die("out of memory");
		cluster_doc_free(d);
	}
	return seconds() - took;
}

/*
 * Prints the gold stories split over several predicted ones and returns
 * their count; *hit is set when the -1 story is one of them.
 */
static size_t
report_splits(int *hit)
{
	size_t i, j, split = 0;

	for (i = 0; i < ev_nitems; i++) {
		int first = 1;

		for (j = 0; j < i; j++)
			if (ev_items[j].gid == ev_items[i].gid)
				first = 0;
		if (!first)
			continue;
		for (j = i + 1; j < ev_nitems; j++)
			if (ev_items[j].gid == ev_items[i].gid &&
			    ev_items[j].pred != ev_items[i].pred) {
				printf("split: %s: \"%s\" / \"%s\"\n",
				    ev_items[i].gold, ev_items[i].title,
				    ev_items[j].title);
				split++;
				if (one != NULL &&
				    strcmp(one, ev_items[i].gold) == 0)
					*hit = 1;
				break;
			}
	}
	return split;
}

/* Prints the pairs of unrelated gold stories put in one; their count. */
static size_t
report_merged(void)
{
	size_t i, j, merged = 0;

	for (i = 0; i < ev_nitems; i++)
		for (j = i + 1; j < ev_nitems; j++)
			if (ev_items[i].pred == ev_items[j].pred &&
			    ev_items[i].gid != ev_items[j].gid &&
			    !ev_related(ev_items[i].gold, ev_items[j].gold)) {
				printf("merged: %s + %s: \"%s\" / \"%s\"\n",
				    ev_items[i].gold, ev_items[j].gold,
				    ev_items[i].title, ev_items[j].title);
				merged++;
			}
	return merged;
}

int
main(int argc, char **argv)
{
	struct cluster_params prm = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct ev_opts o = { NULL, 1, -1 };
	struct ev_score sc;
	double minf = -1, floor_f1 = -1, took;
	size_t i, split, merged;
	struct cluster *c;
	int opt, fail = 0;

	while ((opt = getopt(argc, argv, "t:m:w:l:f:F:1:s:o:T")) != -1) {
		switch (opt) {
		case 't': prm.threshold = atof(optarg); break;
		case 'm': prm.merge_threshold = atof(optarg); break;
		case 'w': prm.window = strtoll(optarg, NULL, 10); break;
		case 'l': o.lang = optarg; break;
		case 'f': minf = atof(optarg); break;
		case 'F': floor_f1 = atof(optarg); break;
		case '1': one = optarg; break;
		case 'T': o.summaries = 0; break;
		case 'o': order_seed = strtoull(optarg, NULL, 10); break;
		case 's': o.half = ev_half(optarg); break;
		default: ev_die("usage: cluster-eval [-t THR] [-m MERGE_THR] "
		    "[-w SECS] [-l LANG] [-f MIN_F1] [-F MIN_F1] [-1 STORY] "
		    "[-s tune|test] [-o SEED] [-T] FILE");
		}
	}
	if (optind != argc - 1)
		ev_die("one labels file expected");
	parse_init();
	ev_load(argv[optind], &o);
	/* Equal times keep file order, or one drawn from -o's seed. */
	for (i = 0; i < ev_nitems; i++)
		ev_items[i].order = order_seed == 0 ? i :
		    mix64(i ^ mix64(order_seed));
	qsort(ev_items, ev_nitems, sizeof(*ev_items), by_time);

	if ((c = cluster_new(&prm)) == NULL)
		ev_die("out of memory");
	took = run(c);
	ev_score(&sc);
	split = report_splits(&fail);
	merged = report_merged();
	printf("items %zu stories %zu threshold %.2f merge threshold %.2f "
	    "window %lld\n", ev_nitems, cluster_stories(c), prm.threshold,
	    prm.merge_threshold, (long long)prm.window);
	printf("story merges %zu (%zu of stories begun by two gold "
	    "stories)\n", merges, wrong);
	/* Speed on real text (merges included); never asserted. */
	printf("clustered in %.3f s: %.0f items/s\n", took,
	    took > 0 ? (double)ev_nitems / took : 0);
	printf("pairwise P %.3f R %.3f F1 %.3f\n", sc.pair_p, sc.pair_r,
	    sc.pair_f1);
	printf("b-cubed P %.3f R %.3f F1 %.3f\n", sc.b3_p, sc.b3_r, sc.b3_f1);
	printf("split %zu merged-pairs %zu\n", split, merged);
	if (minf >= 0 && (sc.b3_f1 < minf || merged > 0))
		fail = 1;
	if (floor_f1 >= 0 && sc.b3_f1 < floor_f1)
		fail = 1;
	cluster_free(c);
	ev_free();
	return fail;
}
