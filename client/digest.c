/*
 * digest.c - the formatters of `tidings digest` and its bookmark file.
 *
 * Every string in a Story is untrusted feed text: the text format passes
 * it through term_sanitize(), Markdown escapes its syntax, HTML and Atom
 * escape it with sanitize_put_escaped() and admit links only through
 * sanitize_url_ok().  Summaries are plain text in the API (the daemon
 * already reduced feed HTML to text), so they are escaped, never parsed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "sanitize.h"
#include "term.h"
#include "util.h"

#ifndef TIDINGS_VERSION
#define TIDINGS_VERSION "unknown"
#endif

#define DIGEST_SUMMARY_MAX	600	/* bytes of summary shown per story */
#define DIGEST_TIME_LEN		32	/* "2026-11-29 05:00 UTC" */
#define B64_LINE		76	/* RFC 2045 line length */
#define ID_PREFIX		"tag:tidings.invalid,2026:"	/* Atom ids */
#define JSON_FLAGS		(JSON_COMPACT | JSON_ENSURE_ASCII)

static const char *const format_names[] = {
	[DIGEST_TEXT] = "text", [DIGEST_MARKDOWN] = "markdown",
	[DIGEST_HTML] = "html", [DIGEST_JSON] = "json",
	[DIGEST_ATOM] = "atom", [DIGEST_EMAIL] = "email",
};

int
digest_format_parse(const char *s, enum digest_format *f)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum digest_format)i;
			return 0;
		}
	return -1;
}

/* ---- selection ---------------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int64_t
jtime(const json_t *o, const char *key)
{
	int64_t t;

	if (time_parse_rfc3339(jstr(o, key), &t) == -1)
		return 0;
	return t;
}

static int
by_coverage(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t sx = json_integer_value(json_object_get(x, "sources"));
	json_int_t sy = json_integer_value(json_object_get(y, "sources"));
	int64_t px = jtime(x, "published"), py = jtime(y, "published");
	json_int_t ix = json_integer_value(json_object_get(x, "id"));
	json_int_t iy = json_integer_value(json_object_get(y, "id"));

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (px != py)
		return px > py ? -1 : 1;
	return ix < iy ? -1 : ix > iy;
}

json_t *
digest_select(json_t *stories, int64_t min_sources, int first_seen_only,
    int64_t since, int64_t until)
{
	size_t i, n = 0, total = json_array_size(stories);
	json_t **v, *s, *out;

	if ((out = json_array()) == NULL)
		return NULL;
	if (total == 0)
		return out;
	if ((v = calloc(total, sizeof(*v))) == NULL) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach(stories, i, s) {
		int64_t fs = jtime(s, "first_seen");

		if (json_integer_value(json_object_get(s, "sources")) <
		    min_sources)
			continue;
		if (first_seen_only && (fs < since || fs >= until))
			continue;
		v[n++] = s;
	}
	qsort(v, n, sizeof(*v), by_coverage);
	for (i = 0; i < n; i++)
		if (json_array_append(out, v[i]) == -1) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(v);
	return out;
}

/* ---- shared pieces ------------------------------------------------------ */

/* "2026-11-29 05:00 UTC" */
static char *
human_time(int64_t t, char buf[DIGEST_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, DIGEST_TIME_LEN, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, DIGEST_TIME_LEN, "%lld", (long long)t);
	return buf;
}

static const char *
feed_title(const json_t *item)
{
	const char *t = jstr(json_object_get(item, "feed"), "title");

	return *t != '\0' ? t : "(untitled feed)";
}

static const char *
story_title(const json_t *story)
{
	const char *t = jstr(story, "title");

	return *t != '\0' ? t : "(untitled)";
}

