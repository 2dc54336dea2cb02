/*
 * test_parse_quirks.c - the parser rules of issue 3, one small case each:
 * JSON Feed and CDF input, encodings (declared names libxml2 refuses,
 * UTF-32, UTF-8 that lies), skipHours/skipDays, text and link rules,
 * future dates, and the feedjson round trip of the new fields.  Fixtures
 * are in tests/fixtures/parse/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feed.h"
#include "feedjson.h"
#include "parse.h"
#include "test.h"
#include "util.h"

#define FIXDIR		"tests/fixtures/parse/"
#define FIXTURE_MAX	(64 * 1024)
#define DAY		(24 * 60 * 60)

static int
parse_fixture(const char *name, const char *url, const char *ct,
    struct feed_doc *d)
{
	char path[256], *b;
	size_t n;
	FILE *f;
	int rc;

	feed_doc_init(d);
	snprintf(path, sizeof(path), FIXDIR "%s", name);
	if ((f = fopen(path, "rb")) == NULL || (b = malloc(FIXTURE_MAX)) ==
	    NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -2;
	}
	n = fread(b, 1, FIXTURE_MAX, f);
	fclose(f);
	rc = parse_feed(b, n, url, ct, d);
	free(b);
	return rc;
}

static int
parse_str(const char *s, const char *url, const char *ct, struct feed_doc *d)
{
	feed_doc_init(d);
	return parse_feed(s, strlen(s), url, ct, d);
}

#define RSS(body)	"<rss version=\"2.0\"><channel><title>t</title>" \
			body "</channel></rss>"

/* One minimal document per format: recognised, named, its item read. */
static void
test_formats(void)
{
	static const struct { const char *doc, *format; } cases[] = {
	    { "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
	      "xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><channel>"
	      "<title>T</title></channel><item><title>I</title><link>"
	      "https://ex.com/i</link></item></rdf:RDF>", "rss0.90" },
	    { "<rss version=\"0.91\"><channel><title>T</title><item><title>I"
	      "</title><link>https://ex.com/i</link></item></channel></rss>",
	      "rss0.91" },
	    { "<rss version=\"0.92\"><channel><title>T</title><item><title>I"
	      "</title><link>https://ex.com/i</link></item></channel></rss>",
	      "rss0.92" },
	    { "<rss version=\"0.93\"><channel><title>T</title><item><title>I"
	      "</title><link>https://ex.com/i</link></item></channel></rss>",
	      "rss0.93" },
	    { "<rss version=\"0.94\"><channel><title>T</title><item><title>I"
	      "</title><link>https://ex.com/i</link></item></channel></rss>",
	      "rss0.94" },
	    { "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
	      "xmlns=\"http://purl.org/rss/1.0/\"><channel><title>T</title>"
	      "</channel><item rdf:about=\"https://ex.com/i\"><title>I</title>"
	      "<link>https://ex.com/i</link></item></rdf:RDF>", "rss1.0" },
	    { "<rss version=\"2.0\"><channel><title>T</title><item><title>I"
	      "</title><link>https://ex.com/i</link></item></channel></rss>",
	      "rss2.0" },
	    { "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>"
	      "T</title><entry><title>I</title><link rel=\"alternate\" "
	      "href=\"https://ex.com/i\"/></entry></feed>", "atom0.3" },
	    { "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>"
	      "<entry><title>I</title><link href=\"https://ex.com/i\"/></entry>"
	      "</feed>", "atom1.0" },
	    { "{\"version\": \"https://jsonfeed.org/version/1\", \"title\": "
	      "\"T\", \"items\": [{\"id\": \"1\", \"title\": \"I\", \"url\": "
	      "\"https://ex.com/i\"}]}", "jsonfeed1.0" },
	    { "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": "
	      "\"T\", \"items\": [{\"id\": \"1\", \"title\": \"I\", \"url\": "
	      "\"https://ex.com/i\"}]}", "jsonfeed1.1" },
	    { "<CHANNEL><TITLE>T</TITLE><ITEM HREF=\"https://ex.com/i\"><TITLE>"
	      "I</TITLE></ITEM></CHANNEL>", "cdf" },
	};
	struct feed_doc d, back;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(parse_str(cases[i].doc, NULL, NULL, &d), 0);
		CHECK_STR(d.format, cases[i].format);
		CHECK_STR(d.title, "T");
		CHECK(d.nitems == 1 && d.items[0].title != NULL &&
		    strcmp(d.items[0].title, "I") == 0 &&
		    d.items[0].link != NULL &&
		    strcmp(d.items[0].link, "https://ex.com/i") == 0);
		/* The worker transport knows every format name. */
		j = feedjson_encode(&d);
		feed_doc_init(&back);
		CHECK(j != NULL && feedjson_decode(j, &back) == 0);
		CHECK_STR(back.format, cases[i].format);
		feed_doc_free(&back);
		json_decref(j);
		feed_doc_free(&d);
	}
}

