/*
 * test_opml.c - OPML read and write: versions 1.0 and 2.0, folders and
 * categories as tags, duplicates, bad entries with their line, malformed
 * and hostile documents, and write -> parse -> write being identical.
 */
#include <stdlib.h>
#include <string.h>

#include "opml.h"
#include "parse.h"
#include "test.h"

#define ERRLEN 256

static struct opml *
parse_str(const char *s, char *err)
{
	err[0] = '\0';
	return opml_parse(s, strlen(s), err, ERRLEN);
}

static void
test_v1_nested(void)
{
	const char *doc =
	    "<?xml version=\"1.0\"?>\n"
	    "<opml version=\"1.0\">\n"
	    "<head><title>mine</title></head>\n"
	    "<body>\n"
	    "<outline text=\"World\">\n"
	    "  <outline text=\"Europe\">\n"
	    "    <outline text=\"DW\" xmlUrl=\"https://dw.example/rss\"/>\n"
	    "  </outline>\n"
	    "  <outline text=\"BBC\" title=\"BBC News\" "
	    "xmlUrl=\"http://bbc.example/rss\" category=\"/uk,/public/tv\"/>\n"
	    "</outline>\n"
	    "<outline text=\"Top\" xmlUrl=\"https://top.example/feed\"/>\n"
	    "</body></opml>\n";
	char err[ERRLEN];
	struct opml *o = parse_str(doc, err);

	CHECK(o != NULL);
	if (o == NULL)
		return;
	CHECK_INT(o->nfeeds, 3);
	CHECK_INT(o->nerrors, 0);
	CHECK_INT(o->duplicates, 0);
	CHECK_STR(o->feeds[0].url, "https://dw.example/rss");
	CHECK_STR(o->feeds[0].title, "DW");
	CHECK_INT(o->feeds[0].ntags, 2);
	CHECK_STR(o->feeds[0].tags[0], "World");
	CHECK_STR(o->feeds[0].tags[1], "Europe");
	CHECK_INT(o->feeds[0].line, 7);
	CHECK_STR(o->feeds[1].title, "BBC News");
	CHECK_INT(o->feeds[1].ntags, 3);
	CHECK_STR(o->feeds[1].tags[0], "World");
	CHECK_STR(o->feeds[1].tags[1], "uk");
	CHECK_STR(o->feeds[1].tags[2], "public/tv");
	CHECK_INT(o->feeds[2].ntags, 0);
	CHECK_STR(o->feeds[2].title, "Top");
	opml_free(o);
}

static void
test_bad_entries(void)
{
	const char *doc =
	    "<opml version=\"2.0\"><head/><body>\n"
	    "<outline text=\"a\" xmlUrl=\"https://a.example/\"/>\n"
	    "<outline text=\"b\" xmlUrl=\"javascript:alert(1)\"/>\n"
	    "<outline text=\"c\" xmlUrl=\"\"/>\n"
	    "<outline text=\"a again\" xmlUrl=\"https://a.example/\"/>\n"
	    "<outline text=\"d\" xmlUrl=\"file:///etc/passwd\"/>\n"
	    "<outline text=\"tag,with,commas\"><outline xmlUrl="
	    "\"https://e.example/\"/></outline>\n"
	    "<outline text=\"f\" xmlUrl=\"https://f.)xample/f/4\"/>\n"
	    "</body></opml>";
	char err[ERRLEN];
	struct opml *o = parse_str(doc, err);

	CHECK(o != NULL);
	if (o == NULL)
		return;
	CHECK_INT(o->nfeeds, 2);
	CHECK_INT(o->duplicates, 1);
	CHECK_INT(o->nerrors, 4);
	if (o->nerrors == 4) {
		CHECK_INT(o->errors[0].line, 3);
		CHECK(strstr(o->errors[0].msg, "http") != NULL);
		CHECK_INT(o->errors[1].line, 4);
		CHECK(strstr(o->errors[1].msg, "empty") != NULL);
		CHECK_INT(o->errors[2].line, 6);
		/* http, but a host libcurl refuses: it would fail every poll. */
		CHECK_INT(o->errors[3].line, 8);
	}
	if (o->nfeeds == 2) {
		CHECK(o->feeds[1].title == NULL);
		CHECK_INT(o->feeds[1].ntags, 1);
		CHECK_STR(o->feeds[1].tags[0], "tag with commas");
	}
	opml_free(o);
}

static void
test_refused(void)
{
	static const char *bad[] = {
		"",
		"not xml at all",
		"<rss version=\"2.0\"><channel/></rss>",
		"<opml version=\"2.0\"><body><outline xmlUrl=\"http://a/\">"
		    "</body></opml>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE opml [\n"
		    "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		    "<opml><body><outline text=\"&xxe;\" "
		    "xmlUrl=\"http://a/\"/></body></opml>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE opml [\n"
		    "<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n"
		    "<opml><body><outline text=\"&b;\" "
		    "xmlUrl=\"http://a/\"/></body></opml>",
	};
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct opml *o = parse_str(bad[i], err);

		CHECK(o == NULL);
		CHECK(err[0] != '\0');
		opml_free(o);
	}
	CHECK(strstr(err, "entity") != NULL);
	/* The malformed one names its line. */
	CHECK(parse_str(bad[3], err) == NULL);
	CHECK(strncmp(err, "line 1:", 7) == 0);
}

