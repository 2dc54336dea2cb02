/*
 * test_parse.c - the feed parser on the xi-zelensky fixtures (every
 * labelled item compared), on hostile inline documents, and the JSON
 * round trip of feedjson.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "feed.h"
#include "feedjson.h"
#include "html.h"
#include "parse.h"
#include "test.h"
#include "util.h"

#define FIXTURE_MAX	(1024 * 1024)

static const char *fixture_dirs[] = {
	"tests/fixtures/xi-zelensky",
	"../fixtures/xi-zelensky",
	"../../tests/fixtures/xi-zelensky",
};
static const char *fixdir;

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((b = malloc(FIXTURE_MAX)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(b, 1, FIXTURE_MAX - 1, f);
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

/* Parses fixture feeds/NAME into d; returns parse_feed's result. */
static int
parse_fixture(const char *name, struct feed_doc *d)
{
	char path[512];
	char *b;
	size_t len;
	int rc;

	feed_doc_init(d);
	snprintf(path, sizeof(path), "%s/feeds/%s", fixdir, name);
	if ((b = read_file(path, &len)) == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		return -2;
	}
	rc = parse_feed(b, len, NULL, "application/rss+xml", d);
	free(b);
	return rc;
}

static int
parse_str(const char *s, const char *url, const char *ct, struct feed_doc *d)
{
	feed_doc_init(d);
	return parse_feed(s, strlen(s), url, ct, d);
}

static const struct feed_item *
find_link(const struct feed_doc *d, const char *link)
{
	size_t i;

	for (i = 0; i < d->nitems; i++)
		if (d->items[i].link != NULL &&
		    strcmp(d->items[i].link, link) == 0)
			return &d->items[i];
	return NULL;
}

static int
contains(const struct feed_doc *d, const char *needle)
{
	json_t *j = feedjson_encode(d);
	char *s = json_dumps(j, 0);
	int found = s != NULL && strstr(s, needle) != NULL;

	free(s);
	json_decref(j);
	return found;
}

/* Every labelled item: title, link and date equal to what we parse. */
static void
test_labels(void)
{
	char path[512];
	json_t *root, *items, *it;
	json_error_t err;
	size_t i;
	int matched = 0;

	snprintf(path, sizeof(path), "%s/labels.json", fixdir);
	root = json_load_file(path, 0, &err);
	CHECK(root != NULL);
	if (root == NULL)
		return;
	items = json_object_get(root, "items");
	CHECK(json_array_size(items) == 52);
	json_array_foreach(items, i, it) {
		struct feed_doc d;
		const struct feed_item *fi;
		const char *feed = json_string_value(json_object_get(it, "feed"));
		const char *link = json_string_value(json_object_get(it, "link"));
		const char *title = json_string_value(json_object_get(it,
		    "title"));
		json_t *pub = json_object_get(it, "published");
		int64_t want = TIME_NONE;

		CHECK_INT(parse_fixture(feed, &d), 0);
		fi = find_link(&d, link);
		CHECK(fi != NULL);
		if (fi == NULL) {
			fprintf(stderr, "  no item %s in %s\n", link, feed);
			feed_doc_free(&d);
			continue;
		}
		CHECK_STR(fi->title, title);
		/*
		 * rferl.xml (RSS 0.91) carries no dates: the label knows the
		 * real time, the parser must not invent one.
		 */
		if (json_is_string(pub) && strcmp(feed, "rferl.xml") != 0)
			CHECK(time_parse_rfc3339(json_string_value(pub),
			    &want) == 0);
		CHECK_INT(fi->published, want);
		matched++;
		feed_doc_free(&d);
	}
	CHECK_INT(matched, 52);
	json_decref(root);
}

