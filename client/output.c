/*
 * output.c - human views of the API's objects and terminal-safe JSON (see
 * output.h).
 *
 * Every string that came from the API passes term_sanitize() before it is
 * printed: single-line mode for titles, outlets, URLs and errors,
 * multi-line mode for summaries.  Widths are measured in terminal columns
 * (term_width), never in bytes, and cut with term_fit so a wide character
 * or a combining sequence is never split.  Nothing here exits but on
 * ENOMEM: callers decide the exit status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <utf8proc.h>

#include "feed.h"
#include "output.h"
#include "term.h"
#include "util.h"

#define SGR_RESET	"\033[0m"
#define SGR_BOLD	"\033[1m"
#define SGR_DIM		"\033[2m"
#define SGR_RED		"\033[31m"
#define SGR_GREEN	"\033[32m"
#define SGR_YELLOW	"\033[33m"

#define COLUMNS_MAX	10000	/* a COLUMNS value beyond this is nonsense */
#define AGE_COLS	4	/* "now", "12m", "+5m", "52w" */
#define SOURCES_COLS	3
#define FEEDS_TITLE_MAX	30	/* feeds table, when fitting to a width */
#define FEEDS_LAST_MAX	24
#define FEEDS_WHY_LEN	64	/* "N failed, ok 3h ago" */
#define FEEDS_TITLE_MIN	10	/* narrow terminals shrink down to these */
#define FEEDS_LAST_MIN	6
#define ITEMS_OUTLET_MAX 20
#define URL_MIN_COLS	10	/* a URL column narrower than this is useless */
#define OUTLETS_MIN	8	/* "(A, +2)" needs about this much */
#define OUTLET_MIN_COLS	10	/* an outlet name cut shorter says little */
#define TIME_LEN	32
#define AGE_LEN		16
#define REL_LEN		(AGE_LEN + 8)	/* "in 12w", "12w ago" */
#define DUR_LEN		64		/* two numbers and units */
#define UNTITLED	"(no title)"
#define SNIPPET_ON	'\002'	/* the API's marks around a search match */
#define SNIPPET_OFF	'\003'
#define PUA_ON		"\xee\x80\x80"	/* U+E000, UTF-8 */
#define PUA_OFF		"\xee\x80\x81"	/* U+E001 */
#define PUA_LEN		3
#define INDENT		"  "
#define INDENT_COLS	2

#define SECS_MIN	60
#define SECS_HOUR	3600
#define SECS_DAY	86400
#define SECS_WEEK	(7 * SECS_DAY)
#define SECS_YEAR	(365 * SECS_DAY)

/* ---- small helpers ---------------------------------------------------- */

static const char *
sgr(const struct out *o, const char *code)
{
	return o->color ? code : "";
}

static const char *
jstr(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t
jint(const json_t *obj, const char *key, int64_t def)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return def;
}

static int
jbool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

/* An RFC 3339 member as Unix seconds, TIME_NONE when absent or bad. */
static int64_t
jtime(const json_t *obj, const char *key)
{
	const char *s = jstr(obj, key);
	int64_t t;

	if (s == NULL || time_parse_rfc3339(s, &t) != 0)
		return TIME_NONE;
	return t;
}

/* Sanitized single-line copy of s (NULL: ""); never NULL. */
static char *
safe1(const char *s)
{
	char *r = term_sanitize(s != NULL ? s : "", 0);

	if (r == NULL) {
		/* A client this short-lived has nothing better to do. */
		fprintf(stderr, "tidings: out of memory\n");
		exit(1);
	}
	return r;
}

