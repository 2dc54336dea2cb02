/*
 * parse.c - RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF into struct feed_doc
 * (see parse.h).
 *
 * Streams the body through libxml2's push SAX parser; no tree is built.
 * Owns the parser state (struct pstate) for one call and everything hung
 * on it; what ends up in the feed_doc belongs to the caller.
 *
 * Security policy (../shared/hostile/NOTES.md, section 3): options are
 * XML_PARSE_NONET only (never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE,
 * HUGE), the process-wide external entity loader refuses everything, and
 * the first <!ENTITY declaration stops the parse.  Depth, item count and
 * field sizes are capped here because libxml2 2.9.14's push parser does
 * not cap them; start tags with too many attributes are refused before
 * libxml2 sees them (its attribute checks are quadratic).
 *
 * Character encoding precedence, highest first:
 *   1. a byte order mark (libxml2 detects UTF-16/UTF-8 BOMs);
 *   2. the charset parameter of the HTTP Content-Type (RFC 7303 section 3:
 *      it overrides the XML declaration for every XML media type), if
 *      libxml2/iconv knows it - the declaration is then ignored;
 *   3. the XML declaration (a name libxml2 refuses to read there, like
 *      "437", is forced through its iconv backend instead), else UTF-8.
 * If the result is UTF-8 but the bytes are not, the parse is retried once
 * as windows-1252 (a superset of Latin-1 in practice) and the document is
 * flagged with an error saying the declared encoding was wrong.
 * A body whose first character is '{' goes to jsonfeed.c instead.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#include "date.h"
#include "html.h"
#include "jsonfeed.h"
#include "parse.h"
#include "url.h"
#include "util.h"

#define PARSE_CHUNK		(64 * 1024)	/* bytes per xmlParseChunk() */
#define PARSE_MAX_ERROR		256		/* error message length */
#define PARSE_MAX_ENTITIES	128		/* distinct HTML entities per doc */
#define ENTITY_NAME_MAX		32
#define CHARSET_MAX		40
#define TTL_MAX_MINUTES		(366 * 24 * 60)
#define SY_MAX_FREQUENCY	100000
#define PARSE_RETRY		2		/* internal: decode differently */
#define HOURS_PER_DAY		24
#define SKIP_HOUR_MAX		24		/* 24 is read as 0 */
#define DAYS_PER_WEEK		7

#define NS_ATOM10	"http://www.w3.org/2005/Atom"
#define NS_ATOM03	"http://purl.org/atom/ns#"
#define NS_RSS10	"http://purl.org/rss/1.0/"
#define NS_RSS090	"http://my.netscape.com/rdf/simple/0.9/"
#define NS_RSS_USERLAND	"http://backend.userland.com/rss"	/* rss2, rss2.1 */
#define NS_RSS_HARVARD	"http://blogs.law.harvard.edu/tech/rss"
#define NS_RDF		"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_DC		"http://purl.org/dc/elements/1.1/"
#define NS_CONTENT	"http://purl.org/rss/1.0/modules/content/"
#define NS_SY		"http://purl.org/rss/1.0/modules/syndication/"
#define NS_XHTML	"http://www.w3.org/1999/xhtml"
#define NS_ITUNES	"http://www.itunes.com/dtds/podcast-1.0.dtd"
#define NS_MEDIA	"http://search.yahoo.com/mrss/"
#define NS_XML		"http://www.w3.org/XML/1998/namespace"

enum root_kind { ROOT_NONE, ROOT_RSS, ROOT_RDF, ROOT_ATOM, ROOT_CDF };

/* Vocabulary an element belongs to, relative to the root's format. */
enum space { SP_OTHER, SP_CORE, SP_DC, SP_CONTENT, SP_SY, SP_ITUNES,
	SP_MEDIA };

/* What a captured element's text becomes. */
enum field {
	F_NONE,
	F_TITLE, F_LINK, F_DESCRIPTION, F_LANGUAGE, F_TTL, F_SY_PERIOD,
	F_SY_FREQ, F_SKIP_HOUR, F_SKIP_DAY,
	I_TITLE, I_LINK, I_GUID, I_PUBLISHED, I_UPDATED, I_AUTHOR,
	I_AUTHOR_NAME, I_AUTHOR_EMAIL, I_SUMMARY, I_CONTENT, I_CATEGORY,
	I_KEYWORDS, F_AUTHOR,
};

/* How a text construct is encoded. */
enum text_type {
	TT_GUESS,	/* RSS: plain text unless it looks like HTML */
	TT_TEXT,
	TT_HTML,
	TT_XHTML,	/* inline markup, serialized back to HTML */
	TT_BASE64,	/* Atom 0.3 mode="base64" */
};

struct buf {
	char	*p;
	size_t	 len, cap;
	int	 full;		/* PARSE_MAX_TEXT reached, rest dropped */
	int	 oom;
};

struct frame {
	const char	*base;	/* xml:base in effect (borrowed or own) */
	char		*own;
};

/* An undeclared HTML entity libxml2 asked us about (getEntity). */
struct html_entity {
	xmlEntity	ent;
	xmlChar		name[ENTITY_NAME_MAX];
	xmlChar		content[ENTITY_NAME_MAX + 2];	/* "&name;" */
};

struct pstate {
	xmlParserCtxtPtr	 ctxt;
	struct feed_doc		*doc;
	int			 depth;
	struct frame		 frames[PARSE_MAX_DEPTH + 1];
	enum root_kind		 kind;
	int			 atom03;
	char			*root_ns;	/* Atom: the root's namespace */
	char			*policy;	/* our refusal; parse stopped */
	char			*xml_err;	/* first libxml2 error */
	int			 xml_code;
	int			 enc_fail;	/* converter halted libxml2 */
	char			*note;		/* not well-formed, recovered */

	int			 channel_depth;	/* 0: not inside */
	int			 skip_depth;	/* skipHours/skipDays, 0: not */
	int			 item_depth;	/* 0: not inside */
	int			 item_skip;	/* past PARSE_MAX_ITEMS */
	int			 author_depth;
	int			 media_group_depth;
	struct feed_item	 cur;
	struct feed_item	 media;		/* media:content, a fallback */
	int			 guid_permalink; /* -1 absent, 0, 1 */
	int			 link_rank;
	int			 feed_link_rank;
	char			*author_name, *author_email;
	char			*feed_author;	/* items without one inherit it */
	int64_t			 sy_period, sy_freq;

	enum field		 cap_field;	/* F_NONE: not capturing */
	int			 cap_depth;
	enum text_type		 cap_type;
	int			 cap_div_depth;	/* XHTML wrapper div */
	int			 cap_children;
	struct buf		 cap;

	struct html_entity	*ents[PARSE_MAX_ENTITIES];
	int			 nents;
};

/* <skipDays> names, bit order of struct feed_doc.skip_days. */
static const char *const day_names[DAYS_PER_WEEK] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

static const char *const void_elems[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "param", "source", "track", "wbr",
};

/* Deny-all external entity loader: no file, no network, ever. */
static xmlParserInputPtr
deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	return NULL;
}

/*
 * libxml2 reports what has no parser context (iconv failures) on its
 * generic channel, stderr by default: a feed must not write to our logs.
 * The parser notices those failures itself (see parse_once).
 */
static void
silent_error(void *ctx, const char *msg, ...)
{
}

void
parse_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_loader);
	xmlSetGenericErrorFunc(NULL, silent_error);
}

/* Records our own refusal (first one wins) and stops libxml2. */
static void
refuse(struct pstate *st, const char *fmt, ...)
{
	va_list ap;
	char msg[PARSE_MAX_ERROR];

	if (st->policy == NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		st->policy = strdup(msg);
		if (st->policy == NULL)
			st->policy = strdup("out of memory");
	}
	xmlStopParser(st->ctxt);
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->full || b->oom)
		return;
	if (b->len + n > PARSE_MAX_TEXT) {
		n = PARSE_MAX_TEXT - b->len;
		b->full = 1;
	}
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
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends s[0..n) with &, <, > and " escaped (XHTML serialization). */
static void
buf_add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		}
		if (rep != NULL) {
			buf_add(b, s + start, i - start);
			buf_adds(b, rep);
			start = i + 1;
		}
	}
	buf_add(b, s + start, n - start);
}

/* Drops an incomplete UTF-8 sequence at the end of s[0..len). */
static void
utf8_cut_tail(char *s, size_t len)
{
	size_t i = len, back = 0;
	unsigned char c;
	size_t need;

	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (back + 1 < need)
		s[i - 1] = '\0';
}

