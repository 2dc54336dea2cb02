/*
 * test_util.c - durations, RFC 3339 times, UTF-8 helpers, log escaping.
 */
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "log.h"
#include "test.h"
#include "util.h"

int
main(void)
{
	int64_t d, t;
	char buf[RFC3339_LEN], s[32], lb[32];

	CHECK(parse_duration("90", &d) == 0 && d == 90);
	CHECK(parse_duration("90s", &d) == 0 && d == 90);
	CHECK(parse_duration("30m", &d) == 0 && d == 1800);
	CHECK(parse_duration("24h", &d) == 0 && d == 86400);
	CHECK(parse_duration("7d", &d) == 0 && d == 7 * 86400);
	CHECK(parse_duration("", &d) == -1);
	CHECK(parse_duration("-5m", &d) == -1);
	CHECK(parse_duration("5 m", &d) == -1);
	CHECK(parse_duration("5mm", &d) == -1);
	CHECK(parse_duration("5w", &d) == -1);
	CHECK(parse_duration("99999999999999999999d", &d) == -1);

	CHECK(time_parse_rfc3339("2023-04-26T19:41:00Z", &t) == 0);
	CHECK_INT(t, 1682538060);
	CHECK_STR(time_format_rfc3339(t, buf), "2023-04-26T19:41:00Z");
	CHECK(time_parse_rfc3339("2023-04-26T21:41:00+02:00", &t) == 0 &&
	    t == 1682538060);
	CHECK(time_parse_rfc3339("2023-04-26T19:41:00.123Z", &t) == 0 &&
	    t == 1682538060);
	CHECK(time_parse_rfc3339("2023-04-26", &t) == 0 && t == 1682467200);
	CHECK(time_parse_rfc3339("2023-13-26T00:00:00Z", &t) == -1);
	CHECK(time_parse_rfc3339("2023-04-26T19:41:00Zjunk", &t) == -1);
	CHECK(time_parse_rfc3339("yesterday", &t) == -1);
	CHECK_INT(time_from_civil(1970, 1, 1, 0, 0, 0), 0);
	CHECK_INT(time_from_civil(2000, 2, 29, 12, 0, 0), 951825600);

	strcpy(s, "  hello \t\n");
	CHECK_STR(str_trim(s), "hello");
	strcpy(s, "h\xc3\xa9llo");	/* é is 2 bytes at offset 1 */
	str_truncate_utf8(s, 2);
	CHECK_STR(s, "h");
	CHECK(utf8_valid("h\xc3\xa9", 3));
	CHECK(!utf8_valid("h\xc3", 2));
	CHECK(!utf8_valid("\xc0\xaf", 2));		/* overlong */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	CHECK(utf8_valid("\xf0\x9f\x98\x80", 4));	/* emoji */
	CHECK_INT(str_copy(lb, "abcdef", 4), 6);
	CHECK_STR(lb, "abc");

	CHECK_STR(log_escape("a\x1b[31mb\nc", lb, sizeof(lb)),
	    "a\\x1b[31mb\\x0ac");
	CHECK_STR(log_escape("\xc2\x9b" "x", lb, sizeof(lb)), "\\x9bx");
	log_escape("0123456789012345678901234567890123456789", lb, 16);
	CHECK(strlen(lb) < 16 && strstr(lb, "...") != NULL);
	return TEST_DONE();
}