static void
test_jsonfeed(void)
{
	struct feed_doc d;

	CHECK_INT(parse_fixture("jsonfeed11.json", "https://example.org/feed.json",
	    "application/feed+json", &d), 0);
	CHECK(d.error == NULL);
	CHECK_STR(d.format, "jsonfeed1.1");
	CHECK_STR(d.title, "JSON Feed Example");
	CHECK_STR(d.link, "https://example.org/");
	CHECK_STR(d.description, "News &amp; notes");
	CHECK_STR(d.language, "en");
	CHECK_INT(d.nitems, 2);		/* the string item is skipped */
	if (d.nitems == 2) {
		const struct feed_item *a = &d.items[0], *b = &d.items[1];

		CHECK_STR(a->guid, "https://example.org/1");
		CHECK_STR(a->link, "https://example.org/posts/1");
		CHECK_STR(a->title, "First <post>");	/* plain text */
		CHECK_STR(a->summary, "A &lt; B");	/* HTML */
		CHECK_STR(a->content, "<p>Hello</p>");
		CHECK_INT(a->published, time_from_civil(2024, 1, 2, 2, 4, 5));
		CHECK_INT(a->updated, time_from_civil(2024, 1, 3, 0, 0, 0));
		CHECK_STR(a->author, "Site Author");
		CHECK_INT(a->ncategories, 2);		/* 3 is no tag */
		CHECK_INT(a->nenclosures, 1);
		if (a->nenclosures == 1) {
			CHECK_STR(a->enclosures[0].type, "audio/mpeg");
			CHECK_INT(a->enclosures[0].length, 1234);
		}
		CHECK_STR(b->guid, "42");
		CHECK_STR(b->link, "https://elsewhere.org/x");
		CHECK_STR(b->content, "plain &amp; simple");
		CHECK_STR(b->author, "Item Author");
		CHECK_INT(b->published, TIME_NONE);
	}
	feed_doc_free(&d);

	CHECK_INT(parse_fixture("jsonfeed10.json", NULL, NULL, &d), 0);
	CHECK_STR(d.format, "jsonfeed1.0");
	CHECK(d.nitems == 1 && d.items[0].author != NULL &&
	    strcmp(d.items[0].author, "One Oh") == 0);
	feed_doc_free(&d);

	/* JSON that is no feed, and broken JSON: refused with a reason. */
	CHECK_INT(parse_str("{\"items\": []}", NULL, NULL, &d), -1);
	CHECK(d.error != NULL && strstr(d.error, "JSON Feed") != NULL);
	feed_doc_free(&d);
	CHECK_INT(parse_str("  {\"version\": ", NULL, NULL, &d), -1);
	CHECK(d.error != NULL && strstr(d.error, "not a JSON feed") != NULL);
	feed_doc_free(&d);
}

static void
test_cdf(void)
{
	struct feed_doc d;

	CHECK_INT(parse_fixture("cdf.xml", NULL, NULL, &d), 0);
	CHECK(d.error == NULL);
	CHECK_STR(d.format, "cdf");
	CHECK_STR(d.title, "CDF channel");
	CHECK_STR(d.link, "http://www.example.org/");
	CHECK_STR(d.description, "About it");
	CHECK_INT(d.nitems, 1);
	if (d.nitems == 1) {
		CHECK_STR(d.items[0].title, "CDF item");
		CHECK_STR(d.items[0].link, "http://www.example.org/1");
		CHECK_STR(d.items[0].summary, "Item abstract");
		CHECK_INT(d.items[0].updated,
		    time_from_civil(2004, 4, 7, 4, 5, 43));
	}
	feed_doc_free(&d);
}

