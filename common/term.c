/*
 * term.c - untrusted text made safe and fitted for a terminal (see term.h).
 *
 * Owns the terminal-safety rule of ../shared/hostile/NOTES.md section 7;
 * term_oracle.py's sanitize() is the reference and this file follows it
 * step by step: decode (invalid UTF-8 -> U+FFFD), remove whole escape
 * sequences, drop bidi controls, fold line breaks, replace what is left of
 * the control characters.  Each step works on the output of the one
 * before, so e.g. a CR and an LF separated by an escape sequence still fold
 * into one space.  Pure: no I/O, no global state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "term.h"

#define TERM_REPLACEMENT	0xfffd
#define TERM_ELLIPSIS		"\xe2\x80\xa6"	/* U+2026, one column */
#define TERM_ELLIPSIS_COLS	1
#define TERM_UTF8_MAX		4		/* bytes per code point */

#define CP_BEL		0x07
#define CP_TAB		0x09
#define CP_LF		0x0a
#define CP_CR		0x0d
#define CP_ESC		0x1b
#define CP_DEL		0x7f
#define CP_NEL		0x85
#define CP_DCS		0x90
#define CP_SOS		0x98
#define CP_CSI		0x9b
#define CP_ST		0x9c
#define CP_OSC		0x9d
#define CP_PM		0x9e
#define CP_APC		0x9f
#define CP_LSEP		0x2028
#define CP_PSEP		0x2029

/*
 * Length of the maximal subpart of an ill-formed sequence at p (Unicode
 * 3.9, table 3-7): the longest prefix that could still have started a
 * valid character, at least one byte.  One U+FFFD replaces each such
 * subpart, as Python's "replace" error handler does.
 */
static size_t
utf8_bad_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 2;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 3;
	else
		return 1;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (avail < 2 || p[1] < lo || p[1] > hi)
		return 1;
	for (k = 2; k <= need && k < avail; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			break;
	return k;
}

/*
 * Decodes s (len bytes) into a new array of code points; invalid UTF-8
 * becomes U+FFFD.  Sets *n to the count; NULL on ENOMEM.
 */
static utf8proc_int32_t *
term_decode(const char *s, size_t len, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t *cps;
	size_t i = 0, o = 0;

	/* Every code point takes at least one byte. */
	if ((cps = calloc(len + 1, sizeof(*cps))) == NULL)
		return NULL;
	while (i < len) {
		utf8proc_ssize_t r;
		utf8proc_int32_t cp;

		r = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (r <= 0) {
			cp = TERM_REPLACEMENT;
			r = (utf8proc_ssize_t)utf8_bad_len(p + i, len - i);
		}
		cps[o++] = cp;
		i += (size_t)r;
	}
	*n = o;
	return cps;
}

/* Skips CSI parameter, intermediate and final bytes; 0 if incomplete. */
static size_t
csi_len(const utf8proc_int32_t *c, size_t n, size_t i)
{
	while (i < n && c[i] >= 0x30 && c[i] <= 0x3f)
		i++;
	while (i < n && c[i] >= 0x20 && c[i] <= 0x2f)
		i++;
	if (i < n && c[i] >= 0x40 && c[i] <= 0x7e)
		return i + 1;
	return 0;
}

/* End of a string sequence (OSC, DCS, ...) at its BEL or ST; 0 if none. */
static size_t
string_seq_end(const utf8proc_int32_t *c, size_t n, size_t i)
{
	for (; i < n; i++) {
		if (c[i] == CP_BEL || c[i] == CP_ST)
			return i + 1;
		if (c[i] == CP_ESC && i + 1 < n && c[i + 1] == '\\')
			return i + 2;
	}
	return 0;
}

/*
 * Index just past the escape sequence starting at c[i], or 0 if there is
 * none.  Tried in the oracle's order; an unterminated OSC falls back to the
 * two-byte form, so "ESC ]" goes and its parameters stay visible as text.
 */
static size_t
escape_end(const utf8proc_int32_t *c, size_t n, size_t i)
{
	size_t e, j;

	if (c[i] == CP_ESC && i + 1 < n) {
		if (c[i + 1] == '[' && (e = csi_len(c, n, i + 2)) != 0)
			return e;
		if ((c[i + 1] == ']' || c[i + 1] == 'P' || c[i + 1] == 'X' ||
		    c[i + 1] == '^' || c[i + 1] == '_') &&
		    (e = string_seq_end(c, n, i + 2)) != 0)
			return e;
		for (j = i + 1; j < n && c[j] >= 0x20 && c[j] <= 0x2f; j++)
			;
		if (j < n && c[j] >= 0x30 && c[j] <= 0x7e)
			return j + 1;
		return 0;
	}
	if (c[i] == CP_CSI)
		return csi_len(c, n, i + 1);
	if (c[i] == CP_OSC || c[i] == CP_DCS || c[i] == CP_SOS ||
	    c[i] == CP_PM || c[i] == CP_APC)
		return string_seq_end(c, n, i + 1);
	return 0;
}

