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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "derive.h"
#include "html.h"
#include "story.h"
#include "url.h"
#include "util.h"

/* The fields in block order: where each goes, what a word list may hold. */
static const struct derive_field {
	size_t		 off;		/* of its char * in struct feed_derived */
	int		 words;		/* a word list (cluster_words_valid) */
	size_t		 max_words;	/* 0: any number */
} derive_fields[] = {
	{ offsetof(struct feed_derived, summary_text), 0, 0 },
	{ offsetof(struct feed_derived, title_key), 0, 0 },
	{ offsetof(struct feed_derived, canonical), 0, 0 },
	{ offsetof(struct feed_derived, title_words), 1, 0 },
	{ offsetof(struct feed_derived, summary_words), 1,
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

/* The bytes one item takes in a block. */
static size_t
derive_size(const struct feed_derived *dv)
{
	const char *v;
	size_t n = 1, k;

	for (k = 0; dv->set && k < DERIVE_NFIELDS; k++) {
		v = derive_value(dv, &derive_fields[k]);
		n += sizeof(uint32_t) + (v != NULL ? strlen(v) : 0);
	}
	return n;
}

int
derive_encode(const struct feed_doc *d, char **out, size_t *len)
{
	const struct feed_derived *dv;
	const char *v;
	size_t i, k, n = 0;
	uint32_t vlen;
	char *p;

	for (i = 0; i < d->nitems; i++)
		n += derive_size(&d->items[i].derived);
	if ((*out = p = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	*len = n;
	for (i = 0; i < d->nitems; i++) {
		dv = &d->items[i].derived;
		*p++ = (char)(dv->set != 0);
		for (k = 0; dv->set && k < DERIVE_NFIELDS; k++) {
			v = derive_value(dv, &derive_fields[k]);
			/* Strings are far below 4 GiB: parse and reply caps. */
			vlen = v != NULL ? (uint32_t)strlen(v) : DERIVE_NULL;
			memcpy(p, &vlen, sizeof(vlen));
			p += sizeof(vlen);
			if (v != NULL) {
				memcpy(p, v, vlen);
				p += vlen;
			}
		}
	}
	return 0;
}

int
derive_decode(const char *p, size_t len, struct feed_doc *d)
{
	const struct derive_field *f;
	struct feed_derived *dv;
	const char *end;
	uint32_t vlen;
	char **dst;
	size_t i, k;

	if (len == 0)
		return 0;
	end = p + len;
	for (i = 0; i < d->nitems; i++) {
		if (p == end || (*p != 0 && *p != 1))
			return -1;
		if (*p++ == 0)
			continue;
		dv = &d->items[i].derived;
		for (k = 0; k < DERIVE_NFIELDS; k++) {
			f = &derive_fields[k];
			if ((size_t)(end - p) < sizeof(vlen))
				return -1;
			memcpy(&vlen, p, sizeof(vlen));
			p += sizeof(vlen);
			if (vlen == DERIVE_NULL)
				continue;
			if (vlen > (size_t)(end - p) || !utf8_valid(p, vlen))
				return -1;
			dst = derive_member(dv, f);
			if ((*dst = str_ndup(p, vlen)) == NULL)
				return -1;
			p += vlen;
			if (f->words && !cluster_words_valid(*dst, f->max_words))
				return -1;
		}
		dv->set = 1;
	}
	return p == end ? 0 : -1;
}
