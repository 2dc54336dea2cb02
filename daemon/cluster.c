/*
 * cluster.c - near-duplicate story clustering (see cluster.h and
 * docs/CLUSTERING.md).
 *
 * Data: an interned term table (string -> id, with document frequency
 * and a postings list of the stories holding the term), and the stories
 * (id -> term counts summed over their items, time range).  Everything
 * grows by doubling; nothing is freed before cluster_free, except the
 * terms of a story merged into another (its slot stays, with id 0).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "story.h"

/* Title words count this many times a summary word: the headline is the story. */
#define CLUSTER_TITLE_WEIGHT	2
/* Only the start of a summary: the lead says what happened, the rest wanders. */
#define CLUSTER_SUMMARY_WORDS	40
/* Words longer than this (bytes) are cut: the stem is in the first letters. */
#define CLUSTER_STEM_BYTES	6
/* Longest word kept at all (bytes); longer ones are noise (URLs, hashes). */
#define CLUSTER_WORD_MAX	31
/* Candidate retrieval: the rarest terms of the item, newest stories first. */
#define CLUSTER_QUERY_TERMS	12
#define CLUSTER_POSTINGS_SCAN	256
/* Only the stories sharing the most rare weight get the full cosine. */
#define CLUSTER_RESCORE		8

/* Function words carry no story; English only (the feeds that matter). */
/* Sorted (bsearch). */
static const char *const cluster_stop[] = {
	"a", "about", "after", "again", "against", "all", "also", "amid",
	"an", "and", "any", "are", "as", "at", "be", "been", "before",
	"being", "but", "by", "can", "could", "day", "did", "do", "does",
	"for", "from", "had", "has", "have", "he", "her", "his", "how", "i",
	"if", "in", "into", "is", "it", "its", "just", "latest", "live",
	"more", "most", "news", "no", "not", "now", "of", "on", "one", "or",
	"our", "out", "over", "s", "said", "say", "says", "she", "since",
	"so", "some", "than", "that", "the", "their", "them", "then", "there",
	"these", "they", "this", "to", "up", "update", "updates", "us",
	"video", "was", "watch", "we", "week", "were", "what", "when",
	"where", "which", "who", "why", "will", "with", "would", "year",
	"years", "you", "your",
};

struct term {
	char		*word;
	uint64_t	 hash;		/* hash_str(word): probes compare it first */
	uint32_t	 df;		/* items holding it */
	uint32_t	*post;		/* story indexes, in order of first use */
	uint32_t	 npost, cpost;
};

struct cstory {
	int64_t		 id;
	int64_t		 first, last;
	uint32_t	*term;		/* sorted term ids */
	float		*tf;		/* summed weights, parallel to term */
	uint32_t	 n, cap;
	uint32_t	 stamp;		/* last query that saw it as a candidate */
	float		 acc;		/* that query's shared rare weight */
};

struct cluster {
	struct cluster_params p;
	struct term	*terms;
	uint32_t	 nterms, cterms;
	uint32_t	*thash;		/* term id + 1, open addressing */
	uint32_t	 thcap;
	struct cstory	*stories;
	uint32_t	 nstories, cstories;
	uint32_t	*shash;		/* story index + 1 */
	uint32_t	 shcap;
	uint64_t	 ndocs;
	uint32_t	 stamp;
	uint32_t	*touched;	/* candidates of the current query */
	uint32_t	 ntouched, ctouched;
	uint32_t	 ngone;		/* stories merged away (id 0, no terms) */
	size_t		 bytes;
};