static int
ndigits(int64_t v)
{
	int n = 1;

	if (v < 0) {
		n++;
		v = -(v + 1);
	}
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Prints s (already safe) fitted to cols columns (0: as is). */
static size_t
put_fit(FILE *fp, const char *s, size_t cols)
{
	char *f;
	size_t w;

	if (cols == 0) {
		fputs(s, fp);
		return term_width(s);
	}
	if ((f = term_fit(s, cols)) == NULL)
		return 0;
	fputs(f, fp);
	w = term_width(f);
	free(f);
	return w;
}

/* Prints s (already safe) cut to cols and padded with spaces to cols. */
static void
put_pad(FILE *fp, const char *s, size_t cols)
{
	size_t w = put_fit(fp, s, cols);

	for (; w < cols; w++)
		fputc(' ', fp);
}

char *
output_age(int64_t now, int64_t t, char *buf, size_t len)
{
	const char *sign = "";
	int64_t d;

	if (t == TIME_NONE) {
		snprintf(buf, len, "-");
		return buf;
	}
	d = now - t;
	if (d < 0) {
		sign = "+";
		d = -d;
	}
	if (d < SECS_MIN)
		snprintf(buf, len, "now");
	else if (d < SECS_HOUR)
		snprintf(buf, len, "%s%lldm", sign, (long long)(d / SECS_MIN));
	else if (d < SECS_DAY)
		snprintf(buf, len, "%s%lldh", sign, (long long)(d / SECS_HOUR));
	else if (d < SECS_WEEK)
		snprintf(buf, len, "%s%lldd", sign, (long long)(d / SECS_DAY));
	else if (d < SECS_YEAR)
		snprintf(buf, len, "%s%lldw", sign, (long long)(d / SECS_WEEK));
	else
		snprintf(buf, len, "%s%lldy", sign, (long long)(d / SECS_YEAR));
	return buf;
}

/* "3h ago", "in 2h", "now": an age to read in a sentence. */
static char *
fmt_rel(int64_t now, int64_t t, char *buf, size_t len)
{
	char age[AGE_LEN];

	output_age(now, t, age, sizeof(age));
	if (t == TIME_NONE || strcmp(age, "now") == 0)
		snprintf(buf, len, "%s", age);
	else if (age[0] == '+')
		snprintf(buf, len, "in %s", age + 1);
	else
		snprintf(buf, len, "%s ago", age);
	return buf;
}

/* A duration in its two largest units: "3h 12m", "2d 4h", "45s". */
static char *
fmt_duration(int64_t secs, char *buf, size_t len)
{
	static const struct { int64_t secs; const char *unit; } units[] = {
		{ SECS_DAY, "d" }, { SECS_HOUR, "h" }, { SECS_MIN, "m" },
		{ 1, "s" }
	};
	size_t i;

	if (secs < 0)
		secs = 0;
	for (i = 0; i + 1 < sizeof(units) / sizeof(units[0]); i++)
		if (secs >= units[i].secs)
			break;
	if (i + 1 < sizeof(units) / sizeof(units[0]) &&
	    secs % units[i].secs / units[i + 1].secs != 0)
		snprintf(buf, len, "%lld%s %lld%s",
		    (long long)(secs / units[i].secs), units[i].unit,
		    (long long)(secs % units[i].secs / units[i + 1].secs),
		    units[i + 1].unit);
	else
		snprintf(buf, len, "%lld%s", (long long)(secs / units[i].secs),
		    units[i].unit);
	return buf;
}

/* Local time "2023-04-26 21:41", or "-". */
static char *
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == TIME_NONE || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* ---- terminal ----------------------------------------------------------- */

static size_t
env_columns(void)
{
	const char *s = getenv("COLUMNS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v <= 0 || v > COLUMNS_MAX)
		return 0;
	return (size_t)v;
}

void
output_init(struct out *o, FILE *fp)
{
	const char *term = getenv("TERM");
	struct winsize ws;
	int tty = isatty(fileno(fp));

	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->now = time_now();
	o->color = tty && getenv("NO_COLOR") == NULL &&
	    !(term != NULL && strcmp(term, "dumb") == 0);
	if (tty) {
		if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			o->cols = ws.ws_col;
		else if ((o->cols = env_columns()) == 0)
			o->cols = OUTPUT_DEFAULT_COLS;
	} else
		o->cols = env_columns();	/* pipes get whole lines */
	if (o->cols != 0 && o->cols < OUTPUT_MIN_COLS)
		o->cols = OUTPUT_MIN_COLS;
	o->wrap = o->cols != 0 ? o->cols : OUTPUT_DEFAULT_COLS;
}

void
output_line_safe(FILE *fp, const char *s)
{
	char *t = safe1(s);

	fprintf(fp, "%s\n", t);
	free(t);
}

/* ---- JSON --------------------------------------------------------------- */

/*
 * 1 if text can be printed as it is: valid UTF-8 and no raw control byte
 * but JSON whitespace (LF, TAB) between tokens.  jansson never writes one
 * inside a string, so finding one there means the text was not made by a
 * JSON encoder.
 */
static int
json_text_clean(const char *t, size_t len)
{
	int in_str = 0, esc = 0;
	size_t i;

	if (!utf8_valid(t, len))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20) {
			if (in_str || (c != '\n' && c != '\t'))
				return 0;
			continue;
		}
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"')
			in_str = 1;
	}
	return 1;
}

/* Code points JSON may carry raw but a terminal must not see. */
static int
json_hazard(utf8proc_int32_t cp)
{
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/* Writes valid UTF-8 JSON text with every hazard as a \u escape. */
static void
json_put_escaped(FILE *fp, const char *t, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)t;
	size_t i = 0, run = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;

		if (p[i] < 0x80 && p[i] != 0x7f) {
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			n = 1;		/* cannot happen: validated */
			cp = 0xfffd;
		}
		if (json_hazard(cp)) {
			fwrite(t + run, 1, i - run, fp);
			fprintf(fp, "\\u%04x", (unsigned)cp);
			run = i + (size_t)n;
		}
		i += (size_t)n;
	}
	fwrite(t + run, 1, len - run, fp);
}

int
output_json_value(const struct out *o, const json_t *v, size_t flags)
{
	char *text;

	/* jansson escapes C0 and checks UTF-8; the rest is ours. */
	if ((text = json_dumps(v, flags | JSON_ENCODE_ANY)) == NULL)
		return -1;
	json_put_escaped(o->fp, text, strlen(text));
	fputc('\n', o->fp);
	free(text);
	return 0;
}

