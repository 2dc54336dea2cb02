/*
 * test_derive.c - the text work a parser worker does for the store
 * (daemon/derive.c): through the worker's JSON and into a store, real
 * feeds give the same title keys, canonical links, stories, scores and
 * search index as when the store does the work itself; a reply with a
 * malformed derived block is refused; `tidings parse` output is
 * unchanged.
 */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "test.h"
#include "cluster.h"
#include "derive.h"
#include "store_fts.h"
#include "feed.h"
#include "feedjson.h"
#include "html.h"
#include "parse.h"
#include "store.h"
#include "story.h"
#include "url.h"
#include "util.h"

#define T0		INT64_C(1682538060)	/* 2023-04-26T19:41:00Z */
#define HOUR		INT64_C(3600)
#define XI_FEEDS	"tests/fixtures/xi-zelensky/feeds"
#define REALWORLD	"tests/conformance/realworld"
#define MAX_FEEDS	256
#define MAX_BODY	(8 * 1024 * 1024)
/* Past the store's STORE_MAX_SUMMARY (256 KiB): stored cut. */
#define BIG_SUMMARY	(300 * 1024)
/* Enough summary text for more than one FTS statement (4 MiB each). */
#define WIDE_ITEMS	24
#define WIDE_SUMMARY	(200 * 1024)
#define NSTORES		2

static char *feeds[MAX_FEEDS];
static size_t nfeeds;

static int	add_item(struct feed_doc *, const char *, const char *,
		    const char *, char *, int64_t);

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long size;
	size_t n;

	if (f == NULL)
		return NULL;
	/* Sized to the file: an 8 MiB buffer per read is slow under ASan. */
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    size <= MAX_BODY && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)size + 1)) != NULL) {
		n = fread(b, 1, (size_t)size, f);
		b[n] = '\0';
		*len = n;
	}
	fclose(f);
	return b;
}

static int
feed_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t n = strlen(path);

	if (type != FTW_F || nfeeds == MAX_FEEDS)
		return 0;
	if ((n > 4 && (strcmp(path + n - 4, ".xml") == 0 ||
	    strcmp(path + n - 4, ".rss") == 0)) ||
	    (n > 5 && strcmp(path + n - 5, ".atom") == 0))
		feeds[nfeeds++] = str_dup(path);
	return 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What the daemon gets from a worker for doc: the reply's JSON decoded,
 * with (with 1) or without the derived block.  0 on success.
 */
static int
through_worker(const struct feed_doc *doc, int with, struct feed_doc *out)
{
	json_t *root, *back;
	char *text, *block = NULL;
	size_t blen = 0;
	int rc = -1;

	feed_doc_init(out);
	if ((root = feedjson_encode(doc)) == NULL)
		return -1;
	if ((text = json_dumps(root, JSON_COMPACT)) != NULL) {
		if ((back = json_loads(text, 0, NULL)) != NULL) {
			if (feedjson_decode(back, out) == 0)
				rc = 0;
			json_decref(back);
		}
		free(text);
	}
	json_decref(root);
	if (rc == 0 && with)
		rc = derive_encode(doc, &block, &blen) == 0 ?
		    derive_decode(block, blen, out) : -1;
	free(block);
	return rc;
}

/* Parses a file as a worker does; 0 when it is a feed. */
static int
parse_path(const char *path, struct feed_doc *doc)
{
	size_t len;
	char *body = read_file(path, &len);
	int rc;

	feed_doc_init(doc);
	if (body == NULL)
		return -1;
	rc = parse_feed(body, len, "https://feeds.example/feed.xml", NULL,
	    doc);
	free(body);
	if (rc == 0) {
		derive_doc(doc);
		parse_clamp_future(doc, T0);
	}
	return rc;
}

/* Every item of a parsed feed: the worker's fields are the store's. */
static void
check_derived(const struct feed_doc *d)
{
	size_t i;

	for (i = 0; i < d->nitems; i++) {
		const struct feed_item *it = &d->items[i];
		char *text, *key, *canon, *tw, *sw;

		CHECK(it->derived.set);
		text = it->summary != NULL ?
		    html_to_text(it->summary, strlen(it->summary)) : NULL;
		key = story_title_key(it->title);
		canon = it->link != NULL ? url_canonical(it->link) : NULL;
		tw = cluster_tokens(it->title);
		sw = cluster_summary_words(text);
		CHECK_STR(it->derived.summary_text, text);
		CHECK_STR(it->derived.title_key, key);
		CHECK_STR(it->derived.canonical, canon);
		CHECK_STR(it->derived.title_words, tw);
		CHECK_STR(it->derived.summary_words, sw);
		CHECK(cluster_words_valid(it->derived.title_words, 0));
		CHECK(cluster_words_valid(it->derived.summary_words,
		    CLUSTER_SUMMARY_WORDS));
		free(text);
		free(key);
		free(canon);
		free(tw);
		free(sw);
	}
}

