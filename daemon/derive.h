/*
 * derive.h - the text work the store needs on each item besides the
 * parse (struct feed_derived: the summary's plain text, the title key,
 * the canonical link, the clustering words), done by a parser worker off
 * the event loop and carried in its reply.
 *
 * Internal to the worker protocol (worker.c): the reply's JSON, what
 * `tidings parse` shows, does not hold it.  It follows the JSON and a
 * NUL as a block of its own, decoded without a JSON parser (the loop's
 * JSON decoding costs it about as much per byte as the text work this
 * saves it): for each item of the document, in order, a byte, 1 when
 * derived (0: the store's work), then the fields in the order of
 * struct feed_derived, each a native uint32 byte count (DERIVE_NULL for
 * NULL) and the bytes, without a NUL.
 */
#ifndef TIDINGS_DERIVE_H
#define TIDINGS_DERIVE_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"

#define DERIVE_NULL	UINT32_MAX

/* Fills it->derived.  -1 when out of memory; it is then left unset. */
int	 derive_item(struct feed_item *);
/* derive_item on every item; one that runs out of memory stays unset. */
void	 derive_doc(struct feed_doc *);

/* d's block, malloc'd, in *out and *len.  -1 when out of memory. */
int	 derive_encode(const struct feed_doc *d, char **out, size_t *len);
/*
 * Reads a block (len 0: none, every item the store's work) into d, the
 * document of the JSON it came with.  Trusts nothing: one entry per
 * item, no byte left over, every length inside the block, every string
 * UTF-8 without NUL, words of the shape cluster_words_valid checks.  -1
 * on the first that is wrong, or when out of memory; d is then the
 * caller's to free.
 */
int	 derive_decode(const char *block, size_t len, struct feed_doc *d);

#endif