int
output_json_text(const struct out *o, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *v;
	int rc;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (json_text_clean(text, len)) {
		json_put_escaped(o->fp, text, len);
		fputc('\n', o->fp);
		return 0;
	}
	/* Not what an encoder writes: decode and encode it again. */
	if ((v = json_loadb(text, len, JSON_DECODE_ANY, &jerr)) == NULL)
		return -1;
	rc = output_json_value(o, v, JSON_COMPACT);
	json_decref(v);
	return rc;
}

/* ---- text wrapping ------------------------------------------------------ */

/*
 * Prints one paragraph (safe text, modified in place) word-wrapped to
 * width columns after indent.  A word wider than a line is cut at
 * character-cluster boundaries (term_fit's, without its ellipsis).
 */
static void
wrap_paragraph(FILE *fp, char *para, size_t width, const char *indent)
{
	size_t cur = 0;
	char *word, *save = NULL;

	for (word = strtok_r(para, " \t", &save); word != NULL;
	    word = strtok_r(NULL, " \t", &save)) {
		size_t ww = term_width(word);

		if (cur > 0 && cur + 1 + ww <= width) {
			fputc(' ', fp);
			fputs(word, fp);
			cur += 1 + ww;
			continue;
		}
		if (cur > 0)
			fputc('\n', fp);
		fputs(indent, fp);
		while (ww > width) {
			/*
			 * term_fit cuts whole clusters to width - 1 columns
			 * and adds its one-column ellipsis, which goes.
			 */
			char *f = term_fit(word, width);
			size_t cut = f != NULL ? strlen(f) : 0;
			const size_t ell = strlen("\xe2\x80\xa6");

			free(f);
			if (cut <= ell)
				break;	/* one cluster wider than a line */
			cut -= ell;
			fwrite(word, 1, cut, fp);
			fputc('\n', fp);
			fputs(indent, fp);
			word += cut;
			ww = term_width(word);
		}
		fputs(word, fp);
		cur = ww;
	}
	if (cur > 0)
		fputc('\n', fp);
}

/*
 * Prints untrusted multi-line text wrapped to the view's width, with
 * runs of blank lines folded into one and none at either end.
 */
static void
wrap_text(const struct out *o, const char *text, const char *indent)
{
	size_t icols = strlen(indent), width;
	char *s, *line, *next;
	int blank = 0, printed = 0;

	if (text == NULL || (s = term_sanitize(text, 1)) == NULL)
		return;
	width = o->wrap > icols + OUTPUT_MIN_COLS ? o->wrap - icols :
	    OUTPUT_MIN_COLS;
	for (line = s; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[strspn(line, " \t")] == '\0') {
			blank = printed;
			continue;
		}
		if (blank)
			fputc('\n', o->fp);
		blank = 0;
		wrap_paragraph(o->fp, line, width, indent);
		printed = 1;
	}
	free(s);
}

/* ---- status ------------------------------------------------------------- */

