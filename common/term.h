/*
 * term.h - making untrusted text safe and well-fitted for a terminal.
 * Pure (utf8proc for character widths).
 */
#ifndef TIDINGS_TERM_H
#define TIDINGS_TERM_H

#include <stddef.h>

/*
 * Returns a malloc'd copy of s safe to print: complete escape sequences
 * (CSI, OSC, DCS/SOS/PM/APC, two-byte ESC forms, 8-bit CSI) removed, other
 * C0 (except LF when multiline), DEL and C1 replaced by U+FFFD, bidi
 * controls dropped, invalid UTF-8 replaced; in single-line mode CR, LF,
 * TAB, NEL, U+2028 and U+2029 become spaces.
 */
char	*term_sanitize(const char *s, int multiline);

/* Display width in terminal columns of valid UTF-8 s (wide chars count 2). */
size_t	term_width(const char *s);

/*
 * Returns a malloc'd copy of s cut to at most cols columns, ending in "…"
 * when cut; never splits a character or a combining sequence.
 */
char	*term_fit(const char *s, size_t cols);

#endif
