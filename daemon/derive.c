/*
 * derive.c - the store's text work on an item, done in a parser worker
 * (see derive.h).
 *
 * Pure: the same functions the store calls when an item comes without
 * them (html_to_text, story_title_key, url_canonical, the clustering
 * words), so both give the same result.  Must not touch the store or the
 * loop: the worker process calls it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster.h"
#include "derive.h"
#include "html.h"
#include "story.h"
#include "url.h"
#include "util.h"

/* The member of an item object in a worker reply. */
#define DERIVE_KEY	"derived"

/* The members of "derived": where each goes, and what a word list may hold. */
static const struct derive_field {
	const char	*key;
	size_t		 off;		/* of its char * in struct feed_derived */
	int		 words;		/* a word list (cluster_words_valid) */
	size_t		 max_words;	/* 0: any number */
} derive_fields[] = {
	{ "summary_text", offsetof(struct feed_derived, summary_text), 0, 0 },
	{ "title_key", offsetof(struct feed_derived, title_key), 0, 0 },
	{ "canonical", offsetof(struct feed_derived, canonical), 0, 0 },
	{ "title_words", offsetof(struct feed_derived, title_words), 1, 0 },
	{ "summary_words", offsetof(struct feed_derived, summary_words), 1,
	    CLUSTER_SUMMARY_WORDS },
};
#define DERIVE_NFIELDS	(sizeof(derive_fields) / sizeof(derive_fields[0]))

static char **
derive_member(struct feed_derived *dv, const struct derive_field *f)
{
	return (char **)(void *)((char *)dv + f->off);
}

static const char *
derive_value(const struct feed_derived *dv, const struct derive_field *f)
{
	return *(char *const *)(const void *)((const char *)dv + f->off);
}

int
derive_item(struct feed_item *it)
{
	struct feed_derived dv;

	memset(&dv, 0, sizeof(dv));
	if (it->summary != NULL && (dv.summary_text =
	    html_to_text(it->summary, strlen(it->summary))) == NULL)
		goto fail;
	/* NULL is their answer for no key and no http(s) URL too. */
	dv.title_key = story_title_key(it->title);
	dv.canonical = url_canonical(it->link);
	if ((dv.title_words = cluster_title_words(it->title)) == NULL ||
	    (dv.summary_words = cluster_summary_words(dv.summary_text)) == NULL)
		goto fail;
	dv.set = 1;
	feed_derived_free(&it->derived);
	it->derived = dv;
	return 0;
 fail:
	feed_derived_free(&dv);
	return -1;
}

void
derive_doc(struct feed_doc *d)
{
	size_t i;

	for (i = 0; i < d->nitems; i++)
		if (derive_item(&d->items[i]) == -1)
			break;	/* out of memory: the rest are the store's work */
}

/* One item's "derived" object; NULL when a member will not go in. */
static json_t *
derive_object(const struct feed_derived *dv)
{
	json_t *o;
	const char *v;
	size_t k;

	if ((o = json_object()) == NULL)
		return NULL;
	for (k = 0; k < DERIVE_NFIELDS; k++) {
		v = derive_value(dv, &derive_fields[k]);
		if (json_object_set_new(o, derive_fields[k].key, v != NULL ?
		    json_string(v) : json_null()) == -1) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int
derive_encode(json_t *root, const struct feed_doc *d)
{
	json_t *items = json_object_get(root, "items"), *o;
	size_t i;

	for (i = 0; i < d->nitems && i < json_array_size(items); i++) {
		if (!d->items[i].derived.set)
			continue;
		/*
		 * A member jansson refuses (not UTF-8) leaves the item to the
		 * store, which then derives it as it would have.
		 */
		if ((o = derive_object(&d->items[i].derived)) == NULL)
			continue;
		if (json_object_set_new(json_array_get(items, i), DERIVE_KEY,
		    o) == -1)
			return -1;
	}
	return 0;
}

void
derive_strip(json_t *root)
{
	json_t *items = json_object_get(root, "items"), *o;
	size_t i;

	json_array_foreach(items, i, o)
		json_object_del(o, DERIVE_KEY);
}

int
derive_decode(const json_t *root, struct feed_doc *d)
{
	const json_t *items = json_object_get(root, "items"), *v, *m;
	const struct derive_field *f;
	struct feed_derived *dv;
	char **dst;
	size_t i, k;

	if (!json_is_array(items))
		return 0;	/* feedjson_decode found no items here */
	if (json_array_size(items) != d->nitems)
		return -1;
	for (i = 0; i < d->nitems; i++) {
		v = json_object_get(json_array_get(items, i), DERIVE_KEY);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_object(v))
			return -1;
		dv = &d->items[i].derived;
		for (k = 0; k < DERIVE_NFIELDS; k++) {
			f = &derive_fields[k];
			dst = derive_member(dv, f);
			m = json_object_get(v, f->key);
			if (m == NULL || json_is_null(m))
				continue;
			if (!json_is_string(m) || (*dst = str_ndup(
			    json_string_value(m), json_string_length(m))) == NULL)
				return -1;
			if (f->words && !cluster_words_valid(*dst, f->max_words))
				return -1;
		}
		dv->set = 1;
	}
	return 0;
}
