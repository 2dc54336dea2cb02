/*
 * url.c - URL resolution and canonicalization on top of libcurl's URL API
 * (see url.h).  Pure: curl_url() parses, nothing is fetched.
 *
 * Owns nothing beyond the strings it returns; every CURLU handle is freed
 * before returning.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"
#include "util.h"

#define URL_MAX_LEN	(64 * 1024)	/* longer strings are not URLs we keep */

/* Query parameters that only track the reader (url_canonical drops them). */
static const char *const tracking_params[] = {
	"fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "igshid", "dclid",
	"msclkid", "yclid", "_hsenc", "_hsmi",
};

/* Copies s without surrounding ASCII whitespace; NULL on ENOMEM/too long. */
static char *
trimmed_dup(const char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len > URL_MAX_LEN)
		return NULL;
	return str_ndup(s, len);
}

/* 1 if the handle holds an http(s) URL with a host. */
static int
handle_is_http(CURLU *h)
{
	char *scheme = NULL, *host = NULL;
	int ok;

	ok = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    (strcasecmp(scheme, "http") == 0 ||
	    strcasecmp(scheme, "https") == 0) && host[0] != '\0';
	curl_free(scheme);
	curl_free(host);
	return ok;
}

/* A curl-allocated string copied to the malloc heap (callers free()). */
static char *
from_curl(char *s)
{
	char *d = str_dup(s);

	curl_free(s);
	return d;
}

int
url_is_http(const char *s)
{
	CURLU *h;
	char *t;
	int ok = 0;

	if (s == NULL || (t = trimmed_dup(s)) == NULL)
		return 0;
	/* A scheme is required: no CURLU_DEFAULT_SCHEME / GUESS_SCHEME. */
	if ((h = curl_url()) != NULL &&
	    curl_url_set(h, CURLUPART_URL, t, 0) == CURLUE_OK)
		ok = handle_is_http(h);
	curl_url_cleanup(h);
	free(t);
	return ok;
}

char *
url_resolve(const char *base, const char *ref)
{
	CURLU *h = NULL;
	char *r = NULL, *out = NULL, *res = NULL;

	if (ref == NULL && base == NULL)
		return NULL;
	if (ref == NULL)
		ref = "";
	if ((r = trimmed_dup(ref)) == NULL)
		return NULL;
	/*
	 * An absolute reference is kept as written (curl would add a "/" to
	 * an empty path and re-encode), so links compare equal to the feed's.
	 */
	if (r[0] != '\0' && strstr(r, "://") != NULL && url_is_http(r))
		return r;
	if ((h = curl_url()) == NULL)
		goto fail;
	if (base != NULL && base[0] != '\0') {
		/* libcurl resolves a relative URL against the one it holds. */
		if (curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK)
			goto fail;
		if (r[0] != '\0' &&
		    curl_url_set(h, CURLUPART_URL, r, 0) != CURLUE_OK)
			goto fail;
	} else if (curl_url_set(h, CURLUPART_URL, r, 0) != CURLUE_OK)
		goto fail;
	if (curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto fail;
	res = from_curl(out);
 fail:
	curl_url_cleanup(h);
	free(r);
	return res;
}

/* 1 if the query parameter "name[=value]" of length len tracks readers. */
static int
is_tracking(const char *p, size_t len)
{
	size_t klen = 0, i;

	while (klen < len && p[klen] != '=')
		klen++;
	if (klen >= 4 && strncasecmp(p, "utm_", 4) == 0)
		return 1;
	for (i = 0; i < sizeof(tracking_params) / sizeof(tracking_params[0]);
	    i++)
		if (strlen(tracking_params[i]) == klen &&
		    strncasecmp(p, tracking_params[i], klen) == 0)
			return 1;
	return 0;
}

/* Rewrites the query without tracking parameters; NULL part if none left. */
static int
strip_query(CURLU *h)
{
	char *q = NULL, *nq = NULL, *p;
	size_t n = 0;
	int rc = -1;

	if (curl_url_get(h, CURLUPART_QUERY, &q, 0) != CURLUE_OK)
		return 0;		/* no query */
	if ((nq = malloc(strlen(q) + 1)) == NULL)
		goto fail;
	for (p = q; *p != '\0';) {
		size_t len = strcspn(p, "&");

		if (len > 0 && !is_tracking(p, len)) {
			if (n > 0)
				nq[n++] = '&';
			memcpy(nq + n, p, len);
			n += len;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	nq[n] = '\0';
	if (curl_url_set(h, CURLUPART_QUERY, n > 0 ? nq : NULL, 0) !=
	    CURLUE_OK)
		goto fail;
	rc = 0;
 fail:
	curl_free(q);
	free(nq);
	return rc;
}

char *
url_canonical(const char *s)
{
	CURLU *h = NULL;
	char *t = NULL, *host = NULL, *scheme = NULL, *port = NULL;
	char *out = NULL, *res = NULL, *lhost = NULL;
	size_t i;

	if (s == NULL || (t = trimmed_dup(s)) == NULL)
		return NULL;
	if ((h = curl_url()) == NULL ||
	    curl_url_set(h, CURLUPART_URL, t, 0) != CURLUE_OK ||
	    !handle_is_http(h))
		goto fail;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto fail;
	/* curl keeps the host's case; DNS names are case-insensitive. */
	if ((lhost = str_dup(host)) == NULL)
		goto fail;
	for (i = 0; lhost[i] != '\0'; i++)
		lhost[i] = (char)tolower((unsigned char)lhost[i]);
	if (curl_url_set(h, CURLUPART_HOST, lhost, 0) != CURLUE_OK)
		goto fail;
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    ((strcasecmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
	    (strcasecmp(scheme, "https") == 0 && strcmp(port, "443") == 0)))
		curl_url_set(h, CURLUPART_PORT, NULL, 0);
	curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	if (strip_query(h) == -1)
		goto fail;
	if (curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto fail;
	res = from_curl(out);
 fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	free(lhost);
	curl_url_cleanup(h);
	free(t);
	return res;
}
