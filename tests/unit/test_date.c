/*
 * test_date.c - date_parse on hand-written cases and, when the shared
 * corpus is there, on ../shared/corpus/conformance/dates.jsonl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "date.h"
#include "feed.h"
#include "test.h"
#include "util.h"

#define DATES_JSONL	"../shared/corpus/conformance/dates.jsonl"
#define MIN_PASS_RATE	0.85	/* of the records with a definite answer */

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	return time_from_civil(y, mo, d, h, mi, s);
}

static void
test_rfc822(void)
{
	int64_t t = utc(2023, 4, 26, 19, 41, 0);

	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 GMT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 +0000"), t);
	CHECK_INT(date_parse("26 Apr 2023 19:41:00 Z"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 UT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00"), t);
	CHECK_INT(date_parse("  Wed, 26 Apr 2023 19:41 GMT \n"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 23 19:41:00 GMT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 21:41:00 +0200"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 15:41:00 EDT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 14:41:00 EST"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 14:41:00 CDT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 13:41:00 CST"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 13:41:00 MDT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 12:41:00 MST"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 12:41:00 PDT"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 11:41:00 PST"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 -0000"), t);
	CHECK_INT(date_parse("Wednesday, 26 April 2023 19:41:00 GMT"), t);
	/* RFC 822 military zones: A is -1 hour, N is +1, Z is UT. */
	CHECK_INT(date_parse("Wed, 26 Apr 2023 18:41:00 A"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 20:41:00 N"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 Z"), t);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 J"), TIME_NONE);
	/* asctime, both zone placements. */
	CHECK_INT(date_parse("Wed Apr 26 19:41:00 2023"), t);
	CHECK_INT(date_parse("Wed Apr 26 19:41:00 +0000 2023"), t);
	/* Invalid values are refused, never normalised. */
	CHECK_INT(date_parse("Wed, 26 Foo 2023 19:41:00 GMT"), TIME_NONE);
	CHECK_INT(date_parse("Thu, 30 Feb 2023 19:41:00 GMT"), TIME_NONE);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 25:41:00 GMT"), TIME_NONE);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:60:00 GMT"), TIME_NONE);
	CHECK_INT(date_parse("Wed, 32 Apr 2023 19:41:00 GMT"), TIME_NONE);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 XYZ"), TIME_NONE);
	CHECK_INT(date_parse("Wed, 26 Apr 2023 19:41:00 +2500"), TIME_NONE);
	CHECK_INT(date_parse("Wed, Apr 2023 19:41:00 GMT"), TIME_NONE);
	/* Leap years. */
	CHECK_INT(date_parse("Thu, 29 Feb 2024 00:00:00 GMT"),
	    utc(2024, 2, 29, 0, 0, 0));
	CHECK_INT(date_parse("Tue, 29 Feb 2100 00:00:00 GMT"), TIME_NONE);
}

static void
test_iso(void)
{
	int64_t t = utc(2023, 4, 26, 19, 41, 0);

	CHECK_INT(date_parse("2023-04-26T19:41:00Z"), t);
	CHECK_INT(date_parse("2023-04-26T19:41:00.123456Z"), t);
	CHECK_INT(date_parse("2023-04-26T21:41:00+02:00"), t);
	CHECK_INT(date_parse("2023-04-26T21:41:00+0200"), t);
	CHECK_INT(date_parse("2023-04-26T14:41:00-05"), t);
	CHECK_INT(date_parse("2023-04-26 19:41:00"), t);
	CHECK_INT(date_parse("2023-04-26T19:41Z"), t);
	CHECK_INT(date_parse("2023-04-26T19:41"), t);
	CHECK_INT(date_parse("2023-04-26t19:41:00z"), t);
	CHECK_INT(date_parse("20230426T194100Z"), t);
	CHECK_INT(date_parse("2023-04-26"), utc(2023, 4, 26, 0, 0, 0));
	CHECK_INT(date_parse("2023-04"), utc(2023, 4, 1, 0, 0, 0));
	CHECK_INT(date_parse("2023"), utc(2023, 1, 1, 0, 0, 0));
	CHECK_INT(date_parse("2023-13-01T00:00:00Z"), TIME_NONE);
	CHECK_INT(date_parse("2023-02-30"), TIME_NONE);
	CHECK_INT(date_parse("2023-04-26T25:00:00Z"), TIME_NONE);
	CHECK_INT(date_parse("2023-04-26T19:41:00+99:99"), TIME_NONE);
	CHECK_INT(date_parse("2023-04-26T19:41:00Zjunk"), TIME_NONE);
	CHECK_INT(date_parse("2023-4-26"), TIME_NONE);
	CHECK_INT(date_parse(""), TIME_NONE);
	CHECK_INT(date_parse("   "), TIME_NONE);
	CHECK_INT(date_parse(NULL), TIME_NONE);
	CHECK_INT(date_parse("yesterday"), TIME_NONE);
	CHECK_INT(date_parse("1520932969"), TIME_NONE);
}

/* The shared corpus: count agreement, print what disagrees. */
static void
test_corpus(void)
{
	FILE *f = fopen(DATES_JSONL, "r");
	char line[4096];
	int total = 0, ok = 0;

	if (f == NULL) {
		printf("(%s not found: corpus part skipped)\n", DATES_JSONL);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *r = json_loads(line, 0, NULL);
		const char *in, *expect, *want_s;
		int64_t got, want = TIME_NONE;

		if (r == NULL)
			continue;
		in = json_string_value(json_object_get(r, "input"));
		expect = json_string_value(json_object_get(r, "expect"));
		want_s = json_string_value(json_object_get(r, "expected_utc"));
		/* "any": the corpus accepts every answer for those. */
		if (in == NULL || expect == NULL || strcmp(expect, "any") == 0) {
			json_decref(r);
			continue;
		}
		if (strcmp(expect, "utc") == 0 && (want_s == NULL ||
		    time_parse_rfc3339(want_s, &want) == -1)) {
			json_decref(r);
			continue;
		}
		got = date_parse(in);
		total++;
		if (got == want)
			ok++;
		else {
			char buf[RFC3339_LEN];

			printf("  date mismatch: \"%s\" -> %s, expected %s\n", in,
			    got == TIME_NONE ? "reject" :
			    time_format_rfc3339(got, buf),
			    want_s != NULL ? want_s : "reject");
		}
		json_decref(r);
	}
	fclose(f);
	printf("dates.jsonl: %d/%d agree\n", ok, total);
	CHECK(total > 50);
	CHECK(total > 0 && (double)ok / total >= MIN_PASS_RATE);
}

int
main(void)
{
	test_rfc822();
	test_iso();
	test_corpus();
	return TEST_DONE();
}
