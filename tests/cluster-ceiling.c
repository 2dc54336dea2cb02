/*
 * cluster-ceiling - how well the clusterer's words can tell the stories
 * of a labelled file apart, leaving the online method aside.
 *
 *   cluster-ceiling [-l LANG] [-s tune|test] [-T] FILE
 *
 * Each item is the bag of words the clusterer makes of it
 * (cluster_title_words, cluster_summary_words, title words counted
 * CLUSTER_TITLE_WEIGHT times), weighted by TF-IDF with the document
 * frequencies of the whole file, compared by cosine.  Prints
 *
 *  - the share of items (with a mate in their story) whose most similar
 *    other item is one of their mates: a third of misses means a third
 *    of items are closer to another story than to their own;
 *  - the share of same-story pairs below a few similarities;
 *  - the best B-cubed F1 of average-link agglomerative clustering over
 *    every item at once, at the threshold that scores best on this very
 *    file.  No online order, no window, rarity known in advance and the
 *    threshold chosen on the answer: the best average-link cut of these
 *    weights, a reference point, not a result (other linkages and
 *    signals other than words are not bounded by it).
 *
 * Options and FILE as for cluster-eval (tests/evaldata.h); related
 * pairs count neither way in the B-cubed scores and are left out of the
 * nearest-neighbour share.  docs/CLUSTERING.md, "What the words allow".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "evaldata.h"
#include "parse.h"

/* Thresholds swept for the agglomerative bound, and the step. */
#define SWEEP_LO	0.02
#define SWEEP_HI	0.80
#define SWEEP_STEP	0.02
/* Open addressing for the vocabulary: at most half full. */
#define VOCAB_MIN	1024

struct term_w {
	uint32_t term;
	float	 w;
};

/* One item's weighted words, sorted by term. */
struct vec {
	struct term_w *tw;
	size_t	 n;
};

/* One cluster merge of the agglomeration, at similarity sim. */
struct joint {
	size_t	 a, b;
	float	 sim;
};

static char **vocab;		/* slot -> word (NULL: empty) */
static uint32_t *vocab_id;	/* slot -> term id */
static size_t vocab_cap, nterms;
static uint32_t *df;		/* term id -> items holding it */

static uint64_t
hash_word(const char *w)
{
	uint64_t h = 1469598103934665603ULL;

	while (*w != '\0')
		h = (h ^ (unsigned char)*w++) * 1099511628211ULL;
	return h;
}

static void
vocab_grow(void)
{
	size_t ocap = vocab_cap, i, j;
	char **ov = vocab;
	uint32_t *oid = vocab_id;

	vocab_cap = ocap ? ocap * 2 : VOCAB_MIN;
	vocab = calloc(vocab_cap, sizeof(*vocab));
	vocab_id = calloc(vocab_cap, sizeof(*vocab_id));
	if (vocab == NULL || vocab_id == NULL)
		ev_die("out of memory");
	for (i = 0; i < ocap; i++) {
		if (ov[i] == NULL)
			continue;
		j = hash_word(ov[i]) & (vocab_cap - 1);
		while (vocab[j] != NULL)
			j = (j + 1) & (vocab_cap - 1);
		vocab[j] = ov[i];
		vocab_id[j] = oid[i];
	}
	free(ov);
	free(oid);
}

/* The term id of w, interned on first sight. */
static uint32_t
term_of(const char *w)
{
	size_t j;

	if (2 * (nterms + 1) > vocab_cap) {
		vocab_grow();
		if ((df = realloc(df, vocab_cap / 2 * sizeof(*df))) == NULL)
			ev_die("out of memory");
	}
	j = hash_word(w) & (vocab_cap - 1);
	while (vocab[j] != NULL && strcmp(vocab[j], w) != 0)
		j = (j + 1) & (vocab_cap - 1);
	if (vocab[j] == NULL) {
		if ((vocab[j] = strdup(w)) == NULL)
			ev_die("out of memory");
		vocab_id[j] = (uint32_t)nterms;
		df[nterms++] = 0;
	}
	return vocab_id[j];
}

/* Adds each word of a space-separated list to v with weight w. */
static void
vec_add_words(struct vec *v, size_t *cap, char *words, float w)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(words, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (v->n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			if ((v->tw = realloc(v->tw, *cap * sizeof(*v->tw))) ==
			    NULL)
				ev_die("out of memory");
		}
		v->tw[v->n].term = term_of(tok);
		v->tw[v->n++].w = w;
	}
}

static int
by_term(const void *a, const void *b)
{
	const struct term_w *x = a, *y = b;

	return (x->term > y->term) - (x->term < y->term);
}

