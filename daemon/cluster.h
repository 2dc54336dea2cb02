/*
 * cluster.h - near-duplicate story clustering: which recent story a new
 * item belongs to.
 *
 * Pure and in memory: no I/O.  The store feeds it every item it keeps
 * (and rebuilds it from the database at start); the evaluation tool and
 * the tests feed it labelled items.  One code path for all three.
 *
 * Method (docs/CLUSTERING.md): titles and the start of summaries are
 * normalized (NFKC, case folded, accents stripped), split into words,
 * stop words dropped, and each word reduced to a spelling skeleton so
 * transliteration variants (Zelensky/Zelenskyy/Zelenskiy,
 * Riabikin/Ryabikin) meet.  Words are weighted by TF-IDF with document
 * frequencies counted incrementally, mostly in stories rather than
 * items (a big story's words must not look common because it is big);
 * an item's score against a candidate
 * story is its mean cosine with the story's closest kept items, plus a
 * bonus for being published close to them.  Candidates come from an
 * inverted index of the item's rarest terms, never from a scan, and must
 * lie within the time window.
 */
#ifndef TIDINGS_CLUSTER_H
#define TIDINGS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/* Defaults of the [cluster] section. */
#define CLUSTER_THRESHOLD_DEFAULT	0.28
#define CLUSTER_WINDOW_DEFAULT		(72 * 3600)
/*
 * The text similarity (time proximity left out) an item needs with each
 * of two stories to merge them (stricter than joining one): see
 * cluster_match.  0: no merges.
 */
#define CLUSTER_MERGE_THRESHOLD_DEFAULT	0.50
/*
 * The time of an undated item: matched by its text alone (its first-seen
 * time may be years from the story's when a feed is added late).
 */
#define CLUSTER_TIME_UNKNOWN		INT64_MIN
/* How many shared terms a match explains itself with. */
#define CLUSTER_WHY_TERMS		5
/* Title words count this many times a summary word: the headline is the story. */
#define CLUSTER_TITLE_WEIGHT		2
/* Only the start of a summary: the lead says what happened, the rest wanders. */
#define CLUSTER_SUMMARY_WORDS		25
/* Longest word kept at all (bytes); longer ones are noise (URLs, hashes). */
#define CLUSTER_WORD_MAX		31

struct cluster_params {
	double	 threshold;	/* score a story must reach to be joined */
	int64_t	 window;	/* seconds; 0 = no time window */
	double	 merge_threshold; /* both text scores to merge two; 0: off */
	/*
	 * Items the index holds (0: no cap).  Past it, the stories whose
	 * last item is oldest leave the index (their postings too) until
	 * it holds an eighth less: see cluster_add.
	 */
	size_t	 max_items;
};

struct cluster;
struct cluster_doc;

struct cluster_match {
	int64_t	 story;		/* 0: no story reached the threshold */
	double	 score;		/* time proximity included (not for --why) */
	/* The terms that contributed most, most first; "" past the end. */
	char	 terms[CLUSTER_WHY_TERMS][32];
	/*
	 * A merge: the doc also matched a second story, its text similarity
	 * with both reaches merge_threshold and the two stories are alike
	 * (the mean cosine of their closest pairs of kept items reaches
	 * threshold, their times are within the window).
	 * story is then the survivor, the earlier (lower) id, so the id
	 * clients saw first stays; merged is the later one, which the
	 * caller folds in with cluster_merge(cl, merged, story) before
	 * adding the doc.  0: no merge.
	 */
	int64_t	 merged;
	double	 merged_score;	/* the doc's score against merged (as score) */
	double	 pair_score;	/* the two stories' similarity */
};

struct cluster *cluster_new(const struct cluster_params *);
void	 cluster_free(struct cluster *);	/* NULL ok */

/*
 * An item's text as the clusterer sees it (title weighs more than the
 * summary): cluster_doc_from_words of the words of title and summary
 * (plain text).  Either may be NULL.  NULL only when out of memory.
 */
struct cluster_doc *cluster_doc_new(struct cluster *, const char *title,
	    const char *summary);
/*
 * The same doc from the words cluster_title_words and
 * cluster_summary_words gave (either may be NULL): term lookups only, so
 * a parser worker can do the text work off the event loop.  Words of
 * the wrong shape (see cluster_words_valid) are skipped, and summary
 * words past CLUSTER_SUMMARY_WORDS.  NULL only when out of memory.
 */
struct cluster_doc *cluster_doc_from_words(struct cluster *,
	    const char *title_words, const char *summary_words);
void	 cluster_doc_free(struct cluster_doc *);	/* NULL ok */

/*
 * The best story within the window for a doc published at t, and
 * whether the doc proves two stories one (out->merged).
 */
int	 cluster_match(struct cluster *, const struct cluster_doc *, int64_t t,
	    struct cluster_match *out);
/*
 * Scores doc against one given story (for --why): text similarity
 * alone, no time; 0 when unknown.
 */
double	 cluster_score(struct cluster *, const struct cluster_doc *,
	    int64_t story, struct cluster_match *out);
/*
 * Adds doc (published at t) to story, creating the story if new; story
 * ids are non-zero.  Over max_items, evicts the stories with the oldest
 * last item (undated ones first), never story itself.  -1: OOM, the
 * index must then be freed.
 */
int	 cluster_add(struct cluster *, const struct cluster_doc *, int64_t story,
	    int64_t t);

/*
 * Folds story from into story into: their term counts and time ranges
 * are summed, into keeps the newest kept items of both, and from leaves
 * the index (its postings go).  0: merged;
 * 1: either is not in the index or they are the same, nothing done;
 * -1: out of memory, the index is then half-merged and must be freed.
 */
int	 cluster_merge(struct cluster *, int64_t from, int64_t into);

/* 1 when story is in the index. */
int	 cluster_has(const struct cluster *, int64_t story);
/*
 * Stories held, items held (in those stories), and bytes of memory held
 * (approximate, for the bench).
 */
size_t	 cluster_stories(const struct cluster *);
size_t	 cluster_items(const struct cluster *);
size_t	 cluster_memory(const struct cluster *);

/*
 * The normalized words of text, skeletons, stop words dropped, as one
 * space-separated malloc'd string (for tests and --why); NULL when OOM.
 */
char	*cluster_tokens(const char *text);
/*
 * The words a doc is made of, in cluster_tokens' form ("" for none):
 * all the words of a title, the first CLUSTER_SUMMARY_WORDS of a
 * summary's plain text.  NULL only when out of memory.
 */
char	*cluster_title_words(const char *title);
char	*cluster_summary_words(const char *text);
/*
 * 1 when words has the shape cluster_title_words gives: words of 1 to
 * CLUSTER_WORD_MAX bytes, one space between two, at most max of them
 * (0: any number).  For words that come from another process.
 */
int	 cluster_words_valid(const char *words, size_t max);

#endif