/* The summary of the story's first item that has one, "" if none. */
static const char *
story_summary(const json_t *story)
{
	json_t *items = json_object_get(story, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
		if (*jstr(it, "summary") != '\0')
			return jstr(it, "summary");
	return "";
}

/* A copy of s cut to max bytes on a character boundary, with "…". */
static char *
shorten(const char *s, size_t max)
{
	char *c = strdup(s), *e;

	if (c == NULL || strlen(c) <= max)
		return c;
	str_truncate_utf8(c, max);
	if ((e = realloc(c, strlen(c) + sizeof("…"))) == NULL)
		return c;
	strcat(e, "…");
	return e;
}

/* Untrusted s for plain text: one line, nothing a terminal obeys. */
static void
put_plain(FILE *fp, const char *s)
{
	char *c = term_sanitize(s, 0);

	if (c != NULL)
		fputs(c, fp);
	free(c);
}

static void
period_line(FILE *fp, const struct digest *d)
{
	char a[DIGEST_TIME_LEN], b[DIGEST_TIME_LEN];

	fprintf(fp, "%s to %s", human_time(d->since, a), human_time(d->until,
	    b));
}

static const char *
plural(size_t n)
{
	return n == 1 ? "y" : "ies";
}

/* ---- the walk shared by the human formats ------------------------------- */

/*
 * What differs between text, Markdown and HTML; the order of things and
 * the checks on them (summary cut, links filtered) are walk()'s alone.
 * A NULL hook writes nothing.
 */
struct layout {
	void	(*head)(FILE *, const struct digest *, size_t n);
	void	(*story)(FILE *, size_t rank, const json_t *story,
		    long long sources);
	void	(*summary)(FILE *, const char *summary);
	const char *sources_open;
	/* link is NULL when the item has none fit to follow. */
	void	(*source)(FILE *, const char *outlet, const char *title,
		    const char *link);
	const char *sources_close;
	const char *story_close;
	const char *tail;
};

/* A story's summary and sources. */
static void
walk_story(FILE *fp, const json_t *s, const struct layout *l)
{
	char *sum = shorten(story_summary(s), DIGEST_SUMMARY_MAX);
	json_t *it;
	size_t j;

	if (sum != NULL && *sum != '\0' && l->summary != NULL)
		l->summary(fp, sum);
	free(sum);
	fputs(l->sources_open, fp);
	json_array_foreach(json_object_get(s, "items"), j, it) {
		const char *link = jstr(it, "link");

		l->source(fp, feed_title(it), jstr(it, "title"),
		    sanitize_url_ok(link) ? link : NULL);
	}
	fputs(l->sources_close, fp);
}

static void
walk(FILE *fp, const struct digest *d, const struct layout *l)
{
	size_t i;
	json_t *s;

	l->head(fp, d, json_array_size(d->stories));
	json_array_foreach(d->stories, i, s) {
		l->story(fp, i + 1, s, (long long)json_integer_value(
		    json_object_get(s, "sources")));
		walk_story(fp, s, l);
		fputs(l->story_close, fp);
	}
	fputs(l->tail, fp);
}

/* ---- text --------------------------------------------------------------- */

static void
text_head(FILE *fp, const struct digest *d, size_t n)
{
	fprintf(fp, "tidings digest \"%s\": %zu stor%s, ", d->name, n,
	    plural(n));
	period_line(fp, d);
	fputc('\n', fp);
}

static void
text_story(FILE *fp, size_t rank, const json_t *s, long long src)
{
	fprintf(fp, "\n%zu. ", rank);
	put_plain(fp, story_title(s));
	fprintf(fp, " (%lld source%s)\n", src, src == 1 ? "" : "s");
}

static void
text_summary(FILE *fp, const char *sum)
{
	fputs("   ", fp);
	put_plain(fp, sum);
	fputc('\n', fp);
}

static void
text_source(FILE *fp, const char *outlet, const char *title, const char *link)
{
	fputs("   - ", fp);
	put_plain(fp, outlet);
	fputs(": ", fp);
	put_plain(fp, title);
	fputc('\n', fp);
	if (link != NULL) {
		fputs("     ", fp);
		put_plain(fp, link);
		fputc('\n', fp);
	}
}

static const struct layout text_layout = {
	text_head, text_story, text_summary, "", text_source, "", "", ""
};

/* ---- Markdown ----------------------------------------------------------- */

/* Untrusted s as Markdown text: its syntax characters backslashed. */
static void
put_md(FILE *fp, const char *s)
{
	char *c = term_sanitize(s, 0), *p;

	for (p = c; p != NULL && *p != '\0'; p++) {
		if (strchr("\\`*_{}[]()<>#+-.!|~&", *p) != NULL)
			fputc('\\', fp);
		fputc(*p, fp);
	}
	free(c);
}

/* A checked URL inside (...): the characters that would end it encoded. */
static void
put_md_url(FILE *fp, const char *u)
{
	for (; *u != '\0'; u++)
		if (*u == '(' || *u == ')' || *u == '<' || *u == '>')
			fprintf(fp, "%%%02X", (unsigned char)*u);
		else
			fputc(*u, fp);
}

static void
md_head(FILE *fp, const struct digest *d, size_t n)
{
	fprintf(fp, "# tidings digest \"%s\": %zu stor%s\n\n*", d->name, n,
	    plural(n));
	period_line(fp, d);
	fputs("*\n", fp);
}

static void
md_story(FILE *fp, size_t rank, const json_t *s, long long src)
{
	fprintf(fp, "\n## %zu\\. ", rank);
	put_md(fp, story_title(s));
	fprintf(fp, "\n\n*%lld source%s*\n\n", src, src == 1 ? "" : "s");
}

static void
md_summary(FILE *fp, const char *sum)
{
	put_md(fp, sum);
	fputs("\n\n", fp);
}

static void
md_source(FILE *fp, const char *outlet, const char *title, const char *link)
{
	fputs("- **", fp);
	put_md(fp, outlet);
	fputs("**: ", fp);
	if (link != NULL) {
		fputc('[', fp);
		put_md(fp, title);
		fputs("](", fp);
		put_md_url(fp, link);
		fputc(')', fp);
	} else
		put_md(fp, title);
	fputc('\n', fp);
}

static const struct layout md_layout = {
	md_head, md_story, md_summary, "", md_source, "", "", ""
};

/* ---- HTML --------------------------------------------------------------- */

/* Inline, so the file is self-contained; no script anywhere. */
static const char html_css[] =
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;"
    "padding:0 1em;color:#222;background:#fff}"
    "h1{font-size:1.5em;margin-bottom:0}.period{color:#666;margin-top:0}"
    "ol.stories>li{margin:1.5em 0}h2{font-size:1.15em;margin:0}"
    ".meta{color:#666;font-size:.9em;margin:.2em 0}"
    ".sources{margin:.3em 0;padding-left:1.2em}"
    "a{color:#0645ad}.outlet{font-weight:600}"
    "@media (prefers-color-scheme:dark){body{color:#ddd;background:#111}"
    "a{color:#8ab4f8}.meta,.period{color:#aaa}}";

static void
put_html(FILE *fp, const char *s)
{
	sanitize_put_escaped(fp, s);
}

static void
html_head(FILE *fp, const struct digest *d, size_t n)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>", fp);
	fprintf(fp, "tidings digest %s: %zu stor%s</title>\n", d->name, n,
	    plural(n));
	fprintf(fp, "<style>%s</style>\n</head>\n<body>\n", html_css);
	fprintf(fp, "<h1>tidings digest %s</h1>\n<p class=\"period\">%zu "
	    "stor%s, ", d->name, n, plural(n));
	period_line(fp, d);
	fputs("</p>\n<ol class=\"stories\">\n", fp);
}