/* The item's words as term counts, repeats summed, sorted by term. */
static void
vec_make(struct vec *v, const struct ev_item *it)
{
	char *title = cluster_title_words(it->title);
	char *lead = cluster_summary_words(it->lead);
	size_t cap = 0, i, o = 0;

	if (title == NULL || lead == NULL)
		ev_die("out of memory");
	v->tw = NULL;
	v->n = 0;
	vec_add_words(v, &cap, title, CLUSTER_TITLE_WEIGHT);
	vec_add_words(v, &cap, lead, 1);
	free(title);
	free(lead);
	if (v->n > 0)
		qsort(v->tw, v->n, sizeof(*v->tw), by_term);
	for (i = 0; i < v->n; i++) {
		if (o > 0 && v->tw[o - 1].term == v->tw[i].term) {
			v->tw[o - 1].w += v->tw[i].w;
			continue;
		}
		v->tw[o++] = v->tw[i];
	}
	v->n = o;
	for (i = 0; i < v->n; i++)
		df[v->tw[i].term]++;
}

/* Weights by idf (the clusterer's item idf) and scales to unit length. */
static void
vec_weigh(struct vec *v, size_t nitems)
{
	double norm = 0;
	size_t i;

	for (i = 0; i < v->n; i++) {
		double idf = log((double)(nitems + 1) /
		    (double)(df[v->tw[i].term] + 1)) + 1;

		v->tw[i].w = (float)(v->tw[i].w * idf);
		norm += (double)v->tw[i].w * v->tw[i].w;
	}
	norm = sqrt(norm);
	for (i = 0; i < v->n && norm > 0; i++)
		v->tw[i].w = (float)(v->tw[i].w / norm);
}

static float
cosine(const struct vec *a, const struct vec *b)
{
	size_t i = 0, j = 0;
	float s = 0;

	while (i < a->n && j < b->n) {
		if (a->tw[i].term < b->tw[j].term)
			i++;
		else if (a->tw[i].term > b->tw[j].term)
			j++;
		else
			s += a->tw[i++].w * b->tw[j++].w;
	}
	return s;
}

/* The similarities same-story pairs are counted below. */
static const double below[] = { 0.05, 0.10, 0.20, 0.30 };
#define NBELOW	(sizeof(below) / sizeof(below[0]))

/* Items whose nearest other item is a mate, of those that have a mate. */
static void
report_nearest(const float *sim, size_t n)
{
	size_t i, j, k, with = 0, hit = 0, pairs = 0, low[NBELOW] = { 0 };

	for (i = 0; i < n; i++) {
		size_t best = i, mates = 0;

		for (j = 0; j < n; j++) {
			if (j == i)
				continue;
			if (ev_items[j].gid == ev_items[i].gid) {
				mates++;
				if (j > i) {
					pairs++;
					for (k = 0; k < NBELOW; k++)
						low[k] += sim[i * n + j] <
						    below[k];
				}
			}
			if (best == i || sim[i * n + j] > sim[i * n + best])
				best = j;
		}
		if (mates == 0 || (ev_items[best].gid != ev_items[i].gid &&
		    ev_related(ev_items[i].gold, ev_items[best].gold)))
			continue;
		with++;
		hit += ev_items[best].gid == ev_items[i].gid;
	}
	printf("nearest item a mate: %.3f (%zu of %zu items with a mate)\n",
	    with ? (double)hit / (double)with : 0, hit, with);
	for (k = 0; k < NBELOW; k++)
		printf("mates below %.2f: %.3f of %zu same-story pairs\n",
		    below[k], pairs ? (double)low[k] / (double)pairs : 0, pairs);
}

/*
 * Average-link agglomeration by the nearest-neighbour chain (sim is
 * overwritten); returns the n - 1 joints, each joining the clusters
 * that items a and b stand for.  Average link is reducible, so the
 * chain finds the same tree as merging the globally closest pair.
 */
