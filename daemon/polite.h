/*
 * polite.h - the pure rules of a well-behaved poller: when to poll next
 * after a success (interval, publisher hints, skipHours/skipDays, floor,
 * ceiling, adaptation, jitter), after a failure (exponential backoff) and
 * after a 429/503 (Retry-After), and how to read the headers involved.
 *
 * No I/O, no clock and no randomness of its own: the caller passes now
 * and a random number, so every rule is unit-tested with exact values.
 */
#ifndef TIDINGS_POLITE_H
#define TIDINGS_POLITE_H

#include <stddef.h>
#include <stdint.h>

#define POLITE_DEFAULT_CEILING	(24 * 3600)	/* seconds */
#define POLITE_JITTER_DIV	10	/* jitter: up to interval / this */
#define POLITE_JITTER_MAX	(5 * 60)	/* ... and at most this */
#define POLITE_BACKOFF_MAX_SHIFT 20	/* 2^20 x base: past any ceiling */
#define POLITE_ADAPT_MIN_GAPS	3	/* fewer item gaps: no adaptation */

/* What the publisher said about how often to come back. */
struct polite_hints {
	int64_t	 ttl;		/* <ttl> or sy:* in seconds, -1 none */
	int64_t	 max_age;	/* Cache-Control: max-age, -1 none */
	int64_t	 expires;	/* Expires as Unix time, TIME_NONE none */
	uint32_t skip_hours;	/* bit h: do not poll in UTC hour h */
	uint8_t	 skip_days;	/* bit d: do not poll on day d, 0 = Sunday */
};

struct polite_limits {
	int64_t	 interval;	/* configured (global or the feed's own) */
	int64_t	 floor;		/* min_interval */
	int64_t	 ceiling;	/* max_interval */
};

/* Hints as "none". */
void	polite_hints_init(struct polite_hints *);

/* interval stretched by the hints (never shortened), within floor/ceiling. */
int64_t	polite_interval(const struct polite_limits *, const struct polite_hints *,
	    int64_t now);
/*
 * The median gap between the given publication times (any order, no
 * TIME_NONE), or -1 when there are fewer than POLITE_ADAPT_MIN_GAPS gaps.
 * Sorts times in place.
 */
int64_t	polite_median_gap(int64_t *times, size_t n);
/* A random extra delay in [0, min(interval / JITTER_DIV, JITTER_MAX)]. */
int64_t	polite_jitter(int64_t interval, uint32_t rnd);
/* The first time >= t outside skipped hours and days (t if all skipped). */
int64_t	polite_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days);
/*
 * Delay after `failures` consecutive failures (1 = the first): base
 * doubled per failure, full jitter on the upper half, capped at ceiling.
 */
int64_t	polite_backoff(int64_t base, int64_t failures, int64_t ceiling,
	    uint32_t rnd);
/* Retry-After (delta seconds or HTTP date) as an absolute time; -1 if bad. */
int64_t	polite_retry_after(const char *value, int64_t now);
/* max-age of a Cache-Control value in seconds, -1 if absent or no-cache. */
int64_t	polite_max_age(const char *cache_control);

#endif
