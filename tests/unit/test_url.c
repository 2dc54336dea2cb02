/*
 * test_url.c - url_is_http, url_resolve and url_canonical.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "url.h"

static void
check_resolve(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve(base, ref);

	CHECK_STR(got, want);
	free(got);
}

static void
check_canon(const char *in, const char *want)
{
	char *got = url_canonical(in);

	CHECK_STR(got, want);
	free(got);
}

int
main(void)
{
	CHECK(url_is_http("http://example.com/"));
	CHECK(url_is_http("HTTPS://Example.com/a?b#c"));
	CHECK(url_is_http("  https://example.com  "));
	CHECK(!url_is_http("ftp://example.com/"));
	CHECK(!url_is_http("javascript:alert(1)"));
	CHECK(!url_is_http("data:text/html,<b>x</b>"));
	CHECK(!url_is_http("file:///etc/passwd"));
	CHECK(!url_is_http("/relative/path"));
	CHECK(!url_is_http("example.com/x"));
	CHECK(!url_is_http(""));
	CHECK(!url_is_http(NULL));

	/* Absolute refs are kept as written. */
	check_resolve("https://a.com/x/", "https://b.com", "https://b.com");
	check_resolve(NULL, "https://b.com/p?q=1", "https://b.com/p?q=1");
	/* RFC 3986 reference resolution. */
	check_resolve("https://a.com/x/y", "z", "https://a.com/x/z");
	check_resolve("https://a.com/x/y", "/z", "https://a.com/z");
	check_resolve("https://a.com/x/y/", "../z", "https://a.com/x/z");
	check_resolve("https://a.com/x/y", "?q=1", "https://a.com/x/y?q=1");
	check_resolve("https://a.com/x/y", "//b.org/p", "https://b.org/p");
	check_resolve("https://apnews.com/", "article/a-1",
	    "https://apnews.com/article/a-1");
	check_resolve("http://a.com/x", "  b  ", "http://a.com/b");
	/* Nothing to resolve against, or a scheme we do not take. */
	check_resolve(NULL, "relative", NULL);
	check_resolve("https://a.com/", "javascript:alert(1)", NULL);
	check_resolve(NULL, NULL, NULL);

	check_canon("HTTPS://Example.COM:443/Path?b=2&utm_source=x&a=1#frag",
	    "https://example.com/Path?b=2&a=1");
	check_canon("http://example.com:80/", "http://example.com/");
	check_canon("http://example.com:8080/", "http://example.com:8080/");
	check_canon("https://example.com/a?utm_medium=m&fbclid=1&gclid=2",
	    "https://example.com/a");
	check_canon("https://example.com/a?mc_cid=1&mc_eid=2&ref_src=3"
	    "&igshid=4&id=7", "https://example.com/a?id=7");
	check_canon("https://example.com/a?x=1&utm_campaign=c&y=2",
	    "https://example.com/a?x=1&y=2");
	check_canon("https://example.com", "https://example.com/");
	check_canon("mailto:a@b.c", NULL);
	check_canon("/relative", NULL);
	check_canon(NULL, NULL);
	return TEST_DONE();
}
