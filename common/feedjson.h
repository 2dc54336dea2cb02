/*
 * feedjson.h - struct feed_doc <-> JSON.  The same document is the output
 * of `tidings parse` and the reply of a parser worker to the daemon.
 *
 * Shape: {"error": false|"msg", "feed": {"title","link","description",
 * "language","format","ttl","skip_hours":[0..23],"skip_days":["Sunday",
 * ..]}, "items": [{"guid","title","link","published","updated","author",
 * "summary","content","date_clamped","categories":[..],
 * "enclosures":[{"url","type","length"}]}]}; absent strings and times
 * are null, times RFC 3339 UTC strings; summary, description and content
 * are HTML.
 *
 * feedjson_encode_public is the face of `tidings parse`: it adds the plain
 * text of each HTML field as "summary_text" and "description_text".
 */
#ifndef TIDINGS_FEEDJSON_H
#define TIDINGS_FEEDJSON_H

#include <jansson.h>

#include "feed.h"

json_t	*feedjson_encode(const struct feed_doc *);	/* new reference */
json_t	*feedjson_encode_public(const struct feed_doc *);	/* new reference */
/*
 * Sets obj[text_key] to the plain text of the HTML string at obj[html_key]
 * (null when that is not a string).  Returns -1 on ENOMEM.
 */
int	 feedjson_add_text(json_t *obj, const char *html_key,
	    const char *text_key);
/* Fills an initialised doc; returns 0, or -1 if the JSON has the wrong shape. */
int	 feedjson_decode(const json_t *, struct feed_doc *);

#endif
