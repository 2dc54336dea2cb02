/*
 * fuzz_sanitize.c - libFuzzer harness for the digest's HTML sanitizer:
 * whatever the input, every tag in the output is a plain element with no
 * attribute but href (http, https or mailto), rel and title.
 *
 *   make fuzz && fuzz/fuzz_sanitize -max_len=65536 corpus_dir
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one tag at p (just after '<'); returns what follows its '>'. */
static const char *
check_tag(const char *p)
{
	static const char *const bad[] = { "script", "style", "iframe", "img",
	    "object", "embed", "svg", "math", "form", "base", "meta", "link" };
	size_t n, i;

	if (*p == '/')
		p++;
	for (n = 0; isalnum((unsigned char)p[n]); n++)
		;
	if (n == 0)
		abort();	/* a '<' that is not a tag: escaping failed */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strlen(bad[i]) == n && strncasecmp(p, bad[i], n) == 0)
			abort();
	for (p += n; *p != '>'; ) {
		const char *name = p + 1, *val;

		if (*p != ' ')
			abort();
		for (n = 0; name[n] != '=' && name[n] != '\0'; n++)
			;
		if (name[n] != '=' || name[n + 1] != '"')
			abort();
		val = name + n + 2;
		if (!((n == 4 && strncmp(name, "href", 4) == 0 &&
		    (strncasecmp(val, "http://", 7) == 0 ||
		    strncasecmp(val, "https://", 8) == 0 ||
		    strncasecmp(val, "mailto:", 7) == 0)) ||
		    (n == 3 && strncmp(name, "rel", 3) == 0) ||
		    (n == 5 && strncmp(name, "title", 5) == 0)))
			abort();
		if ((p = strchr(val, '"')) == NULL)
			abort();
		p++;
	}
	return p + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	char *out;

	if ((out = sanitize_html((const char *)data, size)) == NULL)
		return 0;
	for (p = out; (p = strchr(p, '<')) != NULL; )
		p = check_tag(p + 1);
	free(out);
	return 0;
}
