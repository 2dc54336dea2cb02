/*
 * cluster.c - near-duplicate story clustering (see cluster.h and
 * docs/CLUSTERING.md).
 *
 * Data: an interned term table (word -> id, with the items and the
 * stories that have held the term, and a postings list of the stories
 * in the index holding it), and the stories
 * (id -> the ids of the terms of their items, their newest items' term
 * vectors; their time ranges, with what the current query notes of
 * them, in an array of their own: struct cspan).  Everything grows by
 * doubling; nothing is freed before cluster_free but the kept items a
 * story replaces, the terms and items of a story merged into another
 * (its slot stays, with id 0 until the next eviction) and the stories
 * evicted over max_items.
 *
 * A match waits on memory more than it computes: pass 1 walks some
 * 1,400 postings and pass 2 scores up to CLUSTER_RESCORE stories' kept
 * items, each a cache miss where it is read.  So what the passes read
 * is kept dense (spans, a doc's lookup tables, the query's candidates
 * and idfs) and asked for ahead (PREFETCH), and the hot loops have no
 * branch on data a predictor cannot learn.  None of that changed a
 * sum or its order: the decisions are those of the plain loops
 * (tests/cluster-bench prints a hash of them, docs/PERFORMANCE.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "story.h"

/* Words longer than this (bytes) are cut: the stem is in the first letters. */
#define CLUSTER_STEM_BYTES	6
/* Candidate retrieval: the rarest terms of the item, newest stories first. */
#define CLUSTER_QUERY_TERMS	12
#define CLUSTER_POSTINGS_SCAN	256
/* Only the stories sharing the most rare weight get the full score. */
#define CLUSTER_RESCORE		8
/*
 * A story is scored by its items, not by its centroid (a big story's
 * centroid is a topic that attracts everything on it): the mean cosine
 * of the new item with the CLUSTER_NEAREST closest of the story's
 * CLUSTER_STORY_ITEMS newest items.  Both bound the cost of a score.
 */
#define CLUSTER_STORY_ITEMS	32
#define CLUSTER_NEAREST		5
/*
 * Time proximity: an item published next to a story's items needs less
 * text in common.  This much is added to the score of an item at the
 * story's time, halving every CLUSTER_TIME_HALFLIFE-th of the window.
 */
#define CLUSTER_TIME_BONUS	0.15
#define CLUSTER_TIME_HALFLIFE	10
/*
 * Rarity is counted mostly in stories (df = stories holding the word,
 * N = stories), not items: a big story's own words would otherwise look
 * common because the story is big, and its later outlets stop joining
 * it.  A word's idf is this share of its story idf plus the rest of its
 * item idf (docs/CLUSTERING.md, "Each signal").
 */
#define CLUSTER_STORY_RARITY	0.9
/*
 * A kept item's term weights are whole counts (title words
 * CLUSTER_TITLE_WEIGHT, summary words 1): a byte each, capped.  With
 * its term id, 5 bytes a term instead of 8.
 */
#define CLUSTER_TF_MAX		UINT8_MAX
#define CITEM_TERM_BYTES	(sizeof(uint32_t) + sizeof(uint8_t))
/*
 * A doc's lookup tables (see doc_index): the smallest slot table and
 * how many slots a term, the smallest bit filter and how many bits a
 * term (powers of two).  32 bits a term: a term the doc lacks passes
 * the filter 3% of the time.
 */
#define DOC_SLOTS_MIN		16
#define DOC_SLOTS_PER_TERM	4
#define DOC_SLOT_EMPTY		UINT32_MAX
#define DOC_BITS_MIN		512
#define DOC_BITS_PER_TERM	32
/*
 * A hint to load memory soon (what a scan reads next is a cache miss
 * each), the line it loads, and how many postings ahead pass 1 asks
 * for a story's span.
 */
#define CACHE_LINE		64
#define CAND_PREFETCH		8
#if defined(__GNUC__)
#define PREFETCH(p)		__builtin_prefetch(p)
#else
#define PREFETCH(p)		((void)(p))
#endif
/* The most stories one query can meet on its postings. */
#define CAND_MAX		(CLUSTER_QUERY_TERMS * CLUSTER_POSTINGS_SCAN)

/* Function words carry no story; English only (the feeds that matter). */
/* Sorted (bsearch). */
static const char *const cluster_stop[] = {
	"a", "about", "above", "across", "after", "again", "against", "ago",
	"all", "also", "am", "amid", "among", "an", "and", "another", "any",
	"are", "around", "as", "at", "be", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "could",
	"day", "did", "do", "does", "doing", "don", "down", "during", "each",
	"even", "few", "for", "from", "further", "get", "gets", "got", "had",
	"has", "have", "having", "he", "her", "here", "hers", "herself",
	"him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
	"its", "itself", "just", "latest", "live", "many", "me", "might",
	"more", "most", "much", "must", "my", "myself", "news", "no", "nor",
	"not", "now", "of", "off", "on", "once", "one", "only", "or", "other",
	"our", "ours", "ourselves", "out", "over", "own", "per", "s", "said",
	"same", "say", "says", "shall", "she", "should", "since", "so",
	"some", "still", "such", "than", "that", "the", "their", "theirs",
	"them", "themselves", "then", "there", "these", "they", "this",
	"those", "through", "to", "too", "toward", "towards", "under",
	"until", "up", "update", "updates", "upon", "us", "very", "via",
	"video", "was", "watch", "we", "week", "were", "what", "when",
	"where", "which", "while", "who", "whom", "why", "will", "with",
	"within", "without", "would", "year", "years", "yet", "you", "your",
	"yours", "yourself", "yourselves",
};

struct term {
	uint64_t	 hash;		/* hash_str(word): probes compare it first */
	/*
	 * In place, next to its hash: a lookup reads one term, not a term
	 * and then a string elsewhere (a cache miss each); and a string of
	 * its own would take a 32-byte allocation anyway.
	 */
	char		 word[CLUSTER_WORD_MAX + 1];
	uint32_t	 df;		/* items holding it */
	uint32_t	 sdf;		/* stories holding it: see story_term_add */
	float		 idf;		/* cached while epoch + 1 == idf_at */
	uint64_t	 idf_at;
	uint32_t	*post;		/* story indexes, in order of first use */
	uint32_t	 npost, cpost;
};

/*
 * A kept item: its sorted term ids and weights (one allocation, the
 * weights as bytes after the ids: item_tf), and its
 * TF-IDF norm, recomputed only when the items or the stories seen have
 * grown by an eighth since (rarities drift slowly; recomputing at every
 * score would cost an idf per word of every kept item): see norm_gen.
 */
struct citem {
	uint32_t	*term;
	uint32_t	 n;
	float		 norm;
	uint64_t	 norm_at;	/* norm_gen when norm was computed */
	uint64_t	 seq;		/* ndocs when added: merges keep the newest */
};

