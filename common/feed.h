/*
 * feed.h - the normalized feed document every parser produces and every
 * consumer (daemon store, `tidings parse`, the parser worker protocol) reads.
 *
 * Owns: struct feed_doc and struct feed_item and their memory.  All strings
 * are NUL-terminated UTF-8, heap-allocated, owned by the struct that holds
 * them, and NULL when absent.  Times are Unix seconds UTC, TIME_NONE when
 * absent or invalid.
 */
#ifndef TIDINGS_FEED_H
#define TIDINGS_FEED_H

#include <stddef.h>
#include <stdint.h>

#define TIME_NONE INT64_MIN

struct feed_enclosure {
	char	*url;
	char	*type;		/* MIME type or NULL */
	int64_t	 length;	/* bytes, -1 if unknown */
};

struct feed_item {
	char	*guid;		/* guid / id / rdf:about, trimmed */
	char	*title;		/* plain text, entities decoded once */
	char	*link;		/* absolute http(s) URL or NULL */
	char	*author;
	char	*summary;	/* plain text (HTML stripped) */
	char	*content;	/* HTML as published (content:encoded, atom:content) */
	int64_t	 published;
	int64_t	 updated;
	char	**categories;
	size_t	 ncategories;
	struct feed_enclosure *enclosures;
	size_t	 nenclosures;
};

struct feed_doc {
	char	*title;
	char	*link;
	char	*description;	/* plain text */
	char	*language;
	const char *format;	/* static: "rss2.0", "rss1.0", "rss0.91", "atom1.0", ... */
	int64_t	 ttl;		/* seconds from <ttl>/sy:*, -1 if none */
	uint32_t skip_hours;	/* bit h: skipHours lists UTC hour h */
	uint8_t	 skip_days;	/* bit d: skipDays lists day d, 0 = Sunday */
	char	*error;		/* NULL if well-formed, else what was wrong */
	struct feed_item *items;
	size_t	 nitems;
	size_t	 items_cap;
};

void	feed_doc_init(struct feed_doc *);
void	feed_doc_free(struct feed_doc *);	/* frees members, not the struct */
/* Appends a zeroed item (times TIME_NONE) and returns it, NULL on ENOMEM. */
struct feed_item *feed_doc_add_item(struct feed_doc *);
void	feed_item_free(struct feed_item *);	/* frees members only */

#endif
