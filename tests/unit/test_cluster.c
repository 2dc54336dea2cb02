/* test_cluster.c - clustering: tokens, scorer pairs, the index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "test.h"

#define T0	INT64_C(1682538060)	/* 2023-04-26T19:41:00Z */
#define HOUR	INT64_C(3600)

static void
check_tokens(const char *in, const char *want)
{
	char *got = cluster_tokens(in);

	CHECK_STR(got, want);
	free(got);
}

/* Spellings and accents meet; stop words and punctuation go. */
static void
test_tokens(void)
{
	check_tokens("Zelensky", "zelens");
	check_tokens("Zelenskyy", "zelens");
	check_tokens("ZELENSKIY", "zelens");
	check_tokens("Riabikin", "riabik");
	check_tokens("Ryabikin", "riabik");
	check_tokens("Ukraine's Ukrainian", "ukrain ukrain");
	check_tokens("Café  Crème!", "cafe creme");
	check_tokens("The talks of the day", "talk");
	check_tokens("96 and 960", "96 960");
	check_tokens("", "");
	check_tokens(NULL, "");
	check_tokens("\xe2\x80\x94 !!!", "");
	/* Not UTF-8: no words rather than garbage. */
	check_tokens("bad \xff title", "");
}

/* A cluster seeded with unrelated stories so rarity means something. */
static struct cluster *
seeded(void)
{
	static const char *const other[] = {
		"Harry Belafonte dies at 96",
		"First Republic Bank shares fall again",
		"Sudan truce holds as evacuations continue",
		"Bank of Canada ready to raise rates",
		"Toronto council debates police budget",
		"Biden and Yoon sign nuclear deterrence pact",
		"Macron asks Xi to bring Russia to the table in Beijing",
		"Russian strike destroys Kupiansk museum, Zelensky says",
	};
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct cluster *c = cluster_new(&p);
	size_t i;

	CHECK(c != NULL);
	for (i = 0; c != NULL && i < sizeof(other) / sizeof(other[0]); i++) {
		struct cluster_doc *d = cluster_doc_new(c, other[i], NULL);

		CHECK(d != NULL);
		CHECK_INT(cluster_add(c, d, (int64_t)i + 100, T0 - HOUR), 0);
		cluster_doc_free(d);
	}
	return c;
}

/*
 * Score of b (published at tb) against a story made of a alone (at T0):
 * the match's score, time proximity included, when b joins; else the
 * text similarity alone.
 */
static double
pair(const char *a, const char *b, int64_t tb, int64_t *joined)
{
	struct cluster *c = seeded();
	struct cluster_doc *da, *db;
	struct cluster_match m;
	double s;

	da = cluster_doc_new(c, a, NULL);
	CHECK_INT(cluster_add(c, da, 1, T0), 0);
	db = cluster_doc_new(c, b, NULL);
	s = cluster_score(c, db, 1, &m);
	CHECK_INT(cluster_match(c, db, tb, &m), 0);
	*joined = m.story;
	if (m.story == 1)
		s = m.score;
	cluster_doc_free(da);
	cluster_doc_free(db);
	cluster_free(c);
	return s;
}