static void
html_story(FILE *fp, size_t rank, const json_t *s, long long src)
{
	char t[DIGEST_TIME_LEN];

	fputs("<li>\n<h2>", fp);
	put_html(fp, story_title(s));
	fprintf(fp, "</h2>\n<p class=\"meta\">%lld source%s, %s</p>\n", src,
	    src == 1 ? "" : "s", human_time(jtime(s, "published"), t));
}

static void
html_summary(FILE *fp, const char *sum)
{
	fputs("<p>", fp);
	put_html(fp, sum);
	fputs("</p>\n", fp);
}

static void
html_source(FILE *fp, const char *outlet, const char *title, const char *link)
{
	fputs("<li><span class=\"outlet\">", fp);
	put_html(fp, outlet);
	fputs("</span>: ", fp);
	if (link != NULL) {
		fputs("<a href=\"", fp);
		put_html(fp, link);
		fputs("\" rel=\"noopener noreferrer\">", fp);
		put_html(fp, title);
		fputs("</a>", fp);
	} else
		put_html(fp, title);
	fputs("</li>\n", fp);
}

static const struct layout html_layout = {
	html_head, html_story, html_summary, "<ul class=\"sources\">\n",
	html_source, "</ul>\n", "</li>\n", "</ol>\n</body>\n</html>\n"
};

