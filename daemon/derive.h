/*
 * derive.h - the text work the store needs on each item besides the
 * parse (struct feed_derived: the summary's plain text, the title key,
 * the canonical link, the clustering words), done by a parser worker off
 * the event loop and carried in its reply.
 *
 * Internal to the worker protocol (worker.c); `tidings parse` never shows
 * it.  In the reply, an item object may hold "derived": {"summary_text",
 * "title_key", "canonical", "title_words", "summary_words"}, each a
 * string or null.  An item without it the store derives itself.
 */
#ifndef TIDINGS_DERIVE_H
#define TIDINGS_DERIVE_H

#include <jansson.h>

#include "feed.h"

/* Fills it->derived.  -1 when out of memory; it is then left unset. */
int	 derive_item(struct feed_item *);
/* derive_item on every item; one that runs out of memory stays unset. */
void	 derive_doc(struct feed_doc *);

/*
 * Adds "derived" to the item objects of root, feedjson_encode's document
 * of d, for the items that have it.  -1 when out of memory.
 */
int	 derive_encode(json_t *root, const struct feed_doc *d);
/* Takes "derived" out of every item object of root again. */
void	 derive_strip(json_t *root);
/*
 * Reads "derived" back into d, feedjson_decode's document of root.
 * Trusts nothing: every member must be a string or null, and words must
 * have the shape cluster_words_valid checks.  -1 on the first that is
 * wrong, or when out of memory; d is then the caller's to free.
 */
int	 derive_decode(const json_t *root, struct feed_doc *d);

#endif