struct cluster_doc {
	uint32_t	*term;		/* sorted, unique */
	float		*tf;
	uint32_t	 n;
	char		**fresh;	/* words not yet interned */
	float		*freshtf;
	uint32_t	 nfresh;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static uint64_t
hash_id(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;

	return h ^ (h >> 29);
}

static int
grow(void **p, uint32_t *cap, uint32_t need, size_t size, size_t *bytes)
{
	uint32_t nc;
	void *np;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 4;
	while (nc < need)
		nc *= 2;
	if ((np = realloc(*p, (size_t)nc * size)) == NULL)
		return -1;
	if (bytes != NULL)
		*bytes += (size_t)(nc - *cap) * size;
	*p = np;
	*cap = nc;
	return 0;
}

static int
stop_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int
is_stop(const char *w)
{
	return bsearch(w, cluster_stop, sizeof(cluster_stop) /
	    sizeof(cluster_stop[0]), sizeof(cluster_stop[0]), stop_cmp) != NULL;
}

/*
 * Reduces a normalized word to its spelling skeleton in place: y reads
 * as i and doubled letters as one (transliterations differ exactly
 * there), a plural s goes, and ASCII words keep their first
 * CLUSTER_STEM_BYTES bytes (a cheap stemmer: Ukraine/Ukrainian).
 */
static void
skeleton(char *w)
{
	size_t i, o = 0, len = strlen(w);
	int ascii = 1, digits = 1;

	for (i = 0; i < len; i++) {
		if ((unsigned char)w[i] >= 0x80)
			ascii = 0;
		if (w[i] < '0' || w[i] > '9')
			digits = 0;
	}
	if (digits)
		return;	/* 96 and 960 are different numbers */
	for (i = 0; i < len; i++) {
		char c = w[i] == 'y' ? 'i' : w[i];

		if (o > 0 && w[o - 1] == c && c >= 'a' && c <= 'z')
			continue;
		w[o++] = c;
	}
	if (o > 3 && w[o - 1] == 's' && w[o - 2] != 's')
		o--;
	if (ascii && o > CLUSTER_STEM_BYTES)
		o = CLUSTER_STEM_BYTES;
	w[o] = '\0';
}

/*
 * Calls fn for each kept word of text (at most max words; 0: all).
 * Words are NUL-terminated in a copy of the normalized key.
 */
static int
each_word(const char *text, size_t max, int (*fn)(void *, char *), void *arg)
{
	char *key, *w, *save = NULL;
	size_t n = 0;
	int rc = 0;

	if (text == NULL)
		return 0;
	if ((key = story_title_key(text)) == NULL)
		return 0;	/* nothing but punctuation (or OOM: no words) */
	for (w = strtok_r(key, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (strlen(w) > CLUSTER_WORD_MAX || is_stop(w))
			continue;
		skeleton(w);
		if (w[0] == '\0' || (w[1] == '\0' && (w[0] < '0' || w[0] > '9')))
			continue;
		if ((rc = fn(arg, w)) != 0)
			break;
		if (max != 0 && ++n >= max)
			break;
	}
	free(key);
	return rc;
}

static int
tokens_append(void *arg, char *w)
{
	char **out = arg;
	size_t have = *out ? strlen(*out) : 0;
	char *n = realloc(*out, have + strlen(w) + 2);

	if (n == NULL)
		return -1;
	if (have > 0)
		n[have++] = ' ';
	strcpy(n + have, w);
	*out = n;
	return 0;
}

char *
cluster_tokens(const char *text)
{
	char *out = NULL;

	if (each_word(text, 0, tokens_append, &out) != 0) {
		free(out);
		return NULL;
	}
	return out != NULL ? out : strdup("");
}

/* Term id of w, or UINT32_MAX when it is not interned. */
static uint32_t
term_find(const struct cluster *c, const char *w)
{
	uint64_t i, h = hash_str(w);
	const struct term *t;

	if (c->thcap == 0)
		return UINT32_MAX;
	for (i = h & (c->thcap - 1); c->thash[i] != 0;
	    i = (i + 1) & (c->thcap - 1)) {
		t = &c->terms[c->thash[i] - 1];
		if (t->hash == h && strcmp(t->word, w) == 0)
			return c->thash[i] - 1;
	}
	return UINT32_MAX;
}

static int
rehash(uint32_t **tab, uint32_t *cap, uint32_t count, size_t *bytes,
    uint64_t (*key)(const struct cluster *, uint32_t), const struct cluster *c)
{
	uint32_t nc = *cap ? *cap * 2 : 1024, *nt, j;
	uint64_t i;

	if ((uint64_t)(count + 1) * 2 < *cap)
		return 0;
	if ((nt = calloc(nc, sizeof(*nt))) == NULL)
		return -1;
	for (j = 0; j < count; j++) {
		for (i = key(c, j) & (nc - 1); nt[i] != 0; i = (i + 1) & (nc - 1))
			;
		nt[i] = j + 1;
	}
	*bytes += (size_t)(nc - *cap) * sizeof(*nt);
	free(*tab);
	*tab = nt;
	*cap = nc;
	return 0;
}

static uint64_t
term_key(const struct cluster *c, uint32_t j)
{
	return c->terms[j].hash;
}

static uint64_t
story_key(const struct cluster *c, uint32_t j)
{
	return hash_id(c->stories[j].id);
}

static uint32_t
term_intern(struct cluster *c, const char *w)
{
	uint32_t id = term_find(c, w);
	uint64_t i;
	struct term *t;

	if (id != UINT32_MAX)
		return id;
	if (rehash(&c->thash, &c->thcap, c->nterms, &c->bytes, term_key, c) ||
	    grow((void **)&c->terms, &c->cterms, c->nterms + 1,
	    sizeof(*c->terms), &c->bytes))
		return UINT32_MAX;
	t = &c->terms[c->nterms];
	memset(t, 0, sizeof(*t));
	if ((t->word = strdup(w)) == NULL)
		return UINT32_MAX;
	t->hash = hash_str(w);
	c->bytes += strlen(w) + 1;
	for (i = hash_str(w) & (c->thcap - 1); c->thash[i] != 0;
	    i = (i + 1) & (c->thcap - 1))
		;
	c->thash[i] = c->nterms + 1;
	return c->nterms++;
}

static uint32_t
story_find(const struct cluster *c, int64_t id)
{
	uint64_t i;

	if (c->shcap == 0)
		return UINT32_MAX;
	for (i = hash_id(id) & (c->shcap - 1); c->shash[i] != 0;
	    i = (i + 1) & (c->shcap - 1))
		if (c->stories[c->shash[i] - 1].id == id)
			return c->shash[i] - 1;
	return UINT32_MAX;
}

struct cluster *
cluster_new(const struct cluster_params *p)
{
	struct cluster *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->p = *p;
	c->bytes = sizeof(*c);
	return c;
}

void
cluster_free(struct cluster *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nterms; i++) {
		free(c->terms[i].word);
		free(c->terms[i].post);
	}
	for (i = 0; i < c->nstories; i++) {
		free(c->stories[i].term);
		free(c->stories[i].tf);
	}
	free(c->terms);
	free(c->thash);
	free(c->stories);
	free(c->shash);
	free(c->touched);
	free(c);
}

/* Building a doc: a small unsorted bag, sorted at the end. */
struct bag {
	struct cluster		*c;
	struct cluster_doc	*d;
	uint32_t		 cap, fcap;
	float			 weight;
	int			 oom;
};

static int
bag_add(void *arg, char *w)
{
	struct bag *b = arg;
	struct cluster_doc *d = b->d;
	uint32_t id = term_find(b->c, w), i;

	if (id == UINT32_MAX) {
		for (i = 0; i < d->nfresh; i++)
			if (strcmp(d->fresh[i], w) == 0) {
				d->freshtf[i] += b->weight;
				return 0;
			}
		if (grow((void **)&d->fresh, &b->fcap, d->nfresh + 1,
		    sizeof(*d->fresh), NULL) ||
		    (d->fresh[d->nfresh] = strdup(w)) == NULL)
			return b->oom = -1;
		/* freshtf grows alongside fresh: same capacity. */
		{
			float *nf = realloc(d->freshtf, b->fcap * sizeof(*nf));

			if (nf == NULL) {
				free(d->fresh[d->nfresh]);
				return b->oom = -1;
			}
			d->freshtf = nf;
		}
		d->freshtf[d->nfresh++] = b->weight;
		return 0;
	}
	for (i = 0; i < d->n; i++)
		if (d->term[i] == id) {
			d->tf[i] += b->weight;
			return 0;
		}
	if (d->n + 1 > b->cap) {
		uint32_t nc = b->cap ? b->cap * 2 : 16;
		uint32_t *nt = realloc(d->term, nc * sizeof(*nt));
		float *nf;

		if (nt == NULL)
			return b->oom = -1;
		d->term = nt;
		if ((nf = realloc(d->tf, nc * sizeof(*nf))) == NULL)
			return b->oom = -1;
		d->tf = nf;
		b->cap = nc;
	}
	d->term[d->n] = id;
	d->tf[d->n++] = b->weight;
	return 0;
}

struct cluster_doc *
cluster_doc_new(struct cluster *c, const char *title, const char *summary)
{
	struct bag b = { c, NULL, 0, 0, 0, 0 };
	uint32_t i, j;

	if ((b.d = calloc(1, sizeof(*b.d))) == NULL)
		return NULL;
	b.weight = CLUSTER_TITLE_WEIGHT;
	each_word(title, 0, bag_add, &b);
	b.weight = 1;
	if (!b.oom)
		each_word(summary, CLUSTER_SUMMARY_WORDS, bag_add, &b);
	if (b.oom) {
		cluster_doc_free(b.d);
		return NULL;
	}
	/* Insertion sort by term id: docs are small. */
	for (i = 1; i < b.d->n; i++) {
		uint32_t t = b.d->term[i];
		float f = b.d->tf[i];

		for (j = i; j > 0 && b.d->term[j - 1] > t; j--) {
			b.d->term[j] = b.d->term[j - 1];
			b.d->tf[j] = b.d->tf[j - 1];
		}
		b.d->term[j] = t;
		b.d->tf[j] = f;
	}
	return b.d;
}

void
cluster_doc_free(struct cluster_doc *d)
{
	uint32_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nfresh; i++)
		free(d->fresh[i]);
	free(d->fresh);
	free(d->freshtf);
	free(d->term);
	free(d->tf);
	free(d);
}