static void
test_fixtures(void)
{
	static const struct {
		const char	*name;
		size_t		 nitems;
		const char	*format;
	} feeds[] = {
		{ "aljazeera.xml", 3, "rss2.0" },
		{ "apnews.xml", 4, "atom1.0" },
		{ "bbc.xml", 6, "rss2.0" },
		{ "cbc.xml", 3, "rss2.0" },
		{ "dw.xml", 3, "rss2.0" },
		{ "globeandmail.xml", 5, "rss2.0" },
		{ "guardian.xml", 5, "rss2.0" },
		{ "kyivindependent.xml", 4, "atom1.0" },
		{ "npr.xml", 4, "rss2.0" },
		{ "reuters.xml", 6, "rss2.0" },
		{ "rferl.xml", 3, "rss0.91" },
		{ "tagesschau.xml", 2, "rss2.0" },
		{ "xinhua.xml", 4, "rss1.0" },
	};
	struct feed_doc d;
	size_t i;

	for (i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
		CHECK_INT(parse_fixture(feeds[i].name, &d), 0);
		CHECK_INT(d.nitems, feeds[i].nitems);
		CHECK_STR(d.format, feeds[i].format);
		CHECK(d.error == NULL);
		CHECK(d.title != NULL);
		feed_doc_free(&d);
	}

	/* Numeric character references in a title. */
	CHECK_INT(parse_fixture("globeandmail.xml", &d), 0);
	CHECK_STR(d.items[0].title, "Xi speaks with Zelensky for first time "
	    "since Russia\xe2\x80\x99s invasion of Ukraine");
	feed_doc_free(&d);

	/* ISO-8859-1 declared: umlauts become UTF-8. */
	CHECK_INT(parse_fixture("tagesschau.xml", &d), 0);
	CHECK_STR(d.language, "de");
	CHECK(d.items[0].summary != NULL &&
	    strstr(d.items[0].summary, "Pr\xc3\xa4sidenten") != NULL);
	CHECK(d.items[1].summary != NULL &&
	    strstr(d.items[1].summary, "\xc3\x96l-") != NULL);
	CHECK_INT(d.items[0].published, time_from_civil(2023, 4, 26, 13, 20, 0));
	feed_doc_free(&d);

	/* Atom with xml:base: relative hrefs resolved. */
	CHECK_INT(parse_fixture("apnews.xml", &d), 0);
	CHECK_STR(d.items[0].link, "https://apnews.com/article/"
	    "biden-yoon-south-korea-nuclear-deterrence-3a9b11");
	CHECK_STR(d.items[0].guid, "tag:apnews.com,2023:"
	    "biden-yoon-south-korea-nuclear-deterrence-3a9b11");
	CHECK_STR(d.link, "https://apnews.com/");
	CHECK_STR(d.items[0].summary, "<p>The U.S. will periodically dock a "
	    "nuclear-armed submarine in South Korea, while Seoul recommits "
	    "not to pursue its own nuclear weapons.</p>");
	CHECK_INT(d.items[0].updated, time_from_civil(2023, 4, 26, 17, 20, 0));
	feed_doc_free(&d);

	CHECK_INT(parse_fixture("kyivindependent.xml", &d), 0);
	CHECK_STR(d.items[1].author, "Kyiv Independent news desk");
	CHECK_INT(d.items[0].published, time_from_civil(2023, 4, 26, 17, 2, 0));
	feed_doc_free(&d);

	/* RSS 0.91 without dates. */
	CHECK_INT(parse_fixture("rferl.xml", &d), 0);
	for (i = 0; i < d.nitems; i++)
		CHECK(d.items[i].published == TIME_NONE);
	feed_doc_free(&d);

	/* RSS 1.0: rdf:about is the guid, dc:date the date. */
	CHECK_INT(parse_fixture("xinhua.xml", &d), 0);
	CHECK_STR(d.items[1].guid,
	    "https://english.news.cn/20230426/xi-zelensky-phone-talks/c.html");
	CHECK_INT(d.items[1].published, time_from_civil(2023, 4, 26, 12, 40, 0));
	feed_doc_free(&d);

	/* CDATA title, isPermaLink="false" guid, dc:creator, <ttl>. */
	CHECK_INT(parse_fixture("reuters.xml", &d), 0);
	CHECK_STR(d.items[0].title, "US to send nuclear-armed submarine to "
	    "South Korea under new deterrence pact");
	CHECK_STR(d.items[0].guid, "reuters-2023-04-26-biden-yoon");
	CHECK_STR(d.items[3].author, "Reuters");
	feed_doc_free(&d);
	CHECK_INT(parse_fixture("bbc.xml", &d), 0);
	CHECK_INT(d.ttl, 15 * 60);
	feed_doc_free(&d);
	CHECK_INT(parse_fixture("aljazeera.xml", &d), 0);
	CHECK_STR(d.title, "Al Jazeera \xe2\x80\x93 Breaking News, World News "
	    "and Video from Al Jazeera");
	feed_doc_free(&d);
}