struct cstory {
	int64_t		 id;
	struct citem	*item;		/* ring of the newest kept items */
	uint32_t	 nitems;	/* items added (kept ones after a merge) */
	uint32_t	 held;		/* items it holds (for max_items) */
	/*
	 * Sorted ids of every term its items had: what its postings are,
	 * to take them off again.  No weights: scores come from the kept
	 * items.
	 */
	uint32_t	*term;
	uint32_t	 n, cap;
};

/* A story pass 1 met within the window, and the query weight it shares. */
struct cand {
	uint32_t	 story;		/* index */
	float		 acc;
};

/*
 * What candidate retrieval reads of a story, at the same index as the
 * story but in an array of its own: a query walks some 1,400 postings
 * of stories scattered over the whole table.  In the 64-byte story
 * record these fields sat at either end, two cache misses a posting;
 * 24 bytes a story, densely, mostly stay in cache.
 */
struct cspan {
	int64_t		 first, last;	/* CLUSTER_TIME_UNKNOWN: none dated */
	uint32_t	 stamp;		/* last query that saw it as a candidate */
	uint32_t	 pos;		/* where that query listed it */
};

struct cluster {
	struct cluster_params p;
	struct term	*terms;
	uint32_t	 nterms, cterms;
	uint32_t	*thash;		/* term id + 1, open addressing */
	uint32_t	 thcap;
	struct cstory	*stories;
	struct cspan	*span;		/* as many, the same capacity */
	uint32_t	 nstories, cstories;
	uint32_t	*shash;		/* story index + 1 */
	uint32_t	 shcap;
	uint64_t	 ndocs;
	uint64_t	 nsdocs;	/* stories begun, less those merged away */
	uint64_t	 epoch;		/* items added and merges: idf changes */
	/*
	 * Kept items' norms are current while computed in this generation.
	 * It moves on when ndocs or nsdocs has grown by an eighth since
	 * gen_docs and gen_sdocs (their values when it last moved): stories
	 * can be few among many items, so items alone would not say.
	 */
	uint64_t	 norm_gen;
	uint64_t	 gen_docs, gen_sdocs;
	uint32_t	 stamp;
	struct cand	*cand;		/* the current query's, CAND_MAX */
	uint32_t	 ncand;
	/*
	 * The idf of each of the current doc's terms, by index (see
	 * doc_idf): scoring reads them for every term a kept item shares.
	 */
	double		*qidf;
	uint32_t	 cqidf;
	uint32_t	 ngone;		/* stories merged away (id 0, no terms) */
	size_t		 nheld;		/* items of the stories held */
	size_t		 bytes;
};

/* A term of a doc (id DOC_SLOT_EMPTY: none) and its index in the doc. */
struct docslot {
	uint32_t	 id;
	uint32_t	 j;
};