/* Rarity: a word in every item weighs ~1, a word in one item ~log N. */
static double
idf(const struct cluster *c, uint32_t df)
{
	return log((double)(c->ndocs + 1) / (double)(df + 1)) + 1.0;
}

static double
doc_norm(const struct cluster *c, const struct cluster_doc *d)
{
	double s = 0, w, fresh = idf(c, 0);
	uint32_t i;

	for (i = 0; i < d->n; i++) {
		w = d->tf[i] * idf(c, c->terms[d->term[i]].df);
		s += w * w;
	}
	/* Unseen words count against every story: nobody shares them. */
	for (i = 0; i < d->nfresh; i++) {
		w = d->freshtf[i] * fresh;
		s += w * w;
	}
	return sqrt(s);
}

/* Cosine of doc and story s; fills the top shared terms when why != NULL. */
static double
score_story(const struct cluster *c, const struct cluster_doc *d,
    double dnorm, const struct cstory *s, struct cluster_match *why)
{
	double dot = 0, snorm = 0, w, contrib[CLUSTER_WHY_TERMS] = { 0 };
	uint32_t i, j = 0, k, top[CLUSTER_WHY_TERMS];

	for (i = 0; i < s->n; i++) {
		double id = idf(c, c->terms[s->term[i]].df);

		w = s->tf[i] * id;
		snorm += w * w;
		while (j < d->n && d->term[j] < s->term[i])
			j++;
		if (j < d->n && d->term[j] == s->term[i]) {
			double x = w * d->tf[j] * id;

			dot += x;
			if (why == NULL)
				continue;
			for (k = CLUSTER_WHY_TERMS; k > 0 && contrib[k - 1] < x;
			    k--)
				if (k < CLUSTER_WHY_TERMS) {
					contrib[k] = contrib[k - 1];
					top[k] = top[k - 1];
				}
			if (k < CLUSTER_WHY_TERMS) {
				contrib[k] = x;
				top[k] = s->term[i];
			}
		}
	}
	if (why != NULL)
		for (k = 0; k < CLUSTER_WHY_TERMS; k++) {
			why->terms[k][0] = '\0';
			if (contrib[k] > 0)
				snprintf(why->terms[k], sizeof(why->terms[k]),
				    "%s", c->terms[top[k]].word);
		}
	if (dot == 0 || dnorm == 0 || snorm == 0)
		return 0;
	return dot / (dnorm * sqrt(snorm));
}

