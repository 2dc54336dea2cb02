/*
 * jsonfeed.h - JSON Feed 1.0/1.1 into struct feed_doc.  Pure (jansson).
 */
#ifndef TIDINGS_JSONFEED_H
#define TIDINGS_JSONFEED_H

#include <stddef.h>

#include "feed.h"

/*
 * Parses body[0..len) as a JSON Feed; doc_url (may be NULL) is the base
 * for relative URLs.  Same contract as parse_feed(): 0 with the feed in
 * *out, or -1 with out->error saying why.
 */
int	jsonfeed_parse(const char *body, size_t len, const char *doc_url,
	    struct feed_doc *out);

#endif