/* The words of a summary are the first CLUSTER_SUMMARY_WORDS of all. */
static void
test_words(void)
{
	char long_text[4096], word[CLUSTER_WORD_MAX + 2];
	char *all, *some;
	size_t i, n;

	long_text[0] = '\0';
	for (i = 0; i < 2 * CLUSTER_SUMMARY_WORDS; i++) {
		n = strlen(long_text);
		snprintf(long_text + n, sizeof(long_text) - n, "Word%zu, ", i);
	}
	all = cluster_tokens(long_text);
	some = cluster_summary_words(long_text);
	CHECK(all != NULL && some != NULL);
	if (all != NULL && some != NULL) {
		CHECK(strncmp(all, some, strlen(some)) == 0);
		CHECK(all[strlen(some)] == ' ');
		CHECK(cluster_words_valid(some, CLUSTER_SUMMARY_WORDS));
		CHECK(!cluster_words_valid(all, CLUSTER_SUMMARY_WORDS));
		CHECK(cluster_words_valid(all, 0));
	}
	free(all);
	free(some);
	some = cluster_summary_words(NULL);
	CHECK_STR(some, "");
	free(some);

	CHECK(cluster_words_valid("", 0));
	CHECK(cluster_words_valid("zelens xi 96", 3));
	CHECK(!cluster_words_valid("zelens xi 96", 2));
	CHECK(!cluster_words_valid(" xi", 0));
	CHECK(!cluster_words_valid("xi ", 0));
	CHECK(!cluster_words_valid("xi  talk", 0));
	memset(word, 'a', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	CHECK(!cluster_words_valid(word, 0));
	word[CLUSTER_WORD_MAX] = '\0';
	CHECK(cluster_words_valid(word, 0));
}

/*
 * Two indexes fed the same items, one through cluster_doc_new, the other
 * through the worker's words: every match the same.
 */
static void
test_docs(void)
{
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	struct cluster *ca = cluster_new(&p), *cb = cluster_new(&p);
	struct cluster_match ma, mb;
	struct feed_doc doc;
	int64_t next = 1, t;
	size_t f, i, joined = 0, differ = 0;
	char *text;

	CHECK(ca != NULL && cb != NULL);
	for (f = 0; f < nfeeds && ca != NULL && cb != NULL; f++) {
		if (parse_path(feeds[f], &doc) != 0) {
			feed_doc_free(&doc);
			continue;
		}
		for (i = 0; i < doc.nitems; i++) {
			const struct feed_item *it = &doc.items[i];
			struct cluster_doc *da, *db;

			text = it->summary != NULL ?
			    html_to_text(it->summary, strlen(it->summary)) :
			    NULL;
			da = cluster_doc_new(ca, it->title, text);
			db = cluster_doc_from_words(cb, it->derived.title_words,
			    it->derived.summary_words);
			free(text);
			CHECK(da != NULL && db != NULL);
			t = it->published != TIME_NONE ? it->published : T0;
			if (da != NULL && db != NULL) {
				cluster_match(ca, da, t, &ma);
				cluster_match(cb, db, t, &mb);
				if (ma.story != mb.story || ma.score != mb.score ||
				    ma.merged != mb.merged ||
				    memcmp(ma.terms, mb.terms,
				    sizeof(ma.terms)) != 0)
					differ++;
				if (ma.merged != 0) {
					cluster_merge(ca, ma.merged, ma.story);
					cluster_merge(cb, mb.merged, mb.story);
				}
				if (ma.story != 0)
					joined++;
				else
					ma.story = mb.story = next++;
				CHECK(cluster_add(ca, da, ma.story, t) == 0);
				CHECK(cluster_add(cb, db, mb.story, t) == 0);
			}
			cluster_doc_free(da);
			cluster_doc_free(db);
		}
		feed_doc_free(&doc);
	}
	CHECK_INT(differ, 0);
	CHECK(joined > 0);	/* the feeds have stories in common */
	CHECK_INT(cluster_stories(ca), cluster_stories(cb));
	cluster_free(ca);
	cluster_free(cb);
}

/* The worker's reply carries the fields and `tidings parse` shows none. */
static void
test_wire(void)
{
	struct feed_doc doc, back, plain;
	json_t *pa, *pb;
	char *ta, *tb;
	size_t f, i, items = 0;

	for (f = 0; f < nfeeds; f++) {
		if (parse_path(feeds[f], &doc) != 0) {
			feed_doc_free(&doc);
			continue;
		}
		check_derived(&doc);
		CHECK_INT(through_worker(&doc, 1, &back), 0);
		CHECK_INT(back.nitems, doc.nitems);
		for (i = 0; i < back.nitems && i < doc.nitems; i++) {
			const struct feed_derived *a = &doc.items[i].derived;
			const struct feed_derived *b = &back.items[i].derived;

			CHECK(b->set);
			CHECK_STR(b->summary_text, a->summary_text);
			CHECK_STR(b->title_key, a->title_key);
			CHECK_STR(b->canonical, a->canonical);
			CHECK_STR(b->title_words, a->title_words);
			CHECK_STR(b->summary_words, a->summary_words);
			items++;
		}
		/* The public face does not change with them. */
		CHECK_INT(through_worker(&doc, 0, &plain), 0);
		pa = feedjson_encode_public(&doc);
		pb = feedjson_encode_public(&plain);
		ta = pa != NULL ? json_dumps(pa, JSON_COMPACT) : NULL;
		tb = pb != NULL ? json_dumps(pb, JSON_COMPACT) : NULL;
		CHECK(ta != NULL);
		CHECK_STR(ta, tb);
		free(ta);
		free(tb);
		json_decref(pa);
		json_decref(pb);
		feed_doc_free(&plain);
		feed_doc_free(&back);
		feed_doc_free(&doc);
	}
	CHECK(items > 0);
}

/* A derived block built by hand, bytes and all. */
struct blk {
	char	 b[512];
	size_t	 n;
};

static void
blk_byte(struct blk *k, int c)
{
	if (k->n < sizeof(k->b))
		k->b[k->n++] = (char)c;
}

/* One field: its length (DERIVE_NULL for s NULL), then n bytes of s. */
static void
blk_field(struct blk *k, const char *s, size_t n)
{
	uint32_t len = s != NULL ? (uint32_t)n : DERIVE_NULL;
	size_t i;

	for (i = 0; i < sizeof(len); i++)
		blk_byte(k, ((unsigned char *)&len)[i]);
	for (i = 0; s != NULL && i < n; i++)
		blk_byte(k, s[i]);
}

/* A derived item: field f is v (its strlen), the others NULL. */
static void
blk_item(struct blk *k, int f, const char *v)
{
	int i;

	blk_byte(k, 1);
	for (i = 0; i < 5; i++)
		blk_field(k, i == f ? v : NULL, i == f ? strlen(v) : 0);
}

/* A document of n items titled "a", "b"... for a block to go with. */
static void
items_doc(struct feed_doc *d, size_t n)
{
	char t[2] = "a";
	size_t i;

	feed_doc_init(d);
	for (i = 0; i < n; i++, t[0]++)
		add_item(d, NULL, t, NULL, NULL, TIME_NONE);
}

/* A worker's reply is untrusted: a malformed block fails cleanly. */
static void
test_hostile(void)
{
	char word[CLUSTER_WORD_MAX + 2];
	struct feed_doc d;
	struct blk k;
	int f;

	memset(word, 'a', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	/* Refused: each case one document of one item. */
#define REFUSED(build) do {						\
	memset(&k, 0, sizeof(k));					\
	build;								\
	items_doc(&d, 1);						\
	CHECK_INT(derive_decode(k.b, k.n, &d), -1);			\
	feed_doc_free(&d);						\
} while (0)
	REFUSED(blk_byte(&k, 2));				/* flag */
	REFUSED((blk_byte(&k, 1), blk_byte(&k, 0)));		/* cut length */
	REFUSED((blk_byte(&k, 1), blk_field(&k, "abc", 2)));	/* cut field */
	REFUSED(blk_item(&k, 1, "bad \xff key"));		/* not UTF-8 */
	REFUSED((blk_byte(&k, 1), blk_field(&k, "a\0b", 3),
	    blk_field(&k, NULL, 0), blk_field(&k, NULL, 0),
	    blk_field(&k, NULL, 0), blk_field(&k, NULL, 0)));	/* NUL */
	REFUSED(blk_item(&k, 3, "xi  talk"));
	REFUSED(blk_item(&k, 3, " xi"));
	REFUSED(blk_item(&k, 3, word));				/* word too long */
	REFUSED(blk_item(&k, 4, "a b c d e f g h i j k l m n o p q r s t u v"
	    " w x y z"));					/* > 25 words */
	REFUSED((blk_item(&k, 1, "key"), blk_byte(&k, 0)));	/* left over */
	REFUSED((blk_byte(&k, 0), blk_byte(&k, 0)));		/* two for one */
	memset(&k, 0, sizeof(k));
	blk_byte(&k, 0);
	items_doc(&d, 2);
	CHECK_INT(derive_decode(k.b, k.n, &d), -1);		/* one for two */
	feed_doc_free(&d);
#undef REFUSED

	/* No block: the store's work; 0: the same; all NULL: no results. */
	items_doc(&d, 1);
	CHECK_INT(derive_decode(NULL, 0, &d), 0);
	CHECK(!d.items[0].derived.set);
	feed_doc_free(&d);
	memset(&k, 0, sizeof(k));
	blk_byte(&k, 0);
	blk_byte(&k, 1);
	for (f = 0; f < 5; f++)
		blk_field(&k, NULL, 0);
	blk_byte(&k, 1);
	blk_field(&k, "Xi talks", 8);
	blk_field(&k, "xi talks", 8);
	blk_field(&k, "https://e.example/", 18);
	blk_field(&k, "xi talk", 7);
	blk_field(&k, "", 0);
	items_doc(&d, 3);
	CHECK_INT(derive_decode(k.b, k.n, &d), 0);
	CHECK(!d.items[0].derived.set);
	CHECK(d.items[1].derived.set);
	CHECK(d.items[1].derived.title_key == NULL);
	CHECK(d.items[1].derived.summary_words == NULL);
	CHECK(d.items[2].derived.set);
	CHECK_STR(d.items[2].derived.summary_text, "Xi talks");
	CHECK_STR(d.items[2].derived.title_key, "xi talks");
	CHECK_STR(d.items[2].derived.canonical, "https://e.example/");
	CHECK_STR(d.items[2].derived.title_words, "xi talk");
	CHECK_STR(d.items[2].derived.summary_words, "");
	feed_doc_free(&d);
}

/* A feed built here: what parsed fixtures lack. */
static int
add_item(struct feed_doc *d, const char *guid, const char *title,
    const char *link, char *summary, int64_t published)
{
	struct feed_item *it = feed_doc_add_item(d);

	if (it == NULL)
		return -1;
	it->guid = guid != NULL ? str_dup(guid) : NULL;
	it->title = title != NULL ? str_dup(title) : NULL;
	it->link = link != NULL ? str_dup(link) : NULL;
	it->summary = summary;
	it->published = published;
	return 0;
}

/* A summary of n bytes: HTML words with quotes, backslashes, controls. */
static char *
summary_of(size_t n, unsigned seed)
{
	static const char *const words[] = {
		"<p>Kyiv", "\"talks\"", "back\\slash", "tab\there",
		"Zelenskyy&nbsp;said", "<b>Xi</b>", "caf\xc3\xa9", "\x01ctl",
		"ambassador</p>", "&amp;",
	};
	char *s = malloc(n + 1);
	size_t len = 0, w;

	if (s == NULL)
		return NULL;
	while (len < n) {
		w = (seed++ * 7u) % (sizeof(words) / sizeof(words[0]));
		len += (size_t)snprintf(s + len, n + 1 - len, "%s ", words[w]);
	}
	s[n] = '\0';
	return s;
}

/*
 * Items the fixtures lack: the same guid twice in one document with
 * other summaries (the last is stored and indexed), a summary stored
 * cut, summaries enough for several index statements, no title words,
 * no http link, no summary.  round 1: the same guids, other text.
 */
static int
synthetic(struct feed_doc *d, int round)
{
	char guid[32], title[96];
	size_t i;
	int rc = 0;

	feed_doc_init(d);
	rc |= add_item(d, "dup", "Xi and Zelensky speak", "https://e.example/d",
	    summary_of(200, 1 + round), T0);
	rc |= add_item(d, "dup", "Xi and Zelensky speak by phone",
	    "https://e.example/d", summary_of(300, 2 + round), T0);
	rc |= add_item(d, "big", "Ukraine names ambassador to China",
	    "HTTPS://E.Example:443/big?utm_source=x#frag",
	    summary_of(BIG_SUMMARY, 3 + round), T0 + HOUR);
	rc |= add_item(d, "none", "!!! ...", "ftp://e.example/x", NULL,
	    TIME_NONE);
	rc |= add_item(d, NULL, NULL, "https://e.example/only-link",
	    str_dup("   "), T0);
	for (i = 0; i < WIDE_ITEMS; i++) {
		snprintf(guid, sizeof(guid), "wide%zu", i);
		snprintf(title, sizeof(title), "Envoy Li Hui visits Kyiv, "
		    "report %zu", i % 3);
		rc |= add_item(d, guid, title, NULL,
		    summary_of(WIDE_SUMMARY, (unsigned)(i + round)),
		    T0 + (int64_t)i * 60);
	}
	if (rc != 0)
		return -1;
	derive_doc(d);
	return 0;
}

static void
db_remove(const char *dir)
{
	static const char *const files[] = {
		"tidings.db", "tidings.db-wal", "tidings.db-shm",
		"tidings.db.search", "tidings.db.search-wal",
		"tidings.db.search-shm",
	};
	char path[160];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Every row of sql as one string: columns between '|', rows on lines. */
static char *
dump(const char *dbpath, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL, *np;
	size_t len = 0, cap = 0, n;
	const char *v;
	int i, ncol;

	char search[PATH_MAX];

	/* The search index (store_fts.h) is there as "search". */
	snprintf(search, sizeof(search), "ATTACH '%s.search' AS search",
	    dbpath);
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_exec(db, search, NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		goto done;
	}
	ncol = sqlite3_column_count(st);
	if ((out = strdup("")) == NULL)
		goto done;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < ncol; i++) {
			if ((v = (const char *)sqlite3_column_text(st, i)) == NULL)
				v = "NULL";
			n = strlen(v);
			if (len + n + 2 > cap) {
				cap = (len + n + 2) * 2;
				if ((np = realloc(out, cap)) == NULL) {
					free(out);
					out = NULL;
					goto done;
				}
				out = np;
			}
			memcpy(out + len, v, n);
			len += n;
			out[len++] = i + 1 < ncol ? '|' : '\n';
			out[len] = '\0';
		}
	}
 done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static long long
count(const char *dbpath, const char *sql)
{
	char *v = dump(dbpath, sql);
	long long n = v != NULL ? strtoll(v, NULL, 10) : -1;

	free(v);
	return n;
}

/* Whether every line of part is a line of whole. */
static int
lines_in(const char *part, const char *whole)
{
	const char *p, *e;
	char line[128];

	for (p = part; *p != '\0'; p = e + 1) {
		if ((e = strchr(p, '\n')) == NULL ||
		    (size_t)(e - p) + 3 > sizeof(line))
			return 0;
		snprintf(line, sizeof(line), "\n%.*s\n", (int)(e - p), p);
		if (strncmp(whole, line + 1, strlen(line + 1)) != 0 &&
		    strstr(whole, line) == NULL)
			return 0;
	}
	return 1;
}

/*
 * The stories as items joining them left them are the stories a full
 * refresh makes (story_joined against story_tidy); a title item kept
 * is the one a refresh finds (NULL: not known yet).
 */
static void
check_refresh(const char *path)
{
	static const char rows[] = "SELECT id, title, first_seen, published,"
	    " updated, sources FROM stories ORDER BY id";
	static const char items[] = "SELECT id, title_item FROM stories"
	    " WHERE title_item IS NOT NULL ORDER BY id";
	char err[256], *kept, *full, *kept_items, *full_items;
	struct store *s;

	kept = dump(path, rows);
	kept_items = dump(path, items);
	if ((s = store_open(path, err, sizeof(err))) != NULL) {
		CHECK_INT(store_stories_refresh(s), STORE_OK);
		store_close(s);
	}
	full = dump(path, rows);
	full_items = dump(path, items);
	CHECK(kept != NULL && full != NULL && strcmp(kept, full) == 0);
	if (kept != NULL && full != NULL && strcmp(kept, full) != 0)
		fprintf(stderr, "kept:\n%s\nrefreshed:\n%s\n", kept, full);
	CHECK(kept_items != NULL && full_items != NULL &&
	    strlen(kept_items) > 0 && lines_in(kept_items, full_items));
	free(kept);
	free(full);
	free(kept_items);
	free(full_items);
}

/* One poll of feed with doc committed; 0 on success. */
static int
commit(struct store *s, int64_t feed, const struct feed_doc *doc,
    int64_t at)
{
	struct store_fetch f;
	struct store_ingest st;

	memset(&f, 0, sizeof(f));
	f.feed_id = feed;
	f.fetched_at = at;
	f.next_poll = at + HOUR;
	f.http_status = 200;
	f.doc = doc;
	memset(&st, 0, sizeof(st));
	return store_commit_fetch(s, &f, &st) == STORE_OK ? 0 : -1;
}

/*
 * Store 0 gets the documents as a worker reply without the derived
 * fields (the store does the work), store 1 with them: the same rows.
 */
static void
test_store(void)
{
	static const char *const tables[] = {
		"SELECT id, feed_id, uid, link, canonical_link, title,"
		"  title_key, story_id, cluster_score, cluster_terms,"
		"  length(summary) FROM items ORDER BY id",
		"SELECT rowid, title, summary FROM search.items_fts"
		"  ORDER BY rowid",
		"SELECT * FROM stories ORDER BY id",
		"SELECT * FROM story_merges ORDER BY old_id",
	};
	struct cluster_params p = { CLUSTER_THRESHOLD_DEFAULT,
	    CLUSTER_WINDOW_DEFAULT, CLUSTER_MERGE_THRESHOLD_DEFAULT, 0 };
	/* paths: room for any string dirs could hold, as gcc sees it. */
	char dirs[NSTORES][64], paths[NSTORES][NSTORES * 64 + 16];
	char err[256], url[64];
	struct store *s[NSTORES];
	struct feed_doc doc, got;
	int64_t feed[NSTORES] = { 0 };
	size_t f, i, k;
	int ok;

	for (k = 0; k < NSTORES; k++) {
		snprintf(dirs[k], sizeof(dirs[k]), "/tmp/tidings-derive-XXXXXX");
		if (mkdtemp(dirs[k]) == NULL) {
			CHECK(0);
			return;
		}
		snprintf(paths[k], sizeof(paths[k]), "%s/tidings.db", dirs[k]);
		s[k] = store_open(paths[k], err, sizeof(err));
		CHECK(s[k] != NULL);
		if (s[k] == NULL)
			return;
		store_cluster_configure(s[k], &p, 1, 0);
	}
	/* Every fixture feed, then the synthetic one twice (updates). */
	for (f = 0; f <= nfeeds + 1; f++) {
		if (f < nfeeds)
			ok = parse_path(feeds[f], &doc) == 0;
		else
			ok = synthetic(&doc, (int)(f - nfeeds)) == 0;
		if (!ok) {
			feed_doc_free(&doc);
			continue;
		}
		snprintf(url, sizeof(url), "https://feed%zu.example/",
		    f < nfeeds ? f : nfeeds);
		for (k = 0; k < NSTORES; k++) {
			/* The second synthetic round polls the same feed. */
			if (f <= nfeeds)
				CHECK_INT(store_feed_add(s[k], url, NULL, NULL,
				    0, &feed[k]), STORE_OK);
			CHECK_INT(through_worker(&doc, (int)k, &got), 0);
			for (i = 0; i < got.nitems; i++)
				CHECK_INT(got.items[i].derived.set, k);
			CHECK_INT(commit(s[k], feed[k], &got,
			    T0 + (int64_t)f * HOUR), 0);
			feed_doc_free(&got);
		}
		feed_doc_free(&doc);
	}
	for (k = 0; k < NSTORES; k++) {
		store_close(s[k]);
		CHECK_INT(store_fts_catch_up(paths[k], err, sizeof(err)), 0);
		check_refresh(paths[k]);
	}

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *a = dump(paths[0], tables[i]), *b = dump(paths[1],
		    tables[i]);

		CHECK(a != NULL && b != NULL);
		if (a != NULL && b != NULL && strcmp(a, b) != 0) {
			CHECK(0);
			fprintf(stderr, "differ: %s\n", tables[i]);
		} else
			CHECK(1);
		free(a);
		free(b);
	}
	/* Not a vacuous comparison: there is clustering, search, a cut. */
	for (k = 0; k < NSTORES; k++) {
		CHECK(count(paths[k], "SELECT count(*) FROM items") > 400);
		CHECK(count(paths[k], "SELECT count(*) FROM items WHERE"
		    " cluster_score IS NOT NULL") > 10);
		CHECK(count(paths[k], "SELECT count(*) FROM search.items_fts"
		    " WHERE summary <> ''") > 400);
		CHECK_INT(count(paths[k], "SELECT count(*) FROM search.items_fts"
		    " WHERE rowid = (SELECT id FROM items WHERE uid = 'dup')"
		    " AND summary LIKE '%back\\slash%'"), 1);
		CHECK_INT(count(paths[k], "SELECT count(*) FROM items"
		    " WHERE uid = 'big' AND length(summary) < 300 * 1024"), 1);
		db_remove(dirs[k]);
	}
}

