/*
 * jsonfeed.c - JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)
 * into struct feed_doc (see jsonfeed.h).  Pure: bytes in, doc out.
 *
 * Owns nothing past the call: jansson's tree is freed before returning,
 * everything kept is copied into the caller's feed_doc.  The same limits
 * as the XML parser apply (parse.h): items per document, title and text
 * lengths, URL length, list sizes; jansson caps nesting depth itself.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/entities.h>

#include "date.h"
#include "jsonfeed.h"
#include "parse.h"
#include "url.h"
#include "util.h"

#define JSONFEED_PREFIX	"https://jsonfeed.org/version/"
#define JSONFEED_MAX_ERROR 256

/* Member key of o as a string, else NULL (wrong types are ignored). */
static const char *
get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Plain text field: controls removed, whitespace collapsed, capped. */
static char *
text_field(const char *s, size_t max)
{
	char *t;

	if (s == NULL || (t = strdup(s)) == NULL)
		return NULL;
	parse_clean_text(t);
	str_truncate_utf8(t, max);
	if (t[0] == '\0') {
		free(t);
		return NULL;
	}
	return t;
}

/* HTML field, kept as published but capped and trimmed. */
static char *
html_field(const char *s)
{
	char *t;

	if (s == NULL || (t = strdup(s)) == NULL)
		return NULL;
	str_truncate_utf8(t, PARSE_MAX_TEXT);
	str_trim(t);
	return t;
}

/* Plain text made HTML (summaries are HTML everywhere, see feed.h). */
static char *
escaped_field(const char *s)
{
	xmlChar *e;
	char *t;

	if (s == NULL || (t = strdup(s)) == NULL)
		return NULL;
	str_truncate_utf8(t, PARSE_MAX_TEXT);
	e = xmlEncodeSpecialChars(NULL, (const xmlChar *)t);
	free(t);
	if (e == NULL)
		return NULL;
	t = strdup((const char *)e);
	xmlFree(e);
	if (t != NULL)
		str_trim(t);
	return t;
}

/* An http(s) URL resolved against the document URL, else NULL. */
static char *
url_field(const char *s, const char *base)
{
	char *u;

	if (s == NULL || s[0] == '\0' || strlen(s) > PARSE_MAX_URL)
		return NULL;
	if ((base == NULL || !url_is_http(base)) && strstr(s, "://") == NULL)
		return strdup(s);	/* no base: as published (parse.c) */
	u = url_resolve(base, s);
	if (u != NULL && (strlen(u) > PARSE_MAX_URL || !url_is_http(u))) {
		free(u);
		u = NULL;
	}
	return u;
}

/* The first author of o (1.1 "authors", 1.0 "author"): name, else url. */
static char *
author_field(const json_t *o)
{
	const json_t *authors = json_object_get(o, "authors");
	const json_t *a = json_object_get(o, "author");	/* 1.0 */

	if (json_is_array(authors) && json_array_size(authors) > 0)
		a = json_array_get(authors, 0);
	if (!json_is_object(a))
		return NULL;
	if (get(a, "name") != NULL)
		return text_field(get(a, "name"), PARSE_MAX_TITLE);
	return text_field(get(a, "url"), PARSE_MAX_URL);
}

static void
add_tags(struct feed_item *it, const json_t *tags)
{
	const json_t *v;
	size_t i;
	char *t;

	if (!json_is_array(tags))
		return;
	json_array_foreach(tags, i, v) {
		if (it->ncategories >= PARSE_MAX_LIST)
			break;
		if (it->categories == NULL && (it->categories =
		    calloc(PARSE_MAX_LIST, sizeof(char *))) == NULL)
			return;
		if ((t = text_field(json_string_value(v), PARSE_MAX_TITLE)) !=
		    NULL)
			it->categories[it->ncategories++] = t;
	}
}