#define RSS_HEAD "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" \
	"<rss version=\"2.0\"><channel><title>T</title>"
#define RSS_TAIL "</channel></rss>"

static void
test_rss_rules(void)
{
	struct feed_doc d;

	/* Leading whitespace, BOM + whitespace before the declaration. */
	CHECK_INT(parse_str("\n\n  " RSS_HEAD "<item><title>a</title></item>"
	    RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 1);
	feed_doc_free(&d);
	CHECK_INT(parse_str("\xef\xbb\xbf\n" RSS_HEAD
	    "<item><title>\xc3\xa9</title></item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].title, "\xc3\xa9");
	feed_doc_free(&d);

	/* Guid rules: permalink guid becomes the link, false never. */
	CHECK_INT(parse_str(RSS_HEAD
	    "<item><guid>https://ex.com/a</guid></item>"
	    "<item><guid isPermaLink=\"false\">https://ex.com/b</guid></item>"
	    "<item><guid isPermaLink=\"true\">https://ex.com/c</guid>"
	    "<link>https://ex.com/c-link</link></item>"
	    RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].link, "https://ex.com/a");
	CHECK_STR(d.items[1].link, NULL);
	CHECK_STR(d.items[1].guid, "https://ex.com/b");
	CHECK_STR(d.items[2].link, "https://ex.com/c-link");
	feed_doc_free(&d);

	/* Dangerous schemes dropped; relative links against doc_url. */
	CHECK_INT(parse_str(RSS_HEAD
	    "<item><link>javascript:alert(1)</link></item>"
	    "<item><link> data:text/html,x </link></item>"
	    "<item><link>file:///etc/passwd</link></item>"
	    "<item><link>/news/1?a=1&amp;b=2</link></item>"
	    RSS_TAIL, "https://ex.com/feed.xml", NULL, &d), 0);
	CHECK_STR(d.items[0].link, NULL);
	CHECK_STR(d.items[1].link, NULL);
	CHECK_STR(d.items[2].link, NULL);
	CHECK_STR(d.items[3].link, "https://ex.com/news/1?a=1&b=2");
	feed_doc_free(&d);

	/* Entity-escaped HTML in a title decoded once; HTML entities. */
	CHECK_INT(parse_str(RSS_HEAD
	    "<item><title>A &lt;b&gt;bold&lt;/b&gt; &amp;amp; move</title>"
	    "<description>x&nbsp;y &mdash; caf&eacute;</description>"
	    "<category> one </category><category>two</category>"
	    "<enclosure url=\"https://ex.com/a.mp3?x=1&amp;y=2\" "
	    "type=\"audio/mpeg\" length=\"123\"/>"
	    "<pubDate>Wed, 26 Apr 2023 19:41:00 GMT</pubDate>"
	    "<content:encoded xmlns:content=\"http://purl.org/rss/1.0/"
	    "modules/content/\"><![CDATA[<p>Hi</p>]]></content:encoded>"
	    "</item>" RSS_TAIL, NULL, NULL, &d), 0);
	/* HTML entities decode, but without a DTD that is not well-formed. */
	CHECK(d.error != NULL &&
	    strstr(d.error, "undeclared entity &nbsp;") != NULL);
	/* XML decoding gives HTML "A <b>bold</b> &amp; move": its text. */
	CHECK_STR(d.items[0].title, "A bold & move");
	/* Summaries stay HTML: entities decoded, no-break space kept. */
	CHECK_STR(d.items[0].summary, "x\xc2\xa0y \xe2\x80\x94 caf\xc3\xa9");
	CHECK_INT(d.items[0].ncategories, 2);
	if (d.items[0].ncategories == 2) {
		CHECK_STR(d.items[0].categories[0], "one");
		CHECK_STR(d.items[0].categories[1], "two");
	}
	CHECK_INT(d.items[0].nenclosures, 1);
	if (d.items[0].nenclosures == 1) {
		CHECK_STR(d.items[0].enclosures[0].url,
		    "https://ex.com/a.mp3?x=1&y=2");
		CHECK_STR(d.items[0].enclosures[0].type, "audio/mpeg");
		CHECK_INT(d.items[0].enclosures[0].length, 123);
	}
	CHECK_STR(d.items[0].content, "<p>Hi</p>");
	CHECK_INT(d.items[0].published, time_from_civil(2023, 4, 26, 19, 41, 0));
	feed_doc_free(&d);

	/* RSS author "email (Name)" reads like an Atom one. */
	CHECK_INT(parse_str(RSS_HEAD "<item><author>me@ex.com (Me Too)</author>"
	    "</item><item><author>Just Name</author></item>" RSS_TAIL, NULL,
	    NULL, &d), 0);
	CHECK_STR(d.items[0].author, "Me Too (me@ex.com)");
	CHECK_STR(d.items[1].author, "Just Name");
	feed_doc_free(&d);

	/* Whitespace collapsed in titles; plain "a < b" left alone. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>\n  a &lt; b\n\t c </title>"
	    "</item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].title, "a < b c");
	feed_doc_free(&d);

	/* <image><title> must not override the channel title. */
	CHECK_INT(parse_str("<rss version=\"2.0\"><channel><image><title>IMG"
	    "</title><link>https://ex.com/i</link></image><title>Real</title>"
	    "</channel></rss>", NULL, NULL, &d), 0);
	CHECK_STR(d.title, "Real");
	CHECK_STR(d.link, NULL);
	feed_doc_free(&d);
}

static void
test_atom_rules(void)
{
	struct feed_doc d;

	CHECK_INT(parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	    "xml:base=\"https://ex.com/a/\"><title type=\"html\">A &amp;lt;i&amp;gt;"
	    "x&amp;lt;/i&amp;gt;</title>"
	    "<entry xml:base=\"b/\"><title type=\"xhtml\"><div "
	    "xmlns=\"http://www.w3.org/1999/xhtml\">X <b>y</b></div></title>"
	    "<link rel=\"enclosure\" href=\"e.mp3\" length=\"5\"/>"
	    "<link rel=\"related\" href=\"r\"/>"
	    "<link href=\"c\"/>"
	    "<updated>2023-04-26T19:41:00Z</updated>"
	    "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<p>1 &lt; 2</p></div></content>"
	    "<author><name>N</name><email>n@ex.com</email></author>"
	    "<category term=\"t1\"/></entry>"
	    "<entry><title type=\"text\">a &lt;b&gt;</title>"
	    "<link rel=\"alternate\" type=\"application/pdf\" href=\"/x.pdf\"/>"
	    "<link rel=\"alternate\" type=\"text/html\" href=\"/x.html\"/>"
	    "<summary type=\"text\">&lt;p&gt;</summary></entry></feed>",
	    "https://other.org/feed", NULL, &d), 0);
	/* Escaped twice: the HTML is "A &lt;i&gt;...", its text has tags. */
	CHECK_STR(d.title, "A <i>x</i>");
	CHECK_INT(d.nitems, 2);
	CHECK_STR(d.items[0].title, "X y");
	CHECK_STR(d.items[0].link, "https://ex.com/a/b/c");
	CHECK_INT(d.items[0].published, time_from_civil(2023, 4, 26, 19, 41, 0));
	CHECK_INT(d.items[0].updated, d.items[0].published);
	CHECK_STR(d.items[0].content, "<p>1 &lt; 2</p>");
	CHECK_STR(d.items[0].author, "N (n@ex.com)");
	CHECK_INT(d.items[0].nenclosures, 1);
	if (d.items[0].nenclosures == 1) {
		CHECK_STR(d.items[0].enclosures[0].url,
		    "https://ex.com/a/b/e.mp3");
		CHECK_INT(d.items[0].enclosures[0].length, 5);
	}
	CHECK_INT(d.items[0].ncategories, 1);
	CHECK_STR(d.items[1].title, "a <b>");
	CHECK_STR(d.items[1].link, "https://ex.com/x.html");
	/* A text construct becomes HTML that reads the same. */
	CHECK_STR(d.items[1].summary, "&lt;p&gt;");
	feed_doc_free(&d);
}

static void
test_authors(void)
{
	struct feed_doc d;

	/* Atom 4.2.1: entries without author inherit the feed's. */
	CHECK_INT(parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">"
	    "<author><name>Desk</name></author><title>t</title>"
	    "<entry><title>a</title></entry><entry><title>b</title><author>"
	    "<name>Own</name></author></entry></feed>", NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].author, "Desk");
	CHECK_STR(d.items[1].author, "Own");
	feed_doc_free(&d);

	/* Podcasts: itunes:author and itunes:keywords. */
	CHECK_INT(parse_str("<rss xmlns:itunes=\"http://www.itunes.com/dtds/"
	    "podcast-1.0.dtd\"><channel><title>p</title><itunes:author>Chan"
	    "</itunes:author><item><itunes:keywords>a, b ,c</itunes:keywords>"
	    "</item><item><itunes:author>Ep</itunes:author></item></channel>"
	    "</rss>", NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].author, "Chan");
	CHECK_STR(d.items[1].author, "Ep");
	CHECK_INT(d.items[0].ncategories, 3);
	if (d.items[0].ncategories == 3)
		CHECK_STR(d.items[0].categories[1], "b");
	feed_doc_free(&d);
}

static void
test_hostile(void)
{
	struct feed_doc d;
	char *big;
	size_t i, n;

	/* Billion laughs: refused at the first declaration. */
	CHECK_INT(parse_str("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	    "<!ENTITY lol \"lol\">\n<!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">\n"
	    "]>\n<rss version=\"2.0\"><channel><title>&lol2;</title>"
	    "</channel></rss>", NULL, NULL, &d), -1);
	CHECK_STR(d.error, "DTD entity declarations are not allowed");
	feed_doc_free(&d);

	/* XXE: nothing of the file anywhere. */
	CHECK_INT(parse_str("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	    "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
	    "<rss version=\"2.0\"><channel><title>&xxe;</title><item>"
	    "<title>&xxe;</title></item></channel></rss>", NULL, NULL, &d), -1);
	CHECK_STR(d.error, "DTD entity declarations are not allowed");
	CHECK(!contains(&d, "root:"));
	feed_doc_free(&d);

	/* An external DTD (RSS 0.91) is not loaded; &nbsp; still works. */
	CHECK_INT(parse_str("<?xml version=\"1.0\"?>\n<!DOCTYPE rss PUBLIC "
	    "\"-//Netscape Communications//DTD RSS 0.91//EN\" "
	    "\"http://127.0.0.1:9/rss-0.91.dtd\">\n<rss version=\"0.91\">"
	    "<channel><title>a&nbsp;b</title><item><title>x</title></item>"
	    "</channel></rss>", NULL, NULL, &d), 0);
	CHECK_STR(d.title, "a\xc2\xa0" "b");
	CHECK_STR(d.format, "rss0.91");
	feed_doc_free(&d);

	/* 100 levels of nesting. */
	n = 100;
	big = malloc(n * 8 + 64);
	strcpy(big, "<rss><channel>");
	for (i = 0; i < n; i++)
		strcat(big, "<a>");
	for (i = 0; i < n; i++)
		strcat(big, "</a>");
	strcat(big, "</channel></rss>");
	CHECK_INT(parse_str(big, NULL, NULL, &d), -1);
	CHECK(d.error != NULL && strstr(d.error, "nested") != NULL);
	feed_doc_free(&d);
	free(big);

	/* 300 attributes on one element. */
	big = malloc(300 * 16 + 128);
	strcpy(big, "<rss><channel><item");
	for (i = 0; i < 300; i++)
		sprintf(big + strlen(big), " a%zu=\"v\"", i);
	strcat(big, "/></channel></rss>");
	CHECK_INT(parse_str(big, NULL, NULL, &d), -1);
	CHECK(d.error != NULL && strstr(d.error, "attributes") != NULL);
	feed_doc_free(&d);
	free(big);

	/* Truncated: the complete items stay, the open one goes. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>one</title></item>"
	    "<item><title>two</title></item><item><title>thr", NULL, NULL,
	    &d), 0);
	CHECK_INT(d.nitems, 2);
	CHECK(d.error != NULL && strncmp(d.error, "line ", 5) == 0);
	feed_doc_free(&d);

	/* Mismatched tag after an item. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>one</title></item>\n"
	    "<item><title>two</titel></item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 1);
	CHECK(d.error != NULL && strstr(d.error, "mismatch") != NULL);
	feed_doc_free(&d);

	/* Not a feed, empty, whitespace, BOM only. */
	CHECK_INT(parse_str("<!DOCTYPE html>\n<html><head><title>x</title>"
	    "</head><body></body></html>", NULL, "text/html", &d), -1);
	CHECK_STR(d.error, "not a feed: root element <html>");
	feed_doc_free(&d);
	CHECK_INT(parse_str("", NULL, NULL, &d), -1);
	CHECK_STR(d.error, "empty document");
	feed_doc_free(&d);
	CHECK_INT(parse_str(" \n\t ", NULL, NULL, &d), -1);
	CHECK_STR(d.error, "empty document");
	feed_doc_free(&d);
	CHECK_INT(parse_str("\xef\xbb\xbf", NULL, NULL, &d), -1);
	CHECK_STR(d.error, "empty document");
	feed_doc_free(&d);
	feed_doc_init(&d);
	CHECK_INT(parse_feed(NULL, 0, NULL, NULL, &d), -1);
	feed_doc_free(&d);

	/* windows-1252 bytes under a UTF-8 declaration. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>\x93" "Caf\xe9\x94 \x80 5"
	    "</title></item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_STR(d.items[0].title, "\xe2\x80\x9c" "Caf\xc3\xa9\xe2\x80\x9d "
	    "\xe2\x82\xac 5");
	CHECK(d.error != NULL && strstr(d.error, "windows-1252") != NULL);
	feed_doc_free(&d);

	/* windows-1252 declared: 0x80 is the euro sign. */
	CHECK_INT(parse_str("<?xml version=\"1.0\" encoding=\"windows-1252\"?>"
	    "<rss><channel><title>\x80</title></channel></rss>", NULL, NULL,
	    &d), 0);
	CHECK_STR(d.title, "\xe2\x82\xac");
	feed_doc_free(&d);

	/* The HTTP charset wins over the declaration (RFC 7303). */
	CHECK_INT(parse_str("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"
	    "<rss><channel><title>\xc3\xa9</title></channel></rss>", NULL,
	    "application/xml; charset=\"UTF-8\"", &d), 0);
	CHECK_STR(d.title, "\xc3\xa9");
	feed_doc_free(&d);
	CHECK_INT(parse_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<rss><channel><title>\xe9</title></channel></rss>", NULL,
	    "text/xml;charset=iso-8859-1", &d), 0);
	CHECK_STR(d.title, "\xc3\xa9");
	CHECK_STR(d.error, NULL);
	feed_doc_free(&d);

	/* UTF-16LE with BOM. */
	{
		static const char src[] = "<?xml version=\"1.0\" encoding="
		    "\"UTF-16\"?><rss><channel><title>\xe2\x82\xac</title>"
		    "</channel></rss>";
		char u16[512];
		size_t k = 0, j;

		u16[k++] = (char)0xff;
		u16[k++] = (char)0xfe;
		for (j = 0; src[j] != '\0'; j++) {
			if ((unsigned char)src[j] == 0xe2) {
				u16[k++] = (char)0xac;	/* U+20AC */
				u16[k++] = (char)0x20;
				j += 2;
				continue;
			}
			u16[k++] = src[j];
			u16[k++] = 0;
		}
		feed_doc_init(&d);
		CHECK_INT(parse_feed(u16, k, NULL, NULL, &d), 0);
		CHECK_STR(d.title, "\xe2\x82\xac");
		feed_doc_free(&d);
	}

	/* UTF-32LE without BOM, UTF-16BE without BOM. */
	{
		static const char src[] = "<?xml version=\"1.0\"?><rss>"
		    "<channel><title>ok</title></channel></rss>";
		char w[512];
		size_t k = 0, j;

		for (j = 0; src[j] != '\0'; j++) {
			w[k++] = src[j];
			w[k++] = 0;
			w[k++] = 0;
			w[k++] = 0;
		}
		feed_doc_init(&d);
		CHECK_INT(parse_feed(w, k, NULL, NULL, &d), 0);
		CHECK_STR(d.title, "ok");
		feed_doc_free(&d);
		for (j = 0, k = 0; src[j] != '\0'; j++) {
			w[k++] = 0;
			w[k++] = src[j];
		}
		feed_doc_init(&d);
		CHECK_INT(parse_feed(w, k, NULL, NULL, &d), 0);
		CHECK_STR(d.title, "ok");
		feed_doc_free(&d);
	}

	/* Bytes windows-1252 lacks (0x90): Latin-1, never truncated. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>a\x90</title></item>"
	    "<item><title>b</title></item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 2);
	/* U+0090 is a C1 control with no windows-1252 meaning: dropped. */
	CHECK_STR(d.items[0].title, "a");
	CHECK(d.error != NULL && strstr(d.error, "ISO-8859-1") != NULL);
	feed_doc_free(&d);

	/* Unknown entity: an error, not a crash; kept as written. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>a</title></item><item>"
	    "<title>&bogus;</title></item>" RSS_TAIL, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, 2);
	if (d.nitems == 2)
		CHECK_STR(d.items[1].title, "&bogus;");
	CHECK(d.error != NULL && strstr(d.error, "bogus") != NULL);
	feed_doc_free(&d);

	/* Control characters from character references are removed. */
	CHECK_INT(parse_str(RSS_HEAD "<item><title>a&#9;b&#13;c&#127;d</title>"
	    "<description>x&amp;#27;y</description></item>" RSS_TAIL, NULL,
	    NULL, &d), 0);
	CHECK_STR(d.items[0].title, "a b cd");
	/* The summary is HTML: the reference stays for the renderer. */
	CHECK_STR(d.items[0].summary, "x&#27;y");
	feed_doc_free(&d);

	/* Long title cut at 1 KiB on a UTF-8 boundary; huge URL dropped. */
	n = 3000;
	big = malloc(n * 2 + 20000);
	strcpy(big, "<rss><channel><item><title>");
	for (i = 0; i < n / 2; i++)
		strcat(big, "\xc3\xa9");
	strcat(big, "</title><link>https://ex.com/");
	for (i = 0; i < PARSE_MAX_URL; i++)
		strcat(big, "a");
	strcat(big, "</link></item></channel></rss>");
	CHECK_INT(parse_str(big, NULL, NULL, &d), 0);
	CHECK(d.items[0].title != NULL &&
	    strlen(d.items[0].title) <= PARSE_MAX_TITLE &&
	    utf8_valid(d.items[0].title, strlen(d.items[0].title)));
	CHECK_INT(strlen(d.items[0].title), PARSE_MAX_TITLE);
	CHECK_STR(d.items[0].link, NULL);
	feed_doc_free(&d);
	free(big);

	/* Item cap. */
	n = PARSE_MAX_ITEMS + 5;
	big = malloc(n * 32 + 64);
	strcpy(big, "<rss><channel>");
	for (i = 0; i < n; i++)
		strcat(big, "<item><title>x</title></item>");
	strcat(big, "</channel></rss>");
	CHECK_INT(parse_str(big, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, PARSE_MAX_ITEMS);
	feed_doc_free(&d);
	free(big);
}

static void
test_json_roundtrip(void)
{
	struct feed_doc d, e;
	json_t *j, *j2;
	char *s1, *s2;

	CHECK_INT(parse_fixture("reuters.xml", &d), 0);
	free(d.error);
	d.error = strdup("line 3: something");
	d.ttl = 900;
	j = feedjson_encode(&d);
	CHECK(j != NULL);
	CHECK(json_is_string(json_object_get(j, "error")));
	CHECK(json_is_array(json_object_get(j, "items")));
	feed_doc_init(&e);
	CHECK_INT(feedjson_decode(j, &e), 0);
	CHECK_INT(e.nitems, d.nitems);
	CHECK_STR(e.format, "rss2.0");
	CHECK_INT(e.ttl, 900);
	CHECK_STR(e.error, "line 3: something");
	CHECK_STR(e.items[3].author, "Reuters");
	CHECK_INT(e.items[3].published, d.items[3].published);
	j2 = feedjson_encode(&e);
	s1 = json_dumps(j, JSON_SORT_KEYS);
	s2 = json_dumps(j2, JSON_SORT_KEYS);
	CHECK(s1 != NULL && s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);
	json_decref(j);
	json_decref(j2);
	feed_doc_free(&d);
	feed_doc_free(&e);

	/* A well-formed doc says "error": false; enclosures round-trip. */
	CHECK_INT(parse_str(RSS_HEAD "<item><enclosure url=\"https://ex.com/"
	    "a\" length=\"7\"/><category>c</category></item>" RSS_TAIL, NULL,
	    NULL, &d), 0);
	j = feedjson_encode(&d);
	CHECK(json_is_false(json_object_get(j, "error")));
	CHECK(json_is_null(json_object_get(json_object_get(j, "feed"),
	    "ttl")));
	feed_doc_init(&e);
	CHECK_INT(feedjson_decode(j, &e), 0);
	CHECK_INT(e.items[0].nenclosures, 1);
	CHECK_INT(e.items[0].enclosures[0].length, 7);
	CHECK_STR(e.items[0].enclosures[0].type, NULL);
	CHECK_STR(e.items[0].categories[0], "c");
	CHECK_INT(e.ttl, -1);
	json_decref(j);
	feed_doc_free(&d);
	feed_doc_free(&e);

	/* Wrong shapes are refused and leave nothing allocated. */
	j = json_loads("{\"error\":false,\"items\":[{\"title\":5}]}", 0, NULL);
	feed_doc_init(&e);
	CHECK_INT(feedjson_decode(j, &e), -1);
	CHECK_INT(e.nitems, 0);
	json_decref(j);
	j = json_loads("[1]", 0, NULL);
	CHECK_INT(feedjson_decode(j, &e), -1);
	json_decref(j);
	j = json_loads("{\"items\":[{\"published\":\"yesterday\"}]}", 0, NULL);
	CHECK_INT(feedjson_decode(j, &e), -1);
	json_decref(j);
}

static char *
html_str(const char *s)
{
	return html_to_text(s, strlen(s));
}

static void
test_html(void)
{
	char *s;

	s = html_str("<p>a</p><p>b <b>c</b> <i>d</i></p>"
	    "<script>x()</script><style>p{}</style>e&amp;f&nbsp;g");
	CHECK_STR(s, "a b c d e&f g");
	free(s);
	s = html_str("  plain \n text ");
	CHECK_STR(s, "plain text");
	free(s);
	s = html_str("a<br>b<li>c</li>");
	CHECK_STR(s, "a b c");
	free(s);
	s = html_str("");
	CHECK_STR(s, "");
	free(s);
	s = html_str("AT&T &#8217; &lt;");
	CHECK_STR(s, "AT&T \xe2\x80\x99 <");
	free(s);
}

static void
test_speed(void)
{
	struct feed_doc d;
	size_t i, n = PARSE_MAX_ITEMS;
	char *big = malloc(n * 300 + 64);
	clock_t t0;

	strcpy(big, RSS_HEAD);
	for (i = 0; i < n; i++)
		sprintf(big + strlen(big), "<item><title>Item %zu</title>"
		    "<link>https://ex.com/%zu</link><pubDate>Wed, 26 Apr 2023 "
		    "19:41:00 GMT</pubDate><description>&lt;p&gt;text %zu"
		    "&lt;/p&gt;</description></item>", i, i, i);
	strcat(big, RSS_TAIL);
	t0 = clock();
	CHECK_INT(parse_str(big, NULL, NULL, &d), 0);
	CHECK_INT(d.nitems, n);
	/* Generous: a SAX pass over 250 KB is a few milliseconds. */
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	feed_doc_free(&d);
	free(big);
}

int
main(void)
{
	size_t i;
	char path[512];
	FILE *f;

	parse_init();
	for (i = 0; i < sizeof(fixture_dirs) / sizeof(fixture_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/labels.json", fixture_dirs[i]);
		if ((f = fopen(path, "r")) != NULL) {
			fclose(f);
			fixdir = fixture_dirs[i];
			break;
		}
	}
	CHECK(fixdir != NULL);
	if (fixdir != NULL) {
		test_fixtures();
		test_labels();
		test_json_roundtrip();
	}
	test_rss_rules();
	test_atom_rules();
	test_authors();
	test_hostile();
	test_html();
	test_speed();
	xmlCleanupParser();
	return TEST_DONE();
}
