/*
 * story.h - the pure part of grouping items into stories: the keys two
 * items are compared by.  The lookups that use them live in store.c.
 */
#ifndef TIDINGS_STORY_H
#define TIDINGS_STORY_H

/*
 * Normalized title: Unicode NFKC case folding, accents stripped,
 * punctuation removed, whitespace collapsed.  malloc'd; NULL for a NULL
 * or empty-after-normalization title.
 */
char	*story_title_key(const char *title);

#endif
