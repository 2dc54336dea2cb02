/*
 * util.h - small string, duration and time helpers shared by daemon and
 * client.  Pure functions: no I/O, no global state.
 */
#ifndef TIDINGS_UTIL_H
#define TIDINGS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_LEN 32		/* "2023-04-26T19:41:00Z" plus room */

/* strlcpy semantics (glibc 2.36 has none): returns strlen(src). */
size_t	str_copy(char *dst, const char *src, size_t size);
/* strdup that returns NULL for NULL. */
char	*str_dup(const char *);
/* Duplicates s[0..n) adding a NUL. */
char	*str_ndup(const char *s, size_t n);
/* Trims ASCII whitespace at both ends in place; returns s. */
char	*str_trim(char *s);
/* Truncates s to at most max bytes on a UTF-8 character boundary. */
void	str_truncate_utf8(char *s, size_t max);
/* 1 if s is valid UTF-8 without NUL bytes in its first n bytes. */
int	utf8_valid(const char *s, size_t n);

/*
 * Parses a duration: a non-negative integer with an optional unit s, m, h
 * or d ("90", "90s", "30m", "2h", "7d"); a bare number is seconds.
 * Returns 0 and sets *secs, or -1 if malformed or out of range.
 */
int	parse_duration(const char *s, int64_t *secs);

/* Formats t as RFC 3339 UTC ("2023-04-26T19:41:00Z") into buf. */
char	*time_format_rfc3339(int64_t t, char buf[RFC3339_LEN]);
/*
 * Parses an RFC 3339 / ISO 8601 date-time ("2023-04-26T19:41:00Z",
 * "+02:00" offsets, fractions, a date alone).  Returns 0 or -1.
 */
int	time_parse_rfc3339(const char *s, int64_t *t);
/* Current time in Unix seconds. */
int64_t	time_now(void);
/* Days-from-civil: timegm without touching TZ. */
int64_t	time_from_civil(int y, int mon, int d, int h, int mi, int s);

#endif