/* ---- JSON --------------------------------------------------------------- */

static int
write_json(FILE *fp, const struct digest *d)
{
	char a[RFC3339_LEN], b[RFC3339_LEN];
	json_t *o;
	int rc = -1;

	o = json_pack("{s:s, s:s, s:s, s:I, s:O}", "name", d->name,
	    "since", time_format_rfc3339(d->since, a),
	    "until", time_format_rfc3339(d->until, b),
	    "count", (json_int_t)json_array_size(d->stories),
	    "stories", d->stories);
	if (o != NULL && json_dumpf(o, fp, JSON_FLAGS) == 0 &&
	    fputc('\n', fp) != EOF)
		rc = 0;
	json_decref(o);
	return rc;
}

/* ---- Atom (RFC 4287) ---------------------------------------------------- */

/* An entry's content: the HTML digest's story body, escaped once more. */
static void
atom_content(FILE *fp, const json_t *s)
{
	char *html = NULL;
	size_t len;
	FILE *h;

	if ((h = open_memstream(&html, &len)) == NULL)
		return;
	walk_story(h, s, &html_layout);
	if (fclose(h) == 0) {
		fputs("<content type=\"html\">", fp);
		put_html(fp, html);
		fputs("</content>\n", fp);
	}
	free(html);
}

static void
write_atom(FILE *fp, const struct digest *d)
{
	size_t n = json_array_size(d->stories), i, j;
	char t[RFC3339_LEN];
	json_t *s, *it;

	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n", fp);
	/* The name alone: every run of one digest is one subscribable feed. */
	fprintf(fp, "<id>" ID_PREFIX "digest:%s</id>\n", d->name);
	fprintf(fp, "<title>tidings digest %s</title>\n", d->name);
	fprintf(fp, "<subtitle>%zu stor%s, ", n, plural(n));
	period_line(fp, d);
	fprintf(fp, "</subtitle>\n<updated>%s</updated>\n",
	    time_format_rfc3339(d->until, t));
	fputs("<author><name>tidings</name></author>\n", fp);
	fputs("<generator version=\"" TIDINGS_VERSION "\">tidings</generator>\n",
	    fp);
	json_array_foreach(d->stories, i, s) {
		json_t *first = json_array_get(json_object_get(s, "items"), 0);
		int64_t up = jtime(s, "updated"), pub = jtime(s, "published");

		fputs("<entry>\n", fp);
		/* The story id: the same story keeps its entry across runs. */
		fprintf(fp, "<id>" ID_PREFIX "story:%lld</id>\n",
		    (long long)json_integer_value(json_object_get(s, "id")));
		fputs("<title type=\"text\">", fp);
		put_html(fp, story_title(s));
		fprintf(fp, "</title>\n<updated>%s</updated>\n",
		    time_format_rfc3339(up != 0 ? up : d->until, t));
		if (pub != 0)
			fprintf(fp, "<published>%s</published>\n",
			    time_format_rfc3339(pub, t));
		if (first != NULL && sanitize_url_ok(jstr(first, "link"))) {
			fputs("<link rel=\"alternate\" href=\"", fp);
			put_html(fp, jstr(first, "link"));
			fputs("\"/>\n", fp);
		}
		json_array_foreach(json_object_get(s, "items"), j, it)
			if (*jstr(json_object_get(it, "feed"), "title") !=
			    '\0') {
				fputs("<category term=\"", fp);
				put_html(fp, feed_title(it));
				fputs("\"/>\n", fp);
			}
		atom_content(fp, s);
		fputs("</entry>\n", fp);
	}
	fputs("</feed>\n", fp);
}

