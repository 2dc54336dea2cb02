/*
 * opml.c - OPML subscription lists read and written.
 *
 * Reads with libxml2's push SAX parser under the same policy as the feed
 * parser (../shared/hostile/NOTES.md, section 1): no DTD loads, no
 * network, any entity declaration stops the parse, too many attributes
 * on a tag are refused before libxml2 sees them.  Writes OPML 2.0 by hand
 * into a memory stream.  No I/O beyond memory, no global state.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "opml.h"
#include "parse.h"
#include "sanitize.h"
#include "url.h"
#include "util.h"

/* Folder names of the enclosing outlines, one per nesting level. */
struct ostate {
	xmlParserCtxtPtr ctxt;
	struct opml	*o;
	char		*folders[OPML_MAX_DEPTH];
	int		 depth;		/* of elements */
	int		 odepth;	/* of <outline>s */
	int		 root_seen;	/* the root element was <opml> */
	char		*policy;	/* our own refusal; first one wins */
	char		*xml_err;	/* libxml2's first error */
	int		 nomem;
};

static void
state_refuse(struct ostate *st, const char *fmt, ...)
{
	va_list ap;
	char msg[OPML_MAX_ERROR];

	if (st->policy == NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if ((st->policy = strdup(msg)) == NULL)
			st->nomem = 1;
	}
	xmlStopParser(st->ctxt);
}

/* Records a bad outline with its line; the parse goes on. */
static void
bad_entry(struct ostate *st, const char *fmt, ...)
{
	struct opml_error *e;
	va_list ap;
	char msg[OPML_MAX_ERROR];

	e = reallocarray(st->o->errors, st->o->nerrors + 1, sizeof(*e));
	if (e == NULL) {
		st->nomem = 1;
		xmlStopParser(st->ctxt);
		return;
	}
	st->o->errors = e;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e[st->o->nerrors].line = xmlSAX2GetLineNumber(st->ctxt);
	if ((e[st->o->nerrors].msg = strdup(msg)) == NULL) {
		st->nomem = 1;
		xmlStopParser(st->ctxt);
		return;
	}
	st->o->nerrors++;
}

/* The value of attribute name (ASCII case ignored, no namespace). */
static char *
attr_dup(const xmlChar **attrs, int nattrs, const char *name)
{
	int i;

	for (i = 0; i < nattrs; i++) {
		const xmlChar **a = attrs + i * 5;

		char *v, *r, *w;

		if (a[2] != NULL || strcasecmp((const char *)a[0], name) != 0)
			continue;
		if ((v = str_ndup((const char *)a[3],
		    (size_t)(a[4] - a[3]))) == NULL)
			return NULL;
		/* Without NOENT, SAX2 gives '&' as "&#38;": undo just that. */
		for (r = w = v; *r != '\0'; )
			if (strncmp(r, "&#38;", 5) == 0) {
				*w++ = '&';
				r += 5;
			} else
				*w++ = *r++;
		*w = '\0';
		return v;
	}
	return NULL;
}