static void
add_attachments(struct feed_item *it, const json_t *atts, const char *base)
{
	const json_t *v, *size;
	struct feed_enclosure *e;
	size_t i;
	char *u;

	if (!json_is_array(atts))
		return;
	json_array_foreach(atts, i, v) {
		if (it->nenclosures >= PARSE_MAX_LIST)
			break;
		if ((u = url_field(get(v, "url"), base)) == NULL)
			continue;
		if (it->enclosures == NULL && (it->enclosures =
		    calloc(PARSE_MAX_LIST, sizeof(*e))) == NULL) {
			free(u);
			return;
		}
		e = &it->enclosures[it->nenclosures++];
		e->url = u;
		e->type = text_field(get(v, "mime_type"), PARSE_MAX_TITLE);
		size = json_object_get(v, "size_in_bytes");
		e->length = json_is_integer(size) && json_integer_value(size) >= 0 ?
		    json_integer_value(size) : -1;
	}
}

/* One element of "items"; returns -1 on ENOMEM. */
static int
add_item(struct feed_doc *d, const json_t *o, const char *base)
{
	struct feed_item *it;
	const json_t *id;
	char num[32];

	if (!json_is_object(o))
		return 0;
	if ((it = feed_doc_add_item(d)) == NULL)
		return -1;
	/* 1.1 says a string; 1.0 feeds in the wild use numbers. */
	id = json_object_get(o, "id");
	if (json_is_integer(id)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(id));
		it->guid = strdup(num);
	} else
		it->guid = text_field(json_string_value(id), PARSE_MAX_URL);
	it->title = text_field(get(o, "title"), PARSE_MAX_TITLE);
	it->link = url_field(get(o, "url"), base);
	if (it->link == NULL)
		it->link = url_field(get(o, "external_url"), base);
	it->summary = escaped_field(get(o, "summary"));
	it->content = html_field(get(o, "content_html"));
	if (it->content == NULL)
		it->content = escaped_field(get(o, "content_text"));
	it->published = date_parse(get(o, "date_published"));
	it->updated = date_parse(get(o, "date_modified"));
	it->author = author_field(o);
	add_tags(it, json_object_get(o, "tags"));
	add_attachments(it, json_object_get(o, "attachments"), base);
	return 0;
}

int
jsonfeed_parse(const char *body, size_t len, const char *doc_url,
    struct feed_doc *out)
{
	char msg[JSONFEED_MAX_ERROR];
	json_error_t jerr;
	const char *ver;
	json_t *root, *items, *v;
	char *fa;
	size_t i;
	int rc = -1;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(msg, sizeof(msg), "not a JSON feed: line %d: %s",
		    jerr.line, jerr.text);
		out->error = strdup(msg);
		return -1;
	}
	ver = get(root, "version");
	if (!json_is_object(root) || ver == NULL ||
	    strncmp(ver, JSONFEED_PREFIX, strlen(JSONFEED_PREFIX)) != 0) {
		out->error = strdup("not a feed: JSON without a JSON Feed "
		    "version");
		goto done;
	}
	out->format = strcmp(ver + strlen(JSONFEED_PREFIX), "1") == 0 ?
	    "jsonfeed1.0" : "jsonfeed1.1";
	out->title = text_field(get(root, "title"), PARSE_MAX_TITLE);
	out->link = url_field(get(root, "home_page_url"), doc_url);
	out->description = escaped_field(get(root, "description"));
	out->language = text_field(get(root, "language"), PARSE_MAX_TITLE);
	items = json_object_get(root, "items");
	json_array_foreach(items, i, v) {
		if (i >= PARSE_MAX_ITEMS)
			break;
		if (add_item(out, v, doc_url) == -1) {
			out->error = strdup("out of memory");
			goto done;
		}
	}
	/* The feed's author stands for items without one (as in Atom). */
	if ((fa = author_field(root)) != NULL) {
		for (i = 0; i < out->nitems; i++)
			if (out->items[i].author == NULL)
				out->items[i].author = strdup(fa);
		free(fa);
	}
	rc = 0;
 done:
	json_decref(root);
	return rc;
}