static struct joint *
agglomerate(float *sim, size_t n)
{
	struct joint *out = malloc((n ? n : 1) * sizeof(*out));
	size_t *chain = malloc((n ? n : 1) * sizeof(*chain));
	size_t *size = malloc((n ? n : 1) * sizeof(*size));
	char *live = malloc(n ? n : 1);
	size_t nchain = 0, nout = 0, left = n, i, k;

	if (out == NULL || chain == NULL || size == NULL || live == NULL)
		ev_die("out of memory");
	for (i = 0; i < n; i++) {
		size[i] = 1;
		live[i] = 1;
	}
	while (left > 1) {
		size_t a, b = SIZE_MAX;

		if (nchain == 0)
			for (i = 0; i < n; i++)
				if (live[i]) {
					chain[nchain++] = i;
					break;
				}
		a = chain[nchain - 1];
		/* Ties go to the previous link, so the chain always ends. */
		if (nchain > 1)
			b = chain[nchain - 2];
		for (k = 0; k < n; k++)
			if (live[k] && k != a &&
			    (b == SIZE_MAX || sim[a * n + k] > sim[a * n + b]))
				b = k;
		if (nchain < 2 || b != chain[nchain - 2]) {
			chain[nchain++] = b;
			continue;
		}
		nchain -= 2;
		out[nout].a = a;
		out[nout].b = b;
		out[nout++].sim = sim[a * n + b];
		for (k = 0; k < n; k++) {
			float s;

			if (!live[k] || k == a || k == b)
				continue;
			s = (float)(((double)size[a] * sim[a * n + k] +
			    (double)size[b] * sim[b * n + k]) /
			    (double)(size[a] + size[b]));
			sim[a * n + k] = sim[k * n + a] = s;
		}
		size[a] += size[b];
		live[b] = 0;
		left--;
	}
	free(chain);
	free(size);
	free(live);
	return out;
}

static int
by_sim_desc(const void *x, const void *y)
{
	const struct joint *a = x, *b = y;

	return (a->sim < b->sim) - (a->sim > b->sim);
}

static size_t
root(size_t *up, size_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/* Cuts the tree at each swept threshold; prints the best B-cubed F1. */
static void
report_agglomerative(float *sim, size_t n)
{
	struct joint *j = agglomerate(sim, n);
	size_t *up = malloc((n ? n : 1) * sizeof(*up)), i, next = 0;
	struct ev_score sc, best = { 0, 0, 0, 0, 0, 0 };
	double t, best_t = 0;
	int steps, s;

	if (up == NULL)
		ev_die("out of memory");
	for (i = 0; i < n; i++)
		up[i] = i;
	if (n > 1)
		qsort(j, n - 1, sizeof(*j), by_sim_desc);
	steps = (int)lround((SWEEP_HI - SWEEP_LO) / SWEEP_STEP);
	for (s = steps; s >= 0; s--) {
		t = SWEEP_LO + s * SWEEP_STEP;
		while (next + 1 < n && j[next].sim >= t) {
			up[root(up, j[next].a)] = root(up, j[next].b);
			next++;
		}
		for (i = 0; i < n; i++)
			ev_items[i].pred = (int64_t)root(up, i);
		ev_score(&sc);
		if (sc.b3_f1 > best.b3_f1) {
			best = sc;
			best_t = t;
		}
	}
	printf("average link, best threshold %.2f: b-cubed P %.3f R %.3f "
	    "F1 %.3f\n", best_t, best.b3_p, best.b3_r, best.b3_f1);
	free(up);
	free(j);
}

int
main(int argc, char **argv)
{
	struct ev_opts o = { NULL, 1, -1 };
	struct vec *v;
	float *sim;
	size_t n, i, k;
	int opt;

	ev_progname = "cluster-ceiling";
	while ((opt = getopt(argc, argv, "l:s:T")) != -1) {
		switch (opt) {
		case 'l': o.lang = optarg; break;
		case 'T': o.summaries = 0; break;
		case 's': o.half = ev_half(optarg); break;
		default: ev_die("usage: cluster-ceiling [-l LANG] "
		    "[-s tune|test] [-T] FILE");
		}
	}
	if (optind != argc - 1)
		ev_die("one labels file expected");
	parse_init();
	ev_load(argv[optind], &o);
	n = ev_nitems;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		ev_die("out of memory");
	if ((sim = malloc((n ? n * n : 1) * sizeof(*sim))) == NULL) {
		fprintf(stderr, "cluster-ceiling: %zu items: no memory for their "
		    "%zu x %zu similarity table\n", n, n, n);
		exit(2);
	}
	for (i = 0; i < n; i++)
		vec_make(&v[i], &ev_items[i]);
	for (i = 0; i < n; i++)
		vec_weigh(&v[i], n);
	for (i = 0; i < n; i++) {
		sim[i * n + i] = 1;
		for (k = i + 1; k < n; k++)
			sim[i * n + k] = sim[k * n + i] = cosine(&v[i], &v[k]);
	}
	printf("items %zu words %zu\n", n, nterms);
	report_nearest(sim, n);
	report_agglomerative(sim, n);
	for (i = 0; i < n; i++)
		free(v[i].tw);
	free(v);
	free(sim);
	for (i = 0; i < vocab_cap; i++)
		free(vocab[i]);
	free(vocab);
	free(vocab_id);
	free(df);
	ev_free();
	return 0;
}