/* A tag the API accepts: trimmed, no commas or controls, bounded. */
static char *
clean_tag(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if (*p == ',' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	str_trim(s);
	str_truncate_utf8(s, OPML_MAX_TAG);
	str_trim(s);
	return s;
}

static int
add_tag(struct opml_feed *f, const char *tag)
{
	char **t;
	size_t i;

	if (*tag == '\0' || f->ntags >= OPML_MAX_TAGS)
		return 0;
	for (i = 0; i < f->ntags; i++)
		if (strcmp(f->tags[i], tag) == 0)
			return 0;
	if ((t = reallocarray(f->tags, f->ntags + 1, sizeof(*t))) == NULL)
		return -1;
	f->tags = t;
	if ((t[f->ntags] = strdup(tag)) == NULL)
		return -1;
	f->ntags++;
	return 0;
}

static void
feed_clear(struct opml_feed *f)
{
	size_t i;

	free(f->url);
	free(f->title);
	for (i = 0; i < f->ntags; i++)
		free(f->tags[i]);
	free(f->tags);
	memset(f, 0, sizeof(*f));
}

/* Folders, then each "/a/b" of a comma-separated category as "a/b". */
static int
feed_tags(struct ostate *st, struct opml_feed *f, char *category)
{
	char *tok, *save = NULL;
	int i;

	for (i = 0; i < st->odepth && i < OPML_MAX_DEPTH; i++)
		if (st->folders[i] != NULL && add_tag(f, st->folders[i]) == -1)
			return -1;
	if (category == NULL)
		return 0;
	for (tok = strtok_r(category, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		str_trim(tok);
		if (*tok == '/')
			tok++;
		if (add_tag(f, clean_tag(tok)) == -1)
			return -1;
	}
	return 0;
}

/* An <outline> with an xmlUrl: checked, deduplicated, kept. */
static void
take_feed(struct ostate *st, char *url, char *title, char *category)
{
	struct opml_feed f, *nf;
	size_t i;

	memset(&f, 0, sizeof(f));
	str_trim(url);
	if (*url == '\0') {
		bad_entry(st, "outline with an empty xmlUrl");
		goto out;
	}
	if (strlen(url) > OPML_MAX_URL || !utf8_valid(url, strlen(url))) {
		bad_entry(st, "xmlUrl too long or not UTF-8");
		goto out;
	}
	/* What the fetcher cannot parse would only fail at every poll. */
	if (!url_is_http(url)) {
		bad_entry(st, "xmlUrl is not a valid http or https URL");
		goto out;
	}
	for (i = 0; i < st->o->nfeeds; i++)
		if (strcmp(st->o->feeds[i].url, url) == 0) {
			st->o->duplicates++;
			goto out;
		}
	if (st->o->nfeeds >= OPML_MAX_FEEDS) {
		state_refuse(st, "more than %d feeds", OPML_MAX_FEEDS);
		goto out;
	}
	f.line = xmlSAX2GetLineNumber(st->ctxt);
	f.url = url;
	url = NULL;
	if (title != NULL) {
		clean_tag(title);	/* one line, bounded: a good title too */
		if (*title != '\0') {
			f.title = title;
			title = NULL;
		}
	}
	if (feed_tags(st, &f, category) == -1)
		goto nomem;
	nf = reallocarray(st->o->feeds, st->o->nfeeds + 1, sizeof(*nf));
	if (nf == NULL)
		goto nomem;
	st->o->feeds = nf;
	nf[st->o->nfeeds++] = f;
	memset(&f, 0, sizeof(f));
	goto out;
nomem:
	st->nomem = 1;
	xmlStopParser(st->ctxt);
out:
	feed_clear(&f);
	free(url);
	free(title);
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs,
    int ndefaulted, const xmlChar **attrs)
{
	struct ostate *st = ctx;
	const char *name = (const char *)localname;
	char *url, *text, *title, *category;

	if (++st->depth > OPML_MAX_DEPTH) {
		state_refuse(st, "line %d: nested deeper than %d levels",
		    xmlSAX2GetLineNumber(st->ctxt), OPML_MAX_DEPTH);
		return;
	}
	if (st->depth == 1) {
		if (strcmp(name, "opml") != 0)
			state_refuse(st, "not an OPML document (root element "
			    "<%.40s>)", name);
		else
			st->root_seen = 1;
		return;
	}
	if (strcmp(name, "outline") != 0)
		return;
	/* The depth check above bounds odepth by OPML_MAX_DEPTH. */
	st->odepth++;
	url = attr_dup(attrs, nattrs, "xmlUrl");
	text = attr_dup(attrs, nattrs, "text");
	title = attr_dup(attrs, nattrs, "title");
	category = attr_dup(attrs, nattrs, "category");
	if (url != NULL) {
		/* title is the name the user knows; text is required. */
		if (title == NULL || *title == '\0') {
			free(title);
			title = text;
			text = NULL;
		}
		take_feed(st, url, title, category);
		title = NULL;
	} else {
		/* A folder: its name tags the feeds inside it. */
		char *folder = text != NULL && *text != '\0' ? text : title;

		if (folder != NULL) {
			clean_tag(folder);
			st->folders[st->odepth - 1] = folder;
			if (folder == text)
				text = NULL;
			else
				title = NULL;
		}
	}
	free(text);
	free(title);
	free(category);
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct ostate *st = ctx;

	if (st->depth-- > OPML_MAX_DEPTH)
		return;
	if (st->depth >= 1 && strcmp((const char *)localname, "outline") == 0 &&
	    st->odepth > 0) {
		st->odepth--;
		free(st->folders[st->odepth]);
		st->folders[st->odepth] = NULL;
	}
}

/* Any entity declaration stops the parse: bombs and XXE in one rule. */
static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
    const xmlChar *publicId, const xmlChar *systemId, xmlChar *content)
{
	state_refuse(ctx, "DTD entity declarations are not allowed");
}

static void
on_unparsed_entity_decl(void *ctx, const xmlChar *name,
    const xmlChar *publicId, const xmlChar *systemId,
    const xmlChar *notationName)
{
	state_refuse(ctx, "DTD entity declarations are not allowed");
}

static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct ostate *st = ctx;
	char msg[OPML_MAX_ERROR];
	char *p;

	if (e == NULL || e->level < XML_ERR_ERROR ||
	    e->domain == XML_FROM_NAMESPACE || st->xml_err != NULL)
		return;
	snprintf(msg, sizeof(msg), "line %d: %s", e->line,
	    e->message != NULL ? e->message : "malformed XML");
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	str_trim(msg);
	if ((st->xml_err = strdup(msg)) == NULL)
		st->nomem = 1;
}