/*
 * Windows-1252 for 0x80-0x9f, the C1 controls feeds mean when they write
 * &#146; or declare Latin-1 for cp1252 bytes; 0 where cp1252 has a hole.
 */
#define C1_FIRST	0x80	/* second byte of U+0080 after 0xc2 */
#define C1_LAST		0x9f
#define C1_LEAD		'\xc2'	/* UTF-8 lead byte of U+0080-U+00BF */

static const unsigned short cp1252_c1[C1_LAST - C1_FIRST + 1] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static size_t utf8_encode(unsigned, xmlChar *);

/*
 * Replaces the C1 controls U+0080-U+009F in s by their windows-1252
 * characters (dropping cp1252's holes); frees s.  NULL on ENOMEM.
 */
static char *
c1_take(char *s)
{
	struct buf b;
	const char *p = s, *q;
	xmlChar u[8];
	unsigned c;

	if (s == NULL)
		return NULL;
	for (q = s; (q = strchr(q, C1_LEAD)) != NULL; q++)
		if ((unsigned char)q[1] >= C1_FIRST &&
		    (unsigned char)q[1] <= C1_LAST)
			break;
	if (q == NULL)
		return s;
	memset(&b, 0, sizeof(b));
	for (q = s; (q = strchr(q, C1_LEAD)) != NULL;) {
		c = (unsigned char)q[1];
		if (c < C1_FIRST || c > C1_LAST) {
			q++;
			continue;
		}
		buf_add(&b, p, (size_t)(q - p));
		if (cp1252_c1[c - C1_FIRST] != 0)
			buf_add(&b, (const char *)u,
			    utf8_encode(cp1252_c1[c - C1_FIRST], u));
		p = q += 2;
	}
	buf_adds(&b, p);
	free(s);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (b.full)	/* 2-byte controls became 3-byte characters */
		utf8_cut_tail(b.p, b.len);
	return b.p != NULL ? b.p : strdup("");
}

/* Takes the captured text out of the buffer; NULL on ENOMEM. */
static char *
buf_take(struct buf *b)
{
	char *s = b->p;

	if (b->oom) {
		free(b->p);
		s = NULL;
	} else if (s == NULL)
		s = strdup("");
	else if (b->full)
		utf8_cut_tail(s, b->len);
	memset(b, 0, sizeof(*b));
	return c1_take(s);
}

/*
 * Removes control characters other than TAB, LF and CR (and DEL), in
 * place.  XML 1.0 forbids most of them anyway; HTML entity decoding and
 * base64 can bring them back.
 */
static void
strip_controls(char *s)
{
	char *r, *w;

	/* Most text has none: find the first before rewriting anything. */
	for (r = s; *r != '\0'; r++)
		if (((unsigned char)*r < 0x20 && *r != '\t' && *r != '\n' &&
		    *r != '\r') || *r == 0x7f)
			break;
	for (w = r; *r != '\0'; r++) {
		unsigned char c = (unsigned char)*r;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f)
			continue;
		*w++ = *r;
	}
	*w = '\0';
}

