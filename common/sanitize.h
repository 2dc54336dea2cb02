/*
 * sanitize.h - making feed text safe to put into an HTML document: an
 * escaper, a link filter and an allow-list HTML sanitizer.  Pure
 * (libxml2's HTML parser, no I/O, no global state).
 */
#ifndef TIDINGS_SANITIZE_H
#define TIDINGS_SANITIZE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes s escaped for HTML/XML text and double-quoted attribute values:
 * & < > " ' as references; C0 controls (but tab and newline), DEL and C1
 * controls dropped, as HTML forbids them; bidi controls and U+2028/9 as
 * character references (see sanitize_unsafe_cp).
 */
void	sanitize_put_escaped(FILE *, const char *s);

/*
 * Length of the code point at p when it is one a terminal acts on though
 * XML allows it (C1 controls, bidi embeddings, overrides and isolates,
 * U+2028/9), with the code point in *cp; 0 for anything else.  Writers
 * of XML/HTML put these as character references, which mean the same to
 * a parser and nothing to a terminal.
 */
size_t	sanitize_unsafe_cp(const char *p, unsigned *cp);

/*
 * 1 if url may be a link in a document a user opens: an absolute http,
 * https or mailto URL without controls or spaces.  javascript:, data:,
 * vbscript:, file:, relative and obfuscated ("java\tscript:") are not.
 */
int	sanitize_url_ok(const char *url);

/*
 * Returns a malloc'd HTML fragment made from the untrusted fragment
 * html[0..len) by an allow-list: text and simple formatting elements
 * stay; script, style, iframe, object, form and the like go with their
 * content; other elements are replaced by their content; the only
 * attributes kept are href (when sanitize_url_ok) and title.  NULL on
 * ENOMEM.
 */
char	*sanitize_html(const char *html, size_t len);

#endif
