/*
 * test_term.c - the terminal-safety rule (NOTES.md section 7, the
 * reference being term_oracle.py's sanitize()) and terminal widths.
 */
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "test.h"

#define FFFD	"\xef\xbf\xbd"
#define ELL	"\xe2\x80\xa6"

/* Sanitizes in the given mode and compares; frees the result. */
static void
check_san(const char *in, int multiline, const char *want, int line)
{
	char *got = term_sanitize(in, multiline);

	if (got != NULL && strcmp(got, want) == 0)
		test_passed++;
	else {
		test_failed++;
		fprintf(stderr, "FAIL %s:%d: term_sanitize(multiline=%d)\n",
		    __FILE__, line, multiline);
	}
	free(got);
}

static void
check_fit(const char *in, size_t cols, const char *want, int line)
{
	char *got = term_fit(in, cols);

	if (got != NULL && strcmp(got, want) == 0 && term_width(got) <= cols)
		test_passed++;
	else {
		test_failed++;
		fprintf(stderr, "FAIL %s:%d: term_fit(%zu): got \"%s\", "
		    "expected \"%s\"\n", __FILE__, line, cols,
		    got ? got : "(null)", want);
	}
	free(got);
}

#define SAN1(in, want)	check_san((in), 0, (want), __LINE__)
#define SANM(in, want)	check_san((in), 1, (want), __LINE__)
#define FIT(in, c, want) check_fit((in), (c), (want), __LINE__)