static int
in_window(const struct cluster *c, const struct cstory *s, int64_t t)
{
	if (c->p.window <= 0 || t == CLUSTER_TIME_UNKNOWN)
		return 1;
	/* Strict: "within 72 h" leaves out what is exactly 72 h away. */
	return t > s->first - c->p.window && t < s->last + c->p.window;
}

/* Cosine of two stories' centroids (idf applied as for a doc). */
static double
story_cosine(const struct cluster *c, const struct cstory *a,
    const struct cstory *b)
{
	double dot = 0, na = 0, nb = 0, w, id;
	uint32_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		if (j == b->n || (i < a->n && a->term[i] < b->term[j])) {
			w = a->tf[i] * idf(c, c->terms[a->term[i]].df);
			na += w * w;
			i++;
		} else if (i == a->n || b->term[j] < a->term[i]) {
			w = b->tf[j] * idf(c, c->terms[b->term[j]].df);
			nb += w * w;
			j++;
		} else {
			id = idf(c, c->terms[a->term[i]].df);
			na += (double)a->tf[i] * id * a->tf[i] * id;
			nb += (double)b->tf[j] * id * b->tf[j] * id;
			dot += (double)a->tf[i] * b->tf[j] * id * id;
			i++;
			j++;
		}
	}
	return dot > 0 ? dot / (sqrt(na) * sqrt(nb)) : 0;
}