static int
is_bidi(utf8proc_int32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static int
is_line_break(utf8proc_int32_t cp)
{
	return cp == CP_CR || cp == CP_LF || cp == CP_NEL || cp == CP_LSEP ||
	    cp == CP_PSEP;
}

/* Left after the steps above: C0 but TAB and LF, DEL, C1, separators. */
static int
is_bad(utf8proc_int32_t cp)
{
	return (cp < 0x20 && cp != CP_TAB && cp != CP_LF) ||
	    (cp >= CP_DEL && cp <= 0x9f) || cp == CP_LSEP || cp == CP_PSEP;
}

char *
term_sanitize(const char *s, int multiline)
{
	utf8proc_int32_t *c;
	unsigned char *out = NULL;
	size_t n, i, w, o = 0, e;
	int in_break = 0;

	if (s == NULL)
		s = "";
	if ((c = term_decode(s, strlen(s), &n)) == NULL)
		return NULL;

	/* Escape sequences go first, whole, and in place. */
	for (i = w = 0; i < n; ) {
		if ((e = escape_end(c, n, i)) != 0) {
			i = e;
			continue;
		}
		c[w++] = c[i++];
	}
	n = w;
	/* Then the bidi controls. */
	for (i = w = 0; i < n; i++)
		if (!is_bidi(c[i]))
			c[w++] = c[i];
	n = w;

	if ((out = malloc(n * TERM_UTF8_MAX + 1)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		utf8proc_int32_t cp = c[i];

		if (!multiline && is_line_break(cp)) {
			/* A run of line breaks becomes one space. */
			if (!in_break)
				out[o++] = ' ';
			in_break = 1;
			continue;
		}
		in_break = 0;
		if (!multiline && cp == CP_TAB)
			cp = ' ';
		else if (multiline && cp == CP_CR && i + 1 < n &&
		    c[i + 1] == CP_LF)
			continue;
		if (is_bad(cp))
			cp = TERM_REPLACEMENT;
		o += (size_t)utf8proc_encode_char(cp, out + o);
	}
	out[o] = '\0';
	free(c);
	return (char *)out;
fail:
	free(c);
	free(out);
	return NULL;
}

/*
 * Decodes the character at p (len bytes left) into *cp and returns its
 * length; an invalid byte counts as one U+FFFD-like column of its own.
 */
static size_t
next_char(const unsigned char *p, size_t len, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t r;

	r = utf8proc_iterate(p, (utf8proc_ssize_t)len, cp);
	if (r <= 0) {
		*cp = TERM_REPLACEMENT;
		return 1;
	}
	return (size_t)r;
}

/* Columns of one code point: combining marks 0, wide characters 2. */
static size_t
char_cols(utf8proc_int32_t cp)
{
	utf8proc_category_t cat = utf8proc_category(cp);
	int w;

	if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME)
		return 0;
	w = utf8proc_charwidth(cp);
	return w > 0 ? (size_t)w : 0;
}

size_t
term_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, cols = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	while (i < len) {
		utf8proc_int32_t cp;

		i += next_char(p + i, len - i, &cp);
		cols += char_cols(cp);
	}
	return cols;
}

char *
term_fit(const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t cp, prev = -1;
	utf8proc_int32_t state = 0;
	size_t len, i = 0, cut = 0, used = 0, budget, k;
	char *out;

	if (s == NULL)
		s = "";
	if (term_width(s) <= cols)
		return strdup(s);
	if (cols < TERM_ELLIPSIS_COLS)
		return strdup("");
	budget = cols - TERM_ELLIPSIS_COLS;
	len = strlen(s);

	/*
	 * Walk grapheme clusters (base plus combining marks, ZWJ sequences,
	 * flag pairs) and keep whole clusters while they fit.
	 */
	while (i < len) {
		size_t start = i, cw;
		int valid;

		k = next_char(p + i, len - i, &cp);
		/* A real U+FFFD takes three bytes; one is an invalid byte. */
		valid = !(cp == TERM_REPLACEMENT && k == 1);
		if (prev >= 0 && valid &&
		    !utf8proc_grapheme_break_stateful(prev, cp, &state)) {
			/* Continues the current cluster: it all goes or stays. */
			cw = char_cols(cp);
		} else {
			if (!valid)
				state = 0;
			cut = start;
			cw = char_cols(cp);
		}
		if (used + cw > budget)
			break;
		used += cw;
		prev = valid ? cp : -1;
		i += k;
		if (i >= len)
			cut = len;
	}
	/*
	 * cut is the start of the cluster that did not fit, so a cluster is
	 * never split; the clusters before it fit in budget.
	 */
	if ((out = malloc(cut + sizeof(TERM_ELLIPSIS))) == NULL)
		return NULL;
	memcpy(out, s, cut);
	memcpy(out + cut, TERM_ELLIPSIS, sizeof(TERM_ELLIPSIS));
	return out;
}