static void
test_escapes(void)
{
	/* CSI: colours, cursor movement, with parameters and intermediates. */
	SAN1("a\x1b[31mred\x1b[0m", "ared");
	SAN1("\x1b[2J\x1b[1;1Hclear", "clear");
	SAN1("x\x1b[?1049hy", "xy");
	SAN1("x\x1b[6n", "x");			/* DSR: no answer provoked */
	/* An unfinished CSI loses its ESC [ and nothing else. */
	SAN1("a\x1b[31", "a31");
	/* 8-bit CSI (U+009B as UTF-8). */
	SAN1("\xc2\x9b" "31mX", "X");
	SAN1("a\xc2\x9b" "1;2Hb", "ab");
	/* A raw 0x9B byte is invalid UTF-8, not a CSI. */
	SAN1("\x9b" "31mX", FFFD "31mX");
	/* OSC 52 clipboard write, terminated by BEL, by ST, by U+009C. */
	SAN1("x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy");
	SAN1("x\x1b]52;c;cm0gLXJmIH4=\x1b\\y", "xy");
	SAN1("x\x1b]52;c;cm0gLXJmIH4=\xc2\x9cy", "xy");
	/* OSC 0 window title, OSC 8 hyperlink. */
	SAN1("\x1b]0;pwned\x07title", "title");
	SAN1("\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "click");
	/* 8-bit OSC. */
	SAN1("a\xc2\x9d" "0;pwned\x07" "b", "ab");
	/* Unterminated OSC: ESC ] goes, the rest is visible text. */
	SAN1("\x1b]0;pwned", "0;pwned");
	/* DCS, SOS, PM, APC up to ST; 8-bit DCS. */
	SAN1("\x1bPq#0;2;0;0;0#0~~\x1b\\after", "after");
	SAN1("a\x1bXsos\x1b\\b", "ab");
	SAN1("a\x1b^pm\x1b\\b", "ab");
	SAN1("a\x1b_apc\x07" "b", "ab");
	SAN1("a\xc2\x90" "dcs\xc2\x9c" "b", "ab");
	/* Unterminated 8-bit DCS: the C1 is replaced, the rest stays. */
	SAN1("a\xc2\x90" "dcs", "a" FFFD "dcs");
	/* Two-byte forms: save/restore cursor, charset selection, RIS. */
	SAN1("\x1b" "7a\x1b" "8", "a");
	SAN1("\x1b(0lqk\x1b(B", "lqk");
	SAN1("x\x1b" "cy", "xy");
	/* A lone ESC (nothing after it, or a control) becomes U+FFFD. */
	SAN1("x\x1b", "x" FFFD);
	SAN1("x\x1b\x01y", "x" FFFD FFFD "y");
	/* Escape sequences go before line breaks are folded. */
	SAN1("a\r\x1b[0m\nb", "a b");
}

static void
test_controls(void)
{
	/* C0 and DEL. */
	SAN1("a\x07" "b", "a" FFFD "b");
	SAN1("a\x08\x08" "b", "a" FFFD FFFD "b");
	SAN1("a\x7f" "b", "a" FFFD "b");
	SAN1("a\x0b\x0c" "b", "a" FFFD FFFD "b");
	/* C1 other than NEL. */
	SAN1("a\xc2\x80" "b", "a" FFFD "b");
	SAN1("a\xc2\x9f" "b", "a" FFFD "b");
	SANM("a\xc2\x8e" "b", "a" FFFD "b");
	/* Single line: breaks (runs fold into one space) and TAB. */
	SAN1("a\r\nb", "a b");
	SAN1("a\n\n\nb", "a b");
	SAN1("a\rb", "a b");
	SAN1("a\tb", "a b");
	SAN1("a\xc2\x85" "b", "a b");		/* NEL */
	SAN1("a\xe2\x80\xa8" "b", "a b");	/* U+2028 */
	SAN1("a\xe2\x80\xa9\n" "b", "a b");	/* U+2029 then LF */
	SAN1("a\n\tb", "a  b");			/* TAB ends a run */
	/* Multi-line: LF and TAB kept, CR LF becomes LF, the rest replaced. */
	SANM("a\nb", "a\nb");
	SANM("a\r\nb", "a\nb");
	SANM("a\tb", "a\tb");
	SANM("a\rb", "a" FFFD "b");
	SANM("a\xc2\x85" "b", "a" FFFD "b");
	SANM("a\xe2\x80\xa8" "b", "a" FFFD "b");
	SANM("a\x1b[1mb\x07", "ab" FFFD);
	/* Plain text, including non-ASCII, passes unchanged. */
	SAN1("Zelensky and Xi: \xe2\x80\x9c" "call\xe2\x80\x9d", "Zelensky "
	    "and Xi: \xe2\x80\x9c" "call\xe2\x80\x9d");
	SAN1("", "");
	SAN1("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
}

static void
test_bidi(void)
{
	/* RLO (Trojan Source), LRE..PDF, isolates, LRM/RLM, ALM. */
	SAN1("abc\xe2\x80\xae" "fed", "abcfed");
	SAN1("\xe2\x80\xaa" "a\xe2\x80\xab" "b\xe2\x80\xac\xe2\x80\xad", "ab");
	SAN1("\xe2\x81\xa6" "a\xe2\x81\xa7\xe2\x81\xa8" "b\xe2\x81\xa9", "ab");
	SAN1("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d", "abcd");
	SANM("a\xe2\x80\xae\nb", "a\nb");
	/* Dropped before CR LF is folded. */
	SANM("a\r\xe2\x80\x8e\nb", "a\nb");
	SAN1("a\n\xe2\x80\x8e\nb", "a b");
	/* ZWJ and ordinary Arabic/Hebrew letters are not bidi controls. */
	SAN1("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
}

static void
test_invalid_utf8(void)
{
	SAN1("\xff", FFFD);
	SAN1("a\xfe\xff" "b", "a" FFFD FFFD "b");
	/* Truncated sequences: one U+FFFD per maximal subpart. */
	SAN1("\xe2\x82" "A", FFFD "A");
	SAN1("abc\xe2\x82", "abc" FFFD);
	SAN1("\xf0\x9f\x98", FFFD);
	/* Overlong, surrogate, beyond U+10FFFF: every byte replaced. */
	SAN1("\xc0\x80", FFFD FFFD);
	SAN1("\xe0\x80\x80", FFFD FFFD FFFD);
	SAN1("\xed\xa0\x80", FFFD FFFD FFFD);
	SAN1("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	/* Stray continuation byte. */
	SAN1("a\x80" "b", "a" FFFD "b");
	/* An invalid byte inside an OSC goes with the OSC. */
	SAN1("\x1b]0;\xff\x07" "ok", "ok");
	/* The result is always valid UTF-8 of known width. */
	CHECK_INT(term_width(FFFD), 1);
}

static void
test_width(void)
{
	CHECK_INT(term_width(""), 0);
	CHECK_INT(term_width(NULL), 0);
	CHECK_INT(term_width("abc"), 3);
	/* CJK: two columns each. */
	CHECK_INT(term_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6);
	CHECK_INT(term_width("a\xe4\xb8\xad" "b"), 4);
	/* Fullwidth Latin. */
	CHECK_INT(term_width("\xef\xbc\xa1"), 2);
	/* Combining marks: zero. e + U+0301, and two marks. */
	CHECK_INT(term_width("e\xcc\x81"), 1);
	CHECK_INT(term_width("e\xcc\x81\xcc\xa3x"), 2);
	/* Emoji: two columns; U+FE0F variation selector zero. */
	CHECK_INT(term_width("\xf0\x9f\x98\x80"), 2);
	CHECK_INT(term_width("\xe2\x9d\xa4\xef\xb8\x8f"), 1);
	/* Ellipsis and U+FFFD are one column. */
	CHECK_INT(term_width(ELL), 1);
}

static void
test_fit(void)
{
	/* Fits: an unchanged copy. */
	FIT("abc", 3, "abc");
	FIT("abc", 80, "abc");
	FIT("", 0, "");
	FIT(NULL, 5, "");
	/* Cut with the ellipsis inside the budget. */
	FIT("abcdef", 4, "abc" ELL);
	FIT("abcdef", 1, ELL);
	FIT("abcdef", 0, "");
	/* CJK at an odd boundary: a wide char is never halved. */
	FIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 6,
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	FIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5,
	    "\xe6\x97\xa5\xe6\x9c\xac" ELL);
	FIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, "\xe6\x97\xa5" ELL);
	FIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3, "\xe6\x97\xa5" ELL);
	FIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 2, ELL);
	FIT("a\xe6\x97\xa5\xe6\x9c\xac", 4, "a\xe6\x97\xa5" ELL);
	FIT("a\xe6\x97\xa5\xe6\x9c\xac", 3, "a" ELL);
	/* Combining marks stay with their base. */
	FIT("abcde\xcc\x81\xcc\xa3" "fg", 7, "abcde\xcc\x81\xcc\xa3" "fg");
	FIT("abcde\xcc\x81\xcc\xa3" "fg", 6, "abcde\xcc\x81\xcc\xa3" ELL);
	FIT("abcde\xcc\x81\xcc\xa3" "fg", 5, "abcd" ELL);
	/* A ZWJ emoji sequence goes whole or not at all. */
	FIT("x\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa7y", 4, "x" ELL);
	FIT("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5,
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" ELL);
	/* A flag (two regional indicators) is one cluster. */
	FIT("a\xf0\x9f\x87\xba\xf0\x9f\x87\xa6" "bc", 3, "a" ELL);
	/* Sanitized hostile text fits like any other. */
	{
		char *s = term_sanitize("\x1b]0;x\x07\xe4\xb8\xad\xe4\xb8\xad"
		    "\x1b[31m\xe4\xb8\xad", 0);
		char *f = term_fit(s, 5);

		CHECK_STR(f, "\xe4\xb8\xad\xe4\xb8\xad" ELL);
		CHECK_INT(term_width(f), 5);
		free(s);
		free(f);
	}
}

int
main(void)
{
	test_escapes();
	test_controls();
	test_bidi();
	test_invalid_utf8();
	test_width();
	test_fit();
	return TEST_DONE();
}