static void
test_encodings(void)
{
	struct feed_doc d;

	/* encoding="437": not an XML EncName, but iconv knows it. */
	CHECK_INT(parse_fixture("cp437.xml", NULL, NULL, &d), 0);
	CHECK(d.error == NULL);
	CHECK_STR(d.title, "\xc3\x87 \xc3\xbc");	/* Ç ü */
	feed_doc_free(&d);

	/* The HTTP charset outranks the declaration (RFC 7303 3). */
	CHECK_INT(parse_fixture("cp437.xml", NULL,
	    "application/rss+xml; charset=iso-8859-1", &d), 0);
	/* Latin-1 0x80 is the C1 control windows-1252 calls the euro. */
	CHECK_STR(d.title, "\xe2\x82\xac");
	feed_doc_free(&d);

	/* UTF-32 with a BOM: converted before libxml2 sees it. */
	CHECK_INT(parse_fixture("utf32le.xml", NULL, NULL, &d), 0);
	CHECK(d.error == NULL);
	CHECK_STR(d.title, "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
	feed_doc_free(&d);

	/* UTF-8 declared, windows-1252 bytes: decoded so, and flagged. */
	CHECK_INT(parse_fixture("utf8-lies.xml", NULL, NULL, &d), 0);
	CHECK_STR(d.title, "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d");
	CHECK(d.error != NULL && strstr(d.error, "windows-1252") != NULL);
	CHECK_INT(d.nitems, 1);
	feed_doc_free(&d);

	/* &#146; means windows-1252's apostrophe (feedparser agrees). */
	CHECK_INT(parse_str(RSS("<item><title>don&#146;t</title></item>"),
	    NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 && d.items[0].title != NULL &&
	    strcmp(d.items[0].title, "don\xe2\x80\x99t") == 0);
	feed_doc_free(&d);
}

static void
test_skips(void)
{
	struct feed_doc d, back;
	json_t *j;

	CHECK_INT(parse_str(RSS("<skipHours><hour>0</hour><hour> 7 </hour>"
	    "<hour>23</hour><hour>24</hour><hour>99</hour><hour>x</hour>"
	    "</skipHours><skipDays><day>Sunday</day><day>saturday</day>"
	    "<day>Caturday</day></skipDays><ttl>90</ttl>"), NULL, NULL, &d),
	    0);
	/* 24 is midnight; 99 and x are nothing. */
	CHECK_INT(d.skip_hours, (1u << 0) | (1u << 7) | (1u << 23));
	CHECK_INT(d.skip_days, (1u << 0) | (1u << 6));
	CHECK_INT(d.ttl, 90 * 60);

	/* Through the worker transport and back. */
	j = feedjson_encode(&d);
	CHECK(j != NULL);
	feed_doc_init(&back);
	CHECK_INT(feedjson_decode(j, &back), 0);
	CHECK_INT(back.skip_hours, d.skip_hours);
	CHECK_INT(back.skip_days, d.skip_days);
	json_decref(j);
	feed_doc_free(&back);
	feed_doc_free(&d);

	/* A wrong shape is refused, not half-read. */
	j = json_pack("{s:{s:[i]}}", "feed", "skip_hours", 24);
	feed_doc_init(&back);
	CHECK_INT(feedjson_decode(j, &back), -1);
	feed_doc_free(&back);
	json_decref(j);
	j = json_pack("{s:{s:[s]}}", "feed", "skip_days", "Caturday");
	feed_doc_init(&back);
	CHECK_INT(feedjson_decode(j, &back), -1);
	feed_doc_free(&back);
	json_decref(j);
}

static void
test_text_and_links(void)
{
	struct feed_doc d;

	/* No base at all: a relative link is kept as published. */
	CHECK_INT(parse_str(RSS("<item><title>a</title><link> /a/b </link>"
	    "</item>"), NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 && d.items[0].link != NULL &&
	    strcmp(d.items[0].link, "/a/b") == 0);
	feed_doc_free(&d);
	/* Without a base, only true relative references are kept. */
	CHECK_INT(parse_str(RSS("<item><link>java&#9;script:alert(1)</link>"
	    "</item><item><link>JavaScript:alert(1)</link></item><item>"
	    "<link>mailto:a@b.c</link></item>"), NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 3);
	CHECK(d.nitems == 3 && d.items[0].link == NULL &&
	    d.items[1].link == NULL && d.items[2].link == NULL);
	feed_doc_free(&d);
	/* A relative xml:base over a relative link stays relative. */
	CHECK_INT(parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	    "xml:base=\"/blog/\"><entry><link href=\"2013/x\"/></entry>"
	    "</feed>", NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 && d.items[0].link != NULL &&
	    strcmp(d.items[0].link, "/blog/2013/x") == 0);
	feed_doc_free(&d);
	/* With the document URL it resolves; javascript: never passes. */
	CHECK_INT(parse_str(RSS("<item><link>/a/b</link></item><item>"
	    "<link>javascript:alert(1)</link></item>"), "https://ex.com/f",
	    NULL, &d), 0);
	CHECK(d.nitems == 2 && d.items[0].link != NULL &&
	    strcmp(d.items[0].link, "https://ex.com/a/b") == 0);
	CHECK(d.nitems == 2 && d.items[1].link == NULL);
	feed_doc_free(&d);

	/* Names in any case (iTunes reads them so); Apple's namespace. */
	CHECK_INT(parse_str("<rss xmlns:itunes=\"http://www.itunes.com/DTDs/"
	    "Podcast-1.0.dtd\"><channel><TiTlE>T</TiTlE><item>"
	    "<itunes:author>Mark</itunes:author></item></channel></rss>", NULL,
	    NULL, &d), 0);
	CHECK_STR(d.title, "T");
	CHECK(d.nitems == 1 && d.items[0].author != NULL &&
	    strcmp(d.items[0].author, "Mark") == 0);
	feed_doc_free(&d);

	/* Undeclared prefix: items kept, document flagged. */
	CHECK_INT(parse_str(RSS("<item><title>a</title><foo:bar>x</foo:bar>"
	    "</item>"), NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 1);
	CHECK(d.error != NULL && strstr(d.error, "foo") != NULL);
	feed_doc_free(&d);

	/* Atom: the last valid date wins (feedparser); RSS: the first. */
	CHECK_INT(parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">"
	    "<entry><updated>2010-12-01T10:14:55Z</updated><updated>"
	    "2003-12-31T10:14:55Z</updated><updated>junk</updated></entry>"
	    "</feed>", NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 &&
	    d.items[0].updated == time_from_civil(2003, 12, 31, 10, 14, 55));
	feed_doc_free(&d);
	CHECK_INT(parse_str(RSS("<item><pubDate>Wed, 01 Jan 2020 00:00:00 GMT"
	    "</pubDate><dc:date xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
	    "2021-01-01</dc:date></item>"), NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 &&
	    d.items[0].published == time_from_civil(2020, 1, 1, 0, 0, 0));
	feed_doc_free(&d);

	/* Atom 0.3 naked markup in a text construct is HTML. */
	CHECK_INT(parse_str("<feed version=\"0.3\" xmlns=\"http://purl.org/"
	    "atom/ns#\"><entry><summary>Example <b>Atom</b></summary></entry>"
	    "</feed>", NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 && d.items[0].summary != NULL &&
	    strcmp(d.items[0].summary, "Example <b>Atom</b>") == 0);
	feed_doc_free(&d);

	/* A recognised feed cut short: what came before stands, flagged. */
	CHECK_INT(parse_str("<rss><channel><title>cut</title><item><title>"
	    "x</title>", NULL, NULL, &d), 0);
	CHECK_STR(d.title, "cut");
	CHECK_INT(d.nitems, 0);
	CHECK(d.error != NULL);
	feed_doc_free(&d);
}

/* Every field has a cap of its own, not only the 1 MiB text one. */
static void
test_field_caps(void)
{
	struct feed_doc d;
	size_t n = 20000, i, off;
	char *doc = malloc(3 * n + 256);

	if (doc == NULL)
		return;
	off = (size_t)sprintf(doc, "<rss><channel><language>");
	for (i = 0; i < n; i++)
		doc[off++] = 'l';
	off += (size_t)sprintf(doc + off, "</language><item><author>");
	for (i = 0; i < n; i++)
		doc[off++] = 'a';
	off += (size_t)sprintf(doc + off, "</author><guid>");
	for (i = 0; i < n; i++)
		doc[off++] = 'g';
	sprintf(doc + off, "</guid></item></channel></rss>");
	CHECK_INT(parse_str(doc, NULL, NULL, &d), 0);
	CHECK(d.language != NULL && strlen(d.language) == PARSE_MAX_TITLE);
	CHECK(d.nitems == 1 && d.items[0].author != NULL &&
	    strlen(d.items[0].author) == PARSE_MAX_TITLE);
	CHECK(d.nitems == 1 && d.items[0].guid != NULL &&
	    strlen(d.items[0].guid) == PARSE_MAX_URL);
	feed_doc_free(&d);
	free(doc);

	/*
	 * C1 controls (2 bytes) become windows-1252 characters (3 bytes):
	 * the text cap still holds, on a character boundary.
	 */
	n = PARSE_MAX_TEXT / 2;
	if ((doc = malloc(2 * n + 128)) == NULL)
		return;
	off = (size_t)sprintf(doc, "<rss><channel><item><description>");
	for (i = 0; i < n; i++) {
		doc[off++] = '\xc2';
		doc[off++] = '\x96';
	}
	sprintf(doc + off, "</description></item></channel></rss>");
	CHECK_INT(parse_str(doc, NULL, NULL, &d), 0);
	CHECK(d.nitems == 1 && d.items[0].summary != NULL &&
	    strlen(d.items[0].summary) <= PARSE_MAX_TEXT &&
	    strlen(d.items[0].summary) % 3 == 0 &&
	    utf8_valid(d.items[0].summary, strlen(d.items[0].summary)));
	feed_doc_free(&d);
	free(doc);
}

/* Media RSS: media:content (in a group or not) when no enclosure says it. */
static void
test_media(void)
{
	struct feed_doc d;

	CHECK_INT(parse_str("<rss xmlns:media=\"http://search.yahoo.com/mrss/\">"
	    "<channel><item><media:group><media:content url=\"https://ex.com/"
	    "v.mp4\" type=\"video/mp4\" fileSize=\"99\"/><media:thumbnail "
	    "url=\"https://ex.com/t.jpg\"/></media:group></item><item>"
	    "<enclosure url=\"https://ex.com/e.mp3\" length=\"5\"/>"
	    "<media:content url=\"https://ex.com/m.mp3\"/></item><item>"
	    "<media:content url=\"javascript:x\"/></item></channel></rss>",
	    NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 3);
	if (d.nitems == 3) {
		CHECK_INT(d.items[0].nenclosures, 1);
		if (d.items[0].nenclosures == 1) {
			CHECK_STR(d.items[0].enclosures[0].url,
			    "https://ex.com/v.mp4");
			CHECK_STR(d.items[0].enclosures[0].type, "video/mp4");
			CHECK_INT(d.items[0].enclosures[0].length, 99);
		}
		CHECK_INT(d.items[1].nenclosures, 1);
		if (d.items[1].nenclosures == 1)
			CHECK_STR(d.items[1].enclosures[0].url,
			    "https://ex.com/e.mp3");
		CHECK_INT(d.items[2].nenclosures, 0);
	}
	feed_doc_free(&d);
}

static void
test_future(void)
{
	struct feed_doc d;
	int64_t now = time_from_civil(2024, 6, 1, 12, 0, 0);
	json_t *j;

	CHECK_INT(parse_str(RSS("<item><pubDate>Wed, 01 Jan 2200 00:00:00 GMT"
	    "</pubDate></item><item><pubDate>Sat, 01 Jun 2024 20:00:00 GMT"
	    "</pubDate></item><item><pubDate>Wed, 01 Jan 2020 00:00:00 GMT"
	    "</pubDate></item>"), NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 3);
	if (d.nitems == 3) {
		/* parse_feed itself invents nothing: the clock is the caller's. */
		CHECK(d.items[0].published > now + DAY);
		CHECK_INT(parse_clamp_future(&d, now), 1);
		CHECK_INT(d.items[0].published, now);
		CHECK_INT(d.items[0].date_clamped, 1);
		/* Within the tolerance: a zone mistake, left alone. */
		CHECK_INT(d.items[1].published,
		    time_from_civil(2024, 6, 1, 20, 0, 0));
		CHECK_INT(d.items[1].date_clamped, 0);
		CHECK_INT(d.items[2].date_clamped, 0);
		j = feedjson_encode(&d);
		CHECK(j != NULL && json_is_true(json_object_get(json_array_get(
		    json_object_get(j, "items"), 0), "date_clamped")));
		json_decref(j);
	}
	feed_doc_free(&d);
}

int
main(void)
{
	parse_init();
	test_formats();
	test_jsonfeed();
	test_cdf();
	test_encodings();
	test_skips();
	test_text_and_links();
	test_media();
	test_field_caps();
	test_future();
	return TEST_DONE();
}
