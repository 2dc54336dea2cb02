/*
 * output.h - what the client prints: human views of the API's objects
 * (headlines, feeds table, story view, status) and JSON made safe for a
 * terminal.  Every string from the API goes through term_sanitize() and is
 * measured with term_width()/term_fit(); feed text is untrusted.
 */
#ifndef TIDINGS_OUTPUT_H
#define TIDINGS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define OUTPUT_DEFAULT_COLS	80	/* a terminal that does not say */
#define OUTPUT_MIN_COLS		20	/* below this, lines wrap anyway */

struct out {
	FILE	*fp;
	int	 color;		/* ANSI attributes allowed */
	size_t	 cols;		/* width lines are fitted to; 0: not cut */
	size_t	 wrap;		/* width running text is wrapped to */
	int64_t	 now;		/* Unix seconds, for ages */
};

/*
 * Looks at fp: on a terminal, colour unless NO_COLOR is set (or TERM is
 * "dumb") and the window width (TIOCGWINSZ, else COLUMNS, else 80); not on
 * a terminal, no colour and no cutting unless COLUMNS is set.
 */
void	output_init(struct out *, FILE *fp);

/*
 * Prints a JSON text from the API as it came, plus a newline, escaping
 * as \uXXXX the characters a terminal must not see (C1, DEL, bidi
 * controls, U+2028/9) inside strings.  A text with raw control bytes or
 * invalid UTF-8 is re-encoded through jansson first.  Returns 0, or -1 if
 * it is not JSON at all.
 */
int	output_json_text(const struct out *, const char *text, size_t len);
/* The same for a jansson value, dumped with flags (JSON_INDENT(2)). */
int	output_json_value(const struct out *, const json_t *, size_t flags);

void	output_status(const struct out *, const json_t *status);
void	output_feeds(const struct out *, const json_t *feeds);
void	output_feed_result(const struct out *, const json_t *feed);
void	output_feed_added(const struct out *, const json_t *feed);
void	output_headlines(const struct out *, const json_t *stories);
void	output_story(const struct out *, const json_t *story);
void	output_items(const struct out *, const json_t *items);
/* The request history of one feed (GET /v1/feeds/{id}/http). */
void	output_feed_http(const struct out *, const json_t *history);

/* Writes untrusted s on one line, sanitized (for messages on stderr). */
void	output_line_safe(FILE *, const char *s);

/* "45s", "12m", "3h", "2d", "4w", "2y"; "+5m" for a time in the future. */
char	*output_age(int64_t now, int64_t t, char *buf, size_t len);

#endif