/* ---- e-mail (RFC 5322, MIME RFC 2045/2046) ------------------------------ */

/* Base64 of buf in lines of 76, each ending CRLF. */
static void
put_base64(FILE *fp, const unsigned char *buf, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)buf[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (unsigned)buf[i + 1] << 8;
		if (i + 2 < len)
			v |= buf[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? tab[v & 63] : '=';
		fwrite(q, 1, sizeof(q), fp);
		if ((col += sizeof(q)) >= B64_LINE) {
			fputs("\r\n", fp);
			col = 0;
		}
	}
	if (col > 0)
		fputs("\r\n", fp);
}

int
digest_header_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int
write_email(FILE *fp, const struct digest *d)
{
	size_t n = json_array_size(d->stories), tl = 0, hl = 0;
	char *text = NULL, *html = NULL, date[64], a[DIGEST_TIME_LEN],
	    b[DIGEST_TIME_LEN];
	const char *user = getenv("LOGNAME");
	time_t now = time(NULL);
	struct tm tm;
	FILE *t, *h;
	int rc = -1;

	if (user == NULL || *user == '\0' || !digest_header_ok(user))
		user = getenv("USER");
	if (user == NULL || *user == '\0' || !digest_header_ok(user))
		user = "root";
	if ((t = open_memstream(&text, &tl)) == NULL)
		return -1;
	if ((h = open_memstream(&html, &hl)) == NULL) {
		fclose(t);
		free(text);
		return -1;
	}
	walk(t, d, &text_layout);
	walk(h, d, &html_layout);
	if (fclose(t) != 0 || fclose(h) != 0)
		goto done;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(fp, "From: tidings <%s>\r\n", user);
	fprintf(fp, "To: %s\r\n", d->to != NULL && digest_header_ok(d->to) ?
	    d->to : user);
	fprintf(fp, "Subject: tidings digest %s: %zu stor%s, %s to %s\r\n",
	    d->name, n, plural(n), human_time(d->since, a),
	    human_time(d->until, b));
	fprintf(fp, "Date: %s\r\n", date);
	fprintf(fp, "Message-ID: <tidings.%s.%lld.%ld@localhost>\r\n",
	    d->name, (long long)d->until, (long)getpid());
	/* Mail robots and vacation responders must not answer a digest. */
	fputs("Auto-Submitted: auto-generated\r\n", fp);
	fputs("MIME-Version: 1.0\r\n", fp);
	/* "=_" cannot occur in base64, so the boundary is never in a part. */
	fprintf(fp, "Content-Type: multipart/alternative; "
	    "boundary=\"=_tidings_%lld\"\r\n\r\n", (long long)d->until);
	fputs("This is a MIME message: a text and an HTML version.\r\n", fp);
	fprintf(fp, "\r\n--=_tidings_%lld\r\n", (long long)d->until);
	fputs("Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", fp);
	put_base64(fp, (unsigned char *)text, tl);
	fprintf(fp, "\r\n--=_tidings_%lld\r\n", (long long)d->until);
	fputs("Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", fp);
	put_base64(fp, (unsigned char *)html, hl);
	fprintf(fp, "\r\n--=_tidings_%lld--\r\n", (long long)d->until);
	rc = 0;
done:
	free(text);
	free(html);
	return rc;
}

int
digest_write(FILE *fp, const struct digest *d, enum digest_format f)
{
	int rc = 0;

	switch (f) {
	case DIGEST_TEXT:
		walk(fp, d, &text_layout);
		break;
	case DIGEST_MARKDOWN:
		walk(fp, d, &md_layout);
		break;
	case DIGEST_HTML:
		walk(fp, d, &html_layout);
		break;
	case DIGEST_JSON:
		rc = write_json(fp, d);
		break;
	case DIGEST_ATOM:
		write_atom(fp, d);
		break;
	case DIGEST_EMAIL:
		rc = write_email(fp, d);
		break;
	}
	return rc == 0 && !ferror(fp) ? 0 : -1;
}
