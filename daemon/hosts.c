/*
 * hosts.c - the per-host table of the scheduler (see hosts.h).
 *
 * Host names come from libcurl's URL parser, so "Example.COM:80" and
 * "example.com" are one host.  The table grows by doubling; it holds one
 * entry per distinct host a feed lives on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "hosts.h"

#define HOSTS_INITIAL	256	/* buckets; a power of two */
#define HOSTS_LOAD	2	/* entries per bucket before growing */
#define HOST_KEY_MAX	300	/* name and port */

struct hosts {
	struct host	**b;
	size_t		 nb;		/* buckets */
	size_t		 n;		/* entries */
};

/* FNV-1a: short keys, no adversary gains from collisions here. */
static uint64_t
host_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct hosts *
hosts_new(void)
{
	struct hosts *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->b = calloc(HOSTS_INITIAL, sizeof(*t->b))) == NULL) {
		free(t);
		return NULL;
	}
	t->nb = HOSTS_INITIAL;
	return t;
}

void
hosts_free(struct hosts *t)
{
	struct host *h, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (h = t->b[i]; h != NULL; h = next) {
			next = h->next;
			free(h->name);
			free(h);
		}
	free(t->b);
	free(t);
}

static void
hosts_grow(struct hosts *t)
{
	struct host **nb, *h, *next;
	size_t i, n = t->nb * 2, k;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < t->nb; i++)
		for (h = t->b[i]; h != NULL; h = next) {
			next = h->next;
			k = host_hash(h->name) & (n - 1);
			h->next = nb[k];
			nb[k] = h;
		}
	free(t->b);
	t->b = nb;
	t->nb = n;
}

/* "host:port" of url, lowercase, into key; -1 if it has no host. */
static int
host_key(const char *url, char *key, size_t n)
{
	CURLU *u;
	char *host = NULL, *port = NULL;
	size_t i;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK && (size_t)snprintf(key, n, "%s:%s", host, port) < n) {
		for (i = 0; key[i] != '\0'; i++)
			key[i] = (char)tolower((unsigned char)key[i]);
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

struct host *
hosts_get(struct hosts *t, const char *url)
{
	char key[HOST_KEY_MAX];
	struct host *h;
	size_t k;

	if (host_key(url, key, sizeof(key)) != 0)
		return NULL;
	k = host_hash(key) & (t->nb - 1);
	for (h = t->b[k]; h != NULL; h = h->next)
		if (strcmp(h->name, key) == 0)
			return h;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->name = strdup(key)) == NULL) {
		free(h);
		return NULL;
	}
	h->next = t->b[k];
	t->b[k] = h;
	if (++t->n > t->nb * HOSTS_LOAD)
		hosts_grow(t);
	return h;
}

size_t
hosts_count(const struct hosts *t)
{
	return t->n;
}