/*
 * The store takes the worker's fields as given (else the comparison
 * above proves nothing); the search index holds the text of the summary
 * as stored (cut, for one), whatever the worker said.
 */
static void
test_store_uses(void)
{
	char dir[64], path[128], err[256];
	struct feed_doc doc;
	struct store *s;
	int64_t feed = 0;
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/tidings-derive-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/tidings.db", dir);
	if ((s = store_open(path, err, sizeof(err))) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(store_feed_add(s, "https://f.example/", NULL, NULL, 0,
	    &feed), STORE_OK);
	CHECK_INT(synthetic(&doc, 0), 0);
	for (i = 0; i < doc.nitems; i++) {
		struct feed_derived *dv = &doc.items[i].derived;

		free(dv->title_key);
		free(dv->canonical);
		free(dv->summary_text);
		dv->title_key = str_dup("told key");
		dv->canonical = str_dup("https://told.example/");
		dv->summary_text = str_dup("told text");
	}
	CHECK_INT(commit(s, feed, &doc, T0), 0);
	store_close(s);
	CHECK_INT(store_fts_catch_up(path, err, sizeof(err)), 0);
	CHECK_INT(count(path, "SELECT count(*) FROM items WHERE"
	    " title_key <> 'told key' OR canonical_link <> "
	    " 'https://told.example/'"), 0);
	CHECK_INT(count(path, "SELECT count(*) FROM search.items_fts f"
	    " JOIN items i ON i.id = f.rowid WHERE i.summary IS NOT NULL"
	    " AND f.summary IS 'told text'"), 0);
	CHECK(count(path, "SELECT count(*) FROM search.items_fts") > 10);
	CHECK_INT(count(path, "SELECT count(*) FROM search.items_fts f"
	    " JOIN items i ON i.id = f.rowid WHERE i.uid = 'big' AND"
	    " f.summary LIKE '%Kyiv%'"), 1);
	feed_doc_free(&doc);
	db_remove(dir);
}

int
main(void)
{
	DIR *dir;
	struct dirent *e;
	char path[512];
	size_t i;

	parse_init();
	/* The labelled corpus first: its items cluster into stories. */
	if ((dir = opendir(XI_FEEDS)) != NULL) {
		while ((e = readdir(dir)) != NULL && nfeeds < MAX_FEEDS)
			if (strstr(e->d_name, ".xml") != NULL) {
				snprintf(path, sizeof(path), "%s/%s", XI_FEEDS,
				    e->d_name);
				feeds[nfeeds++] = str_dup(path);
			}
		closedir(dir);
	}
	qsort(feeds, nfeeds, sizeof(feeds[0]), path_cmp);
	i = nfeeds;
	nftw(REALWORLD, feed_file, 16, FTW_PHYS);
	qsort(feeds + i, nfeeds - i, sizeof(feeds[0]), path_cmp);
	CHECK(i > 10 && nfeeds > i + 100);

	test_words();
	test_docs();
	test_wire();
	test_hostile();
	test_store();
	test_store_uses();
	for (i = 0; i < nfeeds; i++)
		free(feeds[i]);
	return TEST_DONE();
}
