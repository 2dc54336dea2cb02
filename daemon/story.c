/*
 * story.c - the keys items are grouped into stories by (see story.h).
 * Pure: utf8proc does the Unicode work, no I/O, no global state.  The
 * lookups that compare the keys live in store.c.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "story.h"

/*
 * Titles longer than this are cut (on a character boundary) before they
 * are normalized: two titles that agree this far are the same headline,
 * and utf8proc_map's work stays bounded.
 */
#define STORY_TITLE_MAX	4096

/* Letters and numbers carry a headline's words; everything else separates. */
static int
story_is_word(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/*
 * The key of an ASCII title, without utf8proc: there NFKC changes
 * nothing, case folding is lowercasing, and the words are letters and
 * digits.  Most headlines are ASCII, and the mapping was a tenth of the
 * time a new item costs the daemon.
 */
static char *
story_title_key_ascii(const char *title, size_t len)
{
	char *key;
	size_t i, out = 0;
	int space = 0;
	unsigned char c;

	if ((key = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		c = (unsigned char)title[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))) {
			space = out > 0;
			continue;
		}
		if (space) {
			key[out++] = ' ';
			space = 0;
		}
		key[out++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	key[out] = '\0';
	if (out == 0) {
		free(key);
		return NULL;
	}
	return key;
}

static int
story_is_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

char *
story_title_key(const char *title)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t n, pos, step;
	utf8proc_int32_t cp;
	size_t len, out = 0;
	char *key = NULL;
	int space = 0;

	if (title == NULL)
		return NULL;
	len = strlen(title);
	if (len > STORY_TITLE_MAX) {
		len = STORY_TITLE_MAX;
		/* Back off to the start of a UTF-8 sequence. */
		while (len > 0 && ((unsigned char)title[len] & 0xC0) == 0x80)
			len--;
	}
	if (story_is_ascii(title, len))
		return story_title_key_ascii(title, len);
	/* NFKC, case folded, accents (combining marks) removed. */
	n = utf8proc_map((const utf8proc_uint8_t *)title, (utf8proc_ssize_t)len,
	    &mapped, UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (n < 0)
		return NULL;	/* not UTF-8, or out of memory */
	/* Each code point becomes itself or one space: never longer. */
	if ((key = malloc((size_t)n + 1)) == NULL)
		goto done;
	for (pos = 0; pos < n; pos += step) {
		step = utf8proc_iterate(mapped + pos, n - pos, &cp);
		if (step <= 0)
			break;	/* cannot happen: utf8proc_map's own output */
		if (!story_is_word(cp)) {
			space = out > 0;
			continue;
		}
		if (space) {
			key[out++] = ' ';
			space = 0;
		}
		out += (size_t)utf8proc_encode_char(cp,
		    (utf8proc_uint8_t *)key + out);
	}
	key[out] = '\0';
	if (out == 0) {
		free(key);
		key = NULL;
	}
 done:
	free(mapped);
	return key;
}
