/*
 * polite.c - when to come back to a feed (see polite.h).
 *
 * Pure: times and random numbers come from the caller.  Only the HTTP
 * date parser is borrowed (curl_getdate), which has no state either.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "feed.h"
#include "polite.h"

#define SECS_PER_HOUR	3600
#define SECS_PER_DAY	86400
#define HOURS_PER_WEEK	(7 * 24)
#define EPOCH_WEEKDAY	4	/* 1970-01-01 was a Thursday (0 = Sunday) */
#define MAX_AGE_KEY	"max-age"
/* Retry-After beyond this is a server bug; we still come back at ceiling. */
#define RETRY_AFTER_MAX	(7 * SECS_PER_DAY)

void
polite_hints_init(struct polite_hints *h)
{
	memset(h, 0, sizeof(*h));
	h->ttl = -1;
	h->max_age = -1;
	h->expires = TIME_NONE;
}

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	if (v > hi)
		v = hi;
	return v < lo ? lo : v;
}

int64_t
polite_interval(const struct polite_limits *l, const struct polite_hints *h,
    int64_t now)
{
	int64_t iv = l->interval;

	/* Hints only ever stretch: a publisher asking for less is ignored. */
	if (h->ttl > iv)
		iv = h->ttl;
	if (h->max_age > iv)
		iv = h->max_age;
	if (h->expires != TIME_NONE && h->expires - now > iv)
		iv = h->expires - now;
	return clamp(iv, l->floor, l->ceiling > l->floor ? l->ceiling :
	    l->floor);
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
polite_median_gap(int64_t *times, size_t n)
{
	int64_t *gaps, m;
	size_t i, ng = 0;

	if (n < POLITE_ADAPT_MIN_GAPS + 1)
		return -1;
	qsort(times, n, sizeof(*times), cmp_time);
	if ((gaps = calloc(n - 1, sizeof(*gaps))) == NULL)
		return -1;
	/* Equal times are one publication (a batch), not a zero gap. */
	for (i = 1; i < n; i++)
		if (times[i] > times[i - 1])
			gaps[ng++] = times[i] - times[i - 1];
	if (ng < POLITE_ADAPT_MIN_GAPS) {
		free(gaps);
		return -1;
	}
	qsort(gaps, ng, sizeof(*gaps), cmp_time);
	m = ng % 2 ? gaps[ng / 2] : (gaps[ng / 2 - 1] + gaps[ng / 2]) / 2;
	free(gaps);
	return m;
}

int64_t
polite_jitter(int64_t interval, uint32_t rnd)
{
	int64_t span = interval / POLITE_JITTER_DIV;

	if (span > POLITE_JITTER_MAX)
		span = POLITE_JITTER_MAX;
	return span > 0 ? (int64_t)(rnd % (uint64_t)(span + 1)) : 0;
}

/* Hour of the week of t, 0 = Sunday 00:00 UTC. */
static int
week_hour(int64_t t)
{
	int64_t days = t >= 0 ? t / SECS_PER_DAY :
	    -((-t + SECS_PER_DAY - 1) / SECS_PER_DAY);
	int64_t wday = ((days + EPOCH_WEEKDAY) % 7 + 7) % 7;
	int64_t hour = ((t % SECS_PER_DAY) + SECS_PER_DAY) % SECS_PER_DAY /
	    SECS_PER_HOUR;

	return (int)(wday * 24 + hour);
}

int64_t
polite_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days)
{
	int64_t next;
	int wh, i;

	if (skip_hours == 0 && (skip_days & 0x7f) == 0)
		return t;
	for (i = 0; i < HOURS_PER_WEEK; i++) {
		wh = (week_hour(t) + i) % HOURS_PER_WEEK;
		if ((skip_hours & (1u << (wh % 24))) == 0 &&
		    (skip_days & (1u << (wh / 24))) == 0)
			break;
	}
	if (i == 0 || i == HOURS_PER_WEEK)
		return t;	/* allowed now, or everything skipped: ignore */
	/* The start of the first allowed hour. */
	next = t - (((t % SECS_PER_HOUR) + SECS_PER_HOUR) % SECS_PER_HOUR);
	return next + (int64_t)i * SECS_PER_HOUR;
}

int64_t
polite_backoff(int64_t base, int64_t failures, int64_t ceiling, uint32_t rnd)
{
	int64_t d, half;

	if (base <= 0)
		base = 1;
	if (failures < 1)
		failures = 1;
	if (failures - 1 >= POLITE_BACKOFF_MAX_SHIFT ||
	    base > ceiling >> (failures - 1))
		d = ceiling;
	else
		d = base << (failures - 1);
	/* Jitter on the upper half: spread out, but never below half. */
	half = d / 2;
	d = half + (half > 0 ? (int64_t)(rnd % (uint64_t)(d - half + 1)) : 0);
	return d > ceiling ? ceiling : d;
}

int64_t
polite_retry_after(const char *value, int64_t now)
{
	const char *p;
	char *end;
	long long n;
	time_t t;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		n = strtoll(value, &end, 10);
		for (p = end; *p == ' ' || *p == '\t'; p++)
			;
		if (errno != 0 || *p != '\0' || n < 0)
			return -1;
		return now + (n > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : n);
	}
	if ((t = curl_getdate(value, NULL)) == -1)
		return -1;
	if ((int64_t)t < now)
		return now;
	return (int64_t)t - now > RETRY_AFTER_MAX ? now + RETRY_AFTER_MAX :
	    (int64_t)t;
}

int64_t
polite_max_age(const char *cc)
{
	const char *p = cc;
	size_t klen = strlen(MAX_AGE_KEY);
	int64_t age = -1;
	char *end;
	long long n;

	if (cc == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, "no-cache", 8) == 0 ||
		    strncasecmp(p, "no-store", 8) == 0)
			return -1;	/* says nothing about how long */
		if (strncasecmp(p, MAX_AGE_KEY, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			if (*p == '"')
				p++;
			errno = 0;
			n = strtoll(p, &end, 10);
			if (errno == 0 && end != p && n >= 0)
				age = n;
			p = end;
		}
		while (*p != '\0' && *p != ',')
			p++;
	}
	return age;
}