/*
 * 1 when two stories lie within the window of each other.  An item with
 * no published time matches stories of any time, so it must not join
 * stories a month apart.  Undated stories (CLUSTER_TIME_UNKNOWN) pass.
 */
static int
stories_near(const struct cluster *c, const struct cstory *a,
    const struct cstory *b)
{
	int64_t fa, fb;

	if (c->p.window <= 0 || a->last == CLUSTER_TIME_UNKNOWN ||
	    b->last == CLUSTER_TIME_UNKNOWN)
		return 1;
	fa = a->first == CLUSTER_TIME_UNKNOWN ? a->last : a->first;
	fb = b->first == CLUSTER_TIME_UNKNOWN ? b->last : b->first;
	/* The gap between the two time ranges (negative: they overlap). */
	return (double)(fa > fb ? fa : fb) -
	    (double)(a->last < b->last ? a->last : b->last) <
	    (double)c->p.window;
}

/*
 * Of the rescored candidates top[] (scores tsc[]), best joined: when the
 * runner-up also reaches merge_threshold and resembles best, the doc
 * proves the two one story.  Fills out's merge fields and returns the
 * survivor (the lower id), else best.  Merge threshold below the join
 * threshold counts as the join threshold.
 */
static uint32_t
merge_pick(const struct cluster *c, const uint32_t *top, const double *tsc,
    uint32_t ntop, uint32_t best, struct cluster_match *out)
{
	double mt = c->p.merge_threshold, bestsc = 0, sc2 = 0, pair;
	uint32_t k, second = UINT32_MAX, keep, gone;

	if (mt <= 0)
		return best;
	if (mt < c->p.threshold)
		mt = c->p.threshold;
	for (k = 0; k < ntop; k++) {
		if (top[k] == best)
			bestsc = tsc[k];
		else if (tsc[k] > sc2) {
			sc2 = tsc[k];
			second = top[k];
		}
	}
	if (second == UINT32_MAX || bestsc < mt || sc2 < mt ||
	    !stories_near(c, &c->stories[best], &c->stories[second]))
		return best;
	pair = story_cosine(c, &c->stories[best], &c->stories[second]);
	/* One broad item must not chain two unlike stories together. */
	if (pair < c->p.threshold)
		return best;
	keep = c->stories[best].id < c->stories[second].id ? best : second;
	gone = keep == best ? second : best;
	out->merged = c->stories[gone].id;
	out->merged_score = keep == best ? sc2 : bestsc;
	out->pair_score = pair;
	return keep;
}

