/*
 * test_sanitize.c - the HTML digest's defences: escaping, the link
 * filter and the allow-list sanitizer against the usual XSS vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "test.h"

static char *
escaped(const char *s)
{
	char *out = NULL;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	if (fp == NULL)
		return NULL;
	sanitize_put_escaped(fp, s);
	fclose(fp);
	return out;
}

static char *
clean(const char *s)
{
	return sanitize_html(s, strlen(s));
}

/* 1 if the sanitized s contains none of the needles (case ignored). */
static int
free_of(const char *s, const char *const *needles, size_t n)
{
	char *low = strdup(s != NULL ? s : ""), *p;
	size_t i;
	int ok = 1;

	if (low == NULL)
		return 0;
	for (p = low; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (i = 0; i < n; i++)
		if (strstr(low, needles[i]) != NULL) {
			fprintf(stderr, "  found '%s' in: %s\n", needles[i], s);
			ok = 0;
		}
	free(low);
	return ok;
}

static void
test_escape(void)
{
	char *s = escaped("a<b>&\"c'\x1b[31m\xc2\x9b" "d\te");

	CHECK_STR(s, "a&lt;b&gt;&amp;&quot;c&#39;[31md\te");
	free(s);
	s = escaped("a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x80\xa8" "d");
	CHECK_STR(s, "a&#x202E;b&#x2066;c&#x2028;d");
	free(s);
	s = escaped("Zürich — 北京");
	CHECK_STR(s, "Zürich — 北京");
	free(s);
}

static void
test_urls(void)
{
	CHECK(sanitize_url_ok("https://example.org/a?b=c&d"));
	CHECK(sanitize_url_ok("HTTP://example.org/"));
	CHECK(sanitize_url_ok("mailto:a@example.org"));
	CHECK(!sanitize_url_ok("javascript:alert(1)"));
	CHECK(!sanitize_url_ok("JaVaScRiPt:alert(1)"));
	CHECK(!sanitize_url_ok(" javascript:alert(1)"));
	CHECK(!sanitize_url_ok("java\tscript:alert(1)"));
	CHECK(!sanitize_url_ok("data:text/html;base64,PHNjcmlwdD4="));
	CHECK(!sanitize_url_ok("vbscript:msgbox"));
	CHECK(!sanitize_url_ok("file:///etc/passwd"));
	CHECK(!sanitize_url_ok("/relative/path"));
	CHECK(!sanitize_url_ok("https://a.example/\"onmouseover=\"x"));
	CHECK(!sanitize_url_ok("https://"));
	CHECK(!sanitize_url_ok(NULL));
}

static void
test_html(void)
{
	static const char *const evil[] = { "<script", "<style", "onerror",
	    "onload", "onclick", "onmouseover", "javascript:", "data:",
	    "<iframe", "<img", "<svg", "<object", "<embed", "<form",
	    "style=", "<meta", "<link", "srcdoc", "vbscript:" };
	static const char *const vectors[] = {
		"<script>alert(1)</script>hello",
		"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
		"<img src=x onerror=alert(1)>",
		"<a href=\"javascript:alert(1)\">click</a>",
		"<a href=\" JaVaScRiPt:alert(1)\">click</a>",
		"<a href=\"java&#x09;script:alert(1)\">x</a>",
		"<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
		"<p onclick=\"alert(1)\" style=\"color:red\">p</p>",
		"<style>body{background:url(javascript:alert(1))}</style>t",
		"<svg onload=alert(1)><circle/></svg>",
		"<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
		"<body onload=alert(1)>b",
		"<div><object data=x.swf></object><embed src=x></div>",
		"<form action=//x><input name=a></form>",
		"<meta http-equiv=refresh content=\"0;url=javascript:x\">",
		"<<script>script>alert(1)<</script>/script>",
		"<scr<script>ipt>alert(1)</script>",
		"<a href=\"vbscript:msgbox\">v</a><math><mi>x</mi></math>",
		"<noscript><p title=\"</noscript><img src=x onerror=a()>\">",
		"<!--<script>alert(1)</script>-->c",
		"<![CDATA[<script>alert(1)</script>]]>",
	};
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char *s = clean(vectors[i]);

		CHECK(s != NULL);
		CHECK(free_of(s, evil, sizeof(evil) / sizeof(evil[0])));
		free(s);
	}
}

static void
test_keeps(void)
{
	char *s;

	s = clean("<p>Hello <b>bold</b> &amp; <em>em</em><br>"
	    "<a href=\"https://example.org/?a=1&amp;b=2\" onclick=\"x\">"
	    "link</a></p>");
	CHECK_STR(s, "<p>Hello <b>bold</b> &amp; <em>em</em><br>"
	    "<a href=\"https://example.org/?a=1&amp;b=2\" "
	    "rel=\"noopener noreferrer nofollow\">link</a></p>");
	free(s);
	/* Unknown elements go, their text stays. */
	s = clean("<div><span class=\"x\">kept</span> <font>too</font></div>");
	CHECK_STR(s, "kept too");
	free(s);
	s = clean("");
	CHECK_STR(s, "");
	free(s);
	s = clean("<ul><li>one</li><li>two &lt;3</li></ul>");
	CHECK_STR(s, "<ul><li>one</li><li>two &lt;3</li></ul>");
	free(s);
}

int
main(void)
{
	test_escape();
	test_urls();
	test_html();
	test_keeps();
	return TEST_DONE();
}
