/* test_polite.c - the polling rules of polite.c with exact values. */
#include <stdint.h>
#include <stdlib.h>

#include "feed.h"
#include "polite.h"
#include "test.h"

#define HOUR	3600
#define DAY	86400
/* 2026-11-29 was a Sunday; this is 10:30 UTC on it. */
#define SUNDAY_1030	1795948200LL

static void
test_interval(void)
{
	struct polite_limits l = { 30 * 60, 15 * 60, DAY };
	struct polite_hints h;
	int64_t now = 1000000;

	polite_hints_init(&h);
	CHECK_INT(polite_interval(&l, &h, now), 30 * 60);
	h.ttl = 60;			/* asking for more often: ignored */
	CHECK_INT(polite_interval(&l, &h, now), 30 * 60);
	h.ttl = 2 * HOUR;		/* <ttl> stretches */
	CHECK_INT(polite_interval(&l, &h, now), 2 * HOUR);
	h.max_age = 3 * HOUR;		/* the longest hint wins */
	CHECK_INT(polite_interval(&l, &h, now), 3 * HOUR);
	h.expires = now + 5 * HOUR;
	CHECK_INT(polite_interval(&l, &h, now), 5 * HOUR);
	h.expires = now + 30 * DAY;	/* ceiling */
	CHECK_INT(polite_interval(&l, &h, now), DAY);
	polite_hints_init(&h);
	l.interval = 60;		/* floor */
	CHECK_INT(polite_interval(&l, &h, now), 15 * 60);
	l.floor = 1;
	CHECK_INT(polite_interval(&l, &h, now), 60);
}

static void
test_skip(void)
{
	int64_t t = SUNDAY_1030;

	CHECK_INT(polite_skip(t, 0, 0), t);
	/* Hour 10 skipped: 11:00 the same day. */
	CHECK_INT(polite_skip(t, 1u << 10, 0), t - 30 * 60 + HOUR);
	/* Hours 10..12 skipped: 13:00. */
	CHECK_INT(polite_skip(t, 7u << 10, 0), t - 30 * 60 + 3 * HOUR);
	/* Sunday skipped: Monday 00:00. */
	CHECK_INT(polite_skip(t, 0, 1u << 0), t - 10 * HOUR - 30 * 60 + DAY);
	/* Sunday and Monday, and hour 0: Tuesday 01:00. */
	CHECK_INT(polite_skip(t, 1u, 3u), t - 10 * HOUR - 30 * 60 + 2 * DAY +
	    HOUR);
	/* A Saturday hour (day 6) does not affect Sunday. */
	CHECK_INT(polite_skip(t, 0, 1u << 6), t);
	/* Everything skipped is nonsense: ignored. */
	CHECK_INT(polite_skip(t, 0xffffff, 0), t);
	CHECK_INT(polite_skip(t, 0, 0x7f), t);
}

static void
test_backoff(void)
{
	int64_t d;
	uint32_t r;

	/* Without jitter (rnd 0) the delay is half the doubled base. */
	CHECK_INT(polite_backoff(60, 1, DAY, 0), 30);
	CHECK_INT(polite_backoff(60, 2, DAY, 0), 60);
	CHECK_INT(polite_backoff(60, 3, DAY, 0), 120);
	/* The most jitter gives the whole doubled base. */
	CHECK_INT(polite_backoff(60, 3, DAY, 120), 240);
	/* Capped, and never giving up: a thousand failures still retry. */
	CHECK_INT(polite_backoff(60, 40, DAY, 0), DAY / 2);
	CHECK_INT(polite_backoff(60, 1000, DAY, UINT32_MAX), DAY / 2 +
	    (int64_t)(UINT32_MAX % (DAY / 2 + 1)));
	for (r = 0; r < 1000; r += 7) {
		d = polite_backoff(60, 1000, DAY, r * 2654435761u);
		CHECK(d >= DAY / 2 && d <= DAY);
	}
}

static void
test_jitter(void)
{
	CHECK_INT(polite_jitter(1000, 0), 0);
	CHECK_INT(polite_jitter(1000, 100), 100);
	CHECK_INT(polite_jitter(1000, 101), 0);	/* modulo 101 */
	CHECK(polite_jitter(DAY, UINT32_MAX) <= POLITE_JITTER_MAX);
	CHECK_INT(polite_jitter(5, 12345), 0);
}

static void
test_headers(void)
{
	int64_t now = 1000000;

	CHECK_INT(polite_retry_after("120", now), now + 120);
	CHECK_INT(polite_retry_after(" 0 ", now), now);
	CHECK_INT(polite_retry_after("-5", now), -1);
	CHECK_INT(polite_retry_after("12abc", now), -1);
	CHECK_INT(polite_retry_after("soon", now), -1);
	CHECK_INT(polite_retry_after(NULL, now), -1);
	CHECK_INT(polite_retry_after("Sun, 29 Nov 2026 10:30:00 GMT", 0) > 0 ?
	    polite_retry_after("Sun, 29 Nov 2026 10:30:00 GMT",
	    SUNDAY_1030 - 60) : 0, SUNDAY_1030);
	/* A date in the past means now. */
	CHECK_INT(polite_retry_after("Sun, 29 Nov 2026 10:30:00 GMT",
	    SUNDAY_1030 + 60), SUNDAY_1030 + 60);
	CHECK_INT(polite_retry_after("99999999999", now), now + 7 * DAY);

	CHECK_INT(polite_max_age("max-age=600"), 600);
	CHECK_INT(polite_max_age("public, max-age=3600, must-revalidate"), 3600);
	CHECK_INT(polite_max_age("Max-Age=\"42\""), 42);
	CHECK_INT(polite_max_age("s-maxage=10"), -1);
	CHECK_INT(polite_max_age("no-cache, max-age=600"), -1);
	CHECK_INT(polite_max_age("private"), -1);
	CHECK_INT(polite_max_age(NULL), -1);
}

static void
test_median(void)
{
	int64_t a[] = { 500, 100, 300, 200 };	/* gaps 100, 100, 200 */
	int64_t b[] = { 0, 10, 20 };
	int64_t c[] = { 0, 0, 0, 7200, 7200, 10800, 21600 };
	int64_t d[] = { 0, 100, 300, 600, 1000 };	/* 100 200 300 400 */

	CHECK_INT(polite_median_gap(a, 4), 100);
	CHECK_INT(polite_median_gap(b, 3), -1);	/* too few gaps */
	/* A batch published at once is one publication. */
	CHECK_INT(polite_median_gap(c, 7), 7200);
	CHECK_INT(polite_median_gap(d, 5), 250);
}

int
main(void)
{
	test_interval();
	test_skip();
	test_backoff();
	test_jitter();
	test_headers();
	test_median();
	return TEST_DONE();
}