int
cluster_match(struct cluster *c, const struct cluster_doc *d, int64_t t,
    struct cluster_match *out)
{
	uint32_t q[CLUSTER_QUERY_TERMS], nq = 0, i, j, k, best = UINT32_MAX;
	uint32_t top[CLUSTER_RESCORE], ntop = 0;
	double dnorm = doc_norm(c, d), sc, bestsc = 0, tsc[CLUSTER_RESCORE];

	memset(out, 0, sizeof(*out));
	/* The rarest terms: a story sharing none of them is not this one. */
	for (i = 0; i < d->n; i++) {
		uint32_t df = c->terms[d->term[i]].df;

		for (k = nq; k > 0 && c->terms[q[k - 1]].df > df; k--)
			if (k < CLUSTER_QUERY_TERMS)
				q[k] = q[k - 1];
		if (k < CLUSTER_QUERY_TERMS) {
			q[k] = d->term[i];
			if (nq < CLUSTER_QUERY_TERMS)
				nq++;
		}
	}
	/*
	 * Pass 1, cheap: accumulate the shared query weight of every story
	 * on the query terms' recent postings.  Pass 2: the full cosine for
	 * the CLUSTER_RESCORE stories that share the most.
	 */
	c->stamp++;
	c->ntouched = 0;
	for (i = 0; i < nq; i++) {
		const struct term *tm = &c->terms[q[i]];
		float w = (float)idf(c, tm->df);

		for (j = tm->npost, k = 0; j > 0 && k < CLUSTER_POSTINGS_SCAN;
		    j--, k++) {
			uint32_t si = tm->post[j - 1];
			struct cstory *s = &c->stories[si];

			if (s->stamp == c->stamp) {
				s->acc += w;
				continue;
			}
			if (!in_window(c, s, t))
				continue;
			if (grow((void **)&c->touched, &c->ctouched,
			    c->ntouched + 1, sizeof(*c->touched), &c->bytes))
				return -1;
			s->stamp = c->stamp;
			s->acc = w;
			c->touched[c->ntouched++] = si;
		}
	}
	/* One pass keeps the CLUSTER_RESCORE largest, most first. */
	for (j = 0; j < c->ntouched; j++) {
		float acc = c->stories[c->touched[j]].acc;

		if (ntop == CLUSTER_RESCORE &&
		    acc <= c->stories[top[ntop - 1]].acc)
			continue;
		for (k = ntop < CLUSTER_RESCORE ? ntop++ : ntop - 1;
		    k > 0 && c->stories[top[k - 1]].acc < acc; k--)
			top[k] = top[k - 1];
		top[k] = c->touched[j];
	}
	for (k = 0; k < ntop; k++) {
		sc = tsc[k] = score_story(c, d, dnorm, &c->stories[top[k]],
		    NULL);
		if (sc > bestsc) {
			bestsc = sc;
			best = top[k];
		}
	}
	if (best == UINT32_MAX || bestsc < c->p.threshold)
		return 0;
	best = merge_pick(c, top, tsc, ntop, best, out);
	out->story = c->stories[best].id;
	out->score = score_story(c, d, dnorm, &c->stories[best], out);
	return 0;
}

double
cluster_score(struct cluster *c, const struct cluster_doc *d, int64_t story,
    struct cluster_match *out)
{
	uint32_t s = story_find(c, story);

	memset(out, 0, sizeof(*out));
	if (s == UINT32_MAX)
		return 0;
	out->story = story;
	out->score = score_story(c, d, doc_norm(c, d), &c->stories[s], out);
	return out->score;
}