struct opml *
opml_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct ostate st;
	xmlSAXHandler sax;
	struct opml *o;
	int i;

	if (buf == NULL)
		len = 0;
	if (len > (size_t)OPML_MAX_BYTES) {
		snprintf(err, errlen, "larger than %ld bytes", OPML_MAX_BYTES);
		return NULL;
	}
	if (len > 0 && parse_attrs_exceed(buf, len)) {
		snprintf(err, errlen, "a tag has more than %d attributes",
		    PARSE_MAX_ATTRS);
		return NULL;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&st, 0, sizeof(st));
	st.o = o;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.entityDecl = on_entity_decl;
	sax.unparsedEntityDecl = on_unparsed_entity_decl;
	sax.serror = on_error;
	if ((st.ctxt = xmlCreatePushParserCtxt(&sax, &st, NULL, 0,
	    NULL)) == NULL) {
		st.nomem = 1;
		goto done;
	}
	/* No NOENT, no DTDLOAD: nothing is ever loaded or substituted. */
	xmlCtxtUseOptions(st.ctxt, XML_PARSE_NONET);
	if (len > 0)
		xmlParseChunk(st.ctxt, buf, (int)len, 0);
	if (st.policy == NULL && st.xml_err == NULL && !st.nomem)
		xmlParseChunk(st.ctxt, NULL, 0, 1);
done:
	if (st.nomem)
		snprintf(err, errlen, "out of memory");
	else if (st.policy != NULL)
		snprintf(err, errlen, "%s", st.policy);
	else if (st.xml_err != NULL)
		snprintf(err, errlen, "%s", st.xml_err);
	else if (!st.root_seen)
		snprintf(err, errlen, "not an OPML document");
	if (st.nomem || st.policy != NULL || st.xml_err != NULL ||
	    !st.root_seen) {
		opml_free(o);
		o = NULL;
	}
	if (st.ctxt != NULL) {
		/* The stub document of SAX compat mode is not the ctxt's. */
		if (st.ctxt->myDoc != NULL)
			xmlFreeDoc(st.ctxt->myDoc);
		st.ctxt->myDoc = NULL;
		xmlFreeParserCtxt(st.ctxt);
	}
	for (i = 0; i < OPML_MAX_DEPTH; i++)
		free(st.folders[i]);
	free(st.policy);
	free(st.xml_err);
	return o;
}

void
opml_free(struct opml *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nfeeds; i++)
		feed_clear(&o->feeds[i]);
	free(o->feeds);
	for (i = 0; i < o->nerrors; i++)
		free(o->errors[i].msg);
	free(o->errors);
	free(o);
}

/*
 * s as an XML attribute value: markup and quotes escaped, line breaks
 * and tabs as character references so they survive attribute
 * normalization, other C0 controls (not allowed in XML 1.0) dropped;
 * DEL, C1 and bidi controls as references, so that `tidings export` on
 * a terminal shows them and the file still reads back the same.
 */
static void
put_attr(FILE *fp, const char *s)
{
	unsigned cp;
	size_t n;

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((n = sanitize_unsafe_cp(s, &cp)) > 0) {
			fprintf(fp, "&#x%X;", cp);
			s += n - 1;
			continue;
		}

		switch (c) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\n': fputs("&#10;", fp); break;
		case '\r': fputs("&#13;", fp); break;
		case '\t': fputs("&#9;", fp); break;
		case 0x7f: fputs("&#x7F;", fp); break;
		default:
			if (c >= 0x20)
				fputc(c, fp);
		}
	}
}

char *
opml_write(const struct opml_feed *feeds, size_t n, const char *title)
{
	char *out = NULL;
	size_t len, i, t;
	FILE *fp;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return NULL;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<opml version=\"2.0\">\n  <head>\n    <title>", fp);
	put_attr(fp, title);
	fputs("</title>\n  </head>\n  <body>\n", fp);
	for (i = 0; i < n; i++) {
		const struct opml_feed *f = &feeds[i];
		const char *name = f->title != NULL && *f->title != '\0' ?
		    f->title : f->url;

		fputs("    <outline type=\"rss\" text=\"", fp);
		put_attr(fp, name);
		fputs("\" title=\"", fp);
		put_attr(fp, name);
		fputs("\" xmlUrl=\"", fp);
		put_attr(fp, f->url);
		fputc('"', fp);
		if (f->ntags > 0) {
			fputs(" category=\"", fp);
			for (t = 0; t < f->ntags; t++) {
				fputs(t > 0 ? ",/" : "/", fp);
				put_attr(fp, f->tags[t]);
			}
			fputc('"', fp);
		}
		fputs("/>\n", fp);
	}
	fputs("  </body>\n</opml>\n", fp);
	if (ferror(fp)) {
		fclose(fp);
		free(out);
		return NULL;
	}
	if (fclose(fp) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
