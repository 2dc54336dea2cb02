/*
 * parse.h - feed parser: bytes in, struct feed_doc out.
 *
 * Pure: no I/O, no network, no global state beyond libxml2's one-time
 * setup in parse_init().  Streams the document through libxml2's push SAX
 * parser; refuses entity declarations and every external load; enforces
 * its own limits (depth, items, field lengths) because libxml2 2.9.14's
 * depend on the API used (../shared/hostile/NOTES.md, section 3).
 */
#ifndef TIDINGS_PARSE_H
#define TIDINGS_PARSE_H

#include <stddef.h>

#include "feed.h"

#define PARSE_MAX_DEPTH		64
#define PARSE_MAX_ITEMS		1000
#define PARSE_MAX_TITLE		1024		/* bytes, cut on a UTF-8 boundary */
#define PARSE_MAX_URL		8192		/* longer URLs are dropped */
#define PARSE_MAX_TEXT		(1024 * 1024)	/* summary, content */
#define PARSE_MAX_LIST		64		/* categories, enclosures per item */
#define PARSE_MAX_ATTRS		256		/* attributes on one start tag */

/* Once per process, before any parse: installs the deny-all entity loader. */
void	parse_init(void);

/*
 * Parses body[0..len): RSS, Atom or JSON Feed (a body starting with
 * '{').  doc_url is the document's URL (base for relative
 * links), content_type the HTTP Content-Type header (its charset counts);
 * both may be NULL.  out must be initialised with feed_doc_init().
 *
 * Returns 0 when a feed was recognised (out->error may still say the
 * document was not well-formed; complete items are kept), -1 when nothing
 * usable came out (not XML, not a feed, refused by policy): out->error
 * then says why in words a user understands.
 */
int	parse_feed(const char *body, size_t len, const char *doc_url,
	    const char *content_type, struct feed_doc *out);

/*
 * Dates further than this past the fetch time are publisher mistakes
 * (wrong zone, wrong year, a post "scheduled" into the listing).  A
 * day covers every real zone offset.
 */
#define PARSE_FUTURE_TOLERANCE	(24 * 60 * 60)

/*
 * Clamps every item date later than fetch_time + PARSE_FUTURE_TOLERANCE
 * to fetch_time and sets the item's date_clamped.  Returns how many
 * items were clamped.  Separate from parse_feed() so that stays a pure
 * function of its input: the caller supplies the clock.
 */
size_t	parse_clamp_future(struct feed_doc *d, int64_t fetch_time);

/*
 * Plain text in place: control characters removed, whitespace runs
 * collapsed to one space, trimmed.  Returns s (NULL-safe).
 */
char	*parse_clean_text(char *s);

/*
 * 1 if some start tag in body[0..len) has more than PARSE_MAX_ATTRS
 * attributes: libxml2 2.9.14 is quadratic in them, so check first.
 */
int	parse_attrs_exceed(const char *body, size_t len);

#endif
