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

/*
 * What the daemon's store derives from an item to index and cluster it,
 * worked out by a parser worker next to the parse, off the event loop
 * (daemon/derive.c).  set 0: not worked out, and the store does it
 * itself, to the same result.  When set, a NULL is a result (a title of
 * punctuation has no key, a summary-less item no text); NULL words are
 * no words.
 */
struct feed_derived {
	int	 set;
	char	*summary_text;	/* html_to_text(summary) */
	char	*title_key;	/* story_title_key(title) */
	char	*canonical;	/* url_canonical(link) */
	char	*title_words;	/* cluster_title_words(title) */
	char	*summary_words;	/* cluster_summary_words(summary_text) */
};

struct feed_item {
	char	*guid;		/* guid / id / rdf:about, trimmed */
	char	*title;		/* plain text, entities decoded once */
	char	*link;		/* http(s) URL; relative only if no base */
	char	*author;
	char	*summary;	/* HTML; html_to_text() for a terminal */
	char	*content;	/* HTML as published (content:encoded, atom:content) */
	int64_t	 published;
	int64_t	 updated;
	char	**categories;
	size_t	 ncategories;
	struct feed_enclosure *enclosures;
	size_t	 nenclosures;
	int	 date_clamped;	/* a future date was set to fetch time */
	struct feed_derived derived;	/* parser worker replies only */
};

struct feed_doc {
	char	*title;
	char	*link;
	char	*description;	/* HTML, like item summaries */
	char	*language;
	const char *format;	/* static: "rss2.0", "atom1.0", "jsonfeed1.1", "cdf"... */
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
/* Frees the members and zeroes it (set 0). */
void	feed_derived_free(struct feed_derived *);

#endif
