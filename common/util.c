/*
 * util.c - string, duration and time helpers (see util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define SECS_PER_MIN	60
#define SECS_PER_HOUR	3600
#define SECS_PER_DAY	86400
#define DURATION_MAX	(100LL * 365 * SECS_PER_DAY)

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *
str_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

char *
str_ndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
str_trim(char *s)
{
	size_t len, start = 0;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return s;
}

void
str_truncate_utf8(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return;
	/* Step back over continuation bytes so no character is cut. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k, extra;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			extra = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (k = 1; k <= extra; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlongs, surrogates and values past U+10FFFF. */
		if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += extra + 1;
	}
	return 1;
}

int
parse_duration(const char *s, int64_t *secs)
{
	char *end;
	long long v;
	int64_t mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = SECS_PER_MIN;
		break;
	case 'h':
		mul = SECS_PER_HOUR;
		break;
	case 'd':
		mul = SECS_PER_DAY;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > DURATION_MAX / mul)
		return -1;
	*secs = (int64_t)v * mul;
	return 0;
}

int64_t
time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
	/* Howard Hinnant's days_from_civil, valid for the proleptic calendar. */
	int64_t yy = (int64_t)y - (mon <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * SECS_PER_DAY + (int64_t)h * SECS_PER_HOUR +
	    (int64_t)mi * SECS_PER_MIN + s;
}

char *
time_format_rfc3339(int64_t t, char buf[RFC3339_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;
	char tmp[80];

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		str_copy(buf, "1970-01-01T00:00:00Z", RFC3339_LEN);
		return buf;
	}
	/* The fields are in range, but the compiler cannot know it. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	str_copy(buf, tmp, RFC3339_LEN);
	return buf;
}

/* Reads exactly n digits into *v; returns the pointer past them or NULL. */
static const char *
read_digits(const char *p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return NULL;
		*v = *v * 10 + (p[i] - '0');
	}
	return p + n;
}

int
time_parse_rfc3339(const char *s, int64_t *t)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;

	if (p == NULL)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if ((p = read_digits(p, 4, &y)) == NULL || *p++ != '-' ||
	    (p = read_digits(p, 2, &mo)) == NULL || *p++ != '-' ||
	    (p = read_digits(p, 2, &d)) == NULL)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((p = read_digits(p, 2, &h)) == NULL || *p++ != ':' ||
		    (p = read_digits(p, 2, &mi)) == NULL)
			return -1;
		if (*p == ':') {
			if ((p = read_digits(p + 1, 2, &sec)) == NULL)
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if ((p = read_digits(p + 1, 2, &oh)) == NULL)
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) &&
			    (p = read_digits(p, 2, &om)) == NULL)
				return -1;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59 || (h == 24 && (mi || sec)))
		return -1;
	*t = time_from_civil(y, mo, d, h, mi, sec) -
	    sign * ((int64_t)oh * SECS_PER_HOUR + (int64_t)om * SECS_PER_MIN);
	return 0;
}

int64_t
time_now(void)
{
	return (int64_t)time(NULL);
}
