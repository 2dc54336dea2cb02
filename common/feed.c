/*
 * feed.c - lifetime of the normalized feed document (see feed.h).
 */
#include <stdlib.h>
#include <string.h>

#include "feed.h"

void
feed_doc_init(struct feed_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->ttl = -1;
}

void
feed_derived_free(struct feed_derived *dv)
{
	free(dv->summary_text);
	free(dv->title_key);
	free(dv->canonical);
	free(dv->title_words);
	free(dv->summary_words);
	memset(dv, 0, sizeof(*dv));
}

void
feed_item_free(struct feed_item *it)
{
	size_t i;

	free(it->guid);
	free(it->title);
	free(it->link);
	free(it->author);
	free(it->summary);
	free(it->content);
	for (i = 0; i < it->ncategories; i++)
		free(it->categories[i]);
	free(it->categories);
	for (i = 0; i < it->nenclosures; i++) {
		free(it->enclosures[i].url);
		free(it->enclosures[i].type);
	}
	free(it->enclosures);
	feed_derived_free(&it->derived);
	memset(it, 0, sizeof(*it));
}

void
feed_doc_free(struct feed_doc *d)
{
	size_t i;

	free(d->title);
	free(d->link);
	free(d->description);
	free(d->language);
	free(d->error);
	for (i = 0; i < d->nitems; i++)
		feed_item_free(&d->items[i]);
	free(d->items);
	feed_doc_init(d);
}

struct feed_item *
feed_doc_add_item(struct feed_doc *d)
{
	struct feed_item *it;

	if (d->nitems == d->items_cap) {
		size_t ncap = d->items_cap ? d->items_cap * 2 : 16;
		struct feed_item *n = realloc(d->items, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		d->items = n;
		d->items_cap = ncap;
	}
	it = &d->items[d->nitems++];
	memset(it, 0, sizeof(*it));
	it->published = TIME_NONE;
	it->updated = TIME_NONE;
	return it;
}