/* Adds weight f of term id to story s (sorted insert); -1 on OOM. */
static int
story_term_add(struct cluster *c, uint32_t si, uint32_t id, float f)
{
	struct cstory *s = &c->stories[si];
	struct term *t = &c->terms[id];
	uint32_t lo = 0, hi = s->n, mid, cap;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s->term[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->term[lo] == id) {
		s->tf[lo] += f;
		return 0;
	}
	cap = s->cap;
	if (grow((void **)&s->term, &cap, s->n + 1, sizeof(*s->term),
	    &c->bytes))
		return -1;
	if (cap != s->cap) {
		float *nf = realloc(s->tf, cap * sizeof(*nf));

		if (nf == NULL)
			return -1;
		c->bytes += (size_t)(cap - s->cap) * sizeof(*nf);
		s->tf = nf;
		s->cap = cap;
	}
	memmove(s->term + lo + 1, s->term + lo, (s->n - lo) * sizeof(*s->term));
	memmove(s->tf + lo + 1, s->tf + lo, (s->n - lo) * sizeof(*s->tf));
	s->term[lo] = id;
	s->tf[lo] = f;
	s->n++;
	if (grow((void **)&t->post, &t->cpost, t->npost + 1, sizeof(*t->post),
	    &c->bytes))
		return -1;
	t->post[t->npost++] = si;
	return 0;
}

int
cluster_add(struct cluster *c, const struct cluster_doc *d, int64_t story,
    int64_t t)
{
	uint32_t si = story_find(c, story), i, id;
	struct cstory *s;
	uint64_t h;

	if (si == UINT32_MAX) {
		if (rehash(&c->shash, &c->shcap, c->nstories, &c->bytes,
		    story_key, c) ||
		    grow((void **)&c->stories, &c->cstories, c->nstories + 1,
		    sizeof(*c->stories), &c->bytes))
			return -1;
		si = c->nstories;
		s = &c->stories[si];
		memset(s, 0, sizeof(*s));
		s->id = story;
		s->first = s->last = t;
		for (h = hash_id(story) & (c->shcap - 1); c->shash[h] != 0;
		    h = (h + 1) & (c->shcap - 1))
			;
		c->shash[h] = si + 1;
		c->nstories++;
	}
	s = &c->stories[si];
	if (t < s->first)
		s->first = t;
	if (t > s->last)
		s->last = t;
	for (i = 0; i < d->n; i++) {
		c->terms[d->term[i]].df++;
		if (story_term_add(c, si, d->term[i], d->tf[i]) == -1)
			return -1;
	}
	for (i = 0; i < d->nfresh; i++) {
		if ((id = term_intern(c, d->fresh[i])) == UINT32_MAX)
			return -1;
		c->terms[id].df++;
		if (story_term_add(c, si, id, d->freshtf[i]) == -1)
			return -1;
	}
	c->ndocs++;
	return 0;
}

/* Takes story si off term id's postings (searched newest first). */
static void
posting_drop(struct term *t, uint32_t si)
{
	uint32_t j;

	for (j = t->npost; j > 0; j--)
		if (t->post[j - 1] == si) {
			memmove(t->post + j - 1, t->post + j,
			    (t->npost - j) * sizeof(*t->post));
			t->npost--;
			return;
		}
}

int
cluster_merge(struct cluster *c, int64_t from, int64_t into)
{
	uint32_t fi = story_find(c, from), ii = story_find(c, into), i;
	struct cstory *f, *s;

	/* 0 is no story (and the id of the slots merged away). */
	if (from == 0 || into == 0 || fi == UINT32_MAX || ii == UINT32_MAX ||
	    fi == ii)
		return 1;
	f = &c->stories[fi];
	/* Document frequencies stay: the items are the same items. */
	for (i = 0; i < f->n; i++) {
		posting_drop(&c->terms[f->term[i]], fi);
		if (story_term_add(c, ii, f->term[i], f->tf[i]) == -1)
			return -1;
	}
	s = &c->stories[ii];
	if (f->first < s->first)
		s->first = f->first;
	if (f->last > s->last)
		s->last = f->last;
	/* The slot stays (the id hash points at it) but matches no id. */
	c->bytes -= (size_t)f->cap * (sizeof(*f->term) + sizeof(*f->tf));
	free(f->term);
	free(f->tf);
	f->term = NULL;
	f->tf = NULL;
	f->n = f->cap = 0;
	f->id = 0;
	c->ngone++;
	return 0;
}

int
cluster_has(const struct cluster *c, int64_t story)
{
	return story_find(c, story) != UINT32_MAX;
}

size_t
cluster_stories(const struct cluster *c)
{
	return c->nstories - c->ngone;
}

size_t
cluster_memory(const struct cluster *c)
{
	return c->bytes;
}