/* One "name value" line for any scalar member. */
static void
status_line(const struct out *o, const json_t *st, const char *key,
    const char *label)
{
	json_t *v = json_object_get(st, key);
	char *s;

	if (v == NULL || json_is_null(v))
		return;
	fprintf(o->fp, "%-10s ", label);
	if (json_is_integer(v))
		fprintf(o->fp, "%lld\n", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(o->fp, "%g\n", json_real_value(v));
	else if (json_is_boolean(v))
		fprintf(o->fp, "%s\n", json_is_true(v) ? "yes" : "no");
	else if (json_is_string(v)) {
		s = safe1(json_string_value(v));
		fprintf(o->fp, "%s\n", s);
		free(s);
	} else
		fprintf(o->fp, "?\n");
}

void
output_status(const struct out *o, const json_t *st)
{
	char dur[DUR_LEN], tbuf[TIME_LEN];
	char *version = safe1(jstr(st, "version"));
	int64_t uptime = jint(st, "uptime", -1);
	int64_t started = jtime(st, "started");

	fprintf(o->fp, "%stidingsd %s%s", sgr(o, SGR_BOLD),
	    version[0] ? version : "?", sgr(o, SGR_RESET));
	if (uptime < 0 && started != TIME_NONE)
		uptime = o->now - started;
	if (uptime >= 0)
		fprintf(o->fp, ", up %s", fmt_duration(uptime, dur,
		    sizeof(dur)));
	if (started != TIME_NONE)
		fprintf(o->fp, " (since %s)", fmt_time(started, tbuf,
		    sizeof(tbuf)));
	fputc('\n', o->fp);
	free(version);
	status_line(o, st, "database", "database");
	status_line(o, st, "feeds", "feeds");
	status_line(o, st, "items", "items");
	status_line(o, st, "stories", "stories");
	status_line(o, st, "unread", "unread");
	status_line(o, st, "polls", "polls");
	status_line(o, st, "errors", "errors");
	status_line(o, st, "in_flight", "in flight");
	status_line(o, st, "search_pending", "to index");
}

/* ---- feeds -------------------------------------------------------------- */

/* "error: why", "200", or "-" before the first poll; malloc'd, safe. */
static char *
feed_last(const struct out *o, const json_t *f)
{
	const char *err = jstr(f, "last_error");
	char buf[64], age[AGE_LEN], why[FEEDS_WHY_LEN], *s, *e;
	int64_t fails = jint(f, "failures", 0), ok = jtime(f, "last_success");
	size_t n;

	if (err != NULL) {
		e = safe1(err);
		/* How long it has been failing says more than one error. */
		if (ok != TIME_NONE)
			snprintf(why, sizeof(why), "%lld failed, ok %s ago",
			    (long long)fails, output_age(o->now, ok, age,
			    sizeof(age)));
		else
			snprintf(why, sizeof(why), "%lld failed, never ok",
			    (long long)fails);
		n = strlen(e) + strlen(why) + sizeof("error (): ");
		if ((s = malloc(n)) != NULL)
			snprintf(s, n, "error (%s): %s", why, e);
		else
			s = e;		/* ENOMEM: at least the reason */
		if (s != e)
			free(e);
		return s;
	}
	if (jtime(f, "last_fetch") == TIME_NONE && jint(f, "polls", 0) == 0)
		return safe1("-");
	snprintf(buf, sizeof(buf), "%lld", (long long)jint(f, "last_status",
	    0));
	return safe1(buf);
}

static char *feed_title(const json_t *);

/* "Title [tag, tag]" for the feeds table; malloc'd, safe. */
static char *
feed_title_tags(const json_t *f)
{
	const json_t *tags = json_object_get(f, "tags");
	char *title = feed_title(f), *t, *s;
	size_t i, len;

	if (!json_is_array(tags) || json_array_size(tags) == 0)
		return title;
	len = strlen(title) + 4;
	for (i = 0; i < json_array_size(tags); i++)
		/* Made safe, a byte may become U+FFFD: three bytes. */
		len += 3 * json_string_length(json_array_get(tags, i)) + 2;
	if ((s = malloc(len)) == NULL)
		return title;
	snprintf(s, len, "%s [", title);
	for (i = 0; i < json_array_size(tags); i++) {
		/* A tag is ours, but may have come from an imported file. */
		t = safe1(json_string_value(json_array_get(tags, i)));
		snprintf(s + strlen(s), len - strlen(s), "%s%s", i > 0 ? ", " :
		    "", t);
		free(t);
	}
	snprintf(s + strlen(s), len - strlen(s), "]");
	free(title);
	return s;
}

static char *
feed_title(const json_t *f)
{
	const char *t = jstr(f, "title");

	if (t == NULL || *t == '\0')
		t = jstr(f, "site_title");
	return safe1(t != NULL && *t != '\0' ? t : "-");
}

static void
feed_next(const struct out *o, const json_t *f, char *buf, size_t len)
{
	int64_t next = jtime(f, "next_poll");
	char age[AGE_LEN];

	if (jbool(f, "paused"))
		snprintf(buf, len, "paused");
	else if (next == TIME_NONE)
		snprintf(buf, len, "-");
	else if (next - o->now < SECS_MIN)
		snprintf(buf, len, "due");
	else
		/* output_age of a future time starts with '+'. */
		snprintf(buf, len, "in %s", output_age(o->now, next, age,
		    sizeof(age)) + 1);
}

static void
feed_fetched(const struct out *o, const json_t *f, char *buf, size_t len)
{
	int64_t t = jtime(f, "last_fetch");
	char age[AGE_LEN];

	if (t == TIME_NONE)
		snprintf(buf, len, "never");
	else if (o->now - t < SECS_MIN)
		snprintf(buf, len, "now");
	else
		snprintf(buf, len, "%s ago", output_age(o->now, t, age,
		    sizeof(age)));
}

static const char *
last_color(const struct out *o, const json_t *f)
{
	int64_t st = jint(f, "last_status", 0);

	if (jstr(f, "last_error") != NULL)
		return sgr(o, SGR_RED);
	if (st >= 200 && st < 400)
		return sgr(o, SGR_GREEN);
	return "";
}

static size_t
max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

void
output_feeds(const struct out *o, const json_t *root)
{
	const json_t *feeds = json_object_get(root, "feeds");
	char **title = NULL, **last = NULL, **url = NULL;
	char fetched[AGE_LEN + 8], next[AGE_LEN + 8];
	size_t n, i, idw = 2, tw = 5, iw = 5, lw = 4, fw = 7, nw = 4, uw = 0;
	size_t fixed, flex;

	n = json_is_array(feeds) ? json_array_size(feeds) : 0;
	if (n == 0) {
		fprintf(stderr, "tidings: no feeds; add one with "
		    "`tidings add URL`\n");
		return;
	}
	title = calloc(n, sizeof(*title));
	last = calloc(n, sizeof(*last));
	url = calloc(n, sizeof(*url));
	if (title == NULL || last == NULL || url == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		const json_t *f = json_array_get(feeds, i);

		title[i] = feed_title_tags(f);
		last[i] = feed_last(o, f);
		url[i] = safe1(jstr(f, "url"));
		idw = max_size(idw, (size_t)ndigits(jint(f, "id", 0)));
		iw = max_size(iw, (size_t)ndigits(jint(f, "items", 0)));
		tw = max_size(tw, term_width(title[i]));
		lw = max_size(lw, term_width(last[i]));
		feed_next(o, f, next, sizeof(next));
		nw = max_size(nw, strlen(next));
		feed_fetched(o, f, fetched, sizeof(fetched));
		fw = max_size(fw, strlen(fetched));
	}
	if (o->cols != 0) {
		/*
		 * Title, last result and URL share what the other columns
		 * leave; on a narrow terminal the first two give way so the
		 * URL keeps a useful width.
		 */
		fixed = idw + iw + fw + nw + 6 * 2;
		flex = o->cols > fixed ? o->cols - fixed : 0;
		tw = tw > FEEDS_TITLE_MAX ? FEEDS_TITLE_MAX : tw;
		lw = lw > FEEDS_LAST_MAX ? FEEDS_LAST_MAX : lw;
		if (tw + lw + URL_MIN_COLS > flex) {
			tw = tw < max_size(FEEDS_TITLE_MIN, flex * 2 / 5) ? tw :
			    max_size(FEEDS_TITLE_MIN, flex * 2 / 5);
			lw = lw < max_size(FEEDS_LAST_MIN, flex / 4) ? lw :
			    max_size(FEEDS_LAST_MIN, flex / 4);
		}
		uw = flex > tw + lw + URL_MIN_COLS ? flex - tw - lw :
		    URL_MIN_COLS;
	}

	fprintf(o->fp, "%s%*s  ", sgr(o, SGR_BOLD), (int)idw, "ID");
	put_pad(o->fp, "TITLE", tw);
	fprintf(o->fp, "  %*s  ", (int)iw, "ITEMS");
	put_pad(o->fp, "LAST", lw);
	fprintf(o->fp, "  %-*s  %-*s  URL%s\n", (int)fw, "FETCHED", (int)nw,
	    "NEXT", sgr(o, SGR_RESET));
	for (i = 0; i < n; i++) {
		const json_t *f = json_array_get(feeds, i);

		feed_fetched(o, f, fetched, sizeof(fetched));
		feed_next(o, f, next, sizeof(next));
		fprintf(o->fp, "%*lld  ", (int)idw, (long long)jint(f, "id",
		    0));
		put_pad(o->fp, title[i], tw);
		fprintf(o->fp, "  %*lld  %s", (int)iw, (long long)jint(f,
		    "items", 0), last_color(o, f));
		put_pad(o->fp, last[i], lw);
		fprintf(o->fp, "%s  %-*s  %-*s  ", sgr(o, SGR_RESET), (int)fw,
		    fetched, (int)nw, next);
		put_fit(o->fp, url[i], uw);
		fputc('\n', o->fp);
	}
done:
	for (i = 0; i < n; i++) {
		if (title != NULL)
			free(title[i]);
		if (last != NULL)
			free(last[i]);
		if (url != NULL)
			free(url[i]);
	}
	free(title);
	free(last);
	free(url);
}

void
output_feed_result(const struct out *o, const json_t *f)
{
	char *title = feed_title(f);
	char *url = safe1(jstr(f, "url"));
	const char *err = jstr(f, "last_error");

	fprintf(o->fp, "feed %lld %s (%s): ", (long long)jint(f, "id", 0),
	    title, url);
	if (err != NULL) {
		char *e = safe1(err);

		fprintf(o->fp, "%serror: %s%s", sgr(o, SGR_RED), e,
		    sgr(o, SGR_RESET));
		if (jint(f, "last_status", 0) != 0)
			fprintf(o->fp, " (HTTP %lld)", (long long)jint(f,
			    "last_status", 0));
		free(e);
	} else
		fprintf(o->fp, "%sok%s, HTTP %lld, %lld items",
		    sgr(o, SGR_GREEN), sgr(o, SGR_RESET),
		    (long long)jint(f, "last_status", 0),
		    (long long)jint(f, "items", 0));
	fputc('\n', o->fp);
	free(title);
	free(url);
}

void
output_feed_added(const struct out *o, const json_t *f)
{
	char *url = safe1(jstr(f, "url"));
	const char *t = jstr(f, "title");

	fprintf(o->fp, "added feed %lld: %s", (long long)jint(f, "id", 0),
	    url);
	if (t != NULL && *t != '\0') {
		char *title = safe1(t);

		fprintf(o->fp, " (%s)", title);
		free(title);
	}
	fputc('\n', o->fp);
	free(url);
}

/* ---- headlines ---------------------------------------------------------- */

/* "(A, B, +3)": as many outlets as fit in room columns, NULL if none. */
static char *
outlets_fit(char **names, size_t n, size_t room)
{
	size_t k, i, w, len, best = 0;
	char more[32], *s, *p;

	if (n == 0)
		return NULL;
	/* Widest k whose "(" names ", +N" ")" fits; "(", ")" are 2. */
	for (k = 1, w = 2; k <= n; k++) {
		w += term_width(names[k - 1]) + (k > 1 ? 2 : 0);
		if (room != 0 && w + (k < n ? 3 + (size_t)ndigits((int64_t)(n -
		    k)) : 0) > room)
			break;
		best = k;
	}
	if (best == 0) {
		/* One outlet, too long: show as much of its name as fits. */
		if (n != 1 || room < OUTLETS_MIN ||
		    (p = term_fit(names[0], room - 2)) == NULL)
			return NULL;
		len = strlen(p) + 3;
		if ((s = malloc(len)) != NULL)
			snprintf(s, len, "(%s)", p);
		free(p);
		return s;
	}
	more[0] = '\0';
	if (best < n)
		snprintf(more, sizeof(more), ", +%zu", n - best);
	for (len = strlen(more) + 3, i = 0; i < best; i++)
		len += strlen(names[i]) + 2;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	*p++ = '(';
	for (i = 0; i < best; i++)
		p += snprintf(p, len - (size_t)(p - s), "%s%s", i > 0 ? ", " :
		    "", names[i]);
	snprintf(p, len - (size_t)(p - s), "%s)", more);
	return s;
}

/* The time a story or item is listed under: published, else first seen. */
static int64_t
when(const json_t *obj)
{
	int64_t t = jtime(obj, "published");

	return t != TIME_NONE ? t : jtime(obj, "first_seen");
}

static void
headline(const struct out *o, const json_t *st, int idw)
{
	const json_t *feeds = json_object_get(st, "feeds");
	char age[AGE_LEN], *title, **names = NULL, *outl = NULL;
	size_t nf = json_is_array(feeds) ? json_array_size(feeds) : 0;
	size_t prefix = (size_t)idw + 1 + AGE_COLS + 1 + SOURCES_COLS + 2;
	size_t avail = 0, tw, i;
	int64_t sources = jint(st, "sources", (int64_t)nf);

	output_age(o->now, when(st), age, sizeof(age));
	fprintf(o->fp, "%s%*lld %*s%s %s%*lld%s  ", sgr(o, SGR_DIM), idw,
	    (long long)jint(st, "id", 0), AGE_COLS, age, sgr(o, SGR_RESET),
	    sources > 1 ? sgr(o, SGR_BOLD) : "", SOURCES_COLS,
	    (long long)sources, sgr(o, SGR_RESET));
	title = safe1(jstr(st, "title"));
	if (title[0] == '\0') {
		free(title);
		title = safe1(UNTITLED);
	}
	if (o->cols != 0)
		avail = o->cols > prefix + OUTPUT_MIN_COLS ? o->cols - prefix :
		    OUTPUT_MIN_COLS;
	tw = term_width(title);
	if (avail != 0 && tw > avail) {
		put_fit(o->fp, title, avail);
		goto done;
	}
	fputs(title, o->fp);
	if (nf == 0 || (names = calloc(nf, sizeof(*names))) == NULL)
		goto done;
	for (i = 0; i < nf; i++)
		names[i] = safe1(jstr(json_array_get(feeds, i), "title"));
	if (avail == 0)
		outl = outlets_fit(names, nf, 0);
	else if (avail > tw + 1)
		outl = outlets_fit(names, nf, avail - tw - 1);
	if (outl != NULL)
		fprintf(o->fp, " %s%s%s", sgr(o, SGR_DIM), outl,
		    sgr(o, SGR_RESET));
	for (i = 0; i < nf; i++)
		free(names[i]);
done:
	fputc('\n', o->fp);
	free(names);
	free(outl);
	free(title);
}

static int
max_id_digits(const json_t *arr, const char *key)
{
	size_t i;
	int w = 1, d;

	for (i = 0; i < json_array_size(arr); i++)
		if ((d = ndigits(jint(json_array_get(arr, i), key, 0))) > w)
			w = d;
	return w;
}

void
output_headlines(const struct out *o, const json_t *root)
{
	const json_t *stories = json_object_get(root, "stories");
	size_t i, n = json_is_array(stories) ? json_array_size(stories) : 0;
	int idw;

	if (n == 0) {
		fprintf(stderr, "tidings: no stories\n");
		return;
	}
	idw = max_id_digits(stories, "id");
	for (i = 0; i < n; i++)
		headline(o, json_array_get(stories, i), idw);
}

/* ---- story and items ---------------------------------------------------- */

static void
story_item(const struct out *o, const json_t *it)
{
	const json_t *feed = json_object_get(it, "feed");
	char tbuf[TIME_LEN], age[REL_LEN], meta[TIME_LEN + REL_LEN + 16];
	char *outlet = safe1(jstr(feed, "title"));
	size_t mw, used, room = 0;
	char *link = safe1(jstr(it, "link"));
	char *author = safe1(jstr(it, "author"));
	char *title = safe1(jstr(it, "title"));
	const char *summary;
	int64_t t = when(it);

	/* "Outlet · 2023-04-26 21:41 (3h ago) · Author", the untrusted
	 * parts cut so the line fits. */
	snprintf(meta, sizeof(meta), " \xc2\xb7 %s (%s)", fmt_time(t, tbuf,
	    sizeof(tbuf)), fmt_rel(o->now, t, age, sizeof(age)));
	mw = term_width(meta);
	if (o->cols != 0)
		room = o->cols > mw + OUTLET_MIN_COLS ? o->cols - mw :
		    OUTLET_MIN_COLS;
	fputs(sgr(o, SGR_BOLD), o->fp);
	used = put_fit(o->fp, outlet[0] ? outlet : "-", room) + mw;
	fprintf(o->fp, "%s%s%s", sgr(o, SGR_RESET), sgr(o, SGR_DIM), meta);
	if (author[0] != '\0' && (o->cols == 0 ||
	    o->cols >= used + 3 + OUTLET_MIN_COLS)) {
		fputs(" \xc2\xb7 ", o->fp);
		put_fit(o->fp, author, o->cols != 0 ? o->cols - used - 3 : 0);
	}
	fprintf(o->fp, "%s\n", sgr(o, SGR_RESET));
	if (title[0] != '\0')
		wrap_paragraph(o->fp, title, o->wrap > INDENT_COLS +
		    OUTPUT_MIN_COLS ? o->wrap - INDENT_COLS : OUTPUT_MIN_COLS,
		    INDENT);
	/* A link is never cut: a shortened URL is a wrong URL. */
	if (link[0] != '\0')
		fprintf(o->fp, "%s%s%s%s\n", INDENT, sgr(o, SGR_DIM), link,
		    sgr(o, SGR_RESET));
	/* The API's "summary" is already plain text (HTML is summary_html). */
	if ((summary = jstr(it, "summary")) != NULL && summary[0] != '\0')
		wrap_text(o, summary, INDENT);
	free(outlet);
	free(link);
	free(author);
	free(title);
}

void
output_story(const struct out *o, const json_t *st)
{
	const json_t *items = json_object_get(st, "items");
	size_t i, n = json_is_array(items) ? json_array_size(items) : 0;
	char tbuf[TIME_LEN], age[REL_LEN], meta[3 * TIME_LEN + REL_LEN + 64];
	char *title = safe1(jstr(st, "title"));
	size_t len;
	int64_t t = when(st), seen = jtime(st, "first_seen");
	int64_t sources = jint(st, "sources", 0);

	fputs(sgr(o, SGR_BOLD), o->fp);
	wrap_paragraph(o->fp, title, o->wrap, "");
	fputs(sgr(o, SGR_RESET), o->fp);
	len = (size_t)snprintf(meta, sizeof(meta), "story %lld \xc2\xb7 %lld "
	    "source%s \xc2\xb7 first seen %s (%s)", (long long)jint(st, "id",
	    0), (long long)sources, sources == 1 ? "" : "s", fmt_time(seen,
	    tbuf, sizeof(tbuf)), fmt_rel(o->now, seen, age, sizeof(age)));
	/* Published earlier than seen: a feed added late, or a backlog. */
	if (t != TIME_NONE && (t < seen - SECS_MIN || t > seen + SECS_MIN) &&
	    len < sizeof(meta))
		snprintf(meta + len, sizeof(meta) - len, " \xc2\xb7 published "
		    "%s", fmt_time(t, tbuf, sizeof(tbuf)));
	fputs(sgr(o, SGR_DIM), o->fp);
	wrap_paragraph(o->fp, meta, o->wrap, "");
	fputs(sgr(o, SGR_RESET), o->fp);
	for (i = 0; i < n; i++) {
		fputc('\n', o->fp);
		story_item(o, json_array_get(items, i));
	}
	free(title);
}

/*
 * A search hit's snippet on its own indented line, the matched words
 * (between the API's U+0002 and U+0003) in bold, or in brackets without
 * colour.  The marks are controls term_sanitize would rightly remove, so
 * they travel as private-use characters through it: the snippet is made
 * safe whole, and an escape sequence around a mark still goes whole.
 */
static void
snippet(const struct out *o, const char *raw)
{
	size_t room = o->cols > INDENT_COLS ? o->cols - INDENT_COLS : 0;
	size_t used = 0, n, i, len = strlen(raw), k = 0;
	char *marked, *safe, *s;
	int on = 0;

	/* Each one-byte mark becomes a three-byte private-use character. */
	if ((marked = malloc(len * PUA_LEN + 1)) == NULL)
		return;
	for (i = 0; i < len; i++) {
		if (raw[i] == SNIPPET_ON || raw[i] == SNIPPET_OFF) {
			memcpy(marked + k, raw[i] == SNIPPET_ON ? PUA_ON :
			    PUA_OFF, PUA_LEN);
			k += PUA_LEN;
		} else
			marked[k++] = raw[i];
	}
	marked[k] = '\0';
	safe = safe1(marked);
	free(marked);
	fputs(INDENT, o->fp);
	for (s = safe; *s != '\0'; ) {
		char *on_at = strstr(s, PUA_ON), *off_at = strstr(s, PUA_OFF);
		char *mark = on_at == NULL ? off_at : off_at == NULL ? on_at :
		    on_at < off_at ? on_at : off_at;
		char save;

		n = mark != NULL ? (size_t)(mark - s) : strlen(s);
		save = s[n];
		s[n] = '\0';
		if (room == 0 || used < room)
			used += put_fit(o->fp, s, room != 0 ? room - used : 0);
		s[n] = save;
		s += n;
		if (mark == NULL)
			break;
		/* A mark is shown only in its place: on, then off. */
		if ((room == 0 || used < room) && (mark == on_at) != on) {
			on = mark == on_at;
			fputs(on ? (o->color ? SGR_BOLD : "[") :
			    (o->color ? SGR_RESET : "]"), o->fp);
		}
		s += PUA_LEN;
	}
	if (on)
		fputs(o->color ? SGR_RESET : "]", o->fp);
	fputc('\n', o->fp);
	free(safe);
}

void
output_items(const struct out *o, const json_t *root)
{
	const json_t *items = json_object_get(root, "items");
	size_t i, n = json_is_array(items) ? json_array_size(items) : 0;
	size_t ow = 0, prefix, avail = 0;
	char age[AGE_LEN], **outlet;
	int idw;

	if (n == 0) {
		fprintf(stderr, "tidings: no items\n");
		return;
	}
	if ((outlet = calloc(n, sizeof(*outlet))) == NULL)
		return;
	idw = max_id_digits(items, "story");
	for (i = 0; i < n; i++) {
		outlet[i] = safe1(jstr(json_object_get(json_array_get(items,
		    i), "feed"), "title"));
		ow = max_size(ow, term_width(outlet[i]));
	}
	if (o->cols != 0) {
		/* The outlet takes at most a third of what the title has. */
		size_t third = o->cols > (size_t)idw + AGE_COLS + 5 ?
		    (o->cols - (size_t)idw - AGE_COLS - 5) / 3 : 0;

		ow = ow > ITEMS_OUTLET_MAX ? ITEMS_OUTLET_MAX : ow;
		ow = ow > max_size(third, FEEDS_LAST_MIN) ?
		    max_size(third, FEEDS_LAST_MIN) : ow;
	}
	prefix = (size_t)idw + 1 + AGE_COLS + 2 + ow + 2;
	if (o->cols != 0)
		avail = o->cols > prefix + OUTPUT_MIN_COLS ? o->cols - prefix :
		    OUTPUT_MIN_COLS;
	for (i = 0; i < n; i++) {
		const json_t *it = json_array_get(items, i);
		const char *t = jstr(it, "title");
		char *title = safe1(t != NULL && *t != '\0' ? t : UNTITLED);

		output_age(o->now, when(it), age, sizeof(age));
		fprintf(o->fp, "%s%*lld %*s%s  ", sgr(o, SGR_DIM), idw,
		    (long long)jint(it, "story", 0), AGE_COLS, age,
		    sgr(o, SGR_RESET));
		put_pad(o->fp, outlet[i], ow);
		fputs("  ", o->fp);
		put_fit(o->fp, title, avail);
		fputc('\n', o->fp);
		free(title);
		if (jstr(it, "snippet") != NULL)
			snippet(o, jstr(it, "snippet"));
	}
	for (i = 0; i < n; i++)
		free(outlet[i]);
	free(outlet);
}

/* `tidings feeds --http ID`: the feed's recent requests, newest first. */
void
output_feed_http(const struct out *o, const json_t *root)
{
	const json_t *reqs = json_object_get(root, "requests"), *q;
	char *url = safe1(jstr(root, "url"));
	char age[AGE_LEN];
	size_t i;
	int64_t t;

	fprintf(o->fp, "%s\n", url);
	free(url);
	if (!json_is_array(reqs) || json_array_size(reqs) == 0) {
		fprintf(o->fp, "no requests since the daemon started\n");
		return;
	}
	fprintf(o->fp, "%s%-8s  %6s  %-11s  %10s  %8s  %s%s\n",
	    sgr(o, SGR_BOLD), "WHEN", "STATUS", "REQUEST", "BYTES", "SECONDS",
	    "NOTE", sgr(o, SGR_RESET));
	json_array_foreach(reqs, i, q) {
		t = jtime(q, "time");
		fprintf(o->fp, "%-8s  %6lld  %-11s  %10lld  %8.3f  %s%s\n",
		    t == TIME_NONE ? "-" : output_age(o->now, t, age,
		    sizeof(age)), (long long)jint(q, "status", 0),
		    jbool(q, "conditional") ? "conditional" : "full",
		    (long long)jint(q, "bytes", 0),
		    json_real_value(json_object_get(q, "seconds")),
		    jbool(q, "failed") ? "failed" : "",
		    jint(q, "redirects", 0) > 0 ? " redirected" : "");
	}
}
