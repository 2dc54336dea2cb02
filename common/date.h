/*
 * date.h - parsing the dates feeds publish.  Pure.
 */
#ifndef TIDINGS_DATE_H
#define TIDINGS_DATE_H

#include <stdint.h>

/*
 * Parses RFC 822/1123 (every zone form: numeric, UT/GMT/Z, US
 * abbreviations, military letters), RFC 3339/ISO 8601 with or without
 * zone or seconds, W3C-DTF partial dates and asctime.  A missing zone is
 * UTC.  Returns the instant in Unix seconds UTC, or TIME_NONE when the
 * string is not a valid date (never an invented one).
 */
int64_t	date_parse(const char *s);

#endif
