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
 * controls dropped, as XML 1.0 and HTML forbid them.
 */
void	sanitize_put_escaped(FILE *, const char *s);

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