static void
test_pairs(void)
{
	int64_t j;
	double s;

	/* Same story, different words and spellings: high, joins. */
	s = pair("China's Xi holds first call with Zelenskiy since Russia's "
	    "invasion", "Xi holds phone talks with Ukrainian President "
	    "Zelensky", T0 + HOUR, &j);
	CHECK(s >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(j, 1);
	/*
	 * Two outlets' headlines whose words alone fall short (text 0.19)
	 * join thanks to time proximity; the same words 60 h later stay
	 * apart.
	 */
	s = pair("China's Xi speaks with Zelenskyy for first time since war",
	    "Xi holds phone talks with Ukrainian President Zelensky",
	    T0 + HOUR, &j);
	CHECK(s >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(j, 1);
	s = pair("China's Xi speaks with Zelenskyy for first time since war",
	    "Xi holds phone talks with Ukrainian President Zelensky",
	    T0 + 60 * HOUR, &j);
	CHECK(s > 0 && s < CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(j, 0);
	s = pair("China's Xi holds first call with Zelenskiy since Russia's "
	    "invasion", "Zelenskyy and Xi hold first talks since Russia's "
	    "invasion", T0 + HOUR, &j);
	CHECK(s >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(j, 1);
	/* Same names, different event: low, stays apart. */
	s = pair("China's Xi holds first call with Zelenskiy since Russia's "
	    "invasion", "Zelensky visits front line troops in Bakhmut",
	    T0 + HOUR, &j);
	CHECK(s < CLUSTER_THRESHOLD_DEFAULT);
	CHECK(j != 1);
	/* The same headline outside the time window: apart. */
	pair("Xi holds phone talks with Zelensky", "Xi holds phone talks with "
	    "Zelensky", T0 + CLUSTER_WINDOW_DEFAULT + HOUR, &j);
	CHECK_INT(j, 0);
	/* Undated: matched by text alone. */
	pair("Xi holds phone talks with Zelensky", "Xi holds phone talks with "
	    "Zelensky", CLUSTER_TIME_UNKNOWN, &j);
	CHECK_INT(j, 1);
	/* Undated: no time proximity either, the text alone must do. */
	pair("China's Xi speaks with Zelenskyy for first time since war",
	    "Xi holds phone talks with Ukrainian President Zelensky",
	    CLUSTER_TIME_UNKNOWN, &j);
	CHECK_INT(j, 0);
	/* Nothing in common at all: zero. */
	s = pair("Xi holds phone talks", "Belafonte dies", T0, &j);
	CHECK(s == 0);
}

/* An undated item joining a story leaves its time window where it was. */
static void
test_undated(void)
{
	struct cluster *c = seeded();
	struct cluster_doc *a, *b;
	struct cluster_match m;

	a = cluster_doc_new(c, "Xi holds phone talks with Zelensky", NULL);
	CHECK_INT(cluster_add(c, a, 7, T0), 0);
	CHECK_INT(cluster_add(c, a, 7, CLUSTER_TIME_UNKNOWN), 0);
	b = cluster_doc_new(c, "Xi holds phone talks with Zelensky", NULL);
	CHECK_INT(cluster_match(c, b, T0 + HOUR, &m), 0);
	CHECK_INT(m.story, 7);
	CHECK_INT(cluster_match(c, b, T0 + CLUSTER_WINDOW_DEFAULT + HOUR, &m),
	    0);
	CHECK_INT(m.story, 0);
	/* A story of undated items only: any time may join it. */
	CHECK_INT(cluster_add(c, a, 8, CLUSTER_TIME_UNKNOWN), 0);
	CHECK_INT(cluster_score(c, b, 8, &m) > 0.9, 1);
	CHECK_INT(cluster_match(c, b, T0 + 1000 * HOUR, &m), 0);
	CHECK_INT(m.story, 8);
	cluster_doc_free(a);
	cluster_doc_free(b);
	cluster_free(c);
}

/*
 * The window's edges, on both sides of a story spanning T0 .. T0 + HOUR:
 * strictly within is in, exactly a window away is out; no window (0)
 * or an undated item takes any time.
 */
static void
test_window_edges(void)
{
	static const struct {
		int64_t	 window;
		int64_t	 t;
		int64_t	 story;		/* joined, 0: apart */
	} cases[] = {
		{ CLUSTER_WINDOW_DEFAULT, T0 + HOUR + CLUSTER_WINDOW_DEFAULT - 1,
		    7 },
		{ CLUSTER_WINDOW_DEFAULT, T0 + HOUR + CLUSTER_WINDOW_DEFAULT, 0 },
		{ CLUSTER_WINDOW_DEFAULT, T0 - CLUSTER_WINDOW_DEFAULT + 1, 7 },
		{ CLUSTER_WINDOW_DEFAULT, T0 - CLUSTER_WINDOW_DEFAULT, 0 },
		{ CLUSTER_WINDOW_DEFAULT, CLUSTER_TIME_UNKNOWN, 7 },
		{ 0, T0 + 1000 * HOUR, 7 },
		{ 0, T0 - 1000 * HOUR, 7 },
	};
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT, 0,
	    CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct cluster *c;
	struct cluster_doc *a, *b;
	struct cluster_match m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.window = cases[i].window;
		c = cluster_new(&p);
		CHECK(c != NULL);
		a = cluster_doc_new(c, "Xi holds phone talks with Zelensky",
		    NULL);
		CHECK_INT(cluster_add(c, a, 7, T0), 0);
		CHECK_INT(cluster_add(c, a, 7, T0 + HOUR), 0);
		/* Its words are known now. */
		b = cluster_doc_new(c, "Xi holds phone talks with Zelensky",
		    NULL);
		CHECK_INT(cluster_match(c, b, cases[i].t, &m), 0);
		CHECK_INT(m.story, cases[i].story);
		cluster_doc_free(a);
		cluster_doc_free(b);
		cluster_free(c);
	}
}

/*
 * A story is scored by its closest items: a loose item that joined a
 * story of six does not dilute it (a centroid would drift).
 */
static void
test_nearest(void)
{
	struct cluster *c = seeded();
	struct cluster_doc *a, *b, *x;
	struct cluster_match m;
	double before, after;
	int i;

	a = cluster_doc_new(c, "Xi holds phone talks with Zelensky", NULL);
	b = cluster_doc_new(c, "Zelensky and Xi hold first phone call", NULL);
	x = cluster_doc_new(c, "Toronto council debates police budget again",
	    NULL);
	for (i = 0; i < 6; i++)
		CHECK_INT(cluster_add(c, a, 7, T0), 0);
	before = cluster_score(c, b, 7, &m);
	CHECK(before >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK_INT(cluster_add(c, x, 7, T0), 0);
	after = cluster_score(c, b, 7, &m);
	CHECK(after > before * 0.95);
	cluster_doc_free(a);
	cluster_doc_free(b);
	cluster_doc_free(x);
	cluster_free(c);
}

/* --why: the shared terms, the rarest-weighted first. */
static void
test_why(void)
{
	struct cluster *c = seeded();
	struct cluster_doc *a, *b;
	struct cluster_match m;
	int i, zel = 0;

	a = cluster_doc_new(c, "Xi speaks with Zelensky for first time", NULL);
	CHECK_INT(cluster_add(c, a, 7, T0), 0);
	b = cluster_doc_new(c, "Zelenskyy and Xi hold first talks", NULL);
	CHECK(cluster_score(c, b, 7, &m) > 0);
	CHECK_INT(m.story, 7);
	for (i = 0; i < CLUSTER_WHY_TERMS; i++)
		zel |= strcmp(m.terms[i], "zelens") == 0;
	CHECK(zel);
	CHECK(cluster_score(c, b, 999, &m) == 0);
	CHECK_INT(m.story, 0);
	CHECK_INT(cluster_stories(c), 9);
	CHECK(cluster_memory(c) > 0);
	cluster_doc_free(a);
	cluster_doc_free(b);
	cluster_free(c);
	cluster_free(NULL);
	cluster_doc_free(NULL);
}

/* Adds a headline to story id of c at time t. */
static void
add(struct cluster *c, const char *title, int64_t id, int64_t t)
{
	struct cluster_doc *d = cluster_doc_new(c, title, NULL);

	CHECK(d != NULL);
	CHECK_INT(cluster_add(c, d, id, t), 0);
	cluster_doc_free(d);
}

/* cluster_match on a headline at t. */
static void
match(struct cluster *c, const char *title, int64_t t, struct cluster_match *m)
{
	struct cluster_doc *d = cluster_doc_new(c, title, NULL);

	CHECK(d != NULL);
	CHECK_INT(cluster_match(c, d, t, m), 0);
	cluster_doc_free(d);
}

/*
 * Two stories of one event, then an item that matches both: it proves
 * them one, the earlier id survives, the later one leaves the index.
 */
static void
test_merge(void)
{
	struct cluster *c = seeded();
	struct cluster_match m;
	size_t n;

	add(c, "Xi and Zelensky hold phone call", 1, T0);
	add(c, "Zelenskyy calls China's Xi: first talks since the invasion",
	    2, T0 + HOUR);
	n = cluster_stories(c);
	/* The bridge matches story 2 best; story 1 survives all the same. */
	match(c, "Xi and Zelensky hold first phone talks since the invasion",
	    T0 + 2 * HOUR, &m);
	CHECK_INT(m.story, 1);
	CHECK_INT(m.merged, 2);
	CHECK(m.score >= CLUSTER_MERGE_THRESHOLD_DEFAULT);
	CHECK(m.merged_score >= CLUSTER_MERGE_THRESHOLD_DEFAULT);
	CHECK(m.pair_score >= CLUSTER_THRESHOLD_DEFAULT);
	CHECK(m.terms[0][0] != '\0');

	CHECK_INT(cluster_merge(c, 2, 1), 0);
	CHECK_INT(cluster_has(c, 2), 0);
	CHECK_INT(cluster_has(c, 1), 1);
	CHECK_INT(cluster_stories(c), n - 1);
	/* Again, unknown, itself, no story: nothing to do. */
	CHECK_INT(cluster_merge(c, 2, 1), 1);
	CHECK_INT(cluster_merge(c, 1, 999), 1);
	CHECK_INT(cluster_merge(c, 1, 1), 1);
	CHECK_INT(cluster_merge(c, 0, 1), 1);
	/* Story 2's own words now find story 1, and no merge is left. */
	match(c, "Zelenskyy calls China's Xi: first talks since the invasion",
	    T0 + 3 * HOUR, &m);
	CHECK_INT(m.story, 1);
	CHECK_INT(m.merged, 0);
	/* Story 1 holds story 2's time range: joinable from it. */
	match(c, "Zelenskyy calls China's Xi: first talks since the invasion",
	    T0 + HOUR + CLUSTER_WINDOW_DEFAULT - 60, &m);
	CHECK_INT(m.story, 1);
	cluster_free(c);
}

/*
 * Rarity is counted mostly in stories: two stories merged are one, so
 * the index must score as if their items had been one story all along
 * (a word both held counts once, the stories one fewer, the survivor's
 * norms recomputed).  Scores are compared to the last bit.
 */
static void
test_merge_rarity(void)
{
	static const char *const x[] = {
		"Xi and Zelensky hold phone call",
		"Zelensky calls Xi for the first time since the invasion",
		"Xi holds phone talks with Ukrainian President Zelensky",
		"China's Xi speaks with Zelenskyy for first time since war",
	};
	struct cluster *a = seeded(), *b = seeded();
	struct cluster_doc *da, *db;
	struct cluster_match m;
	double sa, sb;
	size_t i;

	for (i = 0; i < 4; i++) {
		add(a, x[i], i < 2 ? 1 : 2, T0 + (int64_t)i * HOUR);
		add(b, x[i], 1, T0 + (int64_t)i * HOUR);
	}
	CHECK_INT(cluster_merge(a, 2, 1), 0);
	da = cluster_doc_new(a, "Xi and Zelensky talk by phone", NULL);
	db = cluster_doc_new(b, "Xi and Zelensky talk by phone", NULL);
	CHECK(da != NULL && db != NULL);
	sa = cluster_score(a, da, 1, &m);
	sb = cluster_score(b, db, 1, &m);
	CHECK(sa > 0 && sa == sb);
	/* And a story that did not merge sees the same rarities. */
	sa = cluster_score(a, da, 106, &m);
	sb = cluster_score(b, db, 106, &m);
	CHECK(sa > 0 && sa == sb);
	cluster_doc_free(da);
	cluster_doc_free(db);
	cluster_free(a);
	cluster_free(b);
}

/*
 * A merge keeps the newest kept items of both stories (32 in all): the
 * merged story's items score for the survivor when they are newer, and
 * the oldest go when the two hold more than a ring together.
 */
static void
test_merge_items(void)
{
	static const char *const a = "Xi and Zelensky hold phone call";
	static const char *const b = "Sudan truce holds as evacuations continue";
	struct cluster *c = seeded();
	struct cluster_doc *db;
	struct cluster_match m;
	double before;
	int i;

	db = cluster_doc_new(c, b, NULL);
	CHECK(db != NULL);
	/* Story 1: 30 older items; story 2: 10 newer ones. */
	for (i = 0; i < 30; i++)
		add(c, a, 1, T0);
	for (i = 0; i < 10; i++)
		add(c, b, 2, T0 + HOUR);
	before = cluster_score(c, db, 2, &m);
	CHECK(before > 0.9);
	CHECK_INT(cluster_merge(c, 2, 1), 0);
	CHECK(cluster_score(c, db, 1, &m) > before - 0.01);
	/* The ring still takes items where it left off. */
	for (i = 0; i < 40; i++)
		add(c, a, 1, T0 + 2 * HOUR);
	CHECK(cluster_score(c, db, 1, &m) < 0.5);
	cluster_free(c);

	/* Story 3's 5 items are older than story 4's 32: they go. */
	c = seeded();
	for (i = 0; i < 5; i++)
		add(c, b, 3, T0);
	for (i = 0; i < 32; i++)
		add(c, a, 4, T0 + HOUR);
	CHECK_INT(cluster_merge(c, 3, 4), 0);
	CHECK(cluster_score(c, db, 4, &m) < 0.5);
	/* A small merged ring grows past its size again. */
	for (i = 0; i < 3; i++)
		add(c, b, 5, T0);
	add(c, a, 6, T0);
	CHECK_INT(cluster_merge(c, 6, 5), 0);
	for (i = 0; i < 40; i++)
		add(c, b, 5, T0 + HOUR);
	CHECK(cluster_score(c, db, 5, &m) > 0.9);
	CHECK_INT(cluster_stories(c), 8 + 2);
	cluster_doc_free(db);
	cluster_free(c);
}

/*
 * max_items: past the cap the stories whose last item is oldest leave
 * the index (an eighth below the cap), postings and all; a story with a
 * new item stays however old its first; merges still work after.
 */
static void
test_evict(void)
{
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT, 0,
	    CLUSTER_MERGE_THRESHOLD_DEFAULT, 80 };
	struct cluster *c = cluster_new(&p), *big;
	struct cluster_match m;
	char title[128];
	int64_t id;
	size_t capped;

	CHECK(c != NULL);
	p.max_items = 0;
	big = cluster_new(&p);
	CHECK(big != NULL);
	/* Story 1 began first, but gets a new item every 50. */
	add(c, "Xi and Zelensky hold phone call", 1, T0);
	for (id = 2; id <= 200; id++) {
		snprintf(title, sizeof(title), "Story %lld word%lld zq%lldx "
		    "report", (long long)id, (long long)id, (long long)id * 7);
		add(c, title, id, T0 + id * HOUR);
		add(big, title, id, T0 + id * HOUR);
		if (id % 50 == 0)
			add(c, "Zelensky and Xi phone call", 1, T0 + id * HOUR);
		CHECK(cluster_items(c) <= 80);
	}
	CHECK(cluster_items(c) >= 70);
	CHECK(cluster_stories(c) < cluster_items(c));
	CHECK_INT(cluster_has(c, 2), 0);
	CHECK_INT(cluster_has(c, 100), 0);
	CHECK_INT(cluster_has(c, 200), 1);
	CHECK_INT(cluster_has(c, 1), 1);
	capped = cluster_memory(c);
	/* Terms stay (most of this small index), stories go. */
	CHECK(capped < cluster_memory(big));
	/* An evicted story's words find nothing; a held one's find it. */
	match(c, "Story 100 word100 zq700x report", T0 + 100 * HOUR, &m);
	CHECK(m.story != 100);
	match(c, "Story 199 word199 zq1393x report", T0 + 199 * HOUR, &m);
	CHECK_INT(m.story, 199);
	match(c, "Xi and Zelensky phone call", T0 + 201 * HOUR, &m);
	CHECK_INT(m.story, 1);
	/* The packed table still merges and evicts. */
	CHECK_INT(cluster_merge(c, 200, 199), 0);
	CHECK_INT(cluster_has(c, 200), 0);
	for (id = 201; id <= 300; id++) {
		snprintf(title, sizeof(title), "Later %lld wordl%lld",
		    (long long)id, (long long)id);
		add(c, title, id, T0 + id * HOUR);
	}
	CHECK(cluster_items(c) <= 80);
	CHECK_INT(cluster_has(c, 199), 0);
	CHECK_INT(cluster_has(c, 300), 1);
	match(c, "Later 300 wordl300", T0 + 300 * HOUR, &m);
	CHECK_INT(m.story, 300);
	cluster_free(c);
	cluster_free(big);
}

/* What must not merge: merges off, unlike stories, stories far apart. */
static void
test_no_merge(void)
{
	struct cluster_params off = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, 0, 0 };
	struct cluster *c = cluster_new(&off);
	struct cluster_match m;

	/* merge_threshold 0: the best story only. */
	CHECK(c != NULL);
	add(c, "Xi and Zelensky hold phone call", 1, T0);
	add(c, "Zelenskyy calls China's Xi: first talks since the invasion",
	    2, T0 + HOUR);
	match(c, "Xi and Zelensky hold first phone talks since the invasion",
	    T0 + 2 * HOUR, &m);
	CHECK_INT(m.story, 2);
	CHECK_INT(m.merged, 0);
	cluster_free(c);

	/* Two unlike stories one broad item touches: no chain. */
	c = seeded();
	add(c, "Xi Zelensky phone call", 1, T0);
	add(c, "Macron Beijing visit trade", 2, T0);
	match(c, "Xi Zelensky phone call Macron Beijing visit trade", T0 + HOUR,
	    &m);
	CHECK(m.story == 1 || m.story == 2);
	CHECK_INT(m.merged, 0);
	cluster_free(c);

	/* An undated item matches both, but they are a month apart. */
	c = seeded();
	add(c, "Xi and Zelensky hold phone call", 1, T0);
	add(c, "Zelenskyy calls China's Xi: first talks since the invasion",
	    2, T0 + 30 * 24 * HOUR);
	match(c, "Xi and Zelensky hold first phone talks since the invasion",
	    CLUSTER_TIME_UNKNOWN, &m);
	CHECK(m.story != 0);
	CHECK_INT(m.merged, 0);
	cluster_free(c);
}

int
main(void)
{
	test_tokens();
	test_pairs();
	test_undated();
	test_window_edges();
	test_nearest();
	test_why();
	test_merge();
	test_merge_items();
	test_merge_rarity();
	test_evict();
	test_no_merge();
	return TEST_DONE();
}
