/*
 * html.h - HTML fragments from feeds turned into plain text.  Pure
 * (libxml2's HTML parser, which knows the HTML entity table).
 */
#ifndef TIDINGS_HTML_H
#define TIDINGS_HTML_H

#include <stddef.h>

/*
 * Returns malloc'd plain text of an HTML fragment: tags removed, entities
 * decoded once, script/style content dropped, block elements separated by
 * a space, whitespace collapsed and trimmed.  NULL on ENOMEM.
 */
char	*html_to_text(const char *html, size_t len);

#endif
