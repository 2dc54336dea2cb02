/*
 * digest.h - `tidings digest`: the stories of a period written as text,
 * Markdown, HTML, JSON, Atom or a MIME e-mail.  Knows the API's Story
 * objects, not how they were fetched, nor where `--since last` keeps its
 * bookmark (the daemon, see tidings.c).
 */
#ifndef TIDINGS_DIGEST_H
#define TIDINGS_DIGEST_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define DIGEST_DEFAULT_NAME	"default"
#define DIGEST_FIRST_PERIOD	(24 * 3600)	/* --since last, first run */

enum digest_format {
	DIGEST_TEXT,
	DIGEST_MARKDOWN,
	DIGEST_HTML,
	DIGEST_JSON,
	DIGEST_ATOM,
	DIGEST_EMAIL
};

struct digest {
	const char	*name;		/* --name, checked by digest_name_ok */
	int64_t		 since;		/* the period, Unix seconds */
	int64_t		 until;
	json_t		*stories;	/* Story array, borrowed */
	const char	*to;		/* e-mail recipient */
};

/* "text", "markdown", ... -> *f; -1 if unknown. */
int	digest_format_parse(const char *s, enum digest_format *f);

/*
 * Keeps the stories with at least min_sources sources and, when
 * first_seen_only, a first_seen in [since, until); then orders them most
 * covered first (sources, then newest published, then id).  Returns a new
 * array (NULL on ENOMEM); stories is not changed.
 */
json_t	*digest_select(json_t *stories, int64_t min_sources,
	    int first_seen_only, int64_t since, int64_t until);

/* 1 if s can be a mail header value: one line of printable ASCII. */
int	digest_header_ok(const char *s);

/* Writes the digest in format f.  Returns 0, or -1 on a write error. */
int	digest_write(FILE *, const struct digest *, enum digest_format f);

#endif