struct cluster_doc {
	uint32_t	*term;		/* sorted, unique */
	float		*tf;
	uint32_t	 n;
	/*
	 * term's index by term id, open addressing, and a filter of one
	 * bit a term in the same allocation: see doc_index.
	 */
	struct docslot	*slot;
	uint64_t	*bits;
	uint32_t	 mask;		/* slots - 1 */
	uint32_t	 bmask;		/* bits - 1 */
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

/*
 * Where term id goes in a table of mask + 1 entries (a power of two): a
 * doc's slots, or its filter's bits.
 */
static uint32_t
hash_term(uint32_t id, uint32_t mask)
{
	return (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
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

/* A space-separated list of words, growing by doubling. */
struct wordlist {
	char	*p;
	size_t	 len, cap;
};

static int
wordlist_add(void *arg, char *w)
{
	struct wordlist *l = arg;
	size_t n = strlen(w), ncap;
	char *np;

	if (l->len + n + 2 > l->cap) {
		ncap = l->cap ? l->cap : 64;
		while (ncap < l->len + n + 2)
			ncap *= 2;
		if ((np = realloc(l->p, ncap)) == NULL)
			return -1;
		l->p = np;
		l->cap = ncap;
	}
	if (l->len > 0)
		l->p[l->len++] = ' ';
	memcpy(l->p + l->len, w, n + 1);
	l->len += n;
	return 0;
}

/* The kept words of text (at most max; 0: all) as one string. */
static char *
words_of(const char *text, size_t max)
{
	struct wordlist l = { NULL, 0, 0 };

	if (each_word(text, max, wordlist_add, &l) != 0) {
		free(l.p);
		return NULL;
	}
	return l.p != NULL ? l.p : strdup("");
}

char *
cluster_tokens(const char *text)
{
	return words_of(text, 0);
}

char *
cluster_title_words(const char *title)
{
	return words_of(title, 0);
}

char *
cluster_summary_words(const char *text)
{
	return words_of(text, CLUSTER_SUMMARY_WORDS);
}

int
cluster_words_valid(const char *words, size_t max)
{
	size_t len, n = 0;

	if (*words == '\0')
		return 1;
	for (;;) {
		len = strcspn(words, " ");
		if (len == 0 || len > CLUSTER_WORD_MAX ||
		    (max != 0 && ++n > max))
			return 0;
		words += len;
		if (*words == '\0')
			return 1;
		words++;	/* the one space between two words */
	}
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
	size_t len = strlen(w);
	uint64_t i;
	struct term *t;

	if (id != UINT32_MAX)
		return id;
	if (len > CLUSTER_WORD_MAX)	/* bag_words keeps none such */
		return UINT32_MAX;
	if (rehash(&c->thash, &c->thcap, c->nterms, &c->bytes, term_key, c) ||
	    grow((void **)&c->terms, &c->cterms, c->nterms + 1,
	    sizeof(*c->terms), &c->bytes))
		return UINT32_MAX;
	t = &c->terms[c->nterms];
	memset(t, 0, sizeof(*t));
	memcpy(t->word, w, len + 1);
	t->hash = hash_str(w);
	for (i = t->hash & (c->thcap - 1); c->thash[i] != 0;
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
	for (i = 0; i < c->nterms; i++)
		free(c->terms[i].post);
	for (i = 0; i < c->nstories; i++) {
		uint32_t j;

		for (j = 0; j < c->stories[i].nitems &&
		    j < CLUSTER_STORY_ITEMS; j++)
			free(c->stories[i].item[j].term);
		free(c->stories[i].item);
		free(c->stories[i].term);
	}
	free(c->terms);
	free(c->thash);
	free(c->stories);
	free(c->span);
	free(c->shash);
	free(c->cand);
	free(c->qidf);
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
	/* Repeats stay: cluster_doc_from_words sums them once sorted. */
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

/*
 * Adds each word of a space-separated list to the bag, at most max (0:
 * all).  A word each_word could not have made (empty, longer than
 * CLUSTER_WORD_MAX) is skipped: the words may come from another process.
 */
static int
bag_words(struct bag *b, const char *words, size_t max)
{
	char w[CLUSTER_WORD_MAX + 1];
	size_t len, n = 0;

	if (words == NULL)
		return 0;
	while (*words != '\0') {
		len = strcspn(words, " ");
		if (len > 0 && len <= CLUSTER_WORD_MAX) {
			memcpy(w, words, len);
			w[len] = '\0';
			if (bag_add(b, w) != 0)
				return -1;
			if (max != 0 && ++n >= max)
				break;
		}
		words += len;
		if (*words == ' ')
			words++;
	}
	return 0;
}

/*
 * Fills d's lookup tables, which scoring looks each term of a kept item
 * up in (doc_find), where merging the two sorted lists took twice the
 * steps on branches no predictor follows: a bit filter that turns away
 * nearly every term the doc lacks on one bit (a branch that is almost
 * always predicted), and a slot table that finds the rest.
 */
static int
doc_index(struct cluster_doc *d)
{
	uint32_t cap = DOC_SLOTS_MIN, nbits = DOC_BITS_MIN, i, h;

	/* Sizes that cannot overflow (no such doc fits in memory anyway). */
	if (d->n > UINT32_MAX / 2 / DOC_BITS_PER_TERM)
		return -1;
	while (cap < DOC_SLOTS_PER_TERM * d->n)
		cap *= 2;
	while (nbits < DOC_BITS_PER_TERM * d->n)
		nbits *= 2;
	if ((d->slot = malloc(cap * sizeof(*d->slot) + nbits / 8)) == NULL)
		return -1;
	d->bits = (uint64_t *)(void *)(d->slot + cap);
	d->mask = cap - 1;
	d->bmask = nbits - 1;
	memset(d->bits, 0, nbits / 8);
	for (h = 0; h < cap; h++)
		d->slot[h].id = DOC_SLOT_EMPTY;
	for (i = 0; i < d->n; i++) {
		h = hash_term(d->term[i], d->bmask);
		d->bits[h / 64] |= UINT64_C(1) << (h % 64);
		for (h = hash_term(d->term[i], d->mask);
		    d->slot[h].id != DOC_SLOT_EMPTY; h = (h + 1) & d->mask)
			;
		d->slot[h].id = d->term[i];
		d->slot[h].j = i;
	}
	return 0;
}

/* Index in d of term id, or UINT32_MAX when d does not hold it. */
static uint32_t
doc_find(const struct cluster_doc *d, uint32_t id)
{
	uint32_t h = hash_term(id, d->bmask);

	if ((d->bits[h / 64] >> (h % 64) & 1) == 0)
		return UINT32_MAX;
	for (h = hash_term(id, d->mask); d->slot[h].id != DOC_SLOT_EMPTY;
	    h = (h + 1) & d->mask)
		if (d->slot[h].id == id)
			return d->slot[h].j;
	return UINT32_MAX;
}

struct cluster_doc *
cluster_doc_from_words(struct cluster *c, const char *title_words,
    const char *summary_words)
{
	struct bag b = { c, NULL, 0, 0, 0, 0 };
	uint32_t i, j;

	if ((b.d = calloc(1, sizeof(*b.d))) == NULL)
		return NULL;
	b.weight = CLUSTER_TITLE_WEIGHT;
	if (bag_words(&b, title_words, 0) == 0) {
		b.weight = 1;
		bag_words(&b, summary_words, CLUSTER_SUMMARY_WORDS);
	}
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
	/*
	 * A word met again adds its weight to the first: whole numbers, so
	 * the sums do not depend on the order they are made in.
	 */
	for (i = j = 0; i < b.d->n; i++) {
		if (j > 0 && b.d->term[j - 1] == b.d->term[i]) {
			b.d->tf[j - 1] += b.d->tf[i];
			continue;
		}
		b.d->term[j] = b.d->term[i];
		b.d->tf[j++] = b.d->tf[i];
	}
	b.d->n = j;
	if (doc_index(b.d) == -1) {
		cluster_doc_free(b.d);
		return NULL;
	}
	return b.d;
}

/* Tokenizing, then the doc of the words: one path for both. */
struct cluster_doc *
cluster_doc_new(struct cluster *c, const char *title, const char *summary)
{
	struct cluster_doc *d = NULL;
	char *tw, *sw = NULL;

	if ((tw = cluster_title_words(title)) != NULL &&
	    (sw = cluster_summary_words(summary)) != NULL)
		d = cluster_doc_from_words(c, tw, sw);
	free(tw);
	free(sw);
	return d;
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
	free(d->slot);
	free(d);
}

/*
 * Rarity: a word in every item weighs ~1, a word in one item ~log N.
 * df and sdf: items and stories holding it.
 */
static double
idf(const struct cluster *c, uint32_t df, uint32_t sdf)
{
	double i = log((double)(c->ndocs + 1) / (double)(df + 1)) + 1.0;
	double s = log((double)(c->nsdocs + 1) / (double)(sdf + 1)) + 1.0;

	return (1 - CLUSTER_STORY_RARITY) * i + CLUSTER_STORY_RARITY * s;
}

/*
 * idf of term id, cached until the next item is added or two stories
 * merge (log is dear).
 */
static double
term_idf(const struct cluster *c, uint32_t id)
{
	struct term *t = &c->terms[id];

	if (t->idf_at != c->epoch + 1) {
		t->idf = (float)idf(c, t->df, t->sdf);
		t->idf_at = c->epoch + 1;
	}
	return t->idf;
}

/*
 * Fills c->qidf with the idf of each of d's terms, for scoring d: the
 * same values term_idf gives until the next item is added, without
 * reaching into a term (a cache miss) for every shared term of every
 * kept item scored.  -1 on OOM.
 */
static int
doc_idf(struct cluster *c, const struct cluster_doc *d)
{
	uint32_t i;

	if (grow((void **)&c->qidf, &c->cqidf, d->n + 1, sizeof(*c->qidf),
	    &c->bytes))
		return -1;
	for (i = 0; i < d->n; i++)
		c->qidf[i] = term_idf(c, d->term[i]);
	return 0;
}

/* The TF-IDF norm of d; after doc_idf. */
static double
doc_norm(const struct cluster *c, const struct cluster_doc *d)
{
	double s = 0, w, fresh = idf(c, 0, 0);
	uint32_t i;

	for (i = 0; i < d->n; i++) {
		w = d->tf[i] * c->qidf[i];
		s += w * w;
	}
	/* Unseen words count against every story: nobody shares them. */
	for (i = 0; i < d->nfresh; i++) {
		w = d->freshtf[i] * fresh;
		s += w * w;
	}
	return sqrt(s);
}

/*
 * A kept item's term weights, whole counts (CLUSTER_TF_MAX at most), in
 * the bytes after its term ids: a pointer to them would make every kept
 * item 8 bytes bigger, and scoring reads them all.
 */
static uint8_t *
item_tf(const struct citem *it)
{
	return (uint8_t *)(it->term + it->n);
}

/* Computes the TF-IDF norm of a kept item with today's rarities. */
static void
item_norm(const struct cluster *c, struct citem *it)
{
	const uint8_t *tf = item_tf(it);
	double norm = 0, w;
	uint32_t i;

	for (i = 0; i < it->n; i++) {
		w = tf[i] * term_idf(c, it->term[i]);
		norm += w * w;
	}
	it->norm = (float)sqrt(norm);
	it->norm_at = c->norm_gen;
}

/* Computes a kept item's norm when it has none of this generation. */
static void
item_norm_fresh(const struct cluster *c, struct citem *it)
{
	if (it->norm < 0 || it->norm_at != c->norm_gen)
		item_norm(c, it);
}

/*
 * Cosine of doc and one kept item (refreshing its norm when stale);
 * after doc_idf.
 */
static double
score_item(const struct cluster *c, const struct cluster_doc *d,
    double dnorm, struct citem *it)
{
	const uint8_t *tf = item_tf(it);
	const double *qidf = c->qidf;
	double dot = 0, id;
	uint32_t i, j;

	/* In the item's term order: the sum is the same, to the last bit. */
	for (i = 0; i < it->n; i++) {
		if ((j = doc_find(d, it->term[i])) == UINT32_MAX)
			continue;
		id = qidf[j];
		dot += tf[i] * d->tf[j] * id * id;
	}
	if (dot == 0 || dnorm == 0)
		return 0;
	item_norm_fresh(c, it);
	return it->norm > 0 ? dot / (dnorm * it->norm) : 0;
}

/* Keeps the n largest values seen in near[], largest first. */
static void
nearest_add(double *near, uint32_t n, double x)
{
	uint32_t k;

	for (k = n; k > 0 && near[k - 1] < x; k--)
		if (k < n)
			near[k] = near[k - 1];
	if (k < n)
		near[k] = x;
}

static double
nearest_mean(const double *near, uint32_t n)
{
	double sum = 0;
	uint32_t k;

	for (k = 0; k < n; k++)
		sum += near[k];
	return n > 0 ? sum / n : 0;
}

/*
 * Similarity of doc and story s: the mean cosine with its
 * CLUSTER_NEAREST closest kept items (all of them when it has fewer).
 * A story grown by loose joins has few items close to anything, so it
 * does not snowball; a big coherent one always has a few.
 */
static double
score_story(const struct cluster *c, const struct cluster_doc *d,
    double dnorm, const struct cstory *s)
{
	double near[CLUSTER_NEAREST] = { 0 };
	uint32_t i, kept = s->nitems < CLUSTER_STORY_ITEMS ? s->nitems :
	    CLUSTER_STORY_ITEMS, n = kept < CLUSTER_NEAREST ? kept :
	    CLUSTER_NEAREST;

	/* Every kept item's terms on their way at once, not one by one. */
	for (i = 0; i < kept; i++)
		PREFETCH(s->item[i].term);
	for (i = 0; i < kept; i++)
		nearest_add(near, n, score_item(c, d, dnorm, &s->item[i]));
	return nearest_mean(near, n);
}

/* The shared terms of doc and story s's kept items that weigh most. */
static void
story_why(const struct cluster *c, const struct cluster_doc *d,
    const struct cstory *s, struct cluster_match *why)
{
	double contrib[CLUSTER_WHY_TERMS] = { 0 }, *sum, id, x;
	uint32_t i, j, k, top[CLUSTER_WHY_TERMS], kept = s->nitems <
	    CLUSTER_STORY_ITEMS ? s->nitems : CLUSTER_STORY_ITEMS;
	const struct citem *it;

	for (k = 0; k < CLUSTER_WHY_TERMS; k++)
		why->terms[k][0] = '\0';
	/* The weight of each of doc's terms in the kept items, summed. */
	if ((sum = calloc(d->n + 1, sizeof(*sum))) == NULL)
		return;		/* no explanation, no harm */
	for (k = 0; k < kept; k++) {
		it = &s->item[k];
		for (i = 0; i < it->n; i++)
			if ((j = doc_find(d, it->term[i])) != UINT32_MAX)
				sum[j] += item_tf(it)[i];
	}
	for (j = 0; j < d->n; j++) {
		if (sum[j] == 0)
			continue;
		id = term_idf(c, d->term[j]);
		x = sum[j] * d->tf[j] * id * id;
		for (k = CLUSTER_WHY_TERMS; k > 0 && contrib[k - 1] < x; k--)
			if (k < CLUSTER_WHY_TERMS) {
				contrib[k] = contrib[k - 1];
				top[k] = top[k - 1];
			}
		if (k < CLUSTER_WHY_TERMS) {
			contrib[k] = x;
			top[k] = d->term[j];
		}
	}
	free(sum);
	for (k = 0; k < CLUSTER_WHY_TERMS; k++)
		if (contrib[k] > 0)
			snprintf(why->terms[k], sizeof(why->terms[k]), "%s",
			    c->terms[top[k]].word);
}

/*
 * The window an item at t looks in, as the range of times a story's
 * first item must not come after (hi) and its last not before (lo):
 * "within 72 h" is strict, so t + 72 h - 1 and t - 72 h + 1, clamped
 * rather than overflowing.  No window, or t undated: every time.
 */
struct window {
	int64_t	 lo, hi;
};

static struct window
window_of(const struct cluster *c, int64_t t)
{
	struct window w = { INT64_MIN, INT64_MAX };
	int64_t win = c->p.window;

	if (win <= 0 || t == CLUSTER_TIME_UNKNOWN)
		return w;
	w.hi = t > INT64_MAX - (win - 1) ? INT64_MAX : t + (win - 1);
	w.lo = t < INT64_MIN + (win - 1) ? INT64_MIN : t - (win - 1);
	return w;
}

/*
 * 1 when story span s lies within window w (window_of) of an item:
 * t > first - window and t < last + window, undated stories in.
 * Without a branch: pass 1 asks it of most stories it meets, in or out
 * as they come, and a branch on it was mispredicted a third of the time.
 */
static int
in_window(const struct cspan *s, struct window w)
{
	return (s->first == CLUSTER_TIME_UNKNOWN) |
	    ((s->first <= w.hi) & (s->last >= w.lo));
}

/*
 * What time proximity adds to the score of story s for an item at t:
 * CLUSTER_TIME_BONUS at the story's time, decaying with the distance.
 * Nothing without a window (time is then no signal) or without dates.
 */
static double
time_bonus(const struct cluster *c, const struct cspan *s, int64_t t)
{
	double dt;

	if (c->p.window <= 0 || t == CLUSTER_TIME_UNKNOWN ||
	    s->first == CLUSTER_TIME_UNKNOWN)
		return 0;
	dt = t < s->first ? (double)(s->first - t) :
	    t > s->last ? (double)(t - s->last) : 0;
	return CLUSTER_TIME_BONUS * exp2(-dt * CLUSTER_TIME_HALFLIFE / (double)c->p.window);
}

/* Cosine of two kept items (refreshing their norms when stale). */
static double
item_cosine(const struct cluster *c, struct citem *a, struct citem *b)
{
	const uint8_t *atf = item_tf(a), *btf = item_tf(b);
	double dot = 0, id;
	uint32_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		if (a->term[i] < b->term[j])
			i++;
		else if (a->term[i] > b->term[j])
			j++;
		else {
			id = term_idf(c, a->term[i]);
			dot += (double)atf[i] * btf[j] * id * id;
			i++;
			j++;
		}
	}
	if (dot == 0)
		return 0;
	item_norm_fresh(c, a);
	item_norm_fresh(c, b);
	return a->norm > 0 && b->norm > 0 ? dot / (a->norm * b->norm) : 0;
}

/*
 * Similarity of two stories by their kept items, as an item is scored
 * against a story: the mean of the CLUSTER_NEAREST closest pairs (one
 * item of each), all pairs when there are fewer.
 */
static double
story_items_cosine(const struct cluster *c, struct cstory *a,
    struct cstory *b)
{
	double near[CLUSTER_NEAREST] = { 0 };
	uint32_t ka = a->nitems < CLUSTER_STORY_ITEMS ? a->nitems :
	    CLUSTER_STORY_ITEMS, kb = b->nitems < CLUSTER_STORY_ITEMS ?
	    b->nitems : CLUSTER_STORY_ITEMS, i, j, n;

	n = ka * kb < CLUSTER_NEAREST ? ka * kb : CLUSTER_NEAREST;
	for (i = 0; i < ka; i++)
		for (j = 0; j < kb; j++)
			nearest_add(near, n, item_cosine(c, &a->item[i],
			    &b->item[j]));
	return nearest_mean(near, n);
}

/*
 * 1 when two stories lie within the window of each other.  An item with
 * no published time matches stories of any time, so it must not join
 * stories a month apart.  Undated stories (CLUSTER_TIME_UNKNOWN) pass.
 */
static int
stories_near(const struct cluster *c, const struct cspan *a,
    const struct cspan *b)
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
 * Of the rescored candidates top[] (text similarity txt[], scores with
 * time proximity tot[]), top[best] joined: when the runner-up also
 * reaches merge_threshold and resembles best, the doc proves the two one
 * story.  Fills out's merge fields and returns the index in top[] of the
 * survivor (the lower id), else best.  Merge threshold below the join
 * threshold counts as the join threshold.
 *
 * Merging compares text alone.  Time proximity lifts every story of the
 * same hours alike, which is what sets apart two different stories of
 * one day only in what they say; and the scores it would lift by 0.15
 * (text 0.35-0.45) are where the tuning data's merges were mostly wrong.
 * The two stories are compared by their kept items, as an item is scored
 * against a story, not by centroids (a topic: docs/CLUSTERING.md).
 */
static uint32_t
merge_pick(struct cluster *c, const uint32_t *top, const double *txt,
    const double *tot, uint32_t ntop, uint32_t best, struct cluster_match *out)
{
	double mt = c->p.merge_threshold, sc2 = -1, pair;
	uint32_t k, second = UINT32_MAX, keep, gone;
	struct cstory *a, *b;

	if (mt <= 0)
		return best;
	if (mt < c->p.threshold)
		mt = c->p.threshold;
	for (k = 0; k < ntop; k++)
		if (k != best && txt[k] > sc2) {
			sc2 = txt[k];
			second = k;
		}
	if (second == UINT32_MAX || txt[best] < mt || txt[second] < mt)
		return best;
	if (!stories_near(c, &c->span[top[best]], &c->span[top[second]]))
		return best;
	a = &c->stories[top[best]];
	b = &c->stories[top[second]];
	pair = story_items_cosine(c, a, b);
	/* One broad item must not chain two unlike stories together. */
	if (pair < c->p.threshold)
		return best;
	keep = a->id < b->id ? best : second;
	gone = keep == best ? second : best;
	out->merged = c->stories[top[gone]].id;
	out->merged_score = tot[gone];
	out->pair_score = pair;
	return keep;
}

/*
 * The query stamp wrapped around: stamps of queries 2^32 ago would pass
 * for this one's, so none is left.
 */
static void
stamps_reset(struct cluster *c)
{
	uint32_t i;

	for (i = 0; i < c->nstories; i++)
		c->span[i].stamp = 0;
	c->stamp = 1;
}

/* The first of the postings of tm that a query reads. */
static uint32_t
scan_start(const struct term *tm)
{
	return tm->npost > CLUSTER_POSTINGS_SCAN ?
	    tm->npost - CLUSTER_POSTINGS_SCAN : 0;
}

/*
 * Pass 1 meets story si (span sp) on a posting of a query term of
 * weight w: adds w to it when already met, else lists it after the n
 * listed when it is within the window.  Returns how many are listed.
 */
static uint32_t
cand_visit(struct cspan *sp, uint32_t si, struct cand *cand, uint32_t n,
    uint32_t stamp, float w, struct window win)
{
	uint32_t in;

	if (sp->stamp == stamp) {
		cand[sp->pos].acc += w;
		return n;
	}
	/*
	 * Listed when in the window, without a branch (see in_window); a
	 * story out of it is met again as new.
	 */
	in = (uint32_t)in_window(sp, win);
	sp->stamp = stamp & (0U - in);
	sp->pos = n;
	cand[n].story = si;
	cand[n].acc = w;
	return n + in;
}

/*
 * Pass 1 over one query term's postings [from, to), newest first, the
 * term weighing w (see cand_visit).  Everything it reads or writes is
 * a parameter, so the compiler keeps it in registers; the span of the
 * posting CAND_PREFETCH on is asked for at each step but the last few.
 */
static uint32_t
cand_walk(struct cspan *restrict span, struct cand *restrict cand,
    uint32_t n, const uint32_t *from, const uint32_t *to, uint32_t stamp,
    float w, struct window win)
{
	const uint32_t *p = to;

	for (; p - from > CAND_PREFETCH; p--) {
		PREFETCH(&span[p[-1 - CAND_PREFETCH]]);
		n = cand_visit(&span[p[-1]], p[-1], cand, n, stamp, w, win);
	}
	for (; p > from; p--)
		n = cand_visit(&span[p[-1]], p[-1], cand, n, stamp, w, win);
	return n;
}

/*
 * Pass 1: for every story within the window on the query terms' newest
 * CLUSTER_POSTINGS_SCAN postings, sums the weight of the query terms it
 * shares, into c->cand in the order met (a story's span says where).
 * Postings and spans read in turn would be a cache miss each, so they
 * are asked for ahead: the postings of every query term first, a span
 * CAND_PREFETCH postings before it is read.
 */
static int
cand_gather(struct cluster *c, const uint32_t *q, uint32_t nq, int64_t t)
{
	const struct term *tm;
	struct window win = window_of(c, t);
	uint32_t i, j, n = 0;

	if (c->cand == NULL) {
		if ((c->cand = malloc(CAND_MAX * sizeof(*c->cand))) == NULL)
			return -1;
		c->bytes += CAND_MAX * sizeof(*c->cand);
	}
	if (++c->stamp == 0)
		stamps_reset(c);
	for (i = 0; i < nq; i++) {
		tm = &c->terms[q[i]];
		for (j = scan_start(tm); j < tm->npost;
		    j += CACHE_LINE / sizeof(*tm->post))
			PREFETCH(&tm->post[j]);
	}
	for (i = 0; i < nq; i++) {
		tm = &c->terms[q[i]];
		n = cand_walk(c->span, c->cand, n, tm->post + scan_start(tm),
		    tm->post + tm->npost, c->stamp, (float)term_idf(c, q[i]),
		    win);
	}
	c->ncand = n;
	return 0;
}

/*
 * The CLUSTER_RESCORE stories pass 1 found sharing the most, most
 * first (ties: the first met), into top.
 */
static uint32_t
cand_top(const struct cluster *c, uint32_t *top)
{
	float acc[CLUSTER_RESCORE], a;
	uint32_t ntop = 0, j, k;

	for (j = 0; j < c->ncand; j++) {
		a = c->cand[j].acc;
		if (ntop == CLUSTER_RESCORE && a <= acc[ntop - 1])
			continue;
		for (k = ntop < CLUSTER_RESCORE ? ntop++ : ntop - 1;
		    k > 0 && acc[k - 1] < a; k--) {
			top[k] = top[k - 1];
			acc[k] = acc[k - 1];
		}
		top[k] = c->cand[j].story;
		acc[k] = a;
	}
	return ntop;
}

int
cluster_match(struct cluster *c, const struct cluster_doc *d, int64_t t,
    struct cluster_match *out)
{
	uint32_t q[CLUSTER_QUERY_TERMS], nq = 0, i, k, best = UINT32_MAX;
	uint32_t top[CLUSTER_RESCORE], ntop = 0;
	double dnorm, txt[CLUSTER_RESCORE], qr[CLUSTER_QUERY_TERMS];
	double tot[CLUSTER_RESCORE];

	memset(out, 0, sizeof(*out));
	if (doc_idf(c, d) == -1)
		return -1;
	dnorm = doc_norm(c, d);
	/* The rarest terms: a story sharing none of them is not this one. */
	for (i = 0; i < d->n; i++) {
		double r = c->qidf[i];

		for (k = nq; k > 0 && qr[k - 1] < r; k--)
			if (k < CLUSTER_QUERY_TERMS) {
				q[k] = q[k - 1];
				qr[k] = qr[k - 1];
			}
		if (k < CLUSTER_QUERY_TERMS) {
			q[k] = d->term[i];
			qr[k] = r;
			if (nq < CLUSTER_QUERY_TERMS)
				nq++;
		}
	}
	/*
	 * Pass 1, cheap: accumulate the shared query weight of every story
	 * on the query terms' recent postings.  Pass 2: the full score for
	 * the CLUSTER_RESCORE stories that share the most.
	 */
	if (cand_gather(c, q, nq, t) == -1)
		return -1;
	ntop = cand_top(c, top);
	/* The stories to score, a cache miss each: all on their way at once. */
	for (k = 0; k < ntop; k++)
		PREFETCH(&c->stories[top[k]]);
	for (k = 0; k < ntop; k++) {
		txt[k] = tot[k] = score_story(c, d, dnorm,
		    &c->stories[top[k]]);
		if (txt[k] > 0)
			tot[k] += time_bonus(c, &c->span[top[k]], t);
		if (best == UINT32_MAX ? tot[k] > 0 : tot[k] > tot[best])
			best = k;
	}
	if (best == UINT32_MAX || tot[best] < c->p.threshold)
		return 0;
	best = merge_pick(c, top, txt, tot, ntop, best, out);
	out->story = c->stories[top[best]].id;
	out->score = tot[best];
	story_why(c, d, &c->stories[top[best]], out);
	return 0;
}

double
cluster_score(struct cluster *c, const struct cluster_doc *d, int64_t story,
    struct cluster_match *out)
{
	uint32_t s = story_find(c, story);

	memset(out, 0, sizeof(*out));
	if (s == UINT32_MAX || doc_idf(c, d) == -1)
		return 0;
	out->story = story;
	out->score = score_story(c, d, doc_norm(c, d), &c->stories[s]);
	story_why(c, d, &c->stories[s], out);
	return out->score;
}

/*
 * Adds term id to story s (sorted insert) and its postings.  1: added,
 * 0: the story held it already, -1 on OOM.
 */
static int
story_term_add(struct cluster *c, uint32_t si, uint32_t id)
{
	struct cstory *s = &c->stories[si];
	struct term *t = &c->terms[id];
	uint32_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s->term[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->term[lo] == id)
		return 0;
	if (grow((void **)&s->term, &s->cap, s->n + 1, sizeof(*s->term),
	    &c->bytes))
		return -1;
	memmove(s->term + lo + 1, s->term + lo, (s->n - lo) * sizeof(*s->term));
	s->term[lo] = id;
	s->n++;
	if (grow((void **)&t->post, &t->cpost, t->npost + 1, sizeof(*t->post),
	    &c->bytes))
		return -1;
	t->post[t->npost++] = si;
	return 1;
}

/*
 * Keeps the item of n terms (ids, weights; unsorted) in story si's ring,
 * in place of its oldest kept item when the ring is full.
 */
static int
story_keep(struct cluster *c, uint32_t si, const uint32_t *ids,
    const float *tf, uint32_t n)
{
	struct cstory *s = &c->stories[si];
	size_t each = CITEM_TERM_BYTES;
	struct citem *it;
	uint8_t *itf;
	uint32_t i, j;
	void *mem;

	/* The ring grows by doubling up to its size: most stories are one item. */
	if (s->nitems < CLUSTER_STORY_ITEMS && (s->nitems & (s->nitems - 1))
	    == 0) {
		uint32_t cap = s->nitems ? s->nitems * 2 : 1;

		if ((it = realloc(s->item, cap * sizeof(*it))) == NULL)
			return -1;
		c->bytes += (cap - s->nitems) * sizeof(*it);
		s->item = it;
	}
	it = &s->item[s->nitems % CLUSTER_STORY_ITEMS];
	if (s->nitems < CLUSTER_STORY_ITEMS)
		memset(it, 0, sizeof(*it));
	if ((mem = malloc(n * each + 1)) == NULL)
		return -1;
	c->bytes -= it->n * each;
	free(it->term);
	c->bytes += n * each;
	it->term = mem;
	it->n = n;
	itf = item_tf(it);
	/* Insertion sort by term id: items are small. */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && it->term[j - 1] > ids[i]; j--) {
			it->term[j] = it->term[j - 1];
			itf[j] = itf[j - 1];
		}
		it->term[j] = ids[i];
		itf[j] = (uint8_t)(tf[i] < CLUSTER_TF_MAX ? tf[i] :
		    CLUSTER_TF_MAX);
	}
	it->norm = -1;	/* computed at its first score */
	it->seq = c->ndocs;
	s->nitems++;
	return 0;
}

static int cluster_evict(struct cluster *, uint32_t);

/* Room for n stories: their slots and their spans grow together. */
static int
stories_grow(struct cluster *c, uint32_t n)
{
	uint32_t cap = c->cstories;

	if (grow((void **)&c->span, &cap, n, sizeof(*c->span), &c->bytes))
		return -1;
	return grow((void **)&c->stories, &c->cstories, n,
	    sizeof(*c->stories), &c->bytes);
}

int
cluster_add(struct cluster *c, const struct cluster_doc *d, int64_t story,
    int64_t t)
{
	uint32_t si = story_find(c, story), i, id, *ids = NULL;
	struct cstory *s;
	struct cspan *sp;
	float *tf = NULL;
	uint64_t h;
	int rc = -1, added;

	if (si == UINT32_MAX) {
		if (rehash(&c->shash, &c->shcap, c->nstories, &c->bytes,
		    story_key, c) || stories_grow(c, c->nstories + 1))
			return -1;
		si = c->nstories;
		s = &c->stories[si];
		memset(s, 0, sizeof(*s));
		s->id = story;
		memset(&c->span[si], 0, sizeof(c->span[si]));
		c->span[si].first = c->span[si].last = t;
		for (h = hash_id(story) & (c->shcap - 1); c->shash[h] != 0;
		    h = (h + 1) & (c->shcap - 1))
			;
		c->shash[h] = si + 1;
		c->nstories++;
		c->nsdocs++;
		/*
		 * Most stories stay one item: their term list is sized to
		 * it, not to the next power of two.
		 */
		if (d->n + d->nfresh > 0) {
			if ((s->term = malloc((d->n + d->nfresh) *
			    sizeof(*s->term))) == NULL)
				return -1;
			s->cap = d->n + d->nfresh;
			c->bytes += (size_t)s->cap * sizeof(*s->term);
		}
	}
	/* An undated item leaves the story's time alone (see in_window). */
	sp = &c->span[si];
	if (sp->first == CLUSTER_TIME_UNKNOWN)
		sp->first = sp->last = t;
	else if (t != CLUSTER_TIME_UNKNOWN) {
		if (t < sp->first)
			sp->first = t;
		if (t > sp->last)
			sp->last = t;
	}
	if ((ids = malloc((d->n + d->nfresh + 1) * sizeof(*ids))) == NULL ||
	    (tf = malloc((d->n + d->nfresh + 1) * sizeof(*tf))) == NULL)
		goto out;
	/* A word's story count rises when a story first holds it. */
	for (i = 0; i < d->n; i++) {
		c->terms[d->term[i]].df++;
		if ((added = story_term_add(c, si, d->term[i])) == -1)
			goto out;
		c->terms[d->term[i]].sdf += (uint32_t)added;
		ids[i] = d->term[i];
		tf[i] = d->tf[i];
	}
	for (i = 0; i < d->nfresh; i++) {
		if ((id = term_intern(c, d->fresh[i])) == UINT32_MAX)
			goto out;
		c->terms[id].df++;
		if ((added = story_term_add(c, si, id)) == -1)
			goto out;
		c->terms[id].sdf += (uint32_t)added;
		ids[d->n + i] = id;
		tf[d->n + i] = d->freshtf[i];
	}
	if (story_keep(c, si, ids, tf, d->n + d->nfresh) == -1)
		goto out;
	c->ndocs++;
	c->epoch++;
	if (c->ndocs >= c->gen_docs + c->gen_docs / 8 + 1 ||
	    c->nsdocs >= c->gen_sdocs + c->gen_sdocs / 8 + 1) {
		c->norm_gen++;
		c->gen_docs = c->ndocs;
		c->gen_sdocs = c->nsdocs;
	}
	c->stories[si].held++;
	c->nheld++;
	rc = 0;
	if (c->p.max_items > 0 && c->nheld > c->p.max_items)
		rc = cluster_evict(c, si);
out:
	free(ids);
	free(tf);
	return rc;
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

/* Capacity of the item ring of a story of n items (see story_keep). */
static uint32_t
ring_cap(uint32_t n)
{
	uint32_t cap = 1;

	if (n == 0)
		return 0;
	while (cap < n && cap < CLUSTER_STORY_ITEMS)
		cap *= 2;
	return cap;
}

/*
 * Moves story f's kept items into story s's ring, which keeps the
 * newest CLUSTER_STORY_ITEMS of both (in the order they were added); f
 * is left with none.  -1 on OOM, both untouched.
 */
static int
items_merge(struct cluster *c, struct cstory *s, struct cstory *f)
{
	size_t each = CITEM_TERM_BYTES;
	uint32_t ks = s->nitems < CLUSTER_STORY_ITEMS ? s->nitems :
	    CLUSTER_STORY_ITEMS, kf = f->nitems < CLUSTER_STORY_ITEMS ?
	    f->nitems : CLUSTER_STORY_ITEMS, n = ks + kf, keep, i, j;
	struct citem *all, *ring, x;

	keep = n < CLUSTER_STORY_ITEMS ? n : CLUSTER_STORY_ITEMS;
	if ((all = malloc((n + 1) * sizeof(*all))) == NULL)
		return -1;
	if ((ring = malloc((ring_cap(keep) + 1) * sizeof(*ring))) == NULL) {
		free(all);
		return -1;
	}
	memcpy(all, s->item, ks * sizeof(*all));
	memcpy(all + ks, f->item, kf * sizeof(*all));
	/* Oldest first (insertion sort: at most twice the ring). */
	for (i = 1; i < n; i++) {
		x = all[i];
		for (j = i; j > 0 && all[j - 1].seq > x.seq; j--)
			all[j] = all[j - 1];
		all[j] = x;
	}
	for (i = 0; i < n - keep; i++) {
		c->bytes -= all[i].n * each;
		free(all[i].term);
	}
	/* Full, the next item replaces slot 0: the oldest kept. */
	memcpy(ring, all + n - keep, keep * sizeof(*ring));
	free(all);
	c->bytes -= (size_t)(ring_cap(s->nitems) + ring_cap(f->nitems)) *
	    sizeof(*ring);
	c->bytes += (size_t)ring_cap(keep) * sizeof(*ring);
	free(s->item);
	free(f->item);
	s->item = ring;
	s->nitems = keep;
	f->item = NULL;
	f->nitems = 0;
	return 0;
}

int
cluster_merge(struct cluster *c, int64_t from, int64_t into)
{
	uint32_t fi = story_find(c, from), ii = story_find(c, into), i;
	struct cstory *f, *s;
	int added;
	struct cspan *fs, *ss;

	/* 0 is no story (and the id of the slots merged away). */
	if (from == 0 || into == 0 || fi == UINT32_MAX || ii == UINT32_MAX ||
	    fi == ii)
		return 1;
	f = &c->stories[fi];
	if (items_merge(c, &c->stories[ii], f) == -1)
		return -1;
	/*
	 * Item counts stay: the items are the same items.  Two stories are
	 * now one: a word both held is held by one story fewer.
	 */
	for (i = 0; i < f->n; i++) {
		posting_drop(&c->terms[f->term[i]], fi);
		if ((added = story_term_add(c, ii, f->term[i])) == -1)
			return -1;
		if (added == 0)
			c->terms[f->term[i]].sdf--;
	}
	c->nsdocs--;
	c->epoch++;
	/* The words both held weigh more now: the survivor's norms are stale. */
	s = &c->stories[ii];
	for (i = 0; i < s->nitems && i < CLUSTER_STORY_ITEMS; i++)
		s->item[i].norm = -1;
	s->held += f->held;
	f->held = 0;
	/* Undated stories have no range (see cluster_add). */
	fs = &c->span[fi];
	ss = &c->span[ii];
	if (ss->first == CLUSTER_TIME_UNKNOWN) {
		ss->first = fs->first;
		ss->last = fs->last;
	} else if (fs->first != CLUSTER_TIME_UNKNOWN) {
		if (fs->first < ss->first)
			ss->first = fs->first;
		if (fs->last > ss->last)
			ss->last = fs->last;
	}
	/* The slot stays (the id hash points at it) but matches no id. */
	c->bytes -= (size_t)f->cap * sizeof(*f->term);
	free(f->term);
	f->term = NULL;
	f->n = f->cap = 0;
	f->id = 0;
	c->ngone++;
	return 0;
}

/* A story and when its last item was published, for eviction. */
struct evictee {
	int64_t		 last;
	uint32_t	 si;
};

/* Oldest last item first; undated (CLUSTER_TIME_UNKNOWN) before all. */
static int
evictee_cmp(const void *a, const void *b)
{
	const struct evictee *x = a, *y = b;

	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return x->si < y->si ? -1 : x->si > y->si;
}

/* Frees what story s holds; its slot is then gone (id 0). */
static void
story_drop(struct cluster *c, struct cstory *s)
{
	size_t each = CITEM_TERM_BYTES;
	uint32_t j, kept = s->nitems < CLUSTER_STORY_ITEMS ? s->nitems :
	    CLUSTER_STORY_ITEMS;

	for (j = 0; j < kept; j++) {
		c->bytes -= s->item[j].n * each;
		free(s->item[j].term);
	}
	c->bytes -= (size_t)ring_cap(s->nitems) * sizeof(*s->item);
	c->bytes -= (size_t)s->cap * sizeof(*s->term);
	free(s->item);
	free(s->term);
	c->nheld -= s->held;
	memset(s, 0, sizeof(*s));
}

/*
 * Over max_items: drops the stories with the oldest last item (never
 * story keep) until the index holds an eighth less than the cap, then
 * packs the story table (slots merged away go too), rewrites every
 * posting list to the new story indexes and rebuilds the story hash.
 * The pack costs a pass over all postings, once per eighth of a cap of
 * new items.  Terms stay, with their document frequencies.
 */
static int
cluster_evict(struct cluster *c, uint32_t keep)
{
	size_t target = c->p.max_items - c->p.max_items / 8;
	struct evictee *ev;
	uint32_t *map, i, j, n = 0, live = 0;
	uint64_t h;

	if ((ev = malloc((c->nstories + 1) * sizeof(*ev))) == NULL ||
	    (map = malloc((c->nstories + 1) * sizeof(*map))) == NULL) {
		free(ev);
		return -1;
	}
	for (i = 0; i < c->nstories; i++)
		if (c->stories[i].id != 0 && i != keep) {
			ev[n].last = c->span[i].last;
			ev[n++].si = i;
		}
	qsort(ev, n, sizeof(*ev), evictee_cmp);
	for (i = 0; i < n && c->nheld > target; i++)
		story_drop(c, &c->stories[ev[i].si]);
	free(ev);
	/* Pack: live stories keep their order (postings stay newest last). */
	for (i = 0; i < c->nstories; i++) {
		if (c->stories[i].id == 0) {
			map[i] = UINT32_MAX;
			continue;
		}
		map[i] = live;
		if (live != i) {
			c->stories[live] = c->stories[i];
			c->span[live] = c->span[i];
		}
		live++;
	}
	for (i = 0; i < c->nterms; i++) {
		struct term *t = &c->terms[i];
		uint32_t o = 0;

		for (j = 0; j < t->npost; j++)
			if (map[t->post[j]] != UINT32_MAX)
				t->post[o++] = map[t->post[j]];
		t->npost = o;
		if (o == 0 && t->cpost > 0) {
			c->bytes -= (size_t)t->cpost * sizeof(*t->post);
			free(t->post);
			t->post = NULL;
			t->cpost = 0;
		}
	}
	free(map);
	c->nstories = live;
	c->ngone = 0;
	memset(c->shash, 0, (size_t)c->shcap * sizeof(*c->shash));
	for (i = 0; i < live; i++) {
		for (h = hash_id(c->stories[i].id) & (c->shcap - 1);
		    c->shash[h] != 0; h = (h + 1) & (c->shcap - 1))
			;
		c->shash[h] = i + 1;
	}
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
cluster_items(const struct cluster *c)
{
	return c->nheld;
}

size_t
cluster_memory(const struct cluster *c)
{
	return c->bytes;
}