static void
test_too_many_attrs(void)
{
	size_t n = PARSE_MAX_ATTRS + 10, i;
	char *doc = malloc(n * 16 + 64), *p = doc, err[ERRLEN];

	if (doc == NULL)
		return;
	p += sprintf(p, "<opml><body><outline");
	for (i = 0; i < n; i++)
		p += sprintf(p, " a%zu=\"x\"", i);
	sprintf(p, "/></body></opml>");
	CHECK(opml_parse(doc, strlen(doc), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "attributes") != NULL);
	free(doc);
}

/* The hostile corpus's two OPML attacks (NOTES.md, I4), built here. */
static void
test_hostile(void)
{
	static const char *const cmds[] = {
		"|touch /tmp/tidings-pwned-opml", "exec:touch /tmp/x",
		"file:///etc/passwd", "javascript:alert(1)",
		"gopher://127.0.0.1:9/_x",
	};
	size_t i, n = OPML_MAX_FEEDS + 1, cap = n * 80 + 4096, len = 0;
	char *doc = malloc(cap), err[ERRLEN];
	struct opml *o;

	if (doc == NULL)
		return;
	len += (size_t)sprintf(doc, "<opml version=\"2.0\"><body>\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		len += (size_t)sprintf(doc + len, "<outline text=\"x\" "
		    "xmlUrl=\"%s\"/>\n", cmds[i]);
	len += (size_t)sprintf(doc + len, "<outline text=\"f\" xmlUrl=\""
	    "https://example.invalid/feed\" filtercmd=\"touch /tmp/p\"/>\n"
	    "</body></opml>\n");
	o = opml_parse(doc, len, err, sizeof(err));
	CHECK(o != NULL);
	if (o != NULL) {
		/* Only http(s) kept; the others reported, never interpreted. */
		CHECK_INT(o->nfeeds, 1);
		CHECK_INT(o->nerrors, 5);
		CHECK_STR(o->feeds[0].url, "https://example.invalid/feed");
	}
	opml_free(o);

	/* More feeds than an import takes: refused whole, with the reason. */
	len = (size_t)sprintf(doc, "<opml version=\"2.0\"><body>");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "<outline text=\"f%zu\" "
		    "xmlUrl=\"https://example.invalid/f/%zu\"/>", i, i);
	len += (size_t)sprintf(doc + len, "</body></opml>");
	CHECK(opml_parse(doc, len, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "feeds") != NULL);

	/* 10,000 nested folders: refused at OPML_MAX_DEPTH, no recursion. */
	len = (size_t)sprintf(doc, "<opml version=\"2.0\"><body>");
	for (i = 0; i < 10000; i++)
		len += (size_t)sprintf(doc + len, "<outline text=\"n\">");
	for (i = 0; i < 10000; i++)
		len += (size_t)sprintf(doc + len, "</outline>");
	len += (size_t)sprintf(doc + len, "</body></opml>");
	CHECK(opml_parse(doc, len, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nested") != NULL);
	free(doc);
}

static void
test_round_trip(void)
{
	char *t1[] = { "news", "a&b \"q\"", "de/eu" };
	struct opml_feed in[3] = {
		{ "https://x.example/feed?a=1&b=2", "X <News>", t1, 3, 0 },
		{ "http://y.example/", NULL, NULL, 0, 0 },
		{ "https://z.example/rss", "Zürich\tZeitung \xc2\x9b" "31m "
		    "\xe2\x80\xae" "evil\x7f", t1, 1, 0 },
	};
	char err[ERRLEN], *w1, *w2;
	struct opml *o;

	w1 = opml_write(in, 3, "tidings subscriptions");
	CHECK(w1 != NULL);
	if (w1 == NULL)
		return;
	o = opml_parse(w1, strlen(w1), err, sizeof(err));
	CHECK(o != NULL);
	if (o == NULL) {
		free(w1);
		return;
	}
	CHECK_INT(o->nfeeds, 3);
	CHECK_STR(o->feeds[0].url, "https://x.example/feed?a=1&b=2");
	CHECK_STR(o->feeds[0].title, "X <News>");
	CHECK_INT(o->feeds[0].ntags, 3);
	CHECK_STR(o->feeds[0].tags[1], "a&b \"q\"");
	CHECK_STR(o->feeds[0].tags[2], "de/eu");
	/* A feed without a title is written under its URL. */
	CHECK_STR(o->feeds[1].title, "http://y.example/");
	/* Terminal controls are written as references, read back as such. */
	CHECK(strstr(w1, "&#x9B;31m &#x202E;evil&#x7F;") != NULL);
	CHECK(strchr(w1, 0x7f) == NULL && strstr(w1, "\xc2\x9b") == NULL &&
	    strstr(w1, "\xe2\x80\xae") == NULL);
	CHECK(strstr(o->feeds[2].title, "\xc2\x9b" "31m \xe2\x80\xae" "evil") !=
	    NULL);
	w2 = opml_write(o->feeds, o->nfeeds, "tidings subscriptions");
	CHECK(w2 != NULL);
	/* The tab in a title becomes a space, once; then stable. */
	if (w2 != NULL) {
		struct opml *o2 = opml_parse(w2, strlen(w2), err, sizeof(err));
		char *w3 = o2 != NULL ? opml_write(o2->feeds, o2->nfeeds,
		    "tidings subscriptions") : NULL;

		CHECK(w3 != NULL && strcmp(w2, w3) == 0);
		free(w3);
		opml_free(o2);
	}
	free(w1);
	free(w2);
	opml_free(o);
}

int
main(void)
{
	parse_init();
	test_v1_nested();
	test_bad_entries();
	test_refused();
	test_too_many_attrs();
	test_hostile();
	test_round_trip();
	return TEST_DONE();
}
