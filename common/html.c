/*
 * html.c - HTML fragments to plain text (see html.h).
 *
 * libxml2's HTML parser builds a small tree per fragment (it knows the
 * HTML entity table and tag soup); we walk it once.  No network: the
 * parser gets HTML_PARSE_NONET and never loads anything.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"

#define HTML_MAX_DEPTH	256	/* deeper subtrees are skipped, not walked */

struct text_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

/* Elements whose content is not text a reader sees. */
static const char *const skip_elems[] = {
	"script", "style", "head", "title", "noscript", "template",
};

/* Elements that separate words: a space goes before and after. */
static const char *const block_elems[] = {
	"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
	"h6", "tr", "td", "th", "table", "blockquote", "pre", "hr", "dd",
	"dt", "dl", "section", "article", "header", "footer", "figure",
	"figcaption", "img", "address", "aside", "nav", "main",
};

static int
in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

static void
buf_add(struct text_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
walk(xmlNodePtr n, struct text_buf *b, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content != NULL)
				buf_add(b, (const char *)n->content,
				    strlen((const char *)n->content));
		} else if (n->type == XML_ELEMENT_NODE && n->name != NULL) {
			const char *name = (const char *)n->name;
			int block;

			if (in_list(name, skip_elems, sizeof(skip_elems) /
			    sizeof(skip_elems[0])) || depth >= HTML_MAX_DEPTH)
				continue;
			block = in_list(name, block_elems,
			    sizeof(block_elems) / sizeof(block_elems[0]));
			if (block)
				buf_add(b, " ", 1);
			walk(n->children, b, depth + 1);
			if (block)
				buf_add(b, " ", 1);
		}
	}
}

/*
 * Collapses runs of whitespace (ASCII and U+00A0) to one space and trims,
 * in place.
 */
static void
collapse(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;
	int space = 0;

	while (*r != '\0') {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r' ||
		    *r == '\f' || *r == '\v') {
			space = 1;
			r++;
		} else if (r[0] == 0xc2 && r[1] == 0xa0) {
			space = 1;
			r += 2;
		} else {
			if (space && w != (unsigned char *)s)
				*w++ = ' ';
			space = 0;
			*w++ = *r++;
		}
	}
	*w = '\0';
}

char *
html_to_text(const char *html, size_t len)
{
	struct text_buf b = { NULL, 0, 0, 0 };
	htmlDocPtr doc;
	char *s;

	if (html == NULL)
		html = "";
	/* Fast path: nothing to parse, only whitespace to fold. */
	if (memchr(html, '<', len) == NULL && memchr(html, '&', len) == NULL) {
		if ((s = malloc(len + 1)) == NULL)
			return NULL;
		memcpy(s, html, len);
		s[len] = '\0';
		collapse(s);
		return s;
	}
	if (len > INT_MAX)
		len = INT_MAX;
	/*
	 * No HTML_PARSE_NOBLANKS: it drops the blank text node in
	 * "<b>a</b> <i>b</i>" and glues the words together.
	 */
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	if (doc != NULL) {
		walk(doc->children, &b, 0);
		xmlFreeDoc(doc);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (b.p == NULL)
		return strdup("");
	collapse(b.p);
	return b.p;
}
