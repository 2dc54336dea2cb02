/*
 * sanitize.c - feed text made safe for the HTML digest.
 *
 * An allow-list over libxml2's HTML parser tree, not a tag stripper:
 * libxml2 turns tag soup into elements the way a browser would, and only
 * what is named here comes out, re-serialized by us.  Nothing the feed
 * wrote is copied through unparsed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "sanitize.h"

#define SANITIZE_MAX_DEPTH	64	/* deeper content is dropped */
#define SANITIZE_MAX_INPUT	(4L * 1024 * 1024)

/* Kept as they are (with no attributes but those below); sorted. */
static const char *const keep_elems[] = {
	"a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del",
	"dfn", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
	"i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
	"small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
	"th", "thead", "tr", "u", "ul", "var",
};

/* Dropped together with everything inside them; sorted. */
static const char *const drop_elems[] = {
	"applet", "audio", "base", "button", "canvas", "embed", "form",
	"frame", "frameset", "head", "iframe", "img", "input", "link", "math",
	"meta", "noembed", "noframes", "noscript", "object", "option",
	"param", "picture", "script", "select", "source", "style", "svg",
	"template", "textarea", "title", "track", "video",
};

/* Elements without content or end tag; sorted. */
static const char *const void_elems[] = { "br", "hr" };

static int
name_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, *(const char *const *)elem);
}

/* The tables are sorted (lower case), so a lookup is a bsearch. */
#define IN(name, list) (bsearch((name), (list),				\
	sizeof(list) / sizeof(list[0]), sizeof(list[0]), name_cmp) != NULL)

size_t
sanitize_unsafe_cp(const char *s, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;

	/* C1: U+0080..U+009F are 0xC2 0x80..0x9F. */
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*cp = p[1];
		return 2;
	}
	/* U+2028..U+202E are E2 80 A8..AE, U+2066..U+2069 E2 81 A6..A9. */
	if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
		*cp = 0x2000 | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return 3;
	}
	return 0;
}

void
sanitize_put_escaped(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	for (; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&': fputs("&amp;", fp); continue;
		case '<': fputs("&lt;", fp); continue;
		case '>': fputs("&gt;", fp); continue;
		case '"': fputs("&quot;", fp); continue;
		case '\'': fputs("&#39;", fp); continue;
		}
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
			continue;
		if ((n = sanitize_unsafe_cp((const char *)p, &cp)) > 0) {
			if (cp >= 0xa0)		/* C1 controls are dropped */
				fprintf(fp, "&#x%X;", cp);
			p += n - 1;
			continue;
		}
		fputc(*p, fp);
	}
}

int
sanitize_url_ok(const char *url)
{
	static const char *const schemes[] = { "http://", "https://",
	    "mailto:" };
	const unsigned char *p;
	size_t i;

	if (url == NULL)
		return 0;
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\'' ||
		    *p == '<' || *p == '>' || *p == '\\' || *p == '`')
			return 0;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			return url[strlen(schemes[i])] != '\0';
	return 0;
}

/* Writes the allowed part of node's children. */
static void
put_children(FILE *fp, xmlNodePtr node, int depth)
{
	xmlNodePtr n;

	if (depth > SANITIZE_MAX_DEPTH)
		return;
	for (n = node->children; n != NULL; n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			sanitize_put_escaped(fp, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || name == NULL ||
		    IN(name, drop_elems))
			continue;
		if (!IN(name, keep_elems)) {
			put_children(fp, n, depth + 1);
			continue;
		}
		fprintf(fp, "<%s", name);
		if (strcasecmp(name, "a") == 0) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");

			if (href != NULL && sanitize_url_ok((char *)href)) {
				fputs(" href=\"", fp);
				sanitize_put_escaped(fp, (char *)href);
				/* A digest must not hand the reader's session on. */
				fputs("\" rel=\"noopener noreferrer nofollow\"",
				    fp);
			}
			xmlFree(href);
		}
		if (strcasecmp(name, "a") == 0 || strcasecmp(name, "abbr") == 0) {
			xmlChar *t = xmlGetProp(n, (const xmlChar *)"title");

			if (t != NULL) {
				fputs(" title=\"", fp);
				sanitize_put_escaped(fp, (char *)t);
				fputc('"', fp);
			}
			xmlFree(t);
		}
		fputc('>', fp);
		if (IN(name, void_elems))
			continue;
		put_children(fp, n, depth + 1);
		fprintf(fp, "</%s>", name);
	}
}

char *
sanitize_html(const char *html, size_t len)
{
	htmlDocPtr doc = NULL;
	char *out = NULL;
	size_t outlen;
	FILE *fp;

	if (html == NULL)
		len = 0;
	if (len > (size_t)SANITIZE_MAX_INPUT)
		len = SANITIZE_MAX_INPUT;
	if ((fp = open_memstream(&out, &outlen)) == NULL)
		return NULL;
	if (len > 0)
		doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
		    HTML_PARSE_NONET | HTML_PARSE_NOERROR |
		    HTML_PARSE_NOWARNING);
	/* html and body are not kept, so only their allowed content is. */
	if (doc != NULL)
		put_children(fp, (xmlNodePtr)doc, 0);
	xmlFreeDoc(doc);
	if (fclose(fp) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
