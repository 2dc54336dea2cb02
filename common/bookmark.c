/*
 * bookmark.c - the one rule for digest bookmark names: short, printable
 * ASCII that is safe in a URL query, a log line and a file name.
 */
#include <string.h>

#include "bookmark.h"

int
bookmark_name_ok(const char *s)
{
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > BOOKMARK_NAME_MAX ||
	    s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}