/* Collapses ASCII whitespace runs to one space and trims, in place. */
static void
collapse_ws(char *s)
{
	char *r, *w;
	int space = 0;

	for (r = w = s; *r != '\0'; r++) {
		if (isspace((unsigned char)*r)) {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* Plain text for display: no controls, whitespace collapsed. */
char *
parse_clean_text(char *s)
{
	if (s != NULL) {
		strip_controls(s);
		collapse_ws(s);
	}
	return s;
}

/* A short plain-text field (author, language): cleaned, capped. */
static char *
short_text(char *s)
{
	if (parse_clean_text(s) != NULL)
		str_truncate_utf8(s, PARSE_MAX_TITLE);
	return s;
}

/* Heuristic of feedparser: a tag, a closing tag or an entity reference. */
static int
looks_like_html(const char *s)
{
	const char *p;

	for (p = s; (p = strpbrk(p, "<&")) != NULL; p++) {
		if (*p == '<' && (isalpha((unsigned char)p[1]) ||
		    p[1] == '/' || p[1] == '!'))
			return 1;
		if (*p == '&') {
			const char *q = p + 1;

			if (*q == '#')
				q++;
			while (isalnum((unsigned char)*q))
				q++;
			if (*q == ';' && q > p + 1)
				return 1;
		}
	}
	return 0;
}

/* Text of an HTML string (frees it); NULL on ENOMEM. */
static char *
html_take(char *s)
{
	char *t;

	if (s == NULL)
		return NULL;
	t = html_to_text(s, strlen(s));
	free(s);
	return t;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 in place (whitespace ignored); NULL if not UTF-8 text. */
static char *
b64_take(char *s)
{
	size_t n = 0, i;
	unsigned acc = 0;
	int bits = 0;

	for (i = 0; s[i] != '\0' && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			s[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	s[n] = '\0';
	if (!utf8_valid(s, n)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Title rules: decoded exactly once, plain text, capped on a boundary. */
static char *
title_take(char *s, enum text_type tt)
{
	if (s == NULL)
		return NULL;
	if (tt == TT_BASE64 && (s = b64_take(s)) == NULL)
		return NULL;
	if (tt == TT_HTML || tt == TT_XHTML ||
	    (tt == TT_GUESS && looks_like_html(s)))
		s = html_take(s);
	parse_clean_text(s);
	if (s != NULL)
		str_truncate_utf8(s, PARSE_MAX_TITLE);
	return s;
}

/* s[0..) as HTML text: &, < and > escaped (frees s); NULL on ENOMEM. */
static char *
escape_take(char *s)
{
	struct buf b;

	memset(&b, 0, sizeof(b));
	buf_add_escaped(&b, s, strlen(s));
	free(s);
	return buf_take(&b);
}

/*
 * Summary and description: kept as HTML (the digest exporter wants the
 * markup; the terminal turns it into text with html_to_text()), so a
 * plain-text construct is escaped into HTML here.
 */
static char *
summary_take(char *s, enum text_type tt)
{
	if (s == NULL)
		return NULL;
	if (tt == TT_BASE64 && (s = b64_take(s)) == NULL)
		return NULL;
	if (tt == TT_TEXT && (s = escape_take(s)) == NULL)
		return NULL;
	strip_controls(s);
	str_trim(s);
	return s;
}

/* Content: HTML as published (text kept as text), controls removed. */
static char *
content_take(char *s, enum text_type tt)
{
	if (s == NULL)
		return NULL;
	if (tt == TT_BASE64 && (s = b64_take(s)) == NULL)
		return NULL;
	strip_controls(s);
	str_trim(s);
	return s;
}

/*
 * 1 if s is a relative reference (RFC 3986 4.2): no scheme, and no space
 * or control a browser would strip to find one ("java\tscript:").
 */
static int
is_relative_ref(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	p = strpbrk(s, ":/?#");
	return p == NULL || *p != ':';
}

/*
 * An http(s) URL resolved against the element's xml:base (then the
 * document URL), or NULL.  With no base at all a relative reference is
 * kept as published: it is all there is, and whoever knows the
 * document's URL later can still resolve it.
 */
static char *
url_take(struct pstate *st, char *raw)
{
	const char *base = st->frames[st->depth].base;
	char *u = NULL;

	if (raw == NULL)
		return NULL;
	str_trim(raw);
	if (raw[0] == '\0' || strlen(raw) > PARSE_MAX_URL) {
		free(raw);
		return NULL;
	}
	if ((base == NULL || is_relative_ref(base)) && is_relative_ref(raw)) {
		xmlChar *r;

		if (base == NULL)
			return raw;
		/* A relative xml:base over a relative link: still relative. */
		r = xmlBuildURI((const xmlChar *)raw, (const xmlChar *)base);
		free(raw);
		u = r != NULL ? strdup((const char *)r) : NULL;
		xmlFree(r);
		return u;
	}
	u = url_resolve(base, raw);
	free(raw);
	if (u != NULL && (strlen(u) > PARSE_MAX_URL || !url_is_http(u))) {
		free(u);
		u = NULL;
	}
	return u;
}

/* Stores s in *dst unless a value is there already (first one wins). */
static void
set_once(char **dst, char *s)
{
	if (s != NULL && s[0] != '\0' && *dst == NULL)
		*dst = s;
	else
		free(s);
}

/* Copy of attribute (ns, name) or NULL; libxml2 escapes '&' as "&#38;". */
static char *
attr_get(const xmlChar **attrs, int nattrs, const char *ns, const char *name)
{
	int i;

	for (i = 0; i < nattrs; i++) {
		const xmlChar **a = attrs + i * 5;
		const char *uri = (const char *)a[2];
		char *v, *r, *w;

		if (strcmp((const char *)a[0], name) != 0)
			continue;
		if ((ns == NULL) != (uri == NULL) ||
		    (ns != NULL && strcmp(ns, uri) != 0))
			continue;
		v = str_ndup((const char *)a[3], (size_t)(a[4] - a[3]));
		if (v == NULL)
			return NULL;
		/*
		 * Without XML_PARSE_NOENT, SAX2 hands out "&#38;" for every
		 * '&' in an attribute value (for a later re-parse we do not
		 * do): undo exactly that.
		 */
		for (r = w = v; *r != '\0';) {
			if (strncmp(r, "&#38;", 5) == 0) {
				*w++ = '&';
				r += 5;
			} else
				*w++ = *r++;
		}
		*w = '\0';
		return v;
	}
	return NULL;
}

/* Attribute without namespace whose name matches name in any case. */
static char *
attr_get_ci(const xmlChar **attrs, int nattrs, const char *name)
{
	int i;

	for (i = 0; i < nattrs; i++)
		if (attrs[i * 5 + 2] == NULL &&
		    strcasecmp((const char *)attrs[i * 5], name) == 0)
			return attr_get(attrs + i * 5, 1, NULL,
			    (const char *)attrs[i * 5]);
	return NULL;
}

static enum space
space_of(struct pstate *st, const char *uri, const char *prefix)
{
	if (uri == NULL) {
		/* Undeclared prefixes are only a namespace error: guess. */
		if (prefix == NULL)
			return SP_CORE;
		if (strcmp(prefix, "dc") == 0)
			return SP_DC;
		if (strcmp(prefix, "content") == 0)
			return SP_CONTENT;
		if (strcmp(prefix, "sy") == 0)
			return SP_SY;
		if (strcmp(prefix, "itunes") == 0)
			return SP_ITUNES;
		if (strcmp(prefix, "media") == 0)
			return SP_MEDIA;
		return SP_OTHER;
	}
	if (strcmp(uri, NS_DC) == 0)
		return SP_DC;
	if (strcmp(uri, NS_CONTENT) == 0)
		return SP_CONTENT;
	if (strcmp(uri, NS_SY) == 0)
		return SP_SY;
	/* Apple's own documents spell it .../DTDs/Podcast-1.0.dtd. */
	if (strcasecmp(uri, NS_ITUNES) == 0)
		return SP_ITUNES;
	if (strncmp(uri, NS_MEDIA, strlen(NS_MEDIA) - 1) == 0)
		return SP_MEDIA;	/* with or without the final '/' */
	if (st->kind == ROOT_ATOM)
		return strcmp(uri, NS_ATOM10) == 0 ||
		    strcmp(uri, NS_ATOM03) == 0 || (st->root_ns != NULL &&
		    strcmp(uri, st->root_ns) == 0) ? SP_CORE : SP_OTHER;
	if (strcmp(uri, NS_RSS10) == 0 || strcmp(uri, NS_RSS090) == 0 ||
	    strncmp(uri, NS_RSS_USERLAND, strlen(NS_RSS_USERLAND)) == 0 ||
	    strcmp(uri, NS_RSS_HARVARD) == 0)
		return SP_CORE;
	return SP_OTHER;
}

static int
ends_with_xml(const char *type)
{
	size_t n = strlen(type);

	return n >= 4 && (strcasecmp(type + n - 4, "+xml") == 0 ||
	    strcasecmp(type + n - 4, "/xml") == 0);
}

/* Atom text construct type from type= (and Atom 0.3 mode=). */
static enum text_type
atom_type(struct pstate *st, const xmlChar **attrs, int nattrs)
{
	char *type = attr_get(attrs, nattrs, NULL, "type");
	char *mode = attr_get(attrs, nattrs, NULL, "mode");
	enum text_type tt = TT_TEXT;
	int html = 0, xhtml = 0;

	if (type != NULL) {
		html = strcasecmp(type, "html") == 0 ||
		    strcasecmp(type, "text/html") == 0;
		xhtml = strcasecmp(type, "xhtml") == 0 ||
		    strcasecmp(type, "application/xhtml+xml") == 0;
	}
	if (mode != NULL && strcasecmp(mode, "base64") == 0)
		tt = TT_BASE64;
	else if (type != NULL && !html && !xhtml &&
	    strchr(type, '/') != NULL && strncasecmp(type, "text/", 5) != 0 &&
	    !ends_with_xml(type))
		tt = TT_BASE64;		/* RFC 4287 4.1.3.3: other media */
	else if (mode != NULL && strcasecmp(mode, "escaped") == 0)
		tt = html || xhtml ? TT_HTML : TT_TEXT;
	else if (xhtml || (st->atom03 && html))
		tt = TT_XHTML;		/* 0.3 mode="xml": inline markup */
	else if (html)
		tt = TT_HTML;
	free(type);
	free(mode);
	return tt;
}

static void
capture(struct pstate *st, enum field f, enum text_type tt)
{
	st->cap_field = f;
	st->cap_depth = st->depth;
	st->cap_type = tt;
	st->cap_div_depth = 0;
	st->cap_children = 0;
	memset(&st->cap, 0, sizeof(st->cap));
}

static int64_t
parse_length(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' && v >= 0 ? (int64_t)v : -1;
}

static void
add_enclosure_to(struct pstate *st, struct feed_item *it, char *url,
    char *type, char *length)
{
	struct feed_enclosure *n;

	url = url_take(st, url);
	if (url == NULL || it->nenclosures >= PARSE_MAX_LIST)
		goto out;
	n = realloc(it->enclosures, (it->nenclosures + 1) * sizeof(*n));
	if (n == NULL)
		goto out;
	it->enclosures = n;
	n = &it->enclosures[it->nenclosures++];
	n->url = url;
	n->type = type != NULL && type[0] != '\0' ?
	    parse_clean_text(type) : NULL;
	n->length = parse_length(length);
	if (n->type == NULL)
		free(type);
	free(length);
	return;
 out:
	free(url);
	free(type);
	free(length);
}

static void
add_enclosure(struct pstate *st, char *url, char *type, char *length)
{
	add_enclosure_to(st, &st->cur, url, type, length);
}

/*
 * Media RSS <media:content> (alone or in <media:group>), at item depth
 * d: kept aside, and the item's enclosures only if it has no <enclosure>
 * or rel="enclosure" link, which say the same more plainly.
 */
static int
media_content(struct pstate *st, const char *name, enum space sp, int d,
    const xmlChar **attrs, int nattrs)
{
	if (sp != SP_MEDIA)
		return 0;
	if (strcmp(name, "group") == 0 && d == st->item_depth + 1)
		st->media_group_depth = d;
	else if (strcmp(name, "content") == 0 && (d == st->item_depth + 1 ||
	    (st->media_group_depth && d == st->media_group_depth + 1)))
		add_enclosure_to(st, &st->media,
		    attr_get(attrs, nattrs, NULL, "url"),
		    attr_get(attrs, nattrs, NULL, "type"),
		    attr_get(attrs, nattrs, NULL, "fileSize"));
	return 1;
}

static void
add_category(struct pstate *st, char *s)
{
	struct feed_item *it = &st->cur;
	char **n;

	parse_clean_text(s);
	if (s == NULL || s[0] == '\0' || it->ncategories >= PARSE_MAX_LIST)
		goto out;
	str_truncate_utf8(s, PARSE_MAX_TITLE);
	n = realloc(it->categories, (it->ncategories + 1) * sizeof(*n));
	if (n == NULL)
		goto out;
	it->categories = n;
	it->categories[it->ncategories++] = s;
	return;
 out:
	free(s);
}

/* itunes:keywords: a comma-separated list of categories. */
static void
add_keywords(struct pstate *st, char *s)
{
	char *p, *tok, *save = NULL;

	if (s == NULL)
		return;
	for (p = s; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		add_category(st, str_dup(tok));
	free(s);
}

/* rel of an Atom link: IANA full IRIs reduced to the short name. */
static const char *
short_rel(const char *rel)
{
	static const char iana[] = "http://www.iana.org/assignments/relation/";

	if (rel == NULL)
		return "alternate";
	if (strncmp(rel, iana, sizeof(iana) - 1) == 0)
		return rel + sizeof(iana) - 1;
	return rel;
}

/* Atom <link>: alternate (HTML preferred) becomes the link. */
static void
atom_link(struct pstate *st, const xmlChar **attrs, int nattrs, int in_item)
{
	char *rel = attr_get(attrs, nattrs, NULL, "rel");
	char *href = attr_get(attrs, nattrs, NULL, "href");
	char *type = attr_get(attrs, nattrs, NULL, "type");
	const char *r = short_rel(rel);
	char **dst = in_item ? &st->cur.link : &st->doc->link;
	int *rank = in_item ? &st->link_rank : &st->feed_link_rank;
	int nr;

	if (in_item && strcasecmp(r, "enclosure") == 0) {
		add_enclosure(st, href, type,
		    attr_get(attrs, nattrs, NULL, "length"));
		free(rel);
		return;
	}
	if (strcasecmp(r, "alternate") == 0) {
		nr = type == NULL || strcasecmp(type, "text/html") == 0 ||
		    strcasecmp(type, "application/xhtml+xml") == 0 ? 2 : 1;
		if (nr > *rank) {
			char *u = url_take(st, href);

			href = NULL;
			if (u != NULL) {
				free(*dst);
				*dst = u;
				*rank = nr;
			}
		}
	}
	free(rel);
	free(href);
	free(type);
}

static void
start_item(struct pstate *st, const xmlChar **attrs, int nattrs)
{
	feed_item_free(&st->cur);
	feed_item_free(&st->media);
	st->media_group_depth = 0;
	st->cur.published = TIME_NONE;
	st->cur.updated = TIME_NONE;
	st->item_depth = st->depth;
	st->item_skip = st->doc->nitems >= PARSE_MAX_ITEMS;
	st->guid_permalink = -1;
	st->link_rank = 0;
	st->author_depth = 0;
	if (st->kind == ROOT_RDF) {
		char *about = attr_get(attrs, nattrs, NS_RDF, "about");

		if (about != NULL)
			str_truncate_utf8(str_trim(about), PARSE_MAX_URL);
		set_once(&st->cur.guid, about);
	}
}

static void
end_item(struct pstate *st)
{
	struct feed_item *it = &st->cur, *n;

	st->item_depth = 0;
	st->author_depth = 0;
	free(st->author_name);
	free(st->author_email);
	st->author_name = st->author_email = NULL;
	if (st->item_skip) {
		feed_item_free(it);
		return;
	}
	if (it->nenclosures == 0 && st->media.nenclosures > 0) {
		it->enclosures = st->media.enclosures;
		it->nenclosures = st->media.nenclosures;
		st->media.enclosures = NULL;
		st->media.nenclosures = 0;
	}
	/* A permalink guid stands in for a missing <link>. */
	if (it->link == NULL && it->guid != NULL && st->guid_permalink != 0 &&
	    st->kind == ROOT_RSS && strlen(it->guid) <= PARSE_MAX_URL &&
	    url_is_http(it->guid))
		it->link = strdup(it->guid);
	if (st->kind == ROOT_ATOM && it->published == TIME_NONE)
		it->published = it->updated;
	if ((n = feed_doc_add_item(st->doc)) == NULL) {
		feed_item_free(it);
		refuse(st, "out of memory");
		return;
	}
	*n = *it;
	memset(it, 0, sizeof(*it));
}

static void
end_author(struct pstate *st)
{
	char *a = NULL;
	size_t n;

	st->author_depth = 0;
	if (st->author_name != NULL && st->author_email != NULL) {
		n = strlen(st->author_name) + strlen(st->author_email) + 4;
		if ((a = malloc(n)) != NULL)
			snprintf(a, n, "%s (%s)", st->author_name,
			    st->author_email);
	} else if (st->author_name != NULL)
		a = strdup(st->author_name);
	else if (st->author_email != NULL)
		a = strdup(st->author_email);
	set_once(st->item_depth ? &st->cur.author : &st->feed_author, a);
	free(st->author_name);
	free(st->author_email);
	st->author_name = st->author_email = NULL;
}

/*
 * RSS <author> is "email (Name)" by the spec; we store the
 * "Name (email)" form Atom authors get, so both read the same.
 */
static char *
author_take(char *s)
{
	char *sp, *r;
	size_t n;

	if (s == NULL || (sp = strchr(s, ' ')) == NULL || sp[1] != '(' ||
	    memchr(s, '@', (size_t)(sp - s)) == NULL ||
	    (n = strlen(s)) < 4 || s[n - 1] != ')')
		return s;
	if ((r = malloc(n + 1)) == NULL)
		return s;
	s[n - 1] = '\0';	/* the ')' */
	*sp = '\0';		/* s is the address now */
	snprintf(r, n + 1, "%s (%s)", sp + 2, s);
	free(s);
	return r;
}

/* Minutes of <ttl> (or sy:updateFrequency) as a bounded integer, or -1. */
static int64_t
parse_small_int(char *s, int64_t max)
{
	int64_t v = parse_length(s != NULL ? str_trim(s) : NULL);

	return v > max ? -1 : v;
}

/*
 * A date element ended.  RSS: the first valid one wins (pubDate before a
 * later dc:date).  Atom: the last valid one, as feedparser reads repeated
 * <updated> and <published> after <issued>.  Frees s.
 */
static void
set_date(struct pstate *st, int64_t *dst, char *s)
{
	int64_t t = date_parse(s);

	if (t != TIME_NONE && (*dst == TIME_NONE || st->kind == ROOT_ATOM))
		*dst = t;
	free(s);
}

/* The captured element ended: its text goes where it belongs. */
static void
end_capture(struct pstate *st)
{
	struct feed_doc *d = st->doc;
	struct feed_item *it = &st->cur;
	enum text_type tt = st->cap_type;
	char *s = buf_take(&st->cap);
	int64_t v;

	switch (st->cap_field) {
	case F_TITLE:
		set_once(&d->title, title_take(s, tt));
		break;
	case F_LINK:
		s = url_take(st, s);
		if (d->link == NULL && s != NULL)
			st->feed_link_rank = 2;
		set_once(&d->link, s);
		break;
	case F_DESCRIPTION:
		set_once(&d->description, summary_take(s, tt));
		break;
	case F_LANGUAGE:
		set_once(&d->language, short_text(s));
		break;
	case F_TTL:
		if ((v = parse_small_int(s, TTL_MAX_MINUTES)) >= 0)
			d->ttl = v * 60;
		free(s);
		break;
	case F_SY_PERIOD:
		parse_clean_text(s);
		if (s == NULL)
			break;
		if (strcmp(s, "hourly") == 0)
			st->sy_period = 3600;
		else if (strcmp(s, "daily") == 0)
			st->sy_period = 86400;
		else if (strcmp(s, "weekly") == 0)
			st->sy_period = 7 * 86400;
		else if (strcmp(s, "monthly") == 0)
			st->sy_period = 30 * 86400;
		else if (strcmp(s, "yearly") == 0)
			st->sy_period = 365 * 86400;
		free(s);
		break;
	case F_SY_FREQ:
		if ((v = parse_small_int(s, SY_MAX_FREQUENCY)) > 0)
			st->sy_freq = v;
		free(s);
		break;
	case F_SKIP_HOUR:
		/* RSS 2.0: 0-23; some publishers write 24 for midnight. */
		if ((v = parse_small_int(s, SKIP_HOUR_MAX)) >= 0)
			d->skip_hours |= UINT32_C(1) << (v % HOURS_PER_DAY);
		free(s);
		break;
	case F_SKIP_DAY:
		parse_clean_text(s);
		for (v = 0; s != NULL && v < DAYS_PER_WEEK; v++)
			if (strcasecmp(s, day_names[v]) == 0)
				d->skip_days |= (uint8_t)(1u << v);
		free(s);
		break;
	case I_TITLE:
		set_once(&it->title, title_take(s, tt));
		break;
	case I_LINK:
		set_once(&it->link, url_take(st, s));
		break;
	case I_GUID:
		if (s != NULL)
			str_truncate_utf8(str_trim(s), PARSE_MAX_URL);
		set_once(&it->guid, s);
		break;
	case I_PUBLISHED:
		set_date(st, &it->published, s);
		break;
	case I_UPDATED:
		set_date(st, &it->updated, s);
		break;
	case I_AUTHOR:
		set_once(&it->author, author_take(short_text(s)));
		break;
	case I_AUTHOR_NAME:
		set_once(&st->author_name, short_text(s));
		break;
	case I_AUTHOR_EMAIL:
		set_once(&st->author_email, short_text(s));
		break;
	case I_SUMMARY:
		set_once(&it->summary, summary_take(s, tt));
		break;
	case I_CONTENT:
		set_once(&it->content, content_take(s, tt));
		break;
	case I_CATEGORY:
		add_category(st, s);
		break;
	case I_KEYWORDS:
		add_keywords(st, s);
		break;
	case F_AUTHOR:
		set_once(&st->feed_author, author_take(short_text(s)));
		break;
	case F_NONE:
		free(s);
		break;
	}
	st->cap_field = F_NONE;
}

/* An element inside a captured one: serialized as markup. */
static void
capture_child_start(struct pstate *st, const char *name, const char *uri,
    const xmlChar **attrs, int nattrs)
{
	int i;

	if (st->depth == st->cap_depth + 1) {
		if (st->cap_type == TT_XHTML && !st->cap_children &&
		    strcmp(name, "div") == 0 && uri != NULL &&
		    strcmp(uri, NS_XHTML) == 0) {
			/* Atom: the wrapper div is not part of the content. */
			st->cap_div_depth = st->depth;
			st->cap_children = 1;
			return;
		}
		st->cap_children = 1;
	}
	/* Markup in a "text" construct (Atom 0.3 naked markup) is HTML. */
	if (st->cap_type == TT_TEXT)
		st->cap_type = TT_HTML;
	buf_adds(&st->cap, "<");
	buf_adds(&st->cap, name);
	for (i = 0; i < nattrs; i++) {
		const xmlChar **a = attrs + i * 5;
		char *v = attr_get(attrs + i * 5, 1, (const char *)a[2],
		    (const char *)a[0]);

		buf_adds(&st->cap, " ");
		buf_adds(&st->cap, (const char *)a[0]);
		buf_adds(&st->cap, "=\"");
		if (v != NULL)
			buf_add_escaped(&st->cap, v, strlen(v));
		buf_adds(&st->cap, "\"");
		free(v);
	}
	buf_adds(&st->cap, ">");
}

static void
capture_child_end(struct pstate *st, const char *name)
{
	size_t i;

	if (st->depth == st->cap_div_depth) {
		st->cap_div_depth = 0;
		return;
	}
	for (i = 0; i < sizeof(void_elems) / sizeof(void_elems[0]); i++)
		if (strcasecmp(name, void_elems[i]) == 0)
			return;
	buf_adds(&st->cap, "</");
	buf_adds(&st->cap, name);
	buf_adds(&st->cap, ">");
}

/* The root element decides the format, or that this is not a feed. */
static void
start_root(struct pstate *st, const char *name, const char *prefix,
    const char *uri, const xmlChar **attrs, int nattrs)
{
	struct feed_doc *d = st->doc;
	char *ver = attr_get(attrs, nattrs, NULL, "version");

	if (strcmp(name, "rss") == 0) {
		st->kind = ROOT_RSS;
		if (ver == NULL)
			d->format = "rss2.0";
		else if (strcmp(ver, "0.91") == 0)
			d->format = "rss0.91";
		else if (strcmp(ver, "0.92") == 0)
			d->format = "rss0.92";
		else if (strcmp(ver, "0.90") == 0)
			d->format = "rss0.90";
		else if (strcmp(ver, "0.93") == 0)
			d->format = "rss0.93";
		else if (strcmp(ver, "0.94") == 0)
			d->format = "rss0.94";
		else
			d->format = "rss2.0";
	} else if (strcmp(name, "RDF") == 0 && uri != NULL &&
	    strcmp(uri, NS_RDF) == 0) {
		st->kind = ROOT_RDF;
		d->format = "rss1.0";
	} else if (strcmp(name, "feed") == 0) {
		/* Atom drafts used other namespaces: <feed> is enough. */
		st->kind = ROOT_ATOM;
		st->root_ns = str_dup(uri);
		st->atom03 = (uri != NULL && strcmp(uri, NS_ATOM03) == 0) ||
		    (ver != NULL && strcmp(ver, "0.3") == 0);
		d->format = st->atom03 ? "atom0.3" : "atom1.0";
		set_once(&d->language, parse_clean_text(attr_get(attrs, nattrs,
		    NS_XML, "lang")));
	} else if (strcasecmp(name, "channel") == 0 && uri == NULL) {
		/* Microsoft's Channel Definition Format (1997), as feedparser. */
		st->kind = ROOT_CDF;
		st->channel_depth = 1;
		d->format = "cdf";
		set_once(&d->link, url_take(st, attr_get_ci(attrs, nattrs,
		    "href")));
	} else
		refuse(st, "not a feed: root element <%s%s%.64s>",
		    prefix != NULL ? prefix : "", prefix != NULL ? ":" : "",
		    name);
	free(ver);
}

/*
 * CDF: <CHANNEL HREF><TITLE/><ABSTRACT/><ITEM HREF LASTMOD>...</ITEM>,
 * names in any case.
 */
static void
start_cdf(struct pstate *st, const char *name, const xmlChar **attrs,
    int nattrs)
{
	int d = st->depth;

	if (st->item_depth && d == st->item_depth + 1 && !st->item_skip) {
		if (strcasecmp(name, "title") == 0)
			capture(st, I_TITLE, TT_GUESS);
		else if (strcasecmp(name, "abstract") == 0)
			capture(st, I_SUMMARY, TT_HTML);
	} else if (!st->item_depth && d == st->channel_depth + 1) {
		if (strcasecmp(name, "title") == 0)
			capture(st, F_TITLE, TT_GUESS);
		else if (strcasecmp(name, "abstract") == 0)
			capture(st, F_DESCRIPTION, TT_HTML);
		else if (strcasecmp(name, "item") == 0) {
			start_item(st, attrs, nattrs);
			st->cur.link = url_take(st, attr_get_ci(attrs, nattrs,
			    "href"));
			set_date(st, &st->cur.updated, attr_get_ci(attrs,
			    nattrs, "lastmod"));
		}
	}
}

/*
 * RSS 0.9x/1.0/2.0 element at the current depth.  Names compare without
 * case, as iTunes (and feedparser) read them: <TiTlE> is a title.
 */
static void
start_rss(struct pstate *st, const char *name, enum space sp,
    const char *uri, const xmlChar **attrs, int nattrs)
{
	int d = st->depth;

	if (sp == SP_CORE && strcasecmp(name, "channel") == 0 && d == 2) {
		st->channel_depth = d;
		if (st->kind == ROOT_RDF && uri != NULL &&
		    strcmp(uri, NS_RSS090) == 0)
			st->doc->format = "rss0.90";
		return;
	}
	if (sp == SP_CORE && strcasecmp(name, "item") == 0 && st->item_depth == 0 &&
	    (d == 2 || (st->channel_depth && d == st->channel_depth + 1))) {
		start_item(st, attrs, nattrs);
		return;
	}
	if (st->item_depth && !st->item_skip && media_content(st, name, sp, d,
	    attrs, nattrs))
		return;
	if (st->item_depth && d == st->item_depth + 1) {
		if (st->item_skip)
			return;
		if (sp == SP_CORE) {
			if (strcasecmp(name, "title") == 0)
				capture(st, I_TITLE, TT_GUESS);
			else if (strcasecmp(name, "link") == 0)
				capture(st, I_LINK, TT_TEXT);
			else if (strcasecmp(name, "guid") == 0) {
				char *pl = attr_get(attrs, nattrs, NULL,
				    "isPermaLink");

				if (pl != NULL && st->cur.guid == NULL)
					st->guid_permalink =
					    strcasecmp(pl, "false") != 0;
				free(pl);
				capture(st, I_GUID, TT_TEXT);
			} else if (strcasecmp(name, "pubDate") == 0)
				capture(st, I_PUBLISHED, TT_TEXT);
			else if (strcasecmp(name, "description") == 0)
				capture(st, I_SUMMARY, TT_HTML);
			else if (strcasecmp(name, "author") == 0)
				capture(st, I_AUTHOR, TT_TEXT);
			else if (strcasecmp(name, "category") == 0)
				capture(st, I_CATEGORY, TT_TEXT);
			else if (strcasecmp(name, "enclosure") == 0)
				add_enclosure(st,
				    attr_get(attrs, nattrs, NULL, "url"),
				    attr_get(attrs, nattrs, NULL, "type"),
				    attr_get(attrs, nattrs, NULL, "length"));
		} else if (sp == SP_DC) {
			if (strcasecmp(name, "date") == 0)
				capture(st, I_PUBLISHED, TT_TEXT);
			else if (strcasecmp(name, "creator") == 0 ||
			    strcasecmp(name, "author") == 0)
				capture(st, I_AUTHOR, TT_TEXT);
			else if (strcasecmp(name, "subject") == 0)
				capture(st, I_CATEGORY, TT_TEXT);
			else if (strcasecmp(name, "title") == 0)
				capture(st, I_TITLE, TT_GUESS);
			else if (strcasecmp(name, "description") == 0)
				capture(st, I_SUMMARY, TT_HTML);
		} else if (sp == SP_CONTENT && strcasecmp(name, "encoded") == 0)
			capture(st, I_CONTENT, TT_HTML);
		else if (sp == SP_ITUNES && strcasecmp(name, "author") == 0)
			capture(st, I_AUTHOR, TT_TEXT);
		else if (sp == SP_ITUNES && strcasecmp(name, "keywords") == 0)
			capture(st, I_KEYWORDS, TT_TEXT);
		return;
	}
	if (st->skip_depth && d == st->skip_depth + 1 && sp == SP_CORE) {
		if (strcasecmp(name, "hour") == 0)
			capture(st, F_SKIP_HOUR, TT_TEXT);
		else if (strcasecmp(name, "day") == 0)
			capture(st, F_SKIP_DAY, TT_TEXT);
		return;
	}
	if (st->channel_depth && d == st->channel_depth + 1 &&
	    !st->item_depth) {
		if (sp == SP_CORE && (strcasecmp(name, "skipHours") == 0 ||
		    strcasecmp(name, "skipDays") == 0)) {
			st->skip_depth = d;
			return;
		}
		if (sp == SP_CORE) {
			if (strcasecmp(name, "title") == 0)
				capture(st, F_TITLE, TT_GUESS);
			else if (strcasecmp(name, "link") == 0)
				capture(st, F_LINK, TT_TEXT);
			else if (strcasecmp(name, "description") == 0)
				capture(st, F_DESCRIPTION, TT_HTML);
			else if (strcasecmp(name, "language") == 0)
				capture(st, F_LANGUAGE, TT_TEXT);
			else if (strcasecmp(name, "ttl") == 0)
				capture(st, F_TTL, TT_TEXT);
		} else if (sp == SP_DC && strcasecmp(name, "language") == 0)
			capture(st, F_LANGUAGE, TT_TEXT);
		else if (sp == SP_DC && strcasecmp(name, "title") == 0)
			capture(st, F_TITLE, TT_GUESS);
		else if ((sp == SP_ITUNES && strcasecmp(name, "author") == 0) ||
		    (sp == SP_DC && strcasecmp(name, "creator") == 0))
			capture(st, F_AUTHOR, TT_TEXT);
		else if (sp == SP_SY && strcasecmp(name, "updatePeriod") == 0)
			capture(st, F_SY_PERIOD, TT_TEXT);
		else if (sp == SP_SY && strcasecmp(name, "updateFrequency") == 0)
			capture(st, F_SY_FREQ, TT_TEXT);
	}
}

/* Atom 0.3/1.0 element at the current depth. */
static void
start_atom(struct pstate *st, const char *name, enum space sp,
    const xmlChar **attrs, int nattrs)
{
	int d = st->depth;

	if (sp == SP_CORE && d == 2 && strcmp(name, "entry") == 0) {
		start_item(st, attrs, nattrs);
		st->guid_permalink = 0;
		return;
	}
	if (st->item_depth && st->item_skip)
		return;
	if (st->item_depth && media_content(st, name, sp, d, attrs, nattrs))
		return;
	if (st->author_depth && d == st->author_depth + 1 && sp == SP_CORE) {
		if (strcmp(name, "name") == 0)
			capture(st, I_AUTHOR_NAME, TT_TEXT);
		else if (strcmp(name, "email") == 0)
			capture(st, I_AUTHOR_EMAIL, TT_TEXT);
		return;
	}
	if (st->item_depth && d == st->item_depth + 1) {
		if (sp == SP_DC) {
			if (strcmp(name, "creator") == 0)
				capture(st, I_AUTHOR, TT_TEXT);
			else if (strcmp(name, "subject") == 0)
				capture(st, I_CATEGORY, TT_TEXT);
			else if (strcmp(name, "date") == 0)
				capture(st, I_PUBLISHED, TT_TEXT);
			return;
		}
		if (sp != SP_CORE)
			return;
		if (strcmp(name, "title") == 0)
			capture(st, I_TITLE, atom_type(st, attrs, nattrs));
		else if (strcmp(name, "link") == 0)
			atom_link(st, attrs, nattrs, 1);
		else if (strcmp(name, "id") == 0)
			capture(st, I_GUID, TT_TEXT);
		else if (strcmp(name, "published") == 0 ||
		    strcmp(name, "issued") == 0 ||
		    strcmp(name, "created") == 0)
			capture(st, I_PUBLISHED, TT_TEXT);
		else if (strcmp(name, "updated") == 0 ||
		    strcmp(name, "modified") == 0)
			capture(st, I_UPDATED, TT_TEXT);
		else if (strcmp(name, "summary") == 0)
			capture(st, I_SUMMARY, atom_type(st, attrs, nattrs));
		else if (strcmp(name, "content") == 0)
			capture(st, I_CONTENT, atom_type(st, attrs, nattrs));
		else if (strcmp(name, "category") == 0) {
			char *term = attr_get(attrs, nattrs, NULL, "term");

			if (term == NULL)
				term = attr_get(attrs, nattrs, NULL, "label");
			add_category(st, term);
		} else if (strcmp(name, "author") == 0)
			st->author_depth = d;
		return;
	}
	if (!st->item_depth && d == 2 && sp == SP_CORE) {
		if (strcmp(name, "title") == 0)
			capture(st, F_TITLE, atom_type(st, attrs, nattrs));
		else if (strcmp(name, "link") == 0)
			atom_link(st, attrs, nattrs, 0);
		else if (strcmp(name, "subtitle") == 0 ||
		    strcmp(name, "tagline") == 0)
			capture(st, F_DESCRIPTION,
			    atom_type(st, attrs, nattrs));
		else if (strcmp(name, "author") == 0)
			st->author_depth = d;
	}
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct pstate *st = ctx;
	const char *name = (const char *)localname;
	const char *uri = (const char *)URI;
	struct frame *f;
	char *xb;

	if (st->policy != NULL)
		return;
	if (st->depth + 1 > PARSE_MAX_DEPTH) {
		refuse(st, "elements nested deeper than %d levels",
		    PARSE_MAX_DEPTH);
		return;
	}
	st->depth++;
	f = &st->frames[st->depth];
	f->own = NULL;
	f->base = st->frames[st->depth - 1].base;
	/* xml:base is resolved against the enclosing base. */
	if ((xb = attr_get(attributes, nb_attributes, NS_XML, "base")) != NULL) {
		char *r;

		str_trim(xb);
		r = url_resolve(f->base, xb);
		if (r == NULL && f->base == NULL)
			r = xb, xb = NULL;
		free(xb);
		if (r != NULL)
			f->base = f->own = r;
	}
	if (st->cap_field != F_NONE) {
		capture_child_start(st, name, uri, attributes, nb_attributes);
		return;
	}
	if (st->depth == 1) {
		start_root(st, name, (const char *)prefix, uri, attributes,
		    nb_attributes);
		return;
	}
	if (st->kind == ROOT_CDF)
		start_cdf(st, name, attributes, nb_attributes);
	else if (st->kind == ROOT_ATOM)
		start_atom(st, name, space_of(st, uri, (const char *)prefix),
		    attributes, nb_attributes);
	else if (st->kind != ROOT_NONE)
		start_rss(st, name, space_of(st, uri, (const char *)prefix),
		    uri, attributes, nb_attributes);
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *URI)
{
	struct pstate *st = ctx;
	int d = st->depth;

	if (st->policy != NULL || d == 0)
		return;
	if (st->cap_field != F_NONE && d > st->cap_depth)
		capture_child_end(st, (const char *)localname);
	else if (st->cap_field != F_NONE)
		end_capture(st);
	else if (d == st->media_group_depth)
		st->media_group_depth = 0;
	else if (d == st->author_depth)
		end_author(st);
	else if (d == st->item_depth)
		end_item(st);
	else if (d == st->skip_depth)
		st->skip_depth = 0;
	else if (d == st->channel_depth)
		st->channel_depth = 0;
	free(st->frames[d].own);
	st->frames[d].own = NULL;
	st->depth--;
}

static void
on_text(void *ctx, const xmlChar *ch, int len)
{
	struct pstate *st = ctx;

	if (st->policy != NULL || st->cap_field == F_NONE || len <= 0)
		return;
	if (st->cap_type == TT_XHTML)
		buf_add_escaped(&st->cap, (const char *)ch, (size_t)len);
	else
		buf_add(&st->cap, (const char *)ch, (size_t)len);
}

/* Any entity declaration stops the parse: bombs and XXE in one rule. */
static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
    const xmlChar *publicId, const xmlChar *systemId, xmlChar *content)
{
	refuse(ctx, "DTD entity declarations are not allowed");
}

static void
on_unparsed_entity_decl(void *ctx, const xmlChar *name,
    const xmlChar *publicId, const xmlChar *systemId,
    const xmlChar *notationName)
{
	refuse(ctx, "DTD entity declarations are not allowed");
}

/* Encodes code point cp as UTF-8 into out (>= 5 bytes); returns length. */
static size_t
utf8_encode(unsigned cp, xmlChar *out)
{
	if (cp < 0x80) {
		out[0] = (xmlChar)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (xmlChar)(0xc0 | (cp >> 6));
		out[1] = (xmlChar)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (xmlChar)(0xe0 | (cp >> 12));
		out[1] = (xmlChar)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (xmlChar)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (xmlChar)(0xf0 | (cp >> 18));
	out[1] = (xmlChar)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (xmlChar)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (xmlChar)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Undeclared entities: feeds use HTML ones (&nbsp; &eacute; &mdash;)
 * without a DTD.  Offer them to libxml2 as predefined entities built from
 * its own HTML table, so they decode to the character and nothing else.
 */
static xmlEntityPtr
on_get_entity(void *ctx, const xmlChar *name)
{
	struct pstate *st = ctx;
	const htmlEntityDesc *e;
	struct html_entity *he;
	size_t n;
	int i;

	for (i = 0; i < st->nents; i++)
		if (xmlStrcmp(st->ents[i]->name, name) == 0)
			return &st->ents[i]->ent;
	if (st->nents == PARSE_MAX_ENTITIES ||
	    xmlStrlen(name) >= ENTITY_NAME_MAX)
		return NULL;
	if ((he = calloc(1, sizeof(*he))) == NULL)
		return NULL;
	memcpy(he->name, name, (size_t)xmlStrlen(name) + 1);
	/* Not HTML either: the reference stays as text, as feedparser does. */
	if ((e = htmlEntityLookup(name)) != NULL)
		n = utf8_encode(e->value, he->content);
	else
		n = (size_t)snprintf((char *)he->content, sizeof(he->content),
		    "&%s;", (const char *)name);
	he->content[n] = '\0';
	he->ent.type = XML_ENTITY_DECL;
	he->ent.etype = XML_INTERNAL_PREDEFINED_ENTITY;
	he->ent.name = he->name;
	he->ent.content = he->content;
	he->ent.length = (int)n;
	st->ents[st->nents++] = he;
	/*
	 * Without a DTD that could declare it, the reference makes the
	 * document not well-formed: decoded anyway, but said so.
	 */
	if (!st->ctxt->hasExternalSubset && st->note == NULL) {
		char msg[PARSE_MAX_ERROR];

		snprintf(msg, sizeof(msg), "line %d: undeclared entity &%s; "
		    "decoded as HTML", xmlSAX2GetLineNumber(st->ctxt),
		    (const char *)name);
		st->note = strdup(msg);
	}
	return &he->ent;
}

static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct pstate *st = ctx;
	char msg[PARSE_MAX_ERROR];
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || st->xml_err != NULL)
		return;
	snprintf(msg, sizeof(msg), "line %d: %s", e->line,
	    e->message != NULL ? e->message : "malformed XML");
	n = strlen(msg);
	while (n > 0 && isspace((unsigned char)msg[n - 1]))
		msg[--n] = '\0';
	/* "Bytes: 0x.." follows on a second line: keep one line. */
	for (n = 0; msg[n] != '\0'; n++)
		if (msg[n] == '\n' || msg[n] == '\r')
			msg[n] = ' ';
	/*
	 * An undeclared prefix is only a namespace error: libxml2 keeps
	 * going and so do we, but the document is not well-formed.
	 */
	if (e->domain == XML_FROM_NAMESPACE) {
		if (st->note == NULL)
			st->note = strdup(msg);
		return;
	}
	st->xml_err = strdup(msg);
	st->xml_code = e->code;
}

/*
 * Pre-lexer: 1 if some start tag has more than PARSE_MAX_ATTRS
 * attributes ('=' outside quotes).  libxml2 2.9.14 is quadratic in them.
 */
static int
too_many_attrs(const unsigned char *p, size_t n)
{
	size_t i = 0, j;
	const unsigned char *q;

	while (i < n) {
		int quote = 0, count = 0;

		if ((q = memchr(p + i, '<', n - i)) == NULL)
			return 0;
		i = (size_t)(q - p) + 1;
		for (j = i; j < n && p[j] == 0; j++)
			;
		if (j < n && (p[j] == '!' || p[j] == '?')) {
			const char *end = NULL;

			if (n - j >= 3 && memcmp(p + j, "!--", 3) == 0)
				end = "-->";
			else if (n - j >= 8 && memcmp(p + j, "![CDATA[", 8) == 0)
				end = "]]>";
			else if (p[j] == '?')
				end = "?>";
			if (end != NULL) {
				q = memmem(p + j, n - j, end, strlen(end));
				if (q == NULL)
					return 0;
				i = (size_t)(q - p) + strlen(end);
			}
			continue;
		}
		for (; i < n; i++) {
			unsigned char c = p[i];

			if (quote) {
				if (c == quote)
					quote = 0;
			} else if (c == '"' || c == '\'')
				quote = c;
			else if (c == '=') {
				if (++count > PARSE_MAX_ATTRS)
					return 1;
			} else if (c == '>' || c == '<')
				break;
		}
	}
	return 0;
}

/* The charset parameter of a Content-Type value into out; 1 if found. */
static int
http_charset(const char *ct, char out[CHARSET_MAX])
{
	const char *p;
	size_t n = 0;

	if (ct == NULL)
		return 0;
	for (p = strchr(ct, ';'); p != NULL; p = strchr(p, ';')) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"')
			p++;
		while (n + 1 < CHARSET_MAX && (isalnum((unsigned char)p[n]) ||
		    strchr("-_.:+", p[n]) != NULL) && p[n] != '\0') {
			out[n] = p[n];
			n++;
		}
		out[n] = '\0';
		return n > 0;
	}
	return 0;
}

/*
 * The encoding="..." of an XML declaration at p[0..n) into out; 1 if
 * found.  Only for names libxml2 2.9.14 refuses to read from the
 * declaration itself although iconv knows them (encoding="437" breaks
 * the XML EncName rule, and libxml2 stops at it even when told to ignore
 * it): returns the length of the declaration, which the caller skips
 * while forcing the name; else 0.
 */
static size_t
declared_encoding(const unsigned char *p, size_t n, char out[CHARSET_MAX])
{
	const unsigned char *end, *q;
	size_t k = 0;
	unsigned char quote;

	if (n < 6 || memcmp(p, "<?xml", 5) != 0 ||
	    (end = memmem(p, n, "?>", 2)) == NULL)
		return 0;
	q = memmem(p, (size_t)(end - p), "encoding", 8);
	if (q == NULL)
		return 0;
	for (q += 8; q < end && (*q == ' ' || *q == '\t' || *q == '\r' ||
	    *q == '\n' || *q == '='); q++)
		;
	if (q >= end || (*q != '"' && *q != '\''))
		return 0;
	quote = *q++;
	while (q + k < end && q[k] != quote && k + 1 < CHARSET_MAX) {
		if (!isalnum(q[k]) && strchr("-_.:", q[k]) == NULL)
			return 0;
		out[k] = (char)q[k];
		k++;
	}
	out[k] = '\0';
	/* What libxml2 reads itself needs no help (and keeps its checks). */
	if (k > 0 && q + k < end && q[k] == quote && !isalpha(q[0]))
		return (size_t)(end + 2 - p);
	return 0;
}

/*
 * 1 (and an error recorded) if the converter met bytes the encoding does
 * not have: libxml2 then stops without a parser error, and the document
 * must not pass as complete.
 */
static int
converter_failed(struct pstate *st)
{
	xmlParserInputPtr in = st->ctxt->input;

	if (in == NULL || in->buf == NULL || in->buf->error == 0 ||
	    st->policy != NULL)
		return 0;
	if (st->xml_err == NULL)
		st->xml_err = strdup("the bytes are not valid in the "
		    "document's encoding");
	st->enc_fail = 1;
	return 1;
}

static void
pstate_free(struct pstate *st)
{
	int i;

	for (i = 0; i <= PARSE_MAX_DEPTH; i++)
		free(st->frames[i].own);
	feed_item_free(&st->cur);
	feed_item_free(&st->media);
	free(st->cap.p);
	free(st->author_name);
	free(st->author_email);
	free(st->policy);
	free(st->xml_err);
	free(st->note);
	free(st->root_ns);
	free(st->feed_author);
	for (i = 0; i < st->nents; i++)
		free(st->ents[i]);
}

/*
 * One pass of libxml2 over body[0..len), with encoding forced (declaration
 * ignored) when it is not NULL.  Returns 0, -1 or PARSE_RETRY.
 */
static int
parse_once(const char *body, size_t len, const char *doc_url,
    const char *encoding, struct feed_doc *out)
{
	struct pstate st;
	xmlSAXHandler sax;
	xmlCharEncodingHandlerPtr h = NULL;
	size_t off;
	int rc = -1, opts = XML_PARSE_NONET;

	memset(&st, 0, sizeof(st));
	st.doc = out;
	st.frames[0].base = doc_url;
	st.cur.published = st.cur.updated = TIME_NONE;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.ignorableWhitespace = on_text;
	sax.entityDecl = on_entity_decl;
	sax.unparsedEntityDecl = on_unparsed_entity_decl;
	sax.getEntity = on_get_entity;
	sax.serror = on_error;

	if (encoding != NULL) {
		if ((h = xmlFindCharEncodingHandler(encoding)) == NULL)
			encoding = NULL;	/* unknown: the document decides */
		else
			opts |= XML_PARSE_IGNORE_ENC;
	}
	st.ctxt = xmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL);
	if (st.ctxt == NULL) {
		if (h != NULL)
			xmlCharEncCloseFunc(h);
		out->error = strdup("out of memory");
		goto done;
	}
	xmlCtxtUseOptions(st.ctxt, opts);
	if (h != NULL)
		xmlSwitchToEncoding(st.ctxt, h);	/* takes h */
	for (off = 0; off < len && st.policy == NULL; off += PARSE_CHUNK) {
		size_t n = len - off < PARSE_CHUNK ? len - off : PARSE_CHUNK;

		if (xmlParseChunk(st.ctxt, body + off, (int)n, 0) != 0 &&
		    st.xml_err != NULL)
			break;
		if (converter_failed(&st))
			break;
	}
	if (st.policy == NULL && st.xml_err == NULL) {
		xmlParseChunk(st.ctxt, NULL, 0, 1);
		converter_failed(&st);
	}

	/* An item still open at the end was cut off: dropped. */
	feed_item_free(&st.cur);
	if (st.policy != NULL) {
		out->error = st.policy;
		st.policy = NULL;
		goto done;
	}
	if (st.xml_err != NULL && ((st.xml_code == XML_ERR_INVALID_CHAR &&
	    strstr(st.xml_err, "UTF-8") != NULL &&
	    (encoding == NULL || strcasecmp(encoding, "utf-8") == 0 ||
	    strcasecmp(encoding, "utf8") == 0)) || (st.enc_fail &&
	    encoding != NULL && strcmp(encoding, "windows-1252") == 0))) {
		rc = PARSE_RETRY;
		goto done;
	}
	if (st.kind == ROOT_NONE) {
		char msg[PARSE_MAX_ERROR];

		snprintf(msg, sizeof(msg), "not a feed: %s", st.xml_err != NULL ?
		    st.xml_err : "no root element");
		out->error = strdup(msg);
		goto done;
	}
	/* Atom 4.2.1: an entry without author has the feed's. */
	for (off = 0; st.feed_author != NULL && off < out->nitems; off++)
		if (out->items[off].author == NULL)
			out->items[off].author = str_dup(st.feed_author);
	if (out->ttl < 0 && st.sy_period > 0)
		out->ttl = st.sy_period / (st.sy_freq > 0 ? st.sy_freq : 1);
	if (st.xml_err != NULL) {
		/* The root said "feed": what came before the error stands. */
		out->error = st.xml_err;
		st.xml_err = NULL;
		rc = 0;
		goto done;
	}
	if (st.note != NULL) {
		out->error = st.note;
		st.note = NULL;
	}
	rc = 0;
 done:
	if (st.ctxt != NULL) {
		/*
		 * libxml2 builds a stub document to hold declarations it met
		 * (SAX compat mode); the context does not free it.
		 */
		if (st.ctxt->myDoc != NULL)
			xmlFreeDoc(st.ctxt->myDoc);
		st.ctxt->myDoc = NULL;
		xmlFreeParserCtxt(st.ctxt);
	}
	pstate_free(&st);
	return rc;
}

int
parse_feed(const char *body, size_t len, const char *doc_url,
    const char *content_type, struct feed_doc *out)
{
	const unsigned char *p = (const unsigned char *)body;
	char charset[CHARSET_MAX], declared[CHARSET_MAX];
	const char *enc = NULL;
	size_t start = 0, ws, decl;
	int rc;

	if (body == NULL)
		len = 0;
	/*
	 * UTF-32 (libxml2 2.9.14 does not detect it) and UTF-16 without a
	 * BOM: the first '<' tells, the declaration cannot be read yet.
	 */
	if (len >= 4 && memcmp(p, "\0\0\xfe\xff", 4) == 0)
		enc = "UTF-32BE", start = 4;
	else if (len >= 4 && memcmp(p, "\xff\xfe\0\0", 4) == 0)
		enc = "UTF-32LE", start = 4;
	else if (len >= 4 && memcmp(p, "\0\0\0<", 4) == 0)
		enc = "UTF-32BE";
	else if (len >= 4 && memcmp(p, "<\0\0\0", 4) == 0)
		enc = "UTF-32LE";
	else if (len >= 4 && memcmp(p, "\0<\0?", 4) == 0)
		enc = "UTF-16BE";
	else if (len >= 4 && memcmp(p, "<\0?\0", 4) == 0)
		enc = "UTF-16LE";
	if (enc != NULL) {
		if (start == len) {
			out->error = strdup("empty document");
			return -1;
		}
	} else if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
	    (p[0] == 0xfe && p[1] == 0xff))) {
		/* UTF-16 BOM: libxml2 detects it, nothing to skip or force. */
		if (len == 2) {
			out->error = strdup("empty document");
			return -1;
		}
	} else {
		if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
			start = 3;
			enc = "UTF-8";		/* the BOM outranks the rest */
		}
		/* libxml2 rejects whitespace before the XML declaration. */
		for (ws = start; ws < len && isspace(p[ws]); ws++)
			;
		if (ws == len) {
			out->error = strdup("empty document");
			return -1;
		}
		/* JSON Feed: a JSON object where XML has its first '<'. */
		if (p[ws] == '{')
			return jsonfeed_parse(body + ws, len - ws, doc_url,
			    out);
		if (ws == start && start > 0) {
			start = 0;	/* BOM right before '<': leave it */
			enc = NULL;
		} else
			start = ws;
		/* Skipped either way: libxml2 would stop at the name. */
		decl = declared_encoding(p + start, len - start, declared);
		if (enc == NULL && http_charset(content_type, charset))
			enc = charset;
		else if (enc == NULL && decl > 0)
			enc = declared;
		if (enc != NULL)
			start += decl;
	}
	if (too_many_attrs(p + start, len - start)) {
		char msg[PARSE_MAX_ERROR];

		snprintf(msg, sizeof(msg), "an element has more than %d "
		    "attributes", PARSE_MAX_ATTRS);
		out->error = strdup(msg);
		return -1;
	}
	rc = parse_once(body + start, len - start, doc_url, enc, out);
	if (rc == PARSE_RETRY) {
		/* Not UTF-8 after all: windows-1252, else Latin-1. */
		feed_doc_free(out);
		enc = "windows-1252";
		rc = parse_once(body + start, len - start, doc_url, enc, out);
		if (rc == PARSE_RETRY) {
			feed_doc_free(out);
			enc = "ISO-8859-1";
			rc = parse_once(body + start, len - start, doc_url, enc,
			    out);
		}
		if (rc == 0 && out->error == NULL) {
			char msg[PARSE_MAX_ERROR];

			snprintf(msg, sizeof(msg), "declared encoding UTF-8 "
			    "does not match the bytes; decoded as %s", enc);
			out->error = strdup(msg);
		}
		if (rc == PARSE_RETRY)
			rc = -1;
	}
	return rc;
}

size_t
parse_clamp_future(struct feed_doc *d, int64_t fetch_time)
{
	struct feed_item *it;
	size_t i, n = 0;

	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		if (it->published != TIME_NONE &&
		    it->published > fetch_time + PARSE_FUTURE_TOLERANCE) {
			it->published = fetch_time;
			it->date_clamped = 1;
		}
		if (it->updated != TIME_NONE &&
		    it->updated > fetch_time + PARSE_FUTURE_TOLERANCE) {
			it->updated = fetch_time;
			it->date_clamped = 1;
		}
		n += it->date_clamped != 0;
	}
	return n;
}

/* The pre-lexer, for the other libxml2 readers of common/ (OPML). */
int
parse_attrs_exceed(const char *body, size_t len)
{
	return too_many_attrs((const unsigned char *)body, len);
}
