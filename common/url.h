/*
 * url.h - URL resolution and canonicalization.  Pure (libcurl's URL API).
 */
#ifndef TIDINGS_URL_H
#define TIDINGS_URL_H

/* 1 if s is an absolute http:// or https:// URL libcurl can parse. */
int	url_is_http(const char *s);

/*
 * Resolves ref against base (either may be relative or NULL).  Returns a
 * malloc'd absolute URL, or NULL if the result is not a valid URL.
 */
char	*url_resolve(const char *base, const char *ref);

/*
 * The canonical form used to recognise the same article across feeds:
 * scheme and host lowercased, default port, fragment and tracking
 * parameters (utm_*, fbclid, gclid, ...) removed.  Returns a malloc'd
 * string, or NULL if s is not an http(s) URL.
 */
char	*url_canonical(const char *s);

#endif
